package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tudi/pgcluster/pgtest"
	"tudi/reports"
)

const catalogKind = `kind: works_permits
title: 施工许可
title_en: Building permits
code_field: code
fields:
  - {name: code, type: text, title: 许可证号, title_en: Permit number, presets: [XKZH]}
  - {name: issued_date, type: date, title: 发证日期, title_en: Issue date, presets: [FZRQ]}
style:
  fill: "#fdbf6f"
  outline: "#ff7f00"
  other: "#fdbf6f"
`

const catalogReport = `-- @report name=permits-issued title=施工许可发放 title_en="Building permits issued"
-- @description "Building permits, by sub-district."
-- @period "none"
-- @street "the name field"
-- @layer kind=generic name=permits
-- @param $1 group
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @default_group street
-- @column key=permits type=integer title=许可证数 title_en=Permits unit=件
SELECT CASE WHEN 'street' = ANY($1::text[]) THEN name END AS street,
       GROUPING(CASE WHEN 'street' = ANY($1::text[]) THEN name END) <> 0 AS is_total,
       count(*) AS permits
FROM generic
GROUP BY GROUPING SETS ((1), ())
`

func writeCatalog(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// embeddedReports is the number of reports built in.
var embeddedReports = len(reports.DefaultCatalog().Reports())

func TestCatalogAddsAReportToTheList(t *testing.T) {
	t.Parallel()
	dir := writeCatalog(t, map[string]string{"kinds/permits.yaml": catalogKind, "reports/permits-issued.sql": catalogReport})
	check := func(t *testing.T, code int, stdout, stderr string) {
		t.Helper()
		var list struct{ Reports []struct{ Name string } }
		if code != 0 || json.Unmarshal([]byte(stdout), &list) != nil || len(list.Reports) != embeddedReports+1 || list.Reports[embeddedReports].Name != "permits-issued" {
			t.Fatalf("exit %d: %s %s", code, stdout, stderr)
		}
	}
	t.Run("with --catalog", func(t *testing.T) {
		code, stdout, stderr := runTudi("report", "list", "--format", "json", "--catalog", dir)
		check(t, code, stdout, stderr)
	})
	t.Run("with TUDI_CATALOG", func(t *testing.T) {
		var out, errb bytes.Buffer
		env := Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
			if k == "TUDI_CATALOG" {
				return dir
			}
			return ""
		}}
		code := RunEnv(context.Background(), []string{"report", "list", "--format", "json"}, env)
		check(t, code, out.String(), errb.String())
	})
}

func TestServeRefusesAnInvalidCatalogue(t *testing.T) {
	t.Parallel()
	nowhere := filepath.Join(t.TempDir(), "none")
	t.Run("a kind with an unknown type: exit 2 before listening", func(t *testing.T) {
		dir := writeCatalog(t, map[string]string{"kinds/permits.yaml": strings.Replace(catalogKind, "type: date", "type: day", 1)})
		code, _, stderr := runTudi("serve", "--addr", "127.0.0.1:0", "--data-dir", nowhere, "--catalog", dir)
		want := dir + `/kinds/permits.yaml:7: kind "works_permits": field "issued_date": unknown type "day"`
		if code != 2 || !strings.Contains(stderr, want) {
			t.Fatalf("exit %d, want 2 and %q:\n%s", code, want, stderr)
		}
	})
	t.Run("a report with a placeholder without a parameter", func(t *testing.T) {
		dir := writeCatalog(t, map[string]string{"reports/p.sql": strings.Replace(catalogReport, "FROM generic", "FROM generic WHERE $2::date IS NULL", 1)})
		code, _, stderr := runTudi("serve", "--addr", "127.0.0.1:0", "--data-dir", nowhere, "--catalog", dir)
		if want := dir + `/reports/p.sql:14: placeholder $2 has no @param`; code != 2 || !strings.Contains(stderr, want) {
			t.Fatalf("exit %d, want 2 and %q:\n%s", code, want, stderr)
		}
	})
	t.Run("a report column the SQL does not return: exit 2 once the database is open", func(t *testing.T) {
		dataDir := pgtest.DataDir(t)
		dir := writeCatalog(t, map[string]string{"reports/p.sql": strings.Replace(catalogReport, "AS permits", "AS n", 1)})
		code, _, stderr := runTudi("serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--sample=false", "--catalog", dir)
		if want := dir + `/reports/p.sql:10: column "permits": the SQL returns no such column`; code != 2 || !strings.Contains(stderr, want) {
			t.Fatalf("exit %d, want 2 and %q:\n%s", code, want, stderr)
		}
	})
}

// Targets of a catalogue's report are checked against its columns.
func TestTargetsOfACatalogueReport(t *testing.T) {
	t.Parallel()
	dir := writeCatalog(t, map[string]string{"reports/permits-issued.sql": strings.Replace(catalogReport, "unit=件", "unit=件 target", 1)})
	file := filepath.Join(t.TempDir(), "targets.csv")
	if err := os.WriteFile(file, []byte("year,report,measure,value,unit\n2024,permits-issued,permits,40,件\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dataDir := pgtest.DataDir(t)
	code, _, stderr := runTudi("targets", "import", file, "--data-dir", dataDir)
	if code != 2 || !strings.Contains(stderr, `"permits-issued"`) {
		t.Fatalf("without the catalogue: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runTudi("targets", "import", file, "--data-dir", dataDir, "--catalog", dir)
	if code != 0 || !strings.Contains(stdout, "loaded 1 targets") {
		t.Fatalf("with the catalogue: exit %d: %s %s", code, stdout, stderr)
	}
}

// tudi serve --catalog serves the catalogue's kinds in the legend and its
// reports in the list.
func TestServeWithACatalogue(t *testing.T) {
	t.Parallel()
	dataDir := pgtest.DataDir(t)
	dir := writeCatalog(t, map[string]string{"kinds/permits.yaml": catalogKind, "reports/permits-issued.sql": catalogReport})
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	ready, done := make(chan string, 1), make(chan int, 1)
	env := Env{Stdout: logs, Stderr: logs, Getenv: func(string) string { return "" }, Ready: func(a string) { ready <- a }}
	go func() {
		done <- RunEnv(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--sample=false", "--catalog", dir}, env)
	}()
	var base string
	select {
	case a := <-ready:
		base = "http://" + a
	case code := <-done:
		cancel()
		t.Fatalf("serve exited with %d:\n%s", code, logs.String())
	case <-time.After(5 * time.Minute):
		cancel()
		t.Fatalf("serve not ready:\n%s", logs.String())
	}
	defer func() { cancel(); <-done }()
	get := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
	}
	var legend struct {
		Kinds []struct{ Kind, Fill string }
	}
	get("/styles/legend.json", &legend)
	if last := legend.Kinds[len(legend.Kinds)-1]; last.Kind != "works_permits" || last.Fill != "#fdbf6f" {
		t.Fatalf("legend = %+v", legend.Kinds)
	}
	var list struct{ Reports []struct{ Name string } }
	get("/api/reports", &list)
	if len(list.Reports) != embeddedReports+1 || list.Reports[embeddedReports].Name != "permits-issued" {
		t.Fatalf("reports = %+v", list.Reports)
	}
}
