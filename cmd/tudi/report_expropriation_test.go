package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The sample district carries acquisition plots, a households ledger and
// 三改 projects: the three reports run on it from the command line and the
// API, with the parameters they declare for themselves.
func TestExpropriationReportsOnTheSampleDistrict(t *testing.T) {
	base := sharedServer(t)
	dataDir := []string{"--data-dir", shared.dataDir}
	type result struct {
		Columns []struct{ Key, Title, Formula string }
		Rows    []map[string]any
		Totals  map[string]any
		Params  struct{ Options map[string]any }
	}
	runJSON := func(t *testing.T, args ...string) result {
		t.Helper()
		code, stdout, stderr := runTudi(append(append([]string{"report"}, args...), append(dataDir, "--format", "json")...)...)
		var res result
		if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, stdout, stderr)
		}
		return res
	}
	t.Run("expropriation: every household of the ledger, with or without coordinates, and the overlap with farmland", func(t *testing.T) {
		res := runJSON(t, "expropriation", "--overlay", "farmland", "--group", "street")
		households, _ := res.Totals["households"].(float64)
		signed, _ := res.Totals["signed"].(float64)
		if households < 1500 || signed <= 0 || signed >= households || res.Params.Options["overlay"] != "farmland" {
			t.Fatalf("totals %v, options %v", res.Totals, res.Params.Options)
		}
		if _, ok := res.Totals["overlap_mu"]; !ok {
			t.Errorf("no overlap column: %v", res.Columns)
		}
		var sum float64
		for _, r := range res.Rows {
			n, _ := r["households"].(float64)
			sum += n
		}
		if sum != households || len(res.Rows) < 3 {
			t.Errorf("street rows add up to %v of %v households: %v", sum, households, res.Rows)
		}
	})
	t.Run("resettlement and renovation-progress by year, --late-years", func(t *testing.T) {
		res := runJSON(t, "resettlement")
		if n, _ := res.Totals["to_resettle"].(float64); n <= 0 {
			t.Errorf("resettlement totals %v", res.Totals)
		}
		res = runJSON(t, "renovation-progress", "--year", "2024", "--late-years", "2")
		if n, _ := res.Totals["projects"].(float64); n < 10 {
			t.Errorf("renovation totals %v", res.Totals)
		}
		found := false
		for _, c := range res.Columns {
			found = found || c.Title == "开工超过2年未交付安置房项目数"
		}
		if !found || res.Params.Options["late_years"] != 2.0 {
			t.Errorf("late_years not applied: %v %v", res.Columns, res.Params.Options)
		}
	})
	t.Run("a bad parameter of a report's own is refused, exit code 2", func(t *testing.T) {
		code, _, stderr := runTudi(append([]string{"report", "renovation-progress", "--late-years", "0"}, dataDir...)...)
		if code != 2 || !strings.Contains(stderr, "parameter late_years: 0 is out of range (1–50)") {
			t.Errorf("exit %d: %s", code, stderr)
		}
		code, _, stderr = runTudi(append([]string{"report", "idle-land", "--overlay", "farmland"}, dataDir...)...)
		if code != 2 || !strings.Contains(stderr, `report "idle-land" takes no parameter "overlay"`) {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("the API takes them by name and lists them", func(t *testing.T) {
		get := func(path string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest("GET", base+path, nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		status, body := get("/api/reports/expropriation?overlay=farmland&group=project")
		if status != 200 || !strings.Contains(body, `"overlap_mu"`) {
			t.Errorf("%d %.300s", status, body)
		}
		status, body = get("/api/reports/expropriation?overlay=no_such_layer")
		if status != 404 || !strings.Contains(body, "no_such_layer") {
			t.Errorf("%d %s", status, body)
		}
		status, body = get("/api/reports/expropriation?late_years=2")
		if status != 400 || !strings.Contains(body, "overlay") {
			t.Errorf("%d %s", status, body)
		}
		for _, l := range []string{"acquisition", "households", "renovation"} {
			if status, body := get("/styles/" + l + ".json"); status != 200 || !strings.Contains(body, `"`+l+`"`) {
				t.Errorf("style of %s: %d %.200s", l, status, body)
			}
		}
		if status, body := get("/styles/legend.json"); status != 200 || !strings.Contains(body, "已安置") || !strings.Contains(body, "棚户区改造") || !strings.Contains(body, "已交地") {
			t.Errorf("legend: %d %.300s", status, body)
		}
		status, body = get("/api/reports")
		var list struct {
			Reports []struct {
				Name   string
				Params []struct {
					Name, Kind string
					Default    *int
				}
			}
		}
		if status != 200 || json.Unmarshal([]byte(body), &list) != nil {
			t.Fatalf("%d %.300s", status, body)
		}
		for _, r := range list.Reports {
			if r.Name == "renovation-progress" && (len(r.Params) != 1 || r.Params[0].Name != "late_years" || r.Params[0].Kind != "int" || *r.Params[0].Default != 3) {
				t.Errorf("renovation-progress params %+v", r.Params)
			}
			if r.Name == "expropriation" && (len(r.Params) != 1 || r.Params[0].Name != "overlay" || r.Params[0].Kind != "layer") {
				t.Errorf("expropriation params %+v", r.Params)
			}
		}
	})
}
