package sampledata

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The approvals, the phase ledger and the parcels' reserve and plan fields
// are there in numbers, consistent with one another: batches approved
// before the land under them was supplied, phases of existing units, dated
// within the sample's years, and parcels supplied from the reserve.
func TestRenewalAndSupplyData(t *testing.T) {
	t.Parallel()
	dir, m := mustWrite(t, Options{Scale: 1, Seed: 1})
	gbk := func(s string) string {
		out, err := simplifiedchinese.GBK.NewDecoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	raw, err := os.ReadFile(filepath.Join(dir, "land_approvals.dbf"))
	if err != nil {
		t.Fatal(err)
	}
	batches := readDBF(t, raw)
	rings := readShp(t, filepath.Join(dir, "land_approvals.shp"))
	if len(batches) < 30 || len(rings) != len(batches) {
		t.Fatalf("%d approval batches, %d outlines; want at least 30 at scale 1", len(batches), len(rings))
	}
	status := map[string]int{}
	for _, b := range batches {
		st := gbk(b["ZT"])
		status[st]++
		approved := b["PFRQ"]
		switch st {
		case "已批准", "已撤回":
			if approved == "" || b["SBRQ"] >= approved || b["PZMJ"] == "" {
				t.Errorf("batch %s %s: submitted %q, approved %q, area %q", b["PCBH"], st, b["SBRQ"], approved, b["PZMJ"])
			}
		default:
			if approved != "" {
				t.Errorf("batch %s %s approved on %s", b["PCBH"], st, approved)
			}
		}
	}
	if status["已批准"] < 20 || len(status) < 3 {
		t.Errorf("statuses %v", status)
	}

	// Supplied parcels lie under the approved batches: at least one parcel
	// lies across two batches (a block approved in two halves).
	raw, err = os.ReadFile(filepath.Join(dir, "parcels.dbf"))
	if err != nil {
		t.Fatal(err)
	}
	parcels := readDBF(t, raw)
	prings := readShp(t, filepath.Join(dir, "parcels.shp"))
	inTwo, reserve, planned, paid, unstarted := 0, 0, 0, 0, 0
	for i, p := range parcels {
		if gbk(p["LY"]) == "储备" && p["RKRQ"] != "" && p["GYFS"] == "" {
			reserve++
		}
		if p["JHND"] != "" {
			planned++
		}
		if p["YJJK"] != "" && p["JKRQ"] != "" {
			paid++
		}
		if p["YDKGRQ"] != "" && p["SJKGRQ"] == "" {
			unstarted++
		}
		if p["GYRQ"] == "" || prings[i] == nil {
			continue
		}
		if p["RKRQ"] != "" && p["RKRQ"] >= p["GYRQ"] {
			t.Errorf("parcel %s reserved %s, supplied %s", p["DKBH"], p["RKRQ"], p["GYRQ"])
		}
		// The batches holding a point of the parcel: its corners moved a
		// little towards its interior.
		c := interior(prings[i])
		under := 0
		for _, r := range rings {
			if !r.Bound().Intersects(prings[i].Bound()) {
				continue
			}
			for _, v := range prings[i] {
				if planar.RingContains(r, orb.Point{v[0] + 0.02*(c[0]-v[0]), v[1] + 0.02*(c[1]-v[1])}) {
					under++
					break
				}
			}
		}
		if under > 1 {
			inTwo++
		}
	}
	if inTwo == 0 || reserve < 10 || planned < 50 || paid < 50 || unstarted < 5 {
		t.Errorf("parcels in two batches %d, in the reserve %d, planned %d, paid %d, not started %d", inTwo, reserve, planned, paid, unstarted)
	}

	// The phase ledger: a title row, the header, phases of the units.
	units := map[string]bool{}
	for _, f := range readGeoJSON(t, filepath.Join(dir, "renewal_units.geojson")).Features {
		units[f.Properties.MustString("DYBH", "")] = true
	}
	book, err := excelize.OpenFile(filepath.Join(dir, "renewal_projects.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	rows, err := book.GetRows(projectsSheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2+150 || rows[1][0] != "项目编号" {
		t.Fatalf("%d ledger rows, header %v; want over 150 phases at scale 1", len(rows), rows[1])
	}
	contracted := 0
	for _, r := range rows[2:] {
		if !units[r[1]] || !strings.HasPrefix(r[0], r[1]+"-") {
			t.Errorf("phase %s of unknown unit %s", r[0], r[1])
		}
		for _, c := range []int{5, 7, 9, 11} { // the dates
			if c < len(r) && r[c] != "" && (r[c] < "2015-01-01" || r[c] > "2024-12-31") {
				t.Errorf("phase %s: %s = %s", r[0], projectHeader[c], r[c])
			}
		}
		if len(r) > 7 && r[7] != "" {
			contracted++
		}
	}
	if contracted < 20 {
		t.Errorf("%d phases contracted", contracted)
	}
	var names []string
	for _, l := range m.Layers {
		names = append(names, l.Name)
	}
	if !strings.Contains(strings.Join(names, ","), "land_approvals,renewal_projects") {
		t.Errorf("manifest layers %v", names)
	}
}
