package ogc_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/ogc"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
)

func TestMain(m *testing.M) {
	// A fuzzing worker runs only a fuzz target, which needs no database:
	// starting a cluster in each worker (and again whenever the fuzzer
	// restarts one) would eat most of the fuzzing time.
	if slices.ContainsFunc(os.Args[1:], func(a string) bool { return strings.HasPrefix(a, "-test.fuzzworker") }) {
		os.Exit(m.Run())
	}
	pgtest.Main(m)
}

// The fixture: a parcels layer of 250 squares of 0.001° in a 25 × 10 grid
// from 113.300°E 23.100°N, and a farmland layer of 3 features. Streets
// alternate 横店街 / 石楼镇 / NULL, so every column has NULLs somewhere.
const fixtureParcels = 250

// status maps error kinds like the server does (the one real table lives in
// package server, which this package must not import).
func status(err error) int {
	switch land.KindOf(err) {
	case land.Invalid:
		return http.StatusBadRequest
	case land.NotFound:
		return http.StatusNotFound
	case land.Timeout:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// newServer starts the OGC service on a fresh database with the fixture.
func newServer(tb testing.TB) (*httptest.Server, *postgis.DB) {
	tb.Helper()
	tdb := pgtest.NewDB(tb)
	db := postgis.New(tdb.Pool, nil)
	mustFixture(tb, db)
	return serve(tb, db), db
}

func serve(tb testing.TB, db *postgis.DB) *httptest.Server {
	r := chi.NewRouter()
	ogc.New(db, ogc.Config{}, nil).Mount(r, func(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status(postgis.Err(err)))
				_ = json.NewEncoder(w).Encode(map[string]any{"error": land.MessageOf(err)})
			}
		}
	})
	ts := httptest.NewServer(r)
	tb.Cleanup(ts.Close)
	return ts
}

func mustFixture(tb testing.TB, db *postgis.DB) {
	tb.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if err := postgis.CreateLayer(ctx, tx, &land.Layer{Name: "parcels", Kind: land.Parcels, Title: "地块"}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO layers.parcels
			(code, landuse_code, street, status, supply_method, supply_date, price_wan, props, geom)
			SELECT 'DK' || lpad(i::text, 4, '0'),
			       CASE WHEN i % 2 = 0 THEN '0701' ELSE '0101' END,
			       CASE i % 3 WHEN 0 THEN '横店街' WHEN 1 THEN '石楼镇' END,
			       '已供应', CASE WHEN i % 5 = 0 THEN '划拨' ELSE '招拍挂' END,
			       CASE WHEN i % 4 <> 3 THEN date '2020-01-01' + (i * 7) END,
			       CASE WHEN i % 10 <> 9 THEN i * 10.5 END,
			       jsonb_build_object('DKBH', 'DK' || i, '备注', 'note ' || i),
			       ST_MakeEnvelope(113.3 + (i % 25) * 0.001, 23.1 + (i / 25) * 0.001,
			                       113.3 + (i % 25) * 0.001 + 0.001, 23.1 + (i / 25) * 0.001 + 0.001, 4490)
			FROM generate_series(0, 249) i`); err != nil {
			return err
		}
		if _, err := postgis.RefreshLayer(ctx, tx, "parcels"); err != nil {
			return err
		}
		if err := postgis.CreateLayer(ctx, tx, &land.Layer{Name: "farmland", Kind: land.Farmland}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO layers.farmland (code, landuse_code, grade, geom) VALUES
			('TB1', '0101', 3, ST_GeomFromText('POLYGON((113.30 23.10,113.305 23.10,113.305 23.105,113.30 23.105,113.30 23.10))', 4490)),
			('TB2', '0102', 5, ST_GeomFromText('POLYGON((113.31 23.10,113.315 23.10,113.315 23.105,113.31 23.105,113.31 23.10))', 4490)),
			('TB3', '0103', NULL, NULL)`); err != nil {
			return err
		}
		_, err := postgis.RefreshLayer(ctx, tx, "farmland")
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// get fetches url and decodes a JSON body; it fails the test unless the
// status is want.
func get(tb testing.TB, url string, want int) (map[string]any, http.Header) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != want {
		tb.Fatalf("GET %s: status %d, want %d: %s", url, resp.StatusCode, want, b)
	}
	var m map[string]any
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(b, &m); err != nil {
			tb.Fatalf("GET %s: %v: %s", url, err, b)
		}
	} else {
		m = map[string]any{"body": string(b)}
	}
	return m, resp.Header
}

// linkOf returns the href of the first link with rel (and type, if given).
func linkOf(doc map[string]any, rel, typ string) string {
	links, _ := doc["links"].([]any)
	for _, l := range links {
		m := l.(map[string]any)
		if m["rel"] == rel && (typ == "" || m["type"] == typ) {
			return m["href"].(string)
		}
	}
	return ""
}

func features(doc map[string]any) []map[string]any {
	var out []map[string]any
	fs, _ := doc["features"].([]any)
	for _, f := range fs {
		out = append(out, f.(map[string]any))
	}
	return out
}

func newRequest(u string, headers map[string]string) (map[string]any, error) {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	return m, json.NewDecoder(resp.Body).Decode(&m)
}

type response struct {
	status int
	doc    map[string]any
}

func httpGet(u string) (response, error) {
	resp, err := http.Get(u)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return response{resp.StatusCode, m}, nil
}

func httpGetAccept(u, accept string) (string, error) {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	return resp.Header.Get("Content-Type"), nil
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func fmtFloats(v ...float64) string {
	var parts []string
	for _, f := range v {
		parts = append(parts, strconv.FormatFloat(f, 'f', -1, 64))
	}
	return strings.Join(parts, ",")
}
