package postgis_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
)

// A catalogue that gives a kind a new field: the layers of that kind get
// the column, in their history table too, at the field's type; columns the
// catalogue does not name are kept.
func TestEnsureLayerColumnsAfterACatalogueChange(t *testing.T) {
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	if err := db.InTx(ctx, func(tx pgx.Tx) error {
		if err := postgis.CreateLayer(ctx, tx, &land.Layer{Name: "pm", Kind: land.Permits, Title: "x"}); err != nil {
			return err
		}
		for _, q := range []string{postgis.HistoryDDL("pm", land.Permits.Spec()), `ALTER TABLE layers.pm ADD COLUMN legacy text`} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.EnsureLayerColumns(ctx); n != 0 || err != nil {
		t.Fatalf("with the catalogue the layer was made with: %d, %v; want 0", n, err)
	}
	yaml, err := os.ReadFile("../land/catalog/kinds/permits.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const after = "  - {name: source, "
	i := strings.Index(string(yaml), after)
	if i < 0 {
		t.Fatal("permits.yaml has no source field")
	}
	changed := string(yaml[:i]) + "  - {name: extra_n, type: int, title: 编号, title_en: Number}\n" + string(yaml[i:])
	cat, err := land.DefaultCatalog().Overlay(fstest.MapFS{"cat/permits.yaml": &fstest.MapFile{Data: []byte(changed)}}, "cat", "cat")
	if err != nil {
		t.Fatal(err)
	}
	db.Kinds = cat
	if n, err := db.EnsureLayerColumns(ctx, "other"); n != 0 || err != nil {
		t.Fatalf("for another layer: %d, %v; want 0", n, err)
	}
	if n, err := db.EnsureLayerColumns(ctx, "pm"); n != 1 || err != nil {
		t.Fatalf("EnsureLayerColumns = %d, %v; want 1 layer altered", n, err)
	}
	for _, c := range []struct{ schema, column, typ string }{
		{"layers", "extra_n", "integer"}, {"history", "extra_n", "integer"}, {"layers", "legacy", "text"},
	} {
		var typ string
		if err := tdb.Pool.QueryRow(ctx, `SELECT data_type FROM information_schema.columns
			WHERE table_schema = $1 AND table_name = 'pm' AND column_name = $2`, c.schema, c.column).Scan(&typ); err != nil || typ != c.typ {
			t.Errorf("%s.pm.%s: %q, %v; want %s", c.schema, c.column, typ, err, c.typ)
		}
	}
	if l, err := db.FindLayer(ctx, "pm"); err != nil || l.Version != 2 {
		t.Fatalf("layer after the upgrade: %+v, %v; want version 2", l, err)
	}
	if n, err := db.EnsureLayerColumns(ctx); n != 0 || err != nil {
		t.Fatalf("again: %d, %v; want nothing to do", n, err)
	}
	if l, err := db.FindLayer(ctx, "pm"); err != nil || l.Version != 2 {
		t.Fatalf("layer after a second run: %+v, %v; want version 2", l, err)
	}
}
