package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"tudi/land"
	"tudi/pgcluster/pgtest"
)

// A bureau's own ledger kind, added with --catalog.
const expropriationKind = `kind: expropriation
title: 房屋征收台账
title_en: Housing expropriation ledger
code_field: code
fields:
  - {name: code, type: text, title: 户号, title_en: Household number, presets: [HH, 户号]}
  - {name: household, type: text, title: 被征收人, title_en: Household, presets: [被征收人]}
  - {name: street, type: text, title: 街道, title_en: Sub-district, presets: [街道]}
  - {name: signed, type: bool, title: 是否签约, title_en: Signed, presets: [是否签约]}
  - {name: signed_date, type: date, title: 签约日期, title_en: Signing date, presets: [签约日期]}
  - {name: floor_area_m2, type: float, title: 房屋面积, title_en: Floor area, unit: m², presets: [房屋面积]}
style:
  fill: "#a6cee3"
  outline: "#1f78b4"
  other: "#a6cee3"
`

const expropriationReport = `-- @report name=expropriation-signed title=房屋征收签约情况 title_en="Housing expropriation agreements"
-- @description "Households that signed in the period, by sub-district."
-- @period "agreements signed in the period (signed_date)"
-- @street "the street field"
-- @layer kind=expropriation name=expropriation
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 as_of
-- @group key=street title=街道 title_en=Sub-district
-- @column key=street group=street type=text title=街道 title_en=Sub-district
-- @default_group street
-- @column key=households type=integer title=签约户数 title_en=Households unit=户
-- @column key=floor_area_m2 type=number title=房屋面积 title_en="Floor area" unit=m² decimals=2
SELECT CASE WHEN 'street' = ANY($1::text[]) THEN street END AS street,
       GROUPING(CASE WHEN 'street' = ANY($1::text[]) THEN street END) <> 0 AS is_total,
       count(*) AS households,
       round(coalesce(sum(floor_area_m2), 0)::numeric, 2)::float8 AS floor_area_m2
FROM expropriation
WHERE signed AND CASE WHEN $2::date IS NOT NULL THEN signed_date BETWEEN $2::date AND $3::date
                      ELSE signed_date <= $4::date END
GROUP BY GROUPING SETS ((1), ())
ORDER BY is_total, street
`

// writeExpropriationLedger writes a bureau's ledger: a title row, a header
// of two rows with merged cells (签约日期 under 签约情况), an Excel date and
// text dates, numbers with units and thousands separators.
func writeExpropriationLedger(t *testing.T, path string, edit ...func([][]any)) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const sh = "Sheet1"
	set := func(cell string, v any) { must(f.SetCellValue(sh, cell, v)) }
	set("A1", "某区房屋征收补偿协议台账（2023年）")
	must(f.MergeCell(sh, "A1", "F1"))
	for _, h := range [][2]string{{"A2", "户号"}, {"B2", "被征收人"}, {"C2", "街道"}, {"D2", "签约情况"}, {"F2", "房屋面积"}, {"D3", "是否签约"}, {"E3", "签约日期"}} {
		set(h[0], h[1])
	}
	for _, c := range []string{"A", "B", "C", "F"} {
		must(f.MergeCell(sh, c+"2", c+"3"))
	}
	must(f.MergeCell(sh, "D2", "E2"))
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	must(err)
	rows := [][]any{
		{"H001", "张三", "甲街道", "是", time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC), "85.5 平方米"},
		{"H002", "李四", "甲街道", "是", "2023/7/15", "1,120 m²"},
		{"H003", "王五", "乙街道", "是", "2023年11月2日", 60},
		{"H004", "赵六", "乙街道", "否", "", 70},
		{"H005", "钱七", "甲街道", "是", "20221230", 90},
	}
	for _, e := range edit {
		e(rows)
	}
	for i, r := range rows {
		for j, v := range r {
			cell := fmt.Sprintf("%c%d", 'A'+j, 4+i)
			set(cell, v)
			if _, ok := v.(time.Time); ok {
				must(f.SetCellStyle(sh, cell, cell, dateStyle))
			}
		}
	}
	must(f.SaveAs(path))
}

