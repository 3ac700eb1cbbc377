package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// A name given twice is refused before the database is opened.
func TestReportStreetGivenTwice(t *testing.T) {
	t.Parallel()
	code, _, stderr := runTudi("report", "land-supply", "--street", "东街道, 东街道", "--data-dir", filepath.Join(t.TempDir(), "none"))
	if code != 2 || !strings.Contains(stderr, `street "东街道" is given twice`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// --street on the sample district (through the embedded cluster of a
// running tudi serve): the chosen sub-districts' figures, and an unknown
// name refused with the list of sub-districts, exit code 2.
func TestReportStreetOnTheSampleDistrict(t *testing.T) {
	sharedServer(t)
	dataDir := []string{"--data-dir", shared.dataDir}
	type result struct {
		Params struct{ Street []string }
		Rows   []map[string]any
		Totals map[string]any
	}
	run := func(t *testing.T, args ...string) result {
		t.Helper()
		code, stdout, stderr := runTudi(append(append([]string{"report", "land-use-summary", "--format", "json"}, args...), dataDir...)...)
		var res result
		if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, stdout, stderr)
		}
		return res
	}
	byStreet := run(t, "--group", "street")
	if len(byStreet.Rows) < 2 {
		t.Fatalf("street rows %v", byStreet.Rows)
	}
	first, second := byStreet.Rows[0]["street"].(string), byStreet.Rows[1]["street"].(string)
	t.Run("one sub-district has the figures of its street row", func(t *testing.T) {
		one := run(t, "--street", first)
		if len(one.Params.Street) != 1 || one.Params.Street[0] != first || one.Totals["parcels"] != byStreet.Rows[0]["parcels"] {
			t.Errorf("--street %s: params %v, totals %v; its row %v", first, one.Params, one.Totals, byStreet.Rows[0])
		}
	})
	t.Run("two sub-districts, grouped by street, have their two rows", func(t *testing.T) {
		two := run(t, "--street", first+","+second, "--group", "street")
		area := func(m map[string]any) float64 { a, _ := m["area_m2"].(float64); return a }
		if len(two.Rows) != 2 || math.Abs(area(two.Totals)-area(byStreet.Rows[0])-area(byStreet.Rows[1])) > 0.02 {
			t.Errorf("--street %s,%s: rows %v totals %v", first, second, two.Rows, two.Totals)
		}
	})
	t.Run("an unknown sub-district is refused with the list, exit code 2", func(t *testing.T) {
		code, _, stderr := runTudi(append([]string{"report", "idle-land", "--street", first + ",不存在街道"}, dataDir...)...)
		if code != 2 || !strings.Contains(stderr, `unknown street "不存在街道"`) || !strings.Contains(stderr, first+", ") || !strings.Contains(stderr, "未划分") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}
