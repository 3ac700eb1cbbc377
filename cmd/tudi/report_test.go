package main

import (
	"bytes"
	"context"
	"encoding/json"
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
		{"a year the report does not take", []string{"report", "land-use-summary", "--year", "2024"}, []string{"takes no year"}},
		{"an unknown format", []string{"report", "land-supply", "--format", "pdf"}, []string{"table, json, csv, xlsx"}},
		{"a malformed layer choice", []string{"report", "land-supply", "--layer", "parcels"}, []string{"KIND=NAME"}},
		{"a layer kind the report does not read", []string{"report", "land-supply", "--layer", "farmland=x"}, []string{"reads no \"farmland\" layer"}},
		{"two report names", []string{"report", "land-supply", "idle-land"}, []string{"one report name"}},
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
	if code != 0 || json.Unmarshal([]byte(stdout), &list) != nil || len(list.Reports) != 5 {
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
	t.Run("a missing layer is named, exit code 3", func(t *testing.T) {
		code, _, stderr := runTudi(append([]string{"report", "land-use-summary", "--layer", "parcels=parcels_1999"}, dataDir...)...)
		if code != 3 || !strings.Contains(stderr, `"parcels_1999"`) {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}
