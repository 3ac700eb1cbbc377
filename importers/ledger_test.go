package importers

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"tudi/land"
	"tudi/postgis"
)

// ledgerRow is one data row of the renewal-unit ledger the tests write:
// the approval date as an Excel date (time.Time) or as text, the area as a
// number or as text with a unit.
type ledgerRow struct {
	code, name, street string
	approved           any
	permit             string
	area               any
}

var goodLedgerRows = []ledgerRow{
	{"GX-001", "一号单元", "甲街道", time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC), "更批〔2023〕1号", "1,234.5 平方米"},
	{"GX-002", "二号单元", "乙街道", "2023/5/1", "更批〔2023〕2号", "2 亩"},
	{"GX-003", "三号单元", "甲街道", "2023年5月1日", "更批〔2023〕3号", 800.0},
	{"GX-004", "四号单元", "丙街道", "20230501", "更批〔2023〕4号", "1.2公顷"},
}

// MustWriteLedgerXLSX writes a bureau-style ledger: a merged title row, a
// caption row, a two-row header with merged cells (审批情况 over 批准日期
// and 批准文号; 序号 … spanning both rows), the data rows from Excel row 5,
// and a total row.
func MustWriteLedgerXLSX(tb testing.TB, path, sheet string, rows []ledgerRow) {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", sheet))
	set := func(cell string, v any) { must(f.SetCellValue(sheet, cell, v)) }
	set("A1", "某区城市更新单元台账（2023年）")
	must(f.MergeCell(sheet, "A1", "H1"))
	set("A2", "填报单位：某区城市更新局")
	must(f.MergeCell(sheet, "A2", "D2"))
	set("F2", "单位：平方米")
	must(f.MergeCell(sheet, "F2", "H2"))
	for _, h := range []struct{ cell, text string }{{"A3", "序号"}, {"B3", "单元编号"}, {"C3", "单元名称"}, {"D3", "所属街道"}, {"E3", "审批情况"}, {"G3", "贡献用地面积\n（平方米）"}, {"H3", "备注"}, {"E4", "批准日期"}, {"F4", "批准文号"}} {
		set(h.cell, h.text)
	}
	for _, c := range []string{"A", "B", "C", "D", "G", "H"} {
		must(f.MergeCell(sheet, c+"3", c+"4"))
	}
	must(f.MergeCell(sheet, "E3", "F3"))
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	must(err)
	for i, r := range rows {
		n := 5 + i
		set(fmt.Sprintf("A%d", n), i+1)
		set(fmt.Sprintf("B%d", n), r.code)
		set(fmt.Sprintf("C%d", n), r.name)
		set(fmt.Sprintf("D%d", n), r.street)
		set(fmt.Sprintf("E%d", n), r.approved)
		if _, ok := r.approved.(time.Time); ok {
			must(f.SetCellStyle(sheet, fmt.Sprintf("E%d", n), fmt.Sprintf("E%d", n), dateStyle))
		}
		set(fmt.Sprintf("F%d", n), r.permit)
		set(fmt.Sprintf("G%d", n), r.area)
	}
	total := 5 + len(rows)
	set(fmt.Sprintf("A%d", total), "合计")
	set(fmt.Sprintf("G%d", total), 99999)
	must(f.SaveAs(path))
}

type unitRow struct {
	Code, Name, Street string
	Approved           *time.Time
	Area               *float64
	Props              map[string]any
}

