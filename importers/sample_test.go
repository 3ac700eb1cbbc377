package importers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tudi/land"
	"tudi/postgis"
)

func TestSampleDistrictImportsAsTheManifestSays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	dir, m := MustSample(t)

	heard := make(chan postgis.Change, 16)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan struct{})
	readyOnce := sync.OnceFunc(func() { close(ready) }) // Synced comes again after a reconnect
	go e.db.Listen(lctx, postgis.Listener{Changed: func(c postgis.Change) { heard <- c }, Synced: func(postgis.Querier, map[string][]string) { readyOnce() }})
	<-ready

	for _, l := range m.Layers {
		t.Run("the "+l.Name+" layer loads with its encoding, CRS and flaws reported", func(t *testing.T) {
			req := Request{Layer: l.Name, Encoding: l.Encoding, SRID: l.SRID,
				Files: []string{filepath.Join(dir, l.Files[0])}, User: "test"}
			if land.Kind(l.Name) != l.Kind {
				req.Kind = l.Kind // a second layer of a kind (a ledger beside the patches)
			}
			imp := e.MustImport(t, req)
			s := imp.Summary
			if imp.Kind != l.Kind {
				t.Errorf("kind %s, want %s (guessed from the layer name)", imp.Kind, l.Kind)
			}
			if s.Read != int64(l.Features) {
				t.Errorf("read %d, manifest says %d", s.Read, l.Features)
			}
			if s.SRID != l.SourceSRID {
				t.Errorf("SRID %d (%s), want %d", s.SRID, s.SRIDSource, l.SourceSRID)
			}
			if !strings.EqualFold(s.Encoding, l.TextEncoding) {
				t.Errorf("encoding %s (%s), want %s", s.Encoding, s.EncodingSource, l.TextEncoding)
			}
			wantRepaired, nulls := 0, l.Unlocated
			for _, f := range l.Flaws {
				switch f.Problem {
				case "bowtie":
					wantRepaired++
					if !hasProblem(s.Problems, int64(f.Record), "repaired") {
						t.Errorf("the bow-tie at record %d is not reported as repaired: %+v", f.Record, s.Problems)
					}
				case "null_shape":
					nulls++
				}
			}
			if s.Repaired != int64(wantRepaired) || s.NullShapes != int64(nulls) || s.Rejected != 0 {
				t.Errorf("repaired %d rejected %d nulls %d; want %d, 0, %d", s.Repaired, s.Rejected, s.NullShapes, wantRepaired, nulls)
			}
			if s.Loaded != s.Read {
				t.Errorf("loaded %d of %d", s.Loaded, s.Read)
			}
			layer, err := e.db.FindLayer(ctx, l.Name)
			if err != nil {
				t.Fatal(err)
			}
			if layer.FeatureCount != s.Loaded || layer.SourceSRID != l.SourceSRID || len(layer.SourceFields) != len(l.Fields) {
				t.Errorf("registry: %+v", layer)
			}
			// The extent lands on the district: the transform from the GK
			// zone is right.
			b := m.BBox
			located := l.Unlocated < l.Features
			if located && layer.Extent == nil || layer.Extent != nil && (layer.Extent.Min[0] < b[0]-0.01 || layer.Extent.Max[0] > b[2]+0.01 ||
				layer.Extent.Min[1] < b[1]-0.01 || layer.Extent.Max[1] > b[3]+0.01) {
				t.Errorf("extent %v is not within the district %v", layer.Extent, b)
			}
			// Every feature keeps all its source attributes in props.
			var missing int
			if err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM `+postgis.Table(l.Name)+` WHERE props = '{}'`).Scan(&missing); err != nil || missing != 0 {
				t.Errorf("%d features without props (%v)", missing, err)
			}
			got, err := e.db.FindImport(ctx, imp.ID)
			if err != nil || got.Status != "ok" || got.Summary.Loaded != s.Loaded || got.User != "test" || len(got.Files) == 0 {
				t.Fatalf("history: %+v %v", got, err)
			}
			sum := sha256.Sum256(mustRead(t, filepath.Join(dir, l.Files[0])))
			if got.Files[0].SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("sha256 of %s recorded as %s", l.Files[0], got.Files[0].SHA256)
			}
			select {
			case c := <-heard:
				if c.Layer != l.Name || c.Version != layer.Version || located && len(c.BBox) != 4 {
					t.Errorf("change notification %+v", c)
				}
			case <-time.After(5 * time.Second):
				t.Error("no change notification")
			}
		})
	}

	t.Run("GBK text is decoded: street names and land-use names are Chinese", func(t *testing.T) {
		var bad int
		err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM layers.parcels
			WHERE street !~ '(街道|镇|街)$' OR landuse_name !~ '^[\u4e00-\u9fff（）()]+$' OR props->>'JDMC' <> street`).Scan(&bad)
		if err != nil || bad != 0 {
			t.Fatalf("%d parcels with undecoded text (%v)", bad, err)
		}
		var farm int
		if err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM layers.farmland WHERE landuse_name ~ '[\u4e00-\u9fff]'`).Scan(&farm); err != nil || farm == 0 {
			t.Fatalf("farmland land-use names not decoded from the language-driver byte: %d %v", farm, err)
		}
	})
	t.Run("dates, numbers and booleans are normalised into typed columns", func(t *testing.T) {
		var dates, prices, digested int
		err := e.db.Pool.QueryRow(ctx, `SELECT (SELECT count(supply_date) FROM layers.parcels),
			(SELECT count(price_wan) FROM layers.parcels), (SELECT count(digested) FROM layers.idle_land)`).Scan(&dates, &prices, &digested)
		if err != nil || dates == 0 || prices == 0 || digested == 0 {
			t.Fatalf("typed values: dates %d prices %d digested %d (%v)", dates, prices, digested, err)
		}
	})
	t.Run("replacing a layer keeps its table, index and sequence names", func(t *testing.T) {
		// Working tables of an import whose process died are dropped by the next one.
		if _, err := e.db.Pool.Exec(ctx, `CREATE TABLE layers._imp_deadbeef0000 (id int); CREATE UNLOGGED TABLE tudi._imp_deadbeef0000_1 (rec bigint)`); err != nil {
			t.Fatal(err)
		}
		l := m.Layers[1]
		e.MustImport(t, Request{Layer: "parcels", Files: []string{filepath.Join(dir, l.Files[0])}})
		var idx []string
		rows, err := e.db.Pool.Query(ctx, `SELECT indexname FROM pg_indexes WHERE schemaname = 'layers' AND tablename = 'parcels' ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			idx = append(idx, s)
		}
		rows.Close()
		want := "parcels_code_idx parcels_geom_3857_idx parcels_geom_idx parcels_landuse_code_idx parcels_pkey " +
			"parcels_status_idx parcels_street_idx parcels_supply_date_idx parcels_supply_method_idx"
		if strings.Join(idx, " ") != want {
			t.Fatalf("indexes %v, want %s", idx, want)
		}
		var seq *string
		if err := e.db.Pool.QueryRow(ctx, `SELECT pg_get_serial_sequence('layers.parcels', 'id')`).Scan(&seq); err != nil || seq == nil || *seq != "layers.parcels_id_seq" {
			t.Fatalf("sequence %v %v", seq, err)
		}
		var leftovers int
		e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename LIKE '\_im%'`).Scan(&leftovers)
		if leftovers != 0 {
			t.Fatalf("%d working tables left behind", leftovers)
		}
	})
	t.Run("appending adds the features to those already there", func(t *testing.T) {
		// A layer without history (replace): append adds, duplicates and all.
		l := m.Layers[3]
		e.MustImport(t, Request{Layer: "units_plain", Kind: land.RenewalUnits, Mode: "replace", Files: []string{filepath.Join(dir, l.Files[0])}})
		before := e.MustState(t, "units_plain")
		imp := e.MustImport(t, Request{Layer: "units_plain", Mode: "append", Files: []string{filepath.Join(dir, l.Files[0])}})
		after := e.MustState(t, "units_plain")
		if after.Rows != before.Rows+imp.Summary.Loaded || after.Version != before.Version+1 {
			t.Fatalf("append: %+v → %+v (+%d)", before, after, imp.Summary.Loaded)
		}
	})
	t.Run("a layer of another kind is refused", func(t *testing.T) {
		before := e.MustState(t, "farmland")
		_, err := e.im.Import(ctx, Request{Layer: "farmland", Kind: land.Parcels, Files: []string{filepath.Join(dir, "parcels.shp")}})
		if land.KindOf(err) != land.Conflict {
			t.Fatalf("err = %v", err)
		}
		if after := e.MustState(t, "farmland"); after != before {
			t.Fatalf("layer changed: %+v → %+v", before, after)
		}
	})
}

func hasProblem(ps []land.ImportProblem, rec int64, action string) bool {
	for _, p := range ps {
		if p.Record == rec && p.Action == action {
			return true
		}
	}
	return false
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
