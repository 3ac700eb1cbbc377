package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"tudi/postgis"
)

// An append into a layer made before its kind gained a field: tudi import
// adds the column first, and fills it from the new features.
func TestImportAppendsToALayerWithoutANewField(t *testing.T) {
	sharedServer(t)
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, source string, lon float64) string {
		p := filepath.Join(dir, name)
		doc := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"XKZH":"%[1]s","XMLY":"%[1]s"},
			"geometry":{"type":"Polygon","coordinates":[[[%[2]g,23],[%[3]g,23],[%[3]g,23.001],[%[2]g,23.001],[%[2]g,23]]]}}]}`, source, lon, lon+0.001)
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if code, out, errs := runTudi("import", "--data-dir", shared.dataDir, "--layer", "cli_oldcols", "--kind", "permits", "--mode", "replace", write("a.geojson", "a", 113)); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	st, err := openStore(ctx, DBConfig{DataDir: shared.dataDir}, postgis.Options{}, newLogger(&bytes.Buffer{}, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if _, err := st.DB.Pool.Exec(ctx, `ALTER TABLE layers.cli_oldcols DROP COLUMN source`); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runTudi("import", "--data-dir", shared.dataDir, "--layer", "cli_oldcols", "--mode", "append", write("b.geojson", "b", 113.01)); code != 0 {
		t.Fatalf("append into the old layer: %d %s %s", code, out, errs)
	}
	var all, null, b int
	if err := st.DB.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE source IS NULL), count(*) FILTER (WHERE source = 'b')
		FROM layers.cli_oldcols`).Scan(&all, &null, &b); err != nil {
		t.Fatal(err)
	}
	if all != 2 || null != 1 || b != 1 {
		t.Fatalf("%d features, %d without source, %d with source b; want 2, 1, 1", all, null, b)
	}
}