func mustUnits(tb testing.TB, e *testEnv, layer string) []unitRow {
	tb.Helper()
	rows, err := e.db.Pool.Query(context.Background(), `SELECT code, name, props->>'所属街道', approved_date, contributed_area_m2, props
		FROM `+postgis.Table(layer)+` ORDER BY code`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []unitRow
	for rows.Next() {
		var u unitRow
		var props []byte
		if err := rows.Scan(&u.Code, &u.Name, &u.Street, &u.Approved, &u.Area, &props); err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(props, &u.Props); err != nil {
			tb.Fatal(err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestLedgerXLSXImportsTitleMergedHeaderDatesAndUnits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := filepath.Join(t.TempDir(), "更新单元台账.xlsx")
	MustWriteLedgerXLSX(t, path, "台账", goodLedgerRows)
	imp := e.MustImport(t, Request{Layer: "units", Kind: land.RenewalUnits, Files: []string{path}})

	if imp.Summary.Read != 4 || imp.Summary.Loaded != 4 || imp.Summary.Warnings != 0 {
		t.Fatalf("summary %+v: want 4 read and loaded, no warnings", imp.Summary)
	}
	if imp.Extra["format"] != "xlsx" {
		t.Errorf("format %v, want xlsx", imp.Extra["format"])
	}
	mapping := imp.Extra["mapping"].(map[string]string)
	for field, src := range map[string]string{"code": "单元编号", "name": "单元名称", "approved_date": "批准日期", "contributed_area_m2": "贡献用地面积（平方米）"} {
		if mapping[field] != src {
			t.Errorf("mapping[%s] = %q, want %q (mapping %v)", field, mapping[field], src, mapping)
		}
	}
	units := mustUnits(t, e, "units")
	wantArea := []float64{1234.5, 2e4 / 15, 800, 12000}
	if len(units) != 4 {
		t.Fatalf("%d rows, want 4 (the total row is not a record)", len(units))
	}
	for i, u := range units {
		r := goodLedgerRows[i]
		if u.Code != r.code || u.Name != r.name || u.Street != r.street {
			t.Errorf("row %d: %+v, want %s %s %s", i, u, r.code, r.name, r.street)
		}
		if u.Approved == nil || !u.Approved.Equal(time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("row %d (%v): approved_date %v, want 2023-05-01", i, r.approved, u.Approved)
		}
		if u.Area == nil || math.Abs(*u.Area-wantArea[i]) > 1e-6 {
			t.Errorf("row %d (%v): contributed_area_m2 %v, want %v", i, r.area, u.Area, wantArea[i])
		}
		if u.Props["批准文号"] != r.permit {
			t.Errorf("row %d: props 批准文号 = %v, want %q (props %v)", i, u.Props["批准文号"], r.permit, u.Props)
		}
	}
	if units[0].Props["批准日期"] != "2023-05-01" {
		t.Errorf("an Excel date cell is kept in props as %v, want 2023-05-01", units[0].Props["批准日期"])
	}
	var geoms int
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT count(geom) FROM `+postgis.Table("units")).Scan(&geoms); err != nil || geoms != 0 {
		t.Errorf("geometries %d (%v), want none", geoms, err)
	}
	l, err := e.db.FindLayer(context.Background(), "units")
	if err != nil {
		t.Fatal(err)
	}
	if l.Extent != nil || l.FeatureCount != 4 {
		t.Errorf("layer without geometry: extent %v, count %d; want no extent and 4", l.Extent, l.FeatureCount)
	}
}

func TestLedgerBadDateFailsAndLeavesTheLayerAsItWas(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.xlsx")
	MustWriteLedgerXLSX(t, good, "台账", goodLedgerRows)
	e.MustImport(t, Request{Layer: "units", Kind: land.RenewalUnits, Files: []string{good}})
	before := e.MustState(t, "units")

	rows := append(append([]ledgerRow(nil), goodLedgerRows...), ledgerRow{"GX-005", "五号单元", "甲街道", "2023-13-45", "更批5号", 10.0})
	bad := filepath.Join(dir, "bad.xlsx")
	MustWriteLedgerXLSX(t, bad, "台账", rows)
	imp, err := e.im.Import(context.Background(), Request{Layer: "units", Files: []string{bad}})
	if err == nil {
		t.Fatal("a bad date imported without error")
	}
	want := `bad.xlsx: sheet 台账 row 9 column E 批准日期: bad date "2023-13-45"`
	if !strings.Contains(err.Error(), want) || land.KindOf(err) != land.Invalid {
		t.Errorf("error %q (%s), want it to contain %q", err, land.KindOf(err), want)
	}
	if imp == nil || imp.Status != "failed" {
		t.Errorf("import record %+v, want failed", imp)
	}
	if after := e.MustState(t, "units"); after != before {
		t.Errorf("layer changed by a failed import: %+v → %+v", before, after)
	}

	t.Run("with --lenient the value stays in props and is counted", func(t *testing.T) {
		imp := e.MustImport(t, Request{Layer: "units", Files: []string{bad}, Ledger: LedgerOptions{Lenient: true}})
		if imp.Summary.Loaded != 5 || imp.Summary.Warnings != 1 {
			t.Fatalf("summary %+v: want 5 loaded, 1 warning", imp.Summary)
		}
		if len(imp.Summary.Problems) != 1 || !strings.Contains(imp.Summary.Problems[0].Reason, `sheet 台账 row 9 column E 批准日期: bad date "2023-13-45" (kept in props`) || imp.Summary.Problems[0].Record != 9 {
			t.Errorf("problems %+v", imp.Summary.Problems)
		}
		units := mustUnits(t, e, "units")
		last := units[4]
		if last.Code != "GX-005" || last.Approved != nil || last.Props["批准日期"] != "2023-13-45" {
			t.Errorf("lenient row %+v: want no approved_date and the text in props", last)
		}
	})
}

func TestLedgerCSVInGBKWithTitleAndGroupedHeader(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	text := "某街道房屋征收签约台账,,,,\r\n" +
		"序号,户主姓名,签约情况,,\r\n" +
		",,签约日期,签约金额（万元）,签约面积\r\n" +
		"1,张三,2023-05-01,\"1,234.5\",120.5平方米\r\n" +
		"2,李四,2023年6月2日,88,90 ㎡\r\n" +
		"合计,,,\"1,322.5\",210.5\r\n"
	for _, c := range []struct {
		name     string
		data     []byte
		encoding string
	}{
		{"GBK detected", []byte(gbk(t, text)), "GB18030"},
		{"UTF-8 with BOM", append([]byte("\ufeff"), text...), "UTF-8"},
		{"UTF-8", []byte(text), "UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "签约台账.csv")
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			imp := e.MustImport(t, Request{Layer: "signing", Files: []string{path}})
			if imp.Summary.Loaded != 2 || imp.Summary.Encoding != c.encoding {
				t.Fatalf("summary %+v: want 2 loaded, encoding %s", imp.Summary, c.encoding)
			}
			rows, err := e.db.Pool.Query(context.Background(), `SELECT props FROM `+postgis.Table("signing")+` ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			var got []map[string]any
			for rows.Next() {
				var b []byte
				var m map[string]any
				if err := rows.Scan(&b); err != nil {
					t.Fatal(err)
				}
				_ = json.Unmarshal(b, &m)
				got = append(got, m)
			}
			rows.Close()
			want := []map[string]any{
				{"序号": "1", "户主姓名": "张三", "签约日期": "2023-05-01", "签约金额（万元）": "1,234.5", "签约面积": "120.5平方米"},
				{"序号": "2", "户主姓名": "李四", "签约日期": "2023年6月2日", "签约金额（万元）": "88", "签约面积": "90 ㎡"},
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("props\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestLedgerGeometryFromColumns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ctx := context.Background()
	t.Run("lon and lat columns are found by their names", func(t *testing.T) {
		p := write("points.csv", "编号,名称,经度,纬度\nA1,一,113.95,22.53\nA2,二,\"113°57′0″\",22.54\n")
		imp := e.MustImport(t, Request{Layer: "pts", Files: []string{p}})
		if imp.Summary.NullShapes != 0 || imp.Summary.Loaded != 2 || imp.Summary.SRID != 4490 {
			t.Fatalf("summary %+v", imp.Summary)
		}
		var x, y float64
		if err := e.db.Pool.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom) FROM `+postgis.Table("pts")+` WHERE name = '二'`).Scan(&x, &y); err != nil {
			t.Fatal(err)
		}
		if math.Abs(x-113.95) > 1e-9 || math.Abs(y-22.54) > 1e-9 {
			t.Errorf("point %v %v, want 113.95 22.54", x, y)
		}
	})
	t.Run("--lon/--lat name them, and a bad coordinate fails the import", func(t *testing.T) {
		p := write("pts2.csv", "id,E,N\n1,113.9,22.5\n2,abc,22.5\n")
		_, err := e.im.Import(ctx, Request{Layer: "pts2", Files: []string{p}, Ledger: LedgerOptions{Lon: "E", Lat: "N"}})
		if err == nil || !strings.Contains(err.Error(), `pts2.csv: row 3 column B E: bad coordinate "abc"`) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("a WKT column, then a join by code with matched and unmatched counts", func(t *testing.T) {
		p := write("parcels.csv", "地块编号,地类编码,WKT\n"+
			"DK-1,0701,\"POLYGON((113.90 22.50,113.91 22.50,113.91 22.51,113.90 22.51,113.90 22.50))\"\n"+
			"DK-2,0701,\"POLYGON((113.92 22.50,113.93 22.50,113.93 22.51,113.92 22.51,113.92 22.50))\"\n")
		imp := e.MustImport(t, Request{Layer: "parcels", Files: []string{p}, Ledger: LedgerOptions{WKT: "WKT"}})
		if imp.Summary.Loaded != 2 || imp.Summary.NullShapes != 0 {
			t.Fatalf("summary %+v", imp.Summary)
		}
		var codes string
		if err := e.db.Pool.QueryRow(ctx, `SELECT string_agg(code || ':' || GeometryType(geom), ',' ORDER BY code) FROM layers.parcels`).Scan(&codes); err != nil || codes != "DK-1:POLYGON,DK-2:POLYGON" {
			t.Fatalf("parcels %q %v", codes, err)
		}

		q := write("supply.csv", "序号,DKBH,成交价\n1,DK-2,\"1,000万元\"\n2,DK-9,20\n3,DK-1,30\n")
		imp = e.MustImport(t, Request{Layer: "supply", Kind: land.Generic, Files: []string{q}, Ledger: LedgerOptions{GeometryFrom: "parcels:code=DKBH"}})
		gf, _ := imp.Extra["geometry_from"].(map[string]any)
		if gf["matched"] != int64(2) || gf["unmatched"] != int64(1) || imp.Summary.NullShapes != 1 {
			t.Errorf("geometry_from %v, null shapes %d: want 2 matched, 1 unmatched", gf, imp.Summary.NullShapes)
		}
		note := strings.Join(imp.Summary.Notes, "\n")
		if !strings.Contains(note, "2 row(s) matched, 1 unmatched") || !strings.Contains(note, "DK-9") {
			t.Errorf("notes %q", note)
		}
		var same bool
		if err := e.db.Pool.QueryRow(ctx, `SELECT ST_Equals(s.geom, p.geom) FROM layers.supply s, layers.parcels p
			WHERE s.props->>'DKBH' = 'DK-2' AND p.code = 'DK-2'`).Scan(&same); err != nil || !same {
			t.Errorf("joined geometry equal to the parcel's: %v %v", same, err)
		}
	})
}

func TestLedgerSheetChoice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := filepath.Join(t.TempDir(), "book.xlsx")
	MustWriteLedgerXLSX(t, path, "说明", goodLedgerRows[:1])
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("台账"); err != nil {
		t.Fatal(err)
	}
	for i, row := range [][]any{{"单元编号", "单元名称"}, {"GX-100", "甲"}, {"GX-101", "乙"}} {
		if err := f.SetSheetRow("台账", fmt.Sprintf("A%d", i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if imp := e.MustImport(t, Request{Layer: "a", Kind: land.RenewalUnits, Files: []string{path}}); imp.Summary.Loaded != 1 {
		t.Errorf("first sheet: %d loaded, want 1", imp.Summary.Loaded)
	}
	if imp := e.MustImport(t, Request{Layer: "b", Kind: land.RenewalUnits, Files: []string{path}, Ledger: LedgerOptions{Sheet: "台账"}}); imp.Summary.Loaded != 2 {
		t.Errorf("sheet 台账: %d loaded, want 2", imp.Summary.Loaded)
	}
	_, err = e.im.Import(context.Background(), Request{Layer: "c", Files: []string{path}, Ledger: LedgerOptions{Sheet: "无"}})
	if err == nil || !strings.Contains(err.Error(), `has no sheet "无" (it has: 说明, 台账)`) {
		t.Errorf("unknown sheet: %v", err)
	}
}
