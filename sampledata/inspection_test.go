package sampledata

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"tudi/land"
)

func TestInspectionAndPermitLayers(t *testing.T) {
	t.Parallel()
	dir, m := mustWrite(t, Options{Scale: 1, Seed: 1})
	batches, verdicts, statuses := map[string]int{}, map[string]int{}, map[string]int{}
	computed, late := 0, 0
	for _, f := range readGeoJSON(t, filepath.Join(dir, "inspection_patches.geojson")).Features {
		p := f.Properties
		batches[p.MustString("JCPC", "")]++
		verdicts[p.MustString("PDJG", "")]++
		statuses[p.MustString("ZGZT", "")]++
		if p["ZYGD"] == nil {
			computed++
		}
		if d, r := p.MustString("ZGQX", ""), p.MustString("ZGRQ", ""); r != "" && r > d {
			late++
		}
	}
	if len(batches) != 5 || verdicts["违法"] == 0 || verdicts["合法"] == 0 || statuses["已整改"] == 0 || statuses["未整改"]+statuses["整改中"] == 0 {
		t.Errorf("batches %v, verdicts %v, statuses %v", batches, verdicts, statuses)
	}
	if computed == 0 || late == 0 {
		t.Errorf("%d patches without farmland figures, %d rectified late", computed, late)
	}
	cal := land.DefaultHolidays()
	permits := readGeoJSON(t, filepath.Join(dir, "permits.geojson")).Features
	if len(permits) < 10 {
		t.Fatalf("%d permits", len(permits))
	}
	for _, f := range permits {
		acc, err1 := time.Parse(time.DateOnly, f.Properties.MustString("SLRQ", ""))
		iss, err2 := time.Parse(time.DateOnly, f.Properties.MustString("FZRQ", ""))
		if err1 != nil || err2 != nil || iss.Year() < 2023 || !acc.Before(iss) || !cal.IsWorkday(acc) || !cal.IsWorkday(iss) {
			t.Errorf("permit %v", f.Properties)
		}
	}
	x, err := excelize.OpenFile(filepath.Join(dir, "inspection_problems.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(x.GetSheetList()[0])
	if err != nil || len(rows) < 5 || rows[1][0] != "问题编号" {
		t.Fatalf("ledger %v %v", rows, err)
	}
	for _, l := range m.Layers {
		if l.Name == "inspection_problems" && l.Features != len(rows)-2 {
			t.Errorf("manifest: %d problems, the sheet has %d", l.Features, len(rows)-2)
		}
	}
}
