package tiles_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/prometheus/client_golang/prometheus"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/tiles"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMain(m *testing.M) {
	// A fuzzing worker runs only a fuzz target, which needs no database:
	// starting a cluster in each worker (and again whenever the fuzzer
	// restarts one) would eat most of the fuzzing time.
	if slices.ContainsFunc(os.Args[1:], func(a string) bool { return strings.HasPrefix(a, "-test.fuzzworker") }) {
		os.Exit(m.Run())
	}
	pgtest.Main(m)
}

// The test district: a grid of small square parcels near Guangzhou
// (113.30°E, 23.10°N), cells of 0.0005° (about 51 m × 46 m).
const (
	originLon = 113.30
	originLat = 23.10
	cellDeg   = 0.0005
)

var landUses = []struct{ code, name string }{
	{"0101", "水田"}, {"0301", "乔木林地"}, {"0601", "工业用地"}, {"0701", "城镇住宅用地"}, {"1004", "城镇村道路用地"},
}

// env is a tile service on a fresh database, behind an HTTP server that
// adapts errors the way tudi's server does.
type env struct {
	t   testing.TB
	db  *postgis.DB
	svc *tiles.Service
	srv *httptest.Server
	reg *prometheus.Registry
}

func newEnv(t testing.TB, cfg tiles.Config) *env {
	t.Helper()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, slog.New(slog.DiscardHandler))
	reg := prometheus.NewRegistry()
	svc, err := tiles.New(db, cfg, reg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	// The same compression middleware as tudi's server: it must leave tiles alone.
	r.Use(middleware.Compress(5, "application/json"))
	svc.Mount(r, wrap)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &env{t: t, db: db, svc: svc, srv: srv, reg: reg}
}

// wrap mirrors server.handle: errors become {"error","detail"} with the
// status of their kind.
func wrap(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		status := map[land.ErrorKind]int{land.Invalid: 400, land.NotFound: 404, land.Timeout: 504}[land.KindOf(err)]
		if status == 0 {
			status = 500
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": land.MessageOf(err), "detail": err.Error()})
	}
}

