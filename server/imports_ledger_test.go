package server_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/server"
)

// mustLedgerXLSX writes a workbook whose second sheet, 台账, is a ledger
// without geometry: a title row, a header with a merged group cell, one
// Excel date and one text date.
func mustLedgerXLSX(t *testing.T, path string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.NewSheet("台账")
	must(err)
	rows := [][]any{
		{"城市更新单元台账"},
		{"单元编号", "单元名称", "审批情况", nil},
		{nil, nil, "批准日期", "贡献用地面积"},
		{"GX-1", "甲单元", 45047, "1,000 平方米"},
		{"GX-2", "乙单元", "2023年6月1日", 250},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		must(f.SetSheetRow("台账", cell, &r))
	}
	must(f.MergeCell("台账", "A1", "D1"))
	must(f.MergeCell("台账", "A2", "A3"))
	must(f.MergeCell("台账", "B2", "B3"))
	must(f.MergeCell("台账", "C2", "D2"))
	style, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	must(err)
	must(f.SetCellStyle("台账", "C4", "C4", style))
	must(f.SaveAs(path))
}

func TestImportsAPILedgerWithoutGeometry(t *testing.T) {
	t.Parallel()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	srv, err := server.New(server.Config{Token: "secret", MaxUploadBytes: 2 << 20}, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	path := filepath.Join(t.TempDir(), "units.xlsx")
	mustLedgerXLSX(t, path)

	res := upload(t, ts.URL, "secret", []string{path}, map[string][]string{"layer": {"units"}, "kind": {"renewal_units"}, "sheet": {"台账"}})
	var body map[string]any
	json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || body["status"] != "ok" {
		t.Fatalf("status %d: %v", res.StatusCode, body)
	}
	if s := body["summary"].(map[string]any); s["loaded"].(float64) != 2 || s["null_shapes"].(float64) != 2 {
		t.Fatalf("summary %v", s)
	}
	var got string
	if err := tdb.Pool.QueryRow(t.Context(), `SELECT string_agg(code || ' ' || approved_date || ' ' || contributed_area_m2, ', ' ORDER BY code) FROM layers.units`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "GX-1 2023-05-01 1000, GX-2 2023-06-01 250"; got != want {
		t.Errorf("rows %q, want %q", got, want)
	}

	get := func(t *testing.T, path string) (int, string) {
		t.Helper()
		res, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	t.Run("OGC items give a null geometry", func(t *testing.T) {
		code, b := get(t, "/ogc/collections/units/items?f=json")
		if code != http.StatusOK || !strings.Contains(b, `"geometry":null`) || strings.Count(b, `"type":"Feature"`) != 2 {
			t.Errorf("status %d: %.600s", code, b)
		}
		code, b = get(t, "/ogc/collections/units?f=json")
		if code != http.StatusOK {
			t.Errorf("collection: status %d: %.600s", code, b)
		}
	})
	t.Run("tiles and the catalog cope with a layer without geometry", func(t *testing.T) {
		code, b := get(t, "/tiles")
		var cat struct{ Layers []map[string]any }
		json.Unmarshal([]byte(b), &cat)
		if code != http.StatusOK || len(cat.Layers) != 1 || cat.Layers[0]["bounds"] != nil || cat.Layers[0]["feature_count"].(float64) != 2 {
			t.Errorf("catalog: status %d: %.600s", code, b)
		}
		if code, b := get(t, "/tiles/units.json"); code != http.StatusOK {
			t.Errorf("TileJSON: status %d: %.300s", code, b)
		}
		for _, z := range []string{"0/0/0", "14/13358/7120"} {
			if code, b := get(t, "/tiles/units/"+z+".mvt"); code != http.StatusNoContent {
				t.Errorf("tile %s: status %d, want 204 (empty): %.300s", z, code, b)
			}
		}
	})
	t.Run("identify answers and finds nothing in it", func(t *testing.T) {
		code, b := get(t, "/api/identify?lon=113.95&lat=22.53")
		if code != http.StatusOK || strings.Contains(b, "GX-1") {
			t.Errorf("identify: status %d: %.300s", code, b)
		}
	})
	t.Run("a bad sheet name is 400 naming the sheets", func(t *testing.T) {
		res := upload(t, ts.URL, "secret", []string{path}, map[string][]string{"layer": {"units"}, "sheet": {"无此表"}})
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "Sheet1, 台账") {
			t.Errorf("status %d: %s", res.StatusCode, b)
		}
	})
}
