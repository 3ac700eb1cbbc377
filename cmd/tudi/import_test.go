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
	"tudi/postgis"
)

func TestImportCommandOnTheEmbeddedDatabase(t *testing.T) {
	base := sharedServer(t) // the embedded cluster, running
	ctx := context.Background()
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := RunEnv(ctx, args, Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
		return code, out.String(), errb.String()
	}
	if code, out, errs := run("sample", "--out", dir, "--scale", "1"); code != 0 || !strings.Contains(out, "parcels") {
		t.Fatalf("sample: %d %s %s", code, out, errs)
	}

	t.Run("a shapefile imports and the summary is printed", func(t *testing.T) {
		code, out, errs := run("import", "--data-dir", shared.dataDir, "--layer", "cli_parcels", filepath.Join(dir, "parcels.shp"), "--kind", "parcels", "--map", "code=DKBH")
		if code != 0 || !strings.Contains(out, `imported 2 502 features into layer "cli_parcels" (parcels)`) ||
			!strings.Contains(out, "text encoding GBK (cpg)") || !strings.Contains(out, "EPSG:4526") || !strings.Contains(out, "repaired") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
		}
		if strings.Contains(errs, "\r[") {
			t.Errorf("a progress bar on a non-terminal: %q", errs)
		}
	})
	t.Run("--json prints the import record", func(t *testing.T) {
		code, out, errs := run("import", "--data-dir", shared.dataDir, "--layer", "cli_farm", "--kind", "farmland", "--json", filepath.Join(dir, "farmland.shp"))
		var imp land.Import
		if code != 0 || json.Unmarshal([]byte(out), &imp) != nil || imp.Summary.Loaded == 0 || imp.Summary.EncodingSource != "ldid" || imp.Kind != land.Farmland {
			t.Fatalf("exit %d: %s %s", code, out, errs)
		}
		var list struct{ Imports []land.Import }
		getJSON(t, base+"/api/imports?layer=cli_farm", 200, &list)
		if len(list.Imports) != 1 || list.Imports[0].ID != imp.ID {
			t.Fatalf("history %+v", list.Imports)
		}
	})
	t.Run("bad input exits with 2 naming the file, and usage errors too", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.geojson")
		os.WriteFile(bad, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature",`), 0o644)
		code, _, errs := run("import", "--data-dir", shared.dataDir, "--layer", "cli_parcels", bad)
		if code != 2 || !strings.Contains(errs, "bad.geojson") {
			t.Fatalf("exit %d: %s", code, errs)
		}
		for _, args := range [][]string{{"import", "x.shp"}, {"import", "--layer", "Bad Name", "x.shp"}, {"import", "--layer", "x"}, {"import", "--layer", "x", "--kind", "nope", "x.shp"}} {
			if code, _, errs := run(args...); code != 2 {
				t.Errorf("%v: exit %d %s", args, code, errs)
			}
		}
	})
}

func TestSampleIsLoadedOnlyIntoAnEmptyDatabase(t *testing.T) {
	sharedServer(t) // loaded the sample on its first start
	ctx := context.Background()
	log := newLogger(&bytes.Buffer{}, "")
	st, err := openStore(ctx, DBConfig{DataDir: shared.dataDir}, postgis.Options{}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	count := func() int {
		var n int
		if err := st.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM tudi.imports WHERE username = 'tudi (sample)'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	if before < 6 {
		t.Fatalf("%d sample imports after the first start", before)
	}
	if err := loadSampleIfEmpty(ctx, st.DB, shared.dataDir, log); err != nil {
		t.Fatal(err)
	}
	if after := count(); after != before {
		t.Fatalf("the sample was loaded again: %d → %d imports", before, after)
	}
}