// mustCreateParcels creates a parcels layer of cols × rows square parcels
// with Chinese attribute values, and announces it like an import.
func (e *env) mustCreateParcels(name string, cols, rows int) {
	e.t.Helper()
	ctx := context.Background()
	err := e.db.InTx(ctx, func(tx pgx.Tx) error {
		if err := postgis.CreateLayer(ctx, tx, &land.Layer{Name: name, Kind: land.Parcels, Title: "地块"}); err != nil {
			return err
		}
		codes, names := []string{}, []string{}
		for _, lu := range landUses {
			codes, names = append(codes, lu.code), append(names, lu.name)
		}
		// Land use in patches of 3×3 parcels, so classes cluster as real land use does.
		_, err := tx.Exec(ctx, `INSERT INTO `+postgis.Table(name)+`
			(code, landuse_code, landuse_name, ownership, street, status, supply_method, supply_date, price_wan, props, geom)
			SELECT 'DK' || lpad(i::text, 6, '0'),
			       ($1::text[])[1 + ((i % $3::int) / 3 + (i / $3::int) / 3) % 5],
			       ($2::text[])[1 + ((i % $3) / 3 + (i / $3) / 3) % 5],
			       CASE WHEN i % 2 = 0 THEN '国有' ELSE '集体' END,
			       CASE WHEN i % $3 < $3 / 2 THEN '天河街道' ELSE '石牌街道' END,
			       '已供应', '招拍挂', DATE '2023-06-30' + (i % 30), 100 + i * 0.5,
			       jsonb_build_object('DKBH', 'DK' || lpad(i::text, 6, '0'), 'BZ', '测试地块' || i),
			       ST_MakeEnvelope($5::float8 + (i % $3) * $7::float8, $6::float8 + (i / $3) * $7::float8,
			                       $5::float8 + (i % $3 + 0.96) * $7::float8, $6::float8 + (i / $3 + 0.96) * $7::float8, 4490)
			FROM generate_series(0, $4::int - 1) i`, codes, names, cols, cols*rows, originLon, originLat, cellDeg)
		if err != nil {
			return err
		}
		l, err := postgis.RefreshLayer(ctx, tx, name)
		if err != nil {
			return err
		}
		return postgis.NotifyChange(ctx, tx, postgis.Change{Layer: name, Version: l.Version, BBox: l.BBox()})
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// mustCreateFarmland creates a farmland layer of a few large patches.
func (e *env) mustCreateFarmland(name string) {
	e.t.Helper()
	ctx := context.Background()
	err := e.db.InTx(ctx, func(tx pgx.Tx) error {
		if err := postgis.CreateLayer(ctx, tx, &land.Layer{Name: name, Kind: land.Farmland, Title: "永久基本农田"}); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+postgis.Table(name)+` (code, landuse_code, landuse_name, grade, geom)
			SELECT 'TB' || i, '0101', '水田', 1 + i % 10,
			       ST_Buffer(ST_SetSRID(ST_MakePoint($1::float8 + i * 0.004, $2::float8 + 0.003), 4490), 0.0015, 8)
			FROM generate_series(0, 3) i`, originLon, originLat)
		if err != nil {
			return err
		}
		_, err = postgis.RefreshLayer(ctx, tx, name)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) get(path string, header ...string) response {
	return e.do(http.MethodGet, path, header...)
}

func (e *env) do(method, path string, header ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// A bare transport: Go's default one would ask for gzip itself and
	// decompress silently, hiding what a real client sees.
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, b}
}

// tileAt returns the tile of zoom z containing lon/lat.
func tileAt(lon, lat float64, z int) tiles.Tile {
	t := maptile.At(orb.Point{lon, lat}, maptile.Zoom(z))
	return tiles.Tile{Z: z, X: int(t.X), Y: int(t.Y)}
}

// decode decodes a tile response (gzip or not) and projects it to lon/lat.
func decode(t *testing.T, tile tiles.Tile, r response) mvt.Layers {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("tile %s: status %d: %s", tile, r.status, r.body)
	}
	var ls mvt.Layers
	var err error
	if r.header.Get("Content-Encoding") == "gzip" {
		ls, err = mvt.UnmarshalGzipped(r.body)
	} else {
		ls, err = mvt.Unmarshal(r.body)
	}
	if err != nil {
		t.Fatalf("tile %s: decode: %v", tile, err)
	}
	ls.ProjectToWGS84(maptile.New(uint32(tile.X), uint32(tile.Y), maptile.Zoom(tile.Z)))
	return ls
}

func layerNamed(ls mvt.Layers, name string) *mvt.Layer {
	for _, l := range ls {
		if l.Name == name {
			return l
		}
	}
	return nil
}

func round(v float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(v*p) / p
}

// goldenJSON renders decoded layers as a GeoJSON FeatureCollection per
// layer, coordinates rounded to 6 decimals (~0.1 m), features sorted by id
// then geometry, one feature per line so diffs stay readable.
func goldenJSON(ls mvt.Layers) []byte {
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, l := range ls {
		lines := make([]string, 0, len(l.Features))
		for _, f := range l.Features {
			f.Geometry = roundGeometry(f.Geometry)
			j, _ := json.Marshal(f)
			lines = append(lines, string(j))
		}
		sort.Strings(lines)
		fmt.Fprintf(&b, "%q: {\"type\": \"FeatureCollection\", \"features\": [\n", l.Name)
		b.WriteString(strings.Join(lines, ",\n"))
		b.WriteString("\n]}")
		if i < len(ls)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func roundGeometry(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		return orb.Point{round(g[0], 6), round(g[1], 6)}
	case orb.MultiPoint:
		for i := range g {
			g[i] = roundGeometry(g[i]).(orb.Point)
		}
	case orb.LineString:
		for i := range g {
			g[i] = roundGeometry(g[i]).(orb.Point)
		}
	case orb.MultiLineString:
		for i := range g {
			g[i] = roundGeometry(g[i]).(orb.LineString)
		}
	case orb.Ring:
		for i := range g {
			g[i] = roundGeometry(g[i]).(orb.Point)
		}
	case orb.Polygon:
		for i := range g {
			g[i] = roundGeometry(g[i]).(orb.Ring)
		}
	case orb.MultiPolygon:
		for i := range g {
			g[i] = roundGeometry(g[i]).(orb.Polygon)
		}
	}
	return g
}

// compareGolden compares got with testdata/name.golden.json (rewritten
// with -update).
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no golden file %s: run go test -update", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file (run go test -update after checking the change); got:\n%.2000s", path, got)
	}
}

// metric returns the value of a counter or gauge of the service's registry.
func metric(t *testing.T, e *env, name string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var v float64
		for _, m := range mf.GetMetric() {
			if c := m.GetCounter(); c != nil {
				v += c.GetValue()
			}
			if g := m.GetGauge(); g != nil {
				v += g.GetValue()
			}
		}
		return v
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func itoa(n int) string { return fmt.Sprint(n) }

// mustCreateKind creates a small layer of a kind: polygons, and one point.
func (e *env) mustCreateKind(name string, kind land.Kind) {
	e.t.Helper()
	ctx := context.Background()
	err := e.db.InTx(ctx, func(tx pgx.Tx) error {
		if err := postgis.CreateLayer(ctx, tx, &land.Layer{Name: name, Kind: kind}); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+postgis.Table(name)+` (geom) VALUES
			(ST_MakeEnvelope($1::float8, $2::float8, $1::float8 + 0.01, $2::float8 + 0.01, 4490)),
			(ST_SetSRID(ST_MakePoint($1::float8 + 0.005, $2::float8 + 0.005), 4490))`, originLon, originLat)
		if err != nil {
			return err
		}
		_, err = postgis.RefreshLayer(ctx, tx, name)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}
