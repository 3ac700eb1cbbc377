package reports_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/go-chi/chi/v5"
	"github.com/xuri/excelize/v2"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/reports"
	"tudi/reports/reportstest"
)

// sample is a small hand-made result with Chinese and ASCII keys.
func sample() *reports.Result {
	year := 2024
	from, to := "2024-01-01", "2024-12-31"
	return &reports.Result{
		Params: land.ReportParams{Group: []string{"street"}, Year: &year, From: &from, To: &to, AsOf: "2024-12-31", Layers: map[string]string{"parcels": "parcels"}},
		Report: "land-supply", Title: "土地供应情况", TitleEN: "Land supply",
		Columns: []land.Column{
			{Key: "street", Title: "街道/镇", TitleEN: "Sub-district", Type: land.ColumnText},
			{Key: "parcels", Title: "宗数", TitleEN: "Parcels", Unit: "宗", Type: land.ColumnInteger},
			{Key: "area_ha", Title: "面积", TitleEN: "Area", Unit: "公顷", Type: land.ColumnNumber, Decimals: 4},
			{Key: "rate", Title: "处置率", TitleEN: "Disposal rate", Unit: "%", Type: land.ColumnPercent, Decimals: 2},
		},
		Rows: []map[string]any{
			{"street": "东街道", "parcels": int64(12), "area_ha": 3.5, "rate": 95.61},
			{"street": "Xi-2", "parcels": int64(3), "area_ha": 1234.25, "rate": nil},
		},
		Totals: map[string]any{"parcels": int64(15), "area_ha": 1237.75, "rate": 95.61},
	}
}

// cells counts terminal cells the test's own way: Han characters and
// full-width forms take two.
func cells(s string) int {
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || (r >= 0xFF01 && r <= 0xFF60) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := reports.WriteTable(&b, sample()); err != nil {
		t.Fatal(err)
	}
	want := `土地供应情况 Land supply
分组 group: street; 年度 year: 2024; 期间 period: 2024-01-01 … 2024-12-31; 截至 as of: 2024-12-31; 图层 layers: parcels=parcels

街道/镇  宗数(宗)  面积(公顷)  处置率(%)
-------  --------  ----------  ---------
东街道         12      3.5000      95.61
Xi-2            3   1234.2500
-------  --------  ----------  ---------
合计           15   1237.7500      95.61
`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	t.Run("every full line is as wide as the rule, Chinese counting two cells", func(t *testing.T) {
		lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")[3:]
		full := cells(lines[1])
		for _, i := range []int{0, 2, 4, 5} { // the header, a row, the rule, the totals
			if cells(lines[i]) != full {
				t.Errorf("line %q is %d cells wide, the rule %d", lines[i], cells(lines[i]), full)
			}
		}
	})
}

// A street filter shows in the parameters line (table, XLSX), in the JSON
// params and in the file name, after the year.
func TestWriteStreetFilter(t *testing.T) {
	t.Parallel()
	res := sample()
	res.Params.Street = []string{"东街道", "a/b"}
	var b bytes.Buffer
	if err := reports.WriteTable(&b, res); err != nil {
		t.Fatal(err)
	}
	if line := strings.Split(b.String(), "\n")[1]; line != "分组 group: street; 年度 year: 2024; 期间 period: 2024-01-01 … 2024-12-31; 截至 as of: 2024-12-31; 街道/镇 street: 东街道,a/b; 图层 layers: parcels=parcels" {
		t.Errorf("parameters line %q", line)
	}
	if got := reports.FileName(res, reports.FormatCSV); got != "land-supply-2024-东街道-a_b.csv" {
		t.Errorf("file name %q", got)
	}
	for street, want := range map[string]string{"": `"street": null`, "东街道": `"street": [
      "东街道"
    ]`} {
		res.Params.Street = reports.ParseStreets(street)
		b.Reset()
		if err := reports.WriteJSON(&b, res); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Params struct {
				Group  []string
				Year   int
				Street []string
			}
		}
		if err := json.Unmarshal(b.Bytes(), &got); err != nil || !strings.Contains(b.String(), want) || got.Params.Year != 2024 || len(got.Params.Group) != 1 {
			t.Errorf("json (%v) lacks %s:\n%s", err, want, b.String())
		}
	}
}

