package postgis_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestLayerRegistry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	for _, k := range land.Kinds {
		t.Run("a "+string(k)+" layer is created, filled and refreshed", func(t *testing.T) {
			name := "t_" + string(k)
			err := db.InTx(ctx, func(tx pgx.Tx) error {
				if err := postgis.CreateLayer(ctx, tx, &land.Layer{Name: name, Kind: k, Title: "x"}); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `INSERT INTO `+postgis.Table(name)+` (geom) VALUES
					(ST_GeomFromText('POLYGON((113 23,113.001 23,113.001 23.001,113 23.001,113 23))', 4490))`)
				if err != nil {
					return err
				}
				_, err = postgis.RefreshLayer(ctx, tx, name)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			l, err := db.FindLayer(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if l.FeatureCount != 1 || l.Extent == nil || l.Extent.Min[0] != 113 || l.GeomType != "Polygon" || l.Version != 2 {
				t.Fatalf("registry after refresh: %+v", l)
			}
			var area float64
			if err := tdb.Pool.QueryRow(ctx, `SELECT area_m2 FROM `+postgis.Table(name)).Scan(&area); err != nil {
				t.Fatal(err)
			}
			// 0.001° × 0.001° at 23°N: ≈ 111 m × 102 m.
			if area < 11000 || area > 11700 {
				t.Fatalf("area_m2 = %v, want ≈ 11 370", area)
			}
		})
	}
	if _, err := db.FindLayer(ctx, "nope"); land.KindOf(err) != land.NotFound {
		t.Fatalf("FindLayer of a missing layer: %v", err)
	}
	all, err := db.FindLayers(ctx, land.LayerFilter{})
	if err != nil || len(all) != len(land.Kinds) {
		t.Fatalf("FindLayers with no filter: %d layers, want %d (%v)", len(all), len(land.Kinds), err)
	}
	farm, err := db.FindLayers(ctx, land.LayerFilter{Kind: land.Farmland})
	if err != nil || len(farm) != 1 || farm[0].Name != "t_farmland" {
		t.Fatalf("FindLayers by kind: %v %v", farm, err)
	}
	ls, err := db.FindLayers(ctx, land.LayerFilter{Names: []string{"t_farmland", "t_parcels"}})
	if err != nil || len(ls) != 2 || ls[0].Name != "t_farmland" {
		t.Fatalf("FindLayers by names: %v %v", ls, err)
	}
	if _, err := db.FindLayers(ctx, land.LayerFilter{Names: []string{"t_parcels", "missing"}}); land.KindOf(err) != land.NotFound {
		t.Fatalf("FindLayers with a missing name: %v", err)
	}
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		return postgis.CreateLayer(ctx, tx, &land.Layer{Name: "t_parcels", Kind: land.Parcels})
	})
	if land.KindOf(err) != land.Conflict {
		t.Fatalf("creating a layer twice: %v (kind %s)", err, land.KindOf(err))
	}
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		return postgis.CreateLayer(ctx, tx, &land.Layer{Name: `bad"; drop table x; --`, Kind: land.Parcels})
	})
	if land.KindOf(err) != land.Invalid {
		t.Fatalf("bad layer name: %v", err)
	}
}

func TestChangesAreHeardAfterCommit(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	got := make(chan postgis.Change, 1)
	ready := make(chan struct{})
	readyOnce := sync.OnceFunc(func() { close(ready) }) // Synced comes again after a reconnect
	go db.Listen(ctx, postgis.Listener{Changed: func(c postgis.Change) { got <- c }, Synced: func(postgis.Querier, map[string][]string) { readyOnce() }})
	<-ready
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if err := postgis.NotifyChange(ctx, tx, postgis.Change{Layer: "parcels", Version: 7, BBox: []float64{1, 2, 3, 4}}); err != nil {
			return err
		}
		select {
		case c := <-got:
			t.Errorf("heard %v before commit", c)
		case <-time.After(200 * time.Millisecond):
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-got:
		if c.Layer != "parcels" || c.Version != 7 || len(c.BBox) != 4 {
			t.Fatalf("change = %+v", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no change heard after commit")
	}
}

func TestErrKinds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	_, err := tdb.Pool.Exec(ctx, `SET statement_timeout = 50; SELECT pg_sleep(1)`)
	if k := land.KindOf(postgis.Err(err)); k != land.Timeout {
		t.Fatalf("statement timeout maps to %s (%v)", k, err)
	}
	_, err = tdb.Pool.Exec(ctx, `SELECT 'x'::integer`)
	if k := land.KindOf(postgis.Err(err)); k != land.Invalid {
		t.Fatalf("bad input maps to %s", k)
	}
	if k := land.KindOf(postgis.Err(errors.New("boom"))); k != land.Internal {
		t.Fatalf("foreign error maps to %s", k)
	}
}
