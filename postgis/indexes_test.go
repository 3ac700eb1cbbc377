package postgis_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
)

// fieldIndexes returns the valid B-tree indexes of a layer table's field
// columns, as "column" names, sorted.
func fieldIndexes(t *testing.T, tdb *pgtest.DB, layer string) []string {
	t.Helper()
	rows, err := tdb.Pool.Query(context.Background(), `SELECT a.attname FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
		WHERE i.indrelid = to_regclass($1) AND am.amname = 'btree' AND NOT i.indisprimary AND i.indisvalid
		ORDER BY 1`, postgis.Table(layer))
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

func TestFieldIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	want := []string{"code", "landuse_code", "status", "street", "supply_date", "supply_method"}
	if err := db.InTx(ctx, func(tx pgx.Tx) error {
		return postgis.CreateLayer(ctx, tx, &land.Layer{Name: "p", Kind: land.Parcels, Title: "x"})
	}); err != nil {
		t.Fatal(err)
	}
	t.Run("a new layer has an index on every field marked index: true, and on code", func(t *testing.T) {
		if got := fieldIndexes(t, tdb, "p"); !slices.Equal(got, want) {
			t.Fatalf("indexes on %v, want %v", got, want)
		}
	})
	t.Run("an existing layer without them gets them, and an invalid one is rebuilt", func(t *testing.T) {
		for _, s := range []string{`DROP INDEX layers.p_street_idx`, `DROP INDEX layers.p_supply_date_idx`,
			`UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'layers.p_status_idx'::regclass`} {
			if _, err := tdb.Pool.Exec(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if got := fieldIndexes(t, tdb, "p"); len(got) != len(want)-3 {
			t.Fatalf("after dropping: %v", got)
		}
		n, err := db.EnsureLayerIndexes(ctx)
		if err != nil || n != 3 {
			t.Fatalf("EnsureLayerIndexes = %d, %v; want 3 built", n, err)
		}
		if got := fieldIndexes(t, tdb, "p"); !slices.Equal(got, want) {
			t.Fatalf("indexes on %v, want %v", got, want)
		}
		if n, err := db.EnsureLayerIndexes(ctx); err != nil || n != 0 {
			t.Fatalf("again: %d, %v; want nothing to do", n, err)
		}
	})
}
