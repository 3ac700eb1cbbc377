package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// runTudi runs the command line and returns the exit code and both streams.
func runTudi(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = RunEnv(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func TestReportRefusesBadParameters(t *testing.T) {
	t.Parallel()
	// None of these may reach the database: --data-dir points nowhere usable.
	nowhere := filepath.Join(t.TempDir(), "none")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"an unknown report lists the reports", []string{"report", "land-supplies"},
			[]string{`unknown report "land-supplies"`, "land-supply, farmland-occupation, idle-land, renewal-progress, land-use-summary"}},
		{"an unknown group lists the groups", []string{"report", "idle-land", "--group", "colour"},
			[]string{`"colour"`, "kind, cause, method, street, year"}},
		{"a bad year", []string{"report", "land-supply", "--year", "20x4"}, []string{`invalid year "20x4"`}},
		{"a bad date names its flag", []string{"report", "land-supply", "--from", "2024-13-01", "--to", "2024-12-31"}, []string{`--from: "2024-13-01" is not a date`}},
		{"a bad as-of date names its flag", []string{"report", "renewal-progress", "--as-of", "yesterday"}, []string{`--as-of: "yesterday" is not a date`}},
		{"a period that ends before it starts", []string{"report", "idle-land", "--from", "2024-02-01", "--to", "2024-01-01"}, []string{"from 2024-02-01 is after to 2024-01-01"}},
		{"a year and a period", []string{"report", "idle-land", "--year", "2024", "--from", "2024-02-01", "--to", "2024-03-01"}, []string{"year and from/to"}},
		{"an unknown format", []string{"report", "land-supply", "--format", "pdf"}, []string{"table, json, csv, xlsx"}},
		{"a malformed layer choice", []string{"report", "land-supply", "--layer", "parcels"}, []string{"KIND=NAME"}},
		{"a layer kind the report does not read", []string{"report", "land-supply", "--layer", "farmland=x"}, []string{"reads no \"farmland\" layer"}},
		{"two report names", []string{"report", "land-supply", "idle-land"}, []string{"one report name"}},
		{"a layer summary without its layer", []string{"report", "layer-summary", "--group", "类型"}, []string{"give --of LAYER"}},
		{"a layer summary of a period without its date field", []string{"report", "layer-summary", "--of", "chargers", "--group", "类型", "--year", "2024"}, []string{"give --date FIELD"}},
		{"a layer summary by three fields", []string{"report", "layer-summary", "--of", "chargers", "--group", "a,b,c"}, []string{"one or two fields"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runTudi(append(tc.args, "--data-dir", nowhere)...)
			if code != 2 {
				t.Errorf("exit code %d, want 2; stderr %s", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
		})
	}
	if _, err := os.Stat(nowhere); err == nil {
		t.Errorf("a refused report created the data dir")
	}
}

func TestReportList(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"report"}, {"report", "list"}} {
		code, stdout, stderr := runTudi(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		for _, name := range []string{"land-supply", "farmland-occupation", "idle-land", "renewal-progress", "land-use-summary", "--group: stage"} {
			if !strings.Contains(stdout, name) {
				t.Errorf("%v: the list lacks %q:\n%s", args, name, stdout)
			}
		}
	}
	code, stdout, _ := runTudi("report", "list", "--format", "json")
	var list struct{ Reports []struct{ Name string } }
	if code != 0 || json.Unmarshal([]byte(stdout), &list) != nil || len(list.Reports) != embeddedReports {
		t.Errorf("report list --format json: %d %s", code, stdout)
	}
}

// The report command attaches to the embedded cluster of a running tudi
// serve (loaded with the sample district) and writes every format.
func TestReportOnTheSampleDistrict(t *testing.T) {
	sharedServer(t)
	dataDir := []string{"--data-dir", shared.dataDir}
	t.Run("a table on standard output", func(t *testing.T) {
		code, stdout, stderr := runTudi(append([]string{"report", "idle-land", "--group", "street"}, dataDir...)...)
		if code != 0 || !strings.Contains(stdout, "闲置土地处置情况") || !strings.Contains(stdout, "合计") {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
	t.Run("flags before the name, JSON", func(t *testing.T) {
		code, stdout, stderr := runTudi(append([]string{"report", "--format", "json", "--group", "street,method"}, append(dataDir, "land-supply")...)...)
		var res struct {
			Report string
			Rows   []map[string]any
			Totals map[string]any
		}
		if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Report != "land-supply" || len(res.Rows) < 3 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
	t.Run("an xlsx file from --out's extension", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "ren.xlsx")
		code, _, stderr := runTudi(append([]string{"report", "renewal-progress", "--out", out}, dataDir...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		f, err := excelize.OpenFile(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if v, _ := f.GetCellValue("城市更新推进情况", "A5"); v != "计划立项" {
			t.Errorf("A5 = %q", v)
		}
	})
	t.Run("a period and an as-of date are in the JSON params and the CSV's title row", func(t *testing.T) {
		code, stdout, stderr := runTudi(append([]string{"report", "renewal-progress", "--format", "json", "--year", "2022"}, dataDir...)...)
		var res struct {
			Params struct {
				From, To *string
				AsOf     string `json:"as_of"`
			}
			Columns []struct{ Key string }
		}
		if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Params.From == nil || *res.Params.From != "2022-01-01" ||
			*res.Params.To != "2022-12-31" || res.Params.AsOf != "2022-12-31" {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		code, stdout, stderr = runTudi(append([]string{"report", "idle-land", "--format", "csv", "--from", "2022-01-01", "--to", "2022-06-30", "--as-of", "2023-01-01"}, dataDir...)...)
		if code != 0 || !strings.Contains(stdout, "期间 period: 2022-01-01 … 2022-06-30; 截至 as of: 2023-01-01") {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
	t.Run("targets imported add their columns to the report of their year", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "任务.csv")
		if err := os.WriteFile(file, []byte("年度,报表,指标,目标值,单位,下达单位\n2021,renewal-progress,started_in,40,个,市下达\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runTudi(append([]string{"targets", "import", file}, dataDir...)...)
		if code != 0 || !strings.Contains(stdout, "loaded 1 targets") {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		code, stdout, stderr = runTudi(append([]string{"targets", "list", "--year", "2021"}, dataDir...)...)
		if code != 0 || !strings.Contains(stdout, "2021  renewal-progress  started_in  40 个  市下达") {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		code, stdout, stderr = runTudi(append([]string{"report", "renewal-progress", "--format", "json", "--year", "2021"}, dataDir...)...)
		var res struct{ Totals map[string]any }
		if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Totals["started_in_target"] != 40.0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		started, _ := res.Totals["started_in"].(float64)
		if rate := res.Totals["started_in_rate"]; rate != math.Round(10000*started/40)/100 {
			t.Errorf("rate %v for %v of 40", rate, started)
		}
	})
	t.Run("a missing layer is named, exit code 3", func(t *testing.T) {
		code, _, stderr := runTudi(append([]string{"report", "land-use-summary", "--layer", "parcels=parcels_1999"}, dataDir...)...)
		if code != 3 || !strings.Contains(stderr, `"parcels_1999"`) {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}

func TestTargetsRefusesBadFiles(t *testing.T) {
	t.Parallel()
	nowhere := filepath.Join(t.TempDir(), "none")
	dir := t.TempDir()
	bad := filepath.Join(dir, "targets.csv")
	if err := os.WriteFile(bad, []byte("year,report,measure,value\n2024,land-supply,area_ha,4\n2024,idle-land,area,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an unknown measure names its row", []string{"targets", "import", bad}, `targets.csv row 3: report "idle-land" has no measure "area"`},
		{"a file that is neither xlsx nor csv", []string{"targets", "import", filepath.Join(dir, "targets.txt")}, "cannot read"},
		{"no file", []string{"targets", "import"}, "give a FILE.xlsx or FILE.csv"},
		{"an unknown action", []string{"targets", "drop"}, `unknown targets command "drop"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runTudi(append(tc.args, "--data-dir", nowhere)...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q, want 2 and %q", code, stderr, tc.want)
			}
		})
	}
	if _, err := os.Stat(nowhere); err == nil {
		t.Errorf("a refused targets file created the data dir")
	}
}
