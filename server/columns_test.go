package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/server"
)

// A layer made before its kind gained a field is brought up to date when
// the server starts: the column is added (NULL), the layer's version moves
// on, and items, tiles and reports over it answer.
func TestStartAddsTheCatalogueFieldsALayerLacks(t *testing.T) {
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	const lon, lat = 113.0005, 23.0005
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if err := postgis.CreateLayer(ctx, tx, &land.Layer{Name: "parcels", Kind: land.Parcels, Title: "parcels"}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO layers.parcels (code, geom)
			VALUES ('P1', ST_MakeEnvelope(113, 23, 113.001, 23.001, 4490))`); err != nil {
			return err
		}
		_, err := postgis.RefreshLayer(ctx, tx, "parcels")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// An older layer, as a tudi whose catalogue did not have parcels.source
	// left it: no source column, a pre-rendered tile of its version.
	for _, q := range []string{`ALTER TABLE layers.parcels DROP COLUMN source`,
		`INSERT INTO tiles.prerendered (layer, z, x, y, version, mvt) VALUES ('parcels', 1, 1, 0, 2, '\x00')`} {
		if _, err := tdb.Pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// Served without Run (which would upgrade): by that older catalogue, and
	// by the current one.
	yaml, err := os.ReadFile("../land/catalog/kinds/parcels.yaml")
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(yaml, []byte("  - name: source\n")), bytes.Index(yaml, []byte("  - {name: reserve_date,"))
	if i < 0 || j < i {
		t.Fatal("parcels.yaml: no source field before reserve_date")
	}
	older, err := land.DefaultCatalog().Overlay(fstest.MapFS{"cat/parcels.yaml": &fstest.MapFile{Data: slices.Concat(yaml[:i], yaml[j:])}}, "cat", "cat")
	if err != nil {
		t.Fatal(err)
	}
	plain := func(kinds *land.Catalog) *httptest.Server {
		srv, err := server.New(server.Config{Kinds: kinds}, postgis.New(tdb.Pool, nil), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		return ts
	}
	tile := "/tiles/parcels/" + tileOf(lon, lat, 15) + ".mvt"
	status, _, tileBefore := call(t, http.MethodGet, plain(older).URL+tile, "", nil)
	if status != http.StatusOK {
		t.Fatalf("tile of the old layer by the old catalogue: %d %s", status, tileBefore)
	}
	before := plain(nil)
	hasSource := func() bool {
		var ok bool
		if err := tdb.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
			WHERE table_schema = 'layers' AND table_name = 'parcels' AND column_name = 'source')`).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	items := "/ogc/collections/parcels/items"

	t.Run("before the upgrade its items fail", func(t *testing.T) {
		if status, _, body := call(t, http.MethodGet, before.URL+items, "", nil); status != http.StatusInternalServerError {
			t.Fatalf("items of the old layer: %d %s, want 500 (the bug this upgrade fixes)", status, body)
		}
	})

	ts := startServer(t, db, server.Config{})
	for deadline := time.Now().Add(20 * time.Second); !hasSource(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the source column was not added at start")
		}
	}
	// The column is added and the version bumped in one transaction, so
	// once the column is seen the version is too.
	l, err := db.FindLayer(ctx, "parcels")
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != 3 {
		t.Fatalf("version after the upgrade: %d, want 3", l.Version)
	}

	t.Run("items answer with the new field null", func(t *testing.T) {
		status, _, body := call(t, http.MethodGet, ts.URL+items, "", nil)
		if status != http.StatusOK {
			t.Fatalf("items: %d %s", status, body)
		}
		var fc struct {
			Features []struct {
				Properties map[string]any `json:"properties"`
			} `json:"features"`
		}
		if err := json.Unmarshal(body, &fc); err != nil {
			t.Fatal(err)
		}
		if len(fc.Features) != 1 {
			t.Fatalf("%d features, want 1", len(fc.Features))
		}
		p := fc.Features[0].Properties
		if v, ok := p["source"]; !ok || v != nil {
			t.Fatalf("source = %v (present %v), want null", v, ok)
		}
		if p["code"] != "P1" {
			t.Fatalf("code = %v, want P1", p["code"])
		}
	})
	t.Run("a live tile renders the features it had before", func(t *testing.T) {
		status, _, body := call(t, http.MethodGet, ts.URL+tile, "", nil)
		if status != http.StatusOK {
			t.Fatalf("tile: %d %s", status, body)
		}
		if n := featuresIn(mvtLayers(t, body), "parcels"); n != 1 {
			t.Fatalf("%d features in the tile, want 1", n)
		}
		// ST_AsMVT encodes no NULL value, so the features and their
		// attributes are those the older catalogue rendered (only the keys
		// table names the new column): what keeping the pre-rendered tiles
		// of the old version relies on.
		now, was := mvtLayers(t, body), mvtLayers(t, tileBefore)
		if len(now) != 1 || len(was) != 1 || len(now[0].Features) != 1 || len(was[0].Features) != 1 {
			t.Fatalf("tiles: %v, before %v", now, was)
		}
		if a, b := now[0].Features[0], was[0].Features[0]; !maps.Equal(a.Properties, b.Properties) || a.ID != b.ID || !orb.Equal(a.Geometry, b.Geometry) {
			t.Fatalf("feature %v %v, before %v %v", a.ID, a.Properties, b.ID, b.Properties)
		}
		if _, ok := now[0].Features[0].Properties["source"]; ok {
			t.Fatal("the null source is in the tile")
		}
	})
	t.Run("a report over it runs", func(t *testing.T) {
		if status, _, body := call(t, http.MethodGet, ts.URL+"/api/reports/supply-plan?group=source", "", nil); status != http.StatusOK {
			t.Fatalf("report: %d %s", status, body)
		}
	})
	t.Run("pre-rendered tiles follow the version", func(t *testing.T) {
		var v int64
		if err := tdb.Pool.QueryRow(ctx, `SELECT version FROM tiles.prerendered WHERE layer = 'parcels'`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != 3 {
			t.Fatalf("pre-rendered tile at version %d, want 3", v)
		}
	})
	t.Run("a second start does nothing", func(t *testing.T) {
		if n, err := db.EnsureLayerColumns(ctx); n != 0 || err != nil {
			t.Fatalf("EnsureLayerColumns = %d, %v; want 0", n, err)
		}
		if l, err := db.FindLayer(ctx, "parcels"); err != nil || l.Version != 3 {
			t.Fatalf("version after a second start: %v %v, want 3", l, err)
		}
	})
}