// A kind added by --catalog is imported from a ledger, reported on and
// served by OGC with its own fields.
func TestImportAndReportACatalogueKind(t *testing.T) {
	t.Parallel()
	dataDir := pgtest.DataDir(t)
	dir := writeCatalog(t, map[string]string{"kinds/expropriation.yaml": expropriationKind, "reports/expropriation-signed.sql": expropriationReport})
	ledger := filepath.Join(t.TempDir(), "征收台账.xlsx")
	writeExpropriationLedger(t, ledger)

	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	ready, done := make(chan string, 1), make(chan int, 1)
	env := Env{Stdout: logs, Stderr: logs, Getenv: func(k string) string {
		if k == "TUDI_TOKEN" {
			return testToken
		}
		return ""
	}, Ready: func(a string) { ready <- a }}
	go func() {
		done <- RunEnv(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--sample=false", "--catalog", dir}, env)
	}()
	var base string
	select {
	case a := <-ready:
		base = "http://" + a
	case code := <-done:
		cancel()
		t.Fatalf("serve exited with %d:\n%s", code, logs.String())
	case <-time.After(5 * time.Minute):
		cancel()
		t.Fatalf("serve not ready:\n%s", logs.String())
	}
	defer func() { cancel(); <-done }()

	imp := []string{"import", "--data-dir", dataDir, "--layer", "expropriation", "--kind", "expropriation", "--as-of", "2023-01-01", "--json", ledger}
	if code, _, stderr := runTudi(imp...); code != 2 || !strings.Contains(stderr, `unknown kind "expropriation"`) {
		t.Fatalf("without the catalogue: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runTudi(append(imp, "--catalog", dir)...)
	var res land.Import
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil {
		t.Fatalf("import: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if res.Kind != "expropriation" || res.Summary.Loaded != 5 || res.Summary.Warnings != 0 {
		t.Fatalf("import: kind %s, summary %+v", res.Kind, res.Summary)
	}

	code, stdout, stderr = runTudi("report", "expropriation-signed", "--catalog", dir, "--data-dir", dataDir, "--year", "2023", "--group", "street", "--format", "json")
	var rep struct {
		Rows   []map[string]any
		Totals map[string]any
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	got := map[string]string{}
	for _, r := range rep.Rows {
		got[fmt.Sprint(r["street"])] = fmt.Sprint(r["households"], " ", r["floor_area_m2"])
	}
	want := map[string]string{"甲街道": "2 1205.5", "乙街道": "1 60"}
	if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(rep.Totals["households"]) != "3" {
		t.Fatalf("report rows %v (want %v), totals %v\n%s", got, want, rep.Totals, stdout)
	}

	get := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
	}
	var items struct {
		Features []struct{ Properties map[string]any }
	}
	get("/ogc/collections/expropriation/items?code=H002", &items)
	if len(items.Features) != 1 || items.Features[0].Properties["signed_date"] != "2023-07-15" ||
		items.Features[0].Properties["floor_area_m2"] != 1120.0 || items.Features[0].Properties["signed"] != true {
		t.Fatalf("items: %+v", items.Features)
	}
	var q struct {
		Properties map[string]struct{ Title, Type, Format string }
	}
	get("/ogc/collections/expropriation/queryables", &q)
	for name, title := range map[string]string{"code": "户号", "street": "街道", "signed_date": "签约日期", "floor_area_m2": "房屋面积 (m²)", "signed": "是否签约"} {
		if p, ok := q.Properties[name]; !ok || p.Title != title {
			t.Errorf("queryable %s = %+v, want title %q (all: %v)", name, p, title, q.Properties)
		}
	}

	// Tiles and TileJSON read the layer through the catalogue too: the
	// kind's fields are its tile attributes (and no Generic "name", which
	// its table lacks).
	var tj struct {
		VectorLayers []struct{ Fields map[string]string } `json:"vector_layers"`
	}
	get("/tiles/expropriation.json", &tj)
	if len(tj.VectorLayers) != 1 || tj.VectorLayers[0].Fields["signed_date"] != "String" || tj.VectorLayers[0].Fields["name"] != "" {
		t.Errorf("TileJSON fields: %+v", tj.VectorLayers)
	}
	if resp, err := http.Get(base + "/tiles/expropriation/14/13503/7139.mvt"); err != nil || (resp.StatusCode != 200 && resp.StatusCode != 204) {
		t.Errorf("a tile of the layer: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}

	// A later state of the ledger: H004 signs. The layer's history compares
	// by the kind's code and lists the changed fields of the kind.
	later := filepath.Join(t.TempDir(), "征收台账2.xlsx")
	writeExpropriationLedger(t, later, func(rows [][]any) { rows[3][3], rows[3][4] = "是", "2023-06-20" })
	code, stdout, stderr = runTudi("import", "--data-dir", dataDir, "--catalog", dir, "--layer", "expropriation", "--as-of", "2023-07-01", "--json", later)
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Summary.Changes == nil || res.Summary.Changes.Changed != 1 || res.Summary.Changes.Unchanged != 4 {
		t.Fatalf("second import: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runTudi("layer", "diff", "expropriation", "--data-dir", dataDir, "--catalog", dir, "--from", "2023-01-01", "--to", "2023-07-01", "--format", "json")
	var diff struct {
		Features []struct {
			Code, Change string
			Changed      []string
		}
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &diff) != nil || len(diff.Features) != 1 || diff.Features[0].Code != "H004" ||
		!strings.HasPrefix(strings.Join(diff.Features[0].Changed, ","), "signed,signed_date,") {
		t.Fatalf("diff: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runTudi("report", "expropriation-signed", "--catalog", dir, "--data-dir", dataDir, "--from", "2023-01-01", "--to", "2023-06-30", "--group", "street", "--format", "json")
	rep.Rows, rep.Totals = nil, nil
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil || fmt.Sprint(rep.Totals["households"]) != "2" {
		t.Fatalf("report for the first half (H001 and H004): exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// A ledger of a catalogue's kind uploaded to a server started with the
// catalogue; a bad date fails it unless lenient; the page's field titles
// come from the catalogue.
func TestUploadACatalogueKindLedger(t *testing.T) {
	t.Parallel()
	dataDir := pgtest.DataDir(t)
	dir := writeCatalog(t, map[string]string{"kinds/expropriation.yaml": expropriationKind})
	csv := filepath.Join(t.TempDir(), "ledger.csv")
	if err := os.WriteFile(csv, []byte("征收台账,,,,,,,\n户号,被征收人,街道,是否签约,签约日期,房屋面积,经度,纬度\nH1,甲,甲街道,是,2023-05-01,\"1,234.5 平方米\",113.95,22.53\nH2,乙,乙街道,是,2023-13-45,50,113.96,22.54\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	ready, done := make(chan string, 1), make(chan int, 1)
	env := Env{Stdout: logs, Stderr: logs, Getenv: func(k string) string {
		if k == "TUDI_TOKEN" {
			return testToken
		}
		return ""
	}, Ready: func(a string) { ready <- a }}
	go func() {
		done <- RunEnv(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--sample=false", "--catalog", dir}, env)
	}()
	var base string
	select {
	case a := <-ready:
		base = "http://" + a
	case code := <-done:
		cancel()
		t.Fatalf("serve exited with %d:\n%s", code, logs.String())
	case <-time.After(5 * time.Minute):
		cancel()
		t.Fatalf("serve not ready:\n%s", logs.String())
	}
	defer func() { cancel(); <-done }()

	code, _, stderr := runTudi("import", "--data-dir", dataDir, "--catalog", dir, "--layer", "expropriation", "--kind", "expropriation", csv)
	if code != 2 || !strings.Contains(stderr, `row 4 column E 签约日期: bad date "2023-13-45"`) {
		t.Fatalf("a bad date: exit %d: %s", code, stderr)
	}

	upload := func(fields map[string]string) (int, map[string]any) {
		var body bytes.Buffer
		for k, v := range fields {
			fmt.Fprintf(&body, "--x\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", k, v)
		}
		b, err := os.ReadFile(csv)
		if err != nil {
			t.Fatal(err)
		}
		body.WriteString("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ledger.csv\"\r\n\r\n")
		body.Write(b)
		body.WriteString("\r\n--x--\r\n")
		req, _ := http.NewRequest("POST", base+"/api/imports", &body)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if status, out := upload(map[string]string{"layer": "expropriation", "kind": "expropriation"}); status != 400 || !strings.Contains(fmt.Sprint(out["error"]), "签约日期") {
		t.Fatalf("strict upload: %d %v", status, out)
	}
	status, out := upload(map[string]string{"layer": "expropriation", "kind": "expropriation", "lenient": "true"})
	sum, _ := out["summary"].(map[string]any)
	if status != 201 || out["kind"] != "expropriation" || sum["loaded"] != 2.0 || sum["warnings"] != 1.0 {
		t.Fatalf("lenient upload: %d %v", status, out)
	}
	get := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
	}
	var items struct {
		Features []struct{ Properties map[string]any }
	}
	get("/ogc/collections/expropriation/items?sortby=code", &items)
	if len(items.Features) != 2 || items.Features[0].Properties["floor_area_m2"] != 1234.5 || items.Features[0].Properties["signed_date"] != "2023-05-01" ||
		items.Features[1].Properties["signed_date"] != nil {
		t.Fatalf("items: %+v", items.Features)
	}
	var id struct {
		Layers []struct {
			Layer, Kind string
			Features    []struct{ Fields map[string]any }
		}
	}
	get("/api/identify?lon=113.95&lat=22.53&layers=expropriation&tolerance=20", &id)
	if len(id.Layers) != 1 || id.Layers[0].Kind != "expropriation" || len(id.Layers[0].Features) != 1 ||
		id.Layers[0].Features[0].Fields["code"] != "H1" || id.Layers[0].Features[0].Fields["signed_date"] != "2023-05-01" {
		t.Fatalf("identify: %+v", id)
	}
	var titles map[string]struct {
		Title  string
		Fields []struct{ Name, ZH, EN, Unit string }
	}
	get("/app/fields.json", &titles)
	e := titles["expropriation"]
	if e.Title != "房屋征收台账" || len(e.Fields) != 6 || e.Fields[4].ZH != "签约日期" || e.Fields[5].Unit != "m²" || len(titles["parcels"].Fields) == 0 {
		t.Fatalf("fields.json: %+v", titles)
	}
}
