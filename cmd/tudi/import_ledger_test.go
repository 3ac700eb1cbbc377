package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tudi/land"
)

func TestImportCommandLedger(t *testing.T) {
	sharedServer(t)
	ctx := context.Background()
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := RunEnv(ctx, append(args, "--data-dir", shared.dataDir), Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
		return code, out.String(), errb.String()
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pts := write("points.csv", "编号,名称,经度,纬度\nP1,甲,113.95,22.53\nP2,乙,113.96,22.54\n")
	if code, out, errs := run("import", "--layer", "cli_ledger_pts", pts); code != 0 || !strings.Contains(out, `imported 2 features into layer "cli_ledger_pts"`) || !strings.Contains(out, "points from the columns 经度 (x) and 纬度 (y)") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	ledger := write("ledger.csv", "某区闲置土地台账,,\n编号,认定日期,面积\nP1,2023-05-01,1 亩\nP9,2023-13-45,2\n")
	code, _, errs := run("import", "--layer", "cli_ledger", "--kind", "idle_land", ledger, "--geometry-from", "cli_ledger_pts:编号=编号")
	if code != 2 || !strings.Contains(errs, `ledger.csv: row 4 column B 认定日期: bad date "2023-13-45"`) {
		t.Fatalf("a bad date: exit %d: %s", code, errs)
	}
	code, out, errs := run("import", "--layer", "cli_ledger", "--kind", "idle_land", ledger, "--geometry-from", "cli_ledger_pts:编号=编号", "--lenient", "--json")
	var imp land.Import
	if code != 0 || json.Unmarshal([]byte(out), &imp) != nil {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	gf, _ := imp.Extra["geometry_from"].(map[string]any)
	if imp.Summary.Loaded != 2 || imp.Summary.Warnings != 1 || gf["matched"] != 1.0 || gf["unmatched"] != 1.0 {
		t.Errorf("summary %+v, geometry_from %v", imp.Summary, gf)
	}
}