func TestWriteCSV(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := reports.WriteCSV(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("no UTF-8 byte-order mark: % x", b.Bytes()[:8])
	}
	recs, err := csv.NewReader(bytes.NewReader(b.Bytes()[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 || !strings.HasPrefix(recs[0][0], "土地供应情况 Land supply") || !strings.Contains(recs[0][0], "年度 year: 2024") {
		t.Fatalf("title row %q", recs)
	}
	recs = recs[1:]
	want := [][]string{
		{"街道/镇", "宗数(宗)", "面积(公顷)", "处置率(%)"},
		{"东街道", "12", "3.5000", "95.61"},
		{"Xi-2", "3", "1234.2500", ""},
		{"合计", "15", "1237.7500", "95.61"},
	}
	if fmt.Sprint(recs) != fmt.Sprint(want) {
		t.Errorf("csv %q, want %q", recs, want)
	}
}

func TestWriteXLSX(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := reports.WriteXLSX(&b, sample()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := "土地供应情况"
	if got := f.GetSheetList(); len(got) != 1 || got[0] != sheet {
		t.Fatalf("sheets %v", got)
	}
	// Displayed values: the number formats at work.
	for cell, want := range map[string]string{
		"A1": "土地供应情况 Land supply",
		"A2": "分组 group: street; 年度 year: 2024; 期间 period: 2024-01-01 … 2024-12-31; 截至 as of: 2024-12-31; 图层 layers: parcels=parcels",
		"A3": "街道/镇", "B3": "宗数(宗)", "C3": "面积(公顷)", "C4": "Area (公顷)",
		"A5": "东街道", "B5": "12", "C5": "3.5000", "D5": "95.61",
		"A6": "Xi-2", "C6": "1,234.2500", "D6": "",
		"A7": "合计 Total", "B7": "15", "C7": "1,237.7500",
	} {
		got, err := f.GetCellValue(sheet, cell)
		if err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q", cell, got, err, want)
		}
	}
	// Stored values are numbers, not text.
	if typ, _ := f.GetCellType(sheet, "C6"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("C6 has type %v", typ)
	}
	if raw, _ := f.GetCellValue(sheet, "C6", excelize.Options{RawCellValue: true}); raw != "1234.25" {
		t.Errorf("C6 raw %q", raw)
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 4 || panes.TopLeftCell != "A5" {
		t.Errorf("panes %+v %v: want the four title and header rows frozen", panes, err)
	}
	if w, _ := f.GetColWidth(sheet, "C"); w < 10 {
		t.Errorf("column C is %v wide", w)
	}
}

// Every report, in every format, from the fixture: each writer takes every
// column type the reports produce, and the formats agree on the figures.
func TestEveryReportInEveryFormat(t *testing.T) {
	t.Parallel()
	svc, db := fixture(t)
	inspectionLayers(t, db)
	permitsLayer(t, db)
	expropriationLayers(t, db)
	for _, r := range svc.Reports() {
		var opt reports.Options
		if r.Name == reports.LayerSummary {
			opt = reports.Options{Group: []string{"supply_method", "code"}, Summary: reports.SummaryOptions{Of: "parcels", Sum: "price_wan"}}
		}
		res := reportstest.MustRun(t, svc, r.Name, opt)
		for _, format := range reports.Formats() {
			t.Run(r.Name+" as "+format, func(t *testing.T) {
				var b bytes.Buffer
				if err := reports.Write(&b, res, format); err != nil {
					t.Fatal(err)
				}
				switch format {
				case reports.FormatJSON:
					var got struct {
						Report  string
						Title   string
						TitleEN string `json:"title_en"`
						Columns []struct{ Key, Title, Unit string }
						Rows    []map[string]any
						Totals  map[string]any
					}
					if err := json.Unmarshal(b.Bytes(), &got); err != nil {
						t.Fatal(err)
					}
					if got.Report != r.Name || got.Title == "" || got.TitleEN == "" || len(got.Rows) != len(res.Rows) ||
						len(got.Columns) != len(res.Columns) || got.Columns[0].Title == "" || got.Totals == nil {
						t.Errorf("json %s", b.String())
					}
				case reports.FormatCSV:
					recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\ufeff")))).ReadAll()
					if err != nil || len(recs) != len(res.Rows)+3 || recs[len(recs)-1][0] != "合计" || !strings.HasPrefix(recs[0][0], res.Title) {
						t.Errorf("csv %q %v", recs, err)
					}
				case reports.FormatXLSX:
					f, err := excelize.OpenReader(&b)
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					rows, err := f.GetRows(f.GetSheetList()[0])
					if err != nil || len(rows) != 4+len(res.Rows)+1 {
						t.Fatalf("xlsx has %d rows (%v), want %d", len(rows), err, 4+len(res.Rows)+1)
					}
					// Displayed cells match the table's text, years without a
					// thousands separator.
					for i, c := range res.Columns {
						want := strings.ReplaceAll(fmt.Sprint(formatted(c, res.Rows[0][c.Key])), ",", "")
						shown := "" // trailing empty cells are not in the row
						if i < len(rows[4]) {
							shown = rows[4][i]
						}
						if got := strings.ReplaceAll(shown, ",", ""); got != want && c.Key != "year" || c.Key == "year" && shown != want {
							t.Errorf("%s: first row shows %q, want %q", c.Key, shown, want)
						}
					}
				case reports.FormatTable:
					if n := strings.Count(b.String(), "\n"); n < len(res.Rows)+6 {
						t.Errorf("table of %d lines:\n%s", n, b.String())
					}
				}
			})
		}
	}
}

// formatted is a value as the writers show it, computed here on its own.
func formatted(c land.Column, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', c.Decimals, 64)
	}
	return fmt.Sprint(v)
}

// serve mounts the service on a router with a minimal error adapter (the
// real one lives in package server): kind → status, {"error": message}.
func serve(t *testing.T, svc *reports.Service) *httptest.Server {
	r := chi.NewRouter()
	svc.Mount(r, func(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			if err := h(w, req); err != nil {
				status := map[land.ErrorKind]int{land.Invalid: 400, land.NotFound: 404}[land.KindOf(err)]
				if status == 0 {
					status = 500
				}
				w.WriteHeader(status)
				_ = json.NewEncoder(w).Encode(map[string]any{"error": land.MessageOf(err)})
			}
		}
	})
	ts := httptest.NewServer(r)
	t.Cleanup(ts.Close)
	return ts
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	svc, _ := fixture(t)
	ts := serve(t, svc)
	get := func(t *testing.T, path string, status int) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != status {
			t.Fatalf("GET %s: %d %s, want %d", path, resp.StatusCode, body, status)
		}
		return resp, body
	}
	t.Run("the list names every report with its titles, groups and layers", func(t *testing.T) {
		_, body := get(t, "/api/reports", 200)
		var list struct {
			Reports []land.Report
			Formats []string
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range list.Reports {
			names = append(names, r.Name)
			if r.Title == "" || r.TitleEN == "" || (len(r.Groups) == 0 || len(r.Group) == 0 || len(r.Layers) == 0) && len(r.Inputs) == 0 {
				t.Errorf("report %+v", r)
			}
		}
		if strings.Join(names, " ") != "land-supply farmland-occupation idle-land renewal-progress land-use-summary rectification permits layer-summary expropriation resettlement renovation-progress approvals renewal-pipeline supply-plan" {
			t.Errorf("reports %v", names)
		}
	})
	t.Run("a report as JSON with group, year and layer parameters", func(t *testing.T) {
		resp, body := get(t, "/api/reports/land-supply?group=street&year=2023&layer.parcels=parcels", 200)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("content type %q", ct)
		}
		var res land.ReportResult
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		if res.Report != "land-supply" || *res.Params.Year != 2023 || len(res.Rows) != 2 || res.Totals["parcels"] != 2.0 {
			t.Errorf("result %s", body)
		}
	})
	t.Run("a report as CSV is an attachment with a byte-order mark", func(t *testing.T) {
		resp, body := get(t, "/api/reports/idle-land?format=csv&year=2023", 200)
		if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "idle-land-2023.csv") {
			t.Errorf("disposition %q", cd)
		}
		if !bytes.HasPrefix(body, []byte("\ufeff闲置土地处置情况")) || !bytes.Contains(body, []byte("期间 period: 2023-01-01 … 2023-12-31; 截至 as of: 2023-12-31")) {
			t.Errorf("body %q", body[:20])
		}
	})
	t.Run("a report as XLSX opens in excelize", func(t *testing.T) {
		_, body := get(t, "/api/reports/renewal-progress?format=xlsx", 200)
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if v, _ := f.GetCellValue("城市更新推进情况", "A5"); v != "计划立项" {
			t.Errorf("A5 = %q", v)
		}
	})
	t.Run("the list names the sub-districts as the street rows sort them, and every report takes street", func(t *testing.T) {
		_, body := get(t, "/api/reports", 200)
		var list struct {
			Reports []struct{ Name, Street string }
			Streets []string
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(list.Streets, []string{"东街道", "示例区", "西街道"}) {
			t.Errorf("streets %q", list.Streets)
		}
		for _, r := range list.Reports {
			if !strings.Contains(r.Street, "point on surface") {
				t.Errorf("report %s: street %q", r.Name, r.Street)
			}
		}
		var rows []string
		for _, row := range reportstest.MustRun(t, svc, "land-use-summary", reports.Options{Group: []string{"street"}}).Rows {
			rows = append(rows, row["street"].(string))
		}
		listed := slices.DeleteFunc(slices.Clone(list.Streets), func(s string) bool { return !slices.Contains(rows, s) })
		if !slices.Equal(append(listed, "未划分"), rows) {
			t.Errorf("street rows %q, in the list %q", rows, listed)
		}
	})
	t.Run("a report filtered to two streets as JSON", func(t *testing.T) {
		_, body := get(t, "/api/reports/land-supply?"+url.Values{"street": {"东街道,西街道"}, "year": {"2023"}}.Encode(), 200)
		var res struct {
			Params struct{ Street []string }
			Rows   []map[string]any
			Totals map[string]any
		}
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Params.Street, []string{"东街道", "西街道"}) || len(res.Rows) != 2 || res.Totals["parcels"] != 2.0 {
			t.Errorf("result %s", body)
		}
		_, body = get(t, "/api/reports/land-supply?"+url.Values{"street": {"西街道"}, "year": {"2023"}, "group": {"street,method"}}.Encode(), 200)
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Rows) != 1 || res.Rows[0]["street"] != "西街道" || res.Rows[0]["method"] != "协议" || res.Totals["price_wan"] != 3000.0 {
			t.Errorf("result %s", body)
		}
	})
	t.Run("a filtered CSV is named after its street and holds its rows only", func(t *testing.T) {
		resp, body := get(t, "/api/reports/idle-land?"+url.Values{"format": {"csv"}, "year": {"2023"}, "street": {"西街道"}}.Encode(), 200)
		_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
		if err != nil || params["filename"] != "idle-land-2023-西街道.csv" {
			t.Errorf("disposition %q: %v", resp.Header.Get("Content-Disposition"), err)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
		// i3 and i4, both 批而未供: one row of two, and the total.
		if err != nil || len(recs) != 4 || recs[2][0] != "批而未供" || recs[2][1] != "2" || recs[3][0] != "合计" {
			t.Errorf("csv %q %v", recs, err)
		}
	})
	t.Run("a filtered XLSX and table say the street in their parameters line", func(t *testing.T) {
		resp, body := get(t, "/api/reports/renewal-progress?"+url.Values{"format": {"xlsx"}, "street": {"东街道"}}.Encode(), 200)
		if _, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); params["filename"] != "renewal-progress-东街道.xlsx" {
			t.Errorf("disposition %q", resp.Header.Get("Content-Disposition"))
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if v, _ := f.GetCellValue("城市更新推进情况", "A2"); !strings.Contains(v, "街道/镇 street: 东街道;") {
			t.Errorf("A2 = %q", v)
		}
		_, body = get(t, "/api/reports/land-use-summary?"+url.Values{"format": {"table"}, "street": {"未划分"}}.Encode(), 200)
		if !strings.Contains(string(body), "街道/镇 street: 未划分;") || !strings.Contains(string(body), "耕地") {
			t.Errorf("table:\n%s", body)
		}
	})
	t.Run("without a boundaries layer the list has no sub-districts", func(t *testing.T) {
		empty := serve(t, reports.New(postgis.New(pgtest.NewDB(t).Pool, nil), nil))
		resp, err := http.Get(empty.URL + "/api/reports")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"streets": []`) {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	for _, tc := range []struct {
		path, contains string
		status         int
	}{
		{"/api/reports/land-supply?street=" + url.QueryEscape("北街道"), `unknown street \"北街道\": not a sub-district of layer \"boundaries\" (allowed: 东街道, 示例区, 西街道, 未划分`, 400},
		{"/api/reports/land-supply?street=" + url.QueryEscape("东街道") + "&layer.boundaries=gone", "layer.boundaries=NAME", 404},
		{"/api/reports/nope", "land-use-summary", 400},
		{"/api/reports/land-supply?group=town", "year, street, method", 400},
		{"/api/reports/land-supply?year=twenty", "invalid year", 400},
		{"/api/reports/land-supply?from=2024-13-01&to=2024-12-31", `from: \"2024-13-01\" is not a date`, 400},
		{"/api/reports/renewal-progress?as_of=soon", `as_of: \"soon\" is not a date`, 400},
		{"/api/reports/idle-land?from=2024-03-01&to=2024-02-01", "from 2024-03-01 is after to 2024-02-01", 400},
		{"/api/targets?year=1", "invalid year", 400},
		{"/api/reports/land-supply?format=pdf", "table, json, csv, xlsx", 400},
		{"/api/reports/land-supply?colour=red", "colour", 400},
		{"/api/reports/land-supply?layer.parcels=gone", "layer.parcels=NAME", 404},
	} {
		t.Run("GET "+tc.path+" is refused", func(t *testing.T) {
			_, body := get(t, tc.path, tc.status)
			if !strings.Contains(string(body), tc.contains) {
				t.Errorf("body %s lacks %q", body, tc.contains)
			}
		})
	}
}
