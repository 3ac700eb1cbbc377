package postgis_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
)

func TestRegistryReads(t *testing.T) {
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		for _, l := range []*land.Layer{{Name: "a", Kind: land.Parcels}, {Name: "b", Kind: land.Farmland}} {
			if err := postgis.CreateLayer(ctx, tx, l); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO layers.a (geom) VALUES (ST_MakeEnvelope(113, 23, 113.5, 23.5, 4490))`); err != nil {
			return err
		}
		_, err := postgis.RefreshLayer(ctx, tx, "a")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	a, err := postgis.FindLayerState(ctx, db.Pool, "a")
	if err != nil || a.Kind != land.Parcels || a.Version != 2 || a.Features != 1 || a.GeomType != "Polygon" || !a.HasBBox || a.Extent[0] > 113 || a.Extent[3] < 23.5 {
		t.Fatalf("FindLayerState(a) = %+v, %v", a, err)
	}
	if _, err := postgis.FindLayerState(ctx, db.Pool, "nope"); land.KindOf(err) != land.NotFound {
		t.Fatalf("FindLayerState of a missing layer: %v", err)
	}
	ls, err := postgis.FindLayerStates(ctx, db.Pool, []string{"b", "a"})
	if err != nil || len(ls) != 2 || ls[0].Name != "b" || ls[0].HasBBox || ls[1] != a {
		t.Fatalf("FindLayerStates(b, a) = %+v, %v", ls, err)
	}
	if _, err := postgis.FindLayerStates(ctx, db.Pool, []string{"a", "nope"}); land.KindOf(err) != land.NotFound {
		t.Fatalf("FindLayerStates with a missing layer: %v", err)
	}
	all, err := postgis.LayerStates(ctx, db.Pool)
	if err != nil || len(all) != 2 || all["a"] != a || all["b"].Kind != land.Farmland {
		t.Fatalf("LayerStates = %+v, %v", all, err)
	}
	if k, ok, err := postgis.LayerKind(ctx, db.Pool, "b"); k != land.Farmland || !ok || err != nil {
		t.Fatalf("LayerKind(b) = %q %v %v", k, ok, err)
	}
	if k, ok, err := postgis.LayerKind(ctx, db.Pool, "nope"); k != "" || ok || err != nil {
		t.Fatalf("LayerKind(nope) = %q %v %v", k, ok, err)
	}
	for _, c := range []struct {
		name, kind string
		want       *int64
	}{
		{"a", "parcels", &a.Version},
		{"a", "", &a.Version},
		{"a", "farmland", nil},
		{"nope", "", nil},
	} {
		var got *int64
		q := "SELECT " + postgis.LayerVersionSQL("$1", "")
		args := []any{c.name}
		if c.kind != "" {
			q, args = "SELECT "+postgis.LayerVersionSQL("$1", "$2"), append(args, c.kind)
		}
		if err := db.Pool.QueryRow(ctx, q, args...).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Fatalf("LayerVersionSQL of %s (kind %q) = %v, want %v", c.name, c.kind, got, c.want)
		}
	}
}
