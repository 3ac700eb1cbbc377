package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/mvt"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/server"
)

// The write token of Config.Token in these tests.
const legacyToken = "secret-write-token"

// startServer serves db with cfg, with the tile service's change listener
// running (so tiles are answered from the registry held in memory, as in
// production).
func startServer(t *testing.T, db *postgis.DB, cfg server.Config) *httptest.Server {
	t.Helper()
	srv, err := server.New(cfg, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Run(ctx); close(done) }()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); cancel(); <-done })
	return ts
}

// mustSquareLayer creates a generic layer holding one 0.001° square with
// its south-west corner at lon, lat.
func mustSquareLayer(t *testing.T, db *postgis.DB, name string, lon, lat float64) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if err := postgis.CreateLayer(ctx, tx, &land.Layer{Name: name, Kind: land.Generic, Title: name}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+postgis.Table(name)+` (props, geom)
			VALUES ('{"NAME":"sq"}', ST_MakeEnvelope($1, $2, $3, $4, 4490))`, lon, lat, lon+0.001, lat+0.001); err != nil {
			return err
		}
		_, err := postgis.RefreshLayer(ctx, tx, name)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// tileOf returns the z/x/y path of the tile at zoom z holding lon, lat.
func tileOf(lon, lat float64, z int) string {
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
	return fmt.Sprintf("%d/%d/%d", z, x, y)
}

// call makes a request with an Authorization header (none when auth is "")
// and returns the status, the WWW-Authenticate header and the body.
func call(t *testing.T, method, url, auth string, body io.Reader) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("WWW-Authenticate"), b
}

func bearerOf(tok string) string {
	if tok == "" {
		return ""
	}
	return "Bearer " + tok
}

// mustToken creates a token and returns its secret.
func mustToken(t *testing.T, db *postgis.DB, c postgis.TokenCreate) string {
	t.Helper()
	_, secret, err := db.CreateToken(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func writeSquareGeoJSON(t *testing.T, lon, lat float64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sq.geojson")
	doc := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"NAME":"up"},
		"geometry":{"type":"Polygon","coordinates":[[[%[1]g,%[2]g],[%[3]g,%[2]g],[%[3]g,%[4]g],[%[1]g,%[4]g],[%[1]g,%[2]g]]]}}]}`,
		lon, lat, lon+0.001, lat+0.001)
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// mvtLayers decodes a tile answer.
func mvtLayers(t *testing.T, b []byte) mvt.Layers {
	t.Helper()
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		if ls, err = mvt.UnmarshalGzipped(b); err != nil {
			t.Fatalf("not a vector tile: %v", err)
		}
	}
	return ls
}

func featuresIn(ls mvt.Layers, name string) int {
	for _, l := range ls {
		if l.Name == name {
			return len(l.Features)
		}
	}
	return -1
}

func TestTokenRolesOnEveryEndpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	mustSquareLayer(t, db, "fl", 113, 23)

	toks := map[string]string{
		"none":    "",
		"unknown": "tudi_thisisnotatoken",
		"viewer":  mustToken(t, db, postgis.TokenCreate{Name: "v", Role: postgis.Viewer}),
		"editor":  mustToken(t, db, postgis.TokenCreate{Name: "e", Role: postgis.Editor}),
		"editorA": mustToken(t, db, postgis.TokenCreate{Name: "ea", Role: postgis.Editor, Layers: []string{"up_a"}}),
		"admin":   mustToken(t, db, postgis.TokenCreate{Name: "a", Role: postgis.Admin}),
		"legacy":  legacyToken,
		"expired": mustToken(t, db, postgis.TokenCreate{Name: "x", Role: postgis.Admin, Expires: time.Millisecond}),
	}
	revokedTok, revoked, err := db.CreateToken(ctx, postgis.TokenCreate{Name: "r", Role: postgis.Admin})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeToken(ctx, revokedTok.ID); err != nil {
		t.Fatal(err)
	}
	toks["revoked"] = revoked
	time.Sleep(5 * time.Millisecond) // the expired token's millisecond

	reads := []string{
		"/tiles", "/tiles/fl.json", "/tiles/fl/" + tileOf(113.0005, 23.0005, 14) + ".mvt", "/styles/legend.json",
		"/ogc", "/ogc/collections", "/ogc/collections/fl/items", "/api/identify?lon=113.0005&lat=23.0005",
		"/api/reports", "/api/imports",
	}
	// badToken: the tokens every data request refuses with 401.
	badToken := map[string]bool{"unknown": true, "expired": true, "revoked": true}

	for _, mode := range []server.AuthMode{server.AuthWrite, server.AuthRead} {
		ts := startServer(t, db, server.Config{Token: legacyToken, Auth: mode})
		for who, tok := range toks {
			want := http.StatusOK
			if badToken[who] || (who == "none" && mode == server.AuthRead) {
				want = http.StatusUnauthorized
			}
			t.Run(fmt.Sprintf("with --auth %s a read with the %s token answers %d", mode, who, want), func(t *testing.T) {
				for _, p := range reads {
					status, www, body := call(t, http.MethodGet, ts.URL+p, bearerOf(tok), nil)
					if status != want {
						t.Errorf("GET %s: status %d, want %d: %s", p, status, want, body)
					}
					if status == http.StatusUnauthorized && !strings.HasPrefix(www, "Bearer") {
						t.Errorf("GET %s: 401 without WWW-Authenticate: Bearer (%q)", p, www)
					}
				}
			})
		}
		t.Run(fmt.Sprintf("with --auth %s the page, /healthz and /metrics need no token", mode), func(t *testing.T) {
			for _, p := range []string{"/", "/app/main.js", "/healthz", "/metrics"} {
				if status, _, _ := call(t, http.MethodGet, ts.URL+p, "", nil); status != http.StatusOK {
					t.Errorf("GET %s: status %d", p, status)
				}
			}
		})
		t.Run(fmt.Sprintf("with --auth %s the Bearer scheme is case-insensitive and other schemes are refused", mode), func(t *testing.T) {
			for _, h := range []string{"bearer ", "BEARER ", "Bearer  "} {
				if status, _, body := call(t, http.MethodGet, ts.URL+"/ogc/collections", h+toks["viewer"], nil); status != http.StatusOK {
					t.Errorf("%q: status %d: %s", h, status, body)
				}
			}
			for _, h := range []string{"Basic " + toks["viewer"], "Bearer", toks["viewer"]} {
				if status, _, _ := call(t, http.MethodGet, ts.URL+"/ogc/collections", h, nil); status != http.StatusUnauthorized {
					t.Errorf("%q: status %d, want 401", h, status)
				}
			}
		})
	}

	ts := startServer(t, db, server.Config{Token: legacyToken})
	sq := writeSquareGeoJSON(t, 113.01, 23.01)
	imports := []struct {
		who, layer string
		want       int
	}{
		{"none", "up_a", http.StatusUnauthorized},
		{"unknown", "up_a", http.StatusUnauthorized},
		{"expired", "up_a", http.StatusUnauthorized},
		{"revoked", "up_a", http.StatusUnauthorized},
		{"viewer", "up_a", http.StatusForbidden},
		{"editorA", "up_b", http.StatusForbidden},
		{"editorA", "up_a", http.StatusCreated},
		{"editor", "up_b", http.StatusCreated},
		{"admin", "up_c", http.StatusCreated},
		{"legacy", "up_d", http.StatusCreated},
	}
	for _, c := range imports {
		t.Run(fmt.Sprintf("an import into %s with the %s token answers %d", c.layer, c.who, c.want), func(t *testing.T) {
			res := upload(t, ts.URL, toks[c.who], []string{sq}, map[string][]string{"layer": {c.layer}, "kind": {"generic"}})
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != c.want {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.want, b)
			}
			if c.want == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
		})
	}
	t.Run("an import records which token made it", func(t *testing.T) {
		list, err := db.FindImports(ctx, postgis.ImportFilter{Layer: "up_a"})
		if err != nil || len(list) != 1 || !strings.Contains(list[0].User, "(ea)") {
			t.Fatalf("%+v %v", list, err)
		}
	})

	admins := []struct {
		who  string
		want int
	}{
		{"none", http.StatusUnauthorized}, {"unknown", http.StatusUnauthorized}, {"expired", http.StatusUnauthorized},
		{"revoked", http.StatusUnauthorized}, {"viewer", http.StatusForbidden}, {"editor", http.StatusForbidden},
		{"editorA", http.StatusForbidden},
	}
	for _, c := range admins {
		t.Run(fmt.Sprintf("deleting or renaming a layer with the %s token answers %d", c.who, c.want), func(t *testing.T) {
			if status, _, b := call(t, http.MethodDelete, ts.URL+"/api/layers/up_a", bearerOf(toks[c.who]), nil); status != c.want {
				t.Errorf("DELETE: status %d, want %d: %s", status, c.want, b)
			}
			if status, _, b := call(t, http.MethodPost, ts.URL+"/api/layers/up_a/rename", bearerOf(toks[c.who]), strings.NewReader(`{"name":"up_z"}`)); status != c.want {
				t.Errorf("rename: status %d, want %d: %s", status, c.want, b)
			}
		})
	}
	t.Run("an admin token and the write token delete and rename layers", func(t *testing.T) {
		if status, _, b := call(t, http.MethodPost, ts.URL+"/api/layers/up_a/rename", bearerOf(toks["admin"]), strings.NewReader(`{"name":"up_z"}`)); status != http.StatusOK {
			t.Errorf("rename: status %d: %s", status, b)
		}
		if status, _, b := call(t, http.MethodDelete, ts.URL+"/api/layers/up_z", bearerOf(toks["legacy"]), nil); status != http.StatusNoContent {
			t.Errorf("DELETE: status %d: %s", status, b)
		}
		if status, _, b := call(t, http.MethodDelete, ts.URL+"/api/layers/up_z", bearerOf(toks["admin"]), nil); status != http.StatusNotFound {
			t.Errorf("second DELETE: status %d, want 404: %s", status, b)
		}
	})
	t.Run("a renamed layer stays in its editor token's layers", func(t *testing.T) {
		list, err := db.FindTokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range list {
			if tk.Name == "ea" && (len(tk.Layers) != 1 || tk.Layers[0] != "up_z") {
				t.Errorf("editor layers %v, want [up_z]", tk.Layers)
			}
		}
	})
	t.Run("bad renames answer 400, 404 and 409", func(t *testing.T) {
		for _, c := range []struct {
			path, body string
			want       int
		}{
			{"/api/layers/up_b/rename", `{"name":"Bad Name"}`, http.StatusBadRequest},
			{"/api/layers/up_b/rename", `{"nom":"x"}`, http.StatusBadRequest},
			{"/api/layers/up_b/rename", `{}`, http.StatusBadRequest},
			{"/api/layers/up_b/rename", `{"name":"up_b"}`, http.StatusBadRequest},
			{"/api/layers/nope/rename", `{"name":"x"}`, http.StatusNotFound},
			{"/api/layers/up_b/rename", `{"name":"up_c"}`, http.StatusConflict},
		} {
			if status, _, b := call(t, http.MethodPost, ts.URL+c.path, bearerOf(toks["admin"]), strings.NewReader(c.body)); status != c.want {
				t.Errorf("%s %s: status %d, want %d: %s", c.path, c.body, status, c.want, b)
			}
		}
	})
	t.Run("tokens are stored as hashes only and their use is noted", func(t *testing.T) {
		var dump string
		if err := db.Pool.QueryRow(ctx, `SELECT string_agg(t::text, ' ') FROM tudi.tokens t`).Scan(&dump); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM tudi.tokens WHERE hash = $1`, postgis.HashToken(toks["viewer"])).Scan(&n); err != nil || n != 1 {
			t.Fatalf("viewer's hash: %d rows, %v", n, err)
		}
		for who, tok := range toks {
			if tok != "" && strings.Contains(dump, tok) {
				t.Errorf("the %s token is stored in clear", who)
			}
		}
		list, err := db.FindTokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range list {
			if tk.Name == "v" && tk.LastUsedAt == nil {
				t.Errorf("the viewer token's last use is not noted")
			}
		}
	})
}

func TestTokenRevocationAndExpiry(t *testing.T) {
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	t.Run("a revoked token is refused at once without the cache", func(t *testing.T) {
		ts := startServer(t, db, server.Config{Token: legacyToken, Auth: server.AuthRead, TokenCacheTTL: -1})
		tok, secret, err := db.CreateToken(ctx, postgis.TokenCreate{Role: postgis.Viewer})
		if err != nil {
			t.Fatal(err)
		}
		if status, _, _ := call(t, http.MethodGet, ts.URL+"/ogc/collections", bearerOf(secret), nil); status != http.StatusOK {
			t.Fatalf("before revoking: %d", status)
		}
		if err := db.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if status, _, _ := call(t, http.MethodGet, ts.URL+"/ogc/collections", bearerOf(secret), nil); status != http.StatusUnauthorized {
			t.Fatalf("after revoking: %d", status)
		}
		if err := db.RevokeToken(ctx, tok.ID); land.KindOf(err) != land.Conflict {
			t.Errorf("revoking twice: %v", err)
		}
		if err := db.RevokeToken(ctx, 999999); land.KindOf(err) != land.NotFound {
			t.Errorf("revoking an unknown token: %v", err)
		}
	})
	t.Run("a write with a revoked token is refused at once, even while reads are cached", func(t *testing.T) {
		ts := startServer(t, db, server.Config{Token: legacyToken, TokenCacheTTL: time.Hour})
		tok, secret, err := db.CreateToken(ctx, postgis.TokenCreate{Role: postgis.Admin})
		if err != nil {
			t.Fatal(err)
		}
		if status, _, _ := call(t, http.MethodGet, ts.URL+"/ogc/collections", bearerOf(secret), nil); status != http.StatusOK {
			t.Fatalf("before revoking: %d", status)
		}
		if err := db.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if status, _, _ := call(t, http.MethodDelete, ts.URL+"/api/layers/nosuchlayer", bearerOf(secret), nil); status != http.StatusUnauthorized {
			t.Fatalf("a write after revoking: %d, want 401", status)
		}
	})
	t.Run("a revoked token is refused within the cache's lifetime", func(t *testing.T) {
		ts := startServer(t, db, server.Config{Token: legacyToken, Auth: server.AuthRead})
		tok, secret, err := db.CreateToken(ctx, postgis.TokenCreate{Role: postgis.Viewer})
		if err != nil {
			t.Fatal(err)
		}
		if status, _, _ := call(t, http.MethodGet, ts.URL+"/ogc/collections", bearerOf(secret), nil); status != http.StatusOK {
			t.Fatalf("before revoking: %d", status)
		}
		if err := db.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for {
			status, _, _ := call(t, http.MethodGet, ts.URL+"/ogc/collections", bearerOf(secret), nil)
			if status == http.StatusUnauthorized {
				break
			}
			if time.Since(start) > server.DefaultTokenCacheTTL+time.Second {
				t.Fatalf("still %d %s after revoking", status, time.Since(start))
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	t.Run("concurrent requests with one token all pass", func(t *testing.T) {
		ts := startServer(t, db, server.Config{Token: legacyToken, Auth: server.AuthRead, TokenCacheTTL: 50 * time.Millisecond})
		secret := mustToken(t, db, postgis.TokenCreate{Role: postgis.Viewer})
		errs := make(chan string, 64)
		var wg sync.WaitGroup
		for i := range 64 {
			wg.Go(func() {
				time.Sleep(time.Duration(i%8) * 20 * time.Millisecond) // across cache expiries
				req, _ := http.NewRequest(http.MethodGet, ts.URL+"/ogc/collections", nil)
				req.Header.Set("Authorization", "Bearer "+secret)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					errs <- res.Status
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	})
	t.Run("a token is refused from its expiry on, even when cached", func(t *testing.T) {
		ts := startServer(t, db, server.Config{Token: legacyToken, Auth: server.AuthRead, TokenCacheTTL: time.Minute})
		secret := mustToken(t, db, postgis.TokenCreate{Role: postgis.Viewer, Expires: 700 * time.Millisecond})
		if status, _, b := call(t, http.MethodGet, ts.URL+"/ogc/collections", bearerOf(secret), nil); status != http.StatusOK {
			t.Fatalf("before expiry: %d %s", status, b)
		}
		time.Sleep(800 * time.Millisecond)
		status, _, b := call(t, http.MethodGet, ts.URL+"/ogc/collections", bearerOf(secret), nil)
		if status != http.StatusUnauthorized || !bytes.Contains(b, []byte("expired")) {
			t.Fatalf("after expiry: %d %s", status, b)
		}
	})
	t.Run("bad token requests are refused", func(t *testing.T) {
		for _, c := range []postgis.TokenCreate{
			{Role: "root"}, {Role: postgis.Viewer, Layers: []string{"a"}}, {Role: postgis.Editor, Layers: []string{"Bad Name"}},
			{Role: postgis.Editor, Expires: -time.Hour},
		} {
			if _, _, err := db.CreateToken(ctx, c); land.KindOf(err) != land.Invalid {
				t.Errorf("%+v: %v", c, err)
			}
		}
	})
}

// TestLayerDeleteAndRename checks that a renamed or deleted layer is served
// under its new name only, by tiles (with the cache and the change
// listener running) and by OGC API Features, and that a new layer taking a
// used name never gets the old layer's cached tiles.
func TestLayerDeleteAndRename(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	// The layer below is given derived tile data "as a large layer would have
	// it"; a rebuilder would rightly drop that data of a one-feature layer at
	// a moment of its choosing, so this server only serves.
	ts := startServer(t, db, server.Config{Token: legacyToken, TileNoRebuild: true})
	admin := bearerOf(legacyToken)
	tile := tileOf(113.0005, 23.0005, 14)
	up := func(t *testing.T, layer string, lon, lat float64) {
		t.Helper()
		res := upload(t, ts.URL, legacyToken, []string{writeSquareGeoJSON(t, lon, lat)}, map[string][]string{"layer": {layer}, "kind": {"generic"}})
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("import into %s: %d %s", layer, res.StatusCode, b)
		}
	}
	items := func(t *testing.T, layer string) (int, int) {
		t.Helper()
		status, _, b := call(t, http.MethodGet, ts.URL+"/ogc/collections/"+layer+"/items", "", nil)
		var fc struct{ Features []json.RawMessage }
		_ = json.Unmarshal(b, &fc)
		return status, len(fc.Features)
	}
	tileFeatures := func(t *testing.T, layer string) (int, int) {
		t.Helper()
		status, _, b := call(t, http.MethodGet, ts.URL+"/tiles/"+layer+"/"+tile+".mvt", "", nil)
		if status == http.StatusNoContent {
			return http.StatusOK, 0 // an empty tile
		}
		if status != http.StatusOK {
			return status, -1
		}
		return status, featuresIn(mvtLayers(t, b), layer)
	}

	up(t, "fl", 113, 23)
	if status, n := tileFeatures(t, "fl"); status != 200 || n != 1 {
		t.Fatalf("tile of fl before: %d, %d features", status, n)
	}
	if status, n := items(t, "fl"); status != 200 || n != 1 {
		t.Fatalf("items of fl before: %d, %d", status, n)
	}
	// Derived tile data as a large layer would have it.
	before, err := db.FindLayer(ctx, "fl")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE tiles.fl__gen (band smallint, cls text, geom geometry(Geometry, 3857))`,
		`INSERT INTO tiles.generalised (layer, version, features, rows, duration_ms) VALUES ('fl', ` + fmt.Sprint(before.Version) + `, 1, 0, 1)`,
		`INSERT INTO tiles.prerendered (layer, z, x, y, version, mvt) VALUES ('fl', 1, 1, 0, ` + fmt.Sprint(before.Version) + `, '\x00')`,
	} {
		if _, err := db.Pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	var renamed land.Layer
	t.Run("a renamed layer is served under its new name only", func(t *testing.T) {
		status, _, b := call(t, http.MethodPost, ts.URL+"/api/layers/fl/rename", admin, strings.NewReader(`{"name":"fl2"}`))
		if status != http.StatusOK {
			t.Fatalf("rename: %d %s", status, b)
		}
		if err := json.Unmarshal(b, &renamed); err != nil || renamed.Name != "fl2" || renamed.Version <= before.Version {
			t.Fatalf("renamed %+v (before: version %d) %v", renamed, before.Version, err)
		}
		if status, _ := tileFeatures(t, "fl"); status != http.StatusNotFound {
			t.Errorf("tile of fl after: %d", status)
		}
		if status, _ := items(t, "fl"); status != http.StatusNotFound {
			t.Errorf("items of fl after: %d", status)
		}
		if status, n := tileFeatures(t, "fl2"); status != 200 || n != 1 {
			t.Errorf("tile of fl2: %d, %d features", status, n)
		}
		if status, n := items(t, "fl2"); status != 200 || n != 1 {
			t.Errorf("items of fl2: %d, %d", status, n)
		}
		if status, _, b := call(t, http.MethodGet, ts.URL+"/api/imports?layer=fl2", "", nil); status != 200 || !bytes.Contains(b, []byte(`"layer":"fl2"`)) {
			t.Errorf("history of fl2: %d %s", status, b)
		}
	})
	t.Run("a rename carries the table's indexes, sequence and tile data", func(t *testing.T) {
		var idx []string
		rows, _ := db.Pool.Query(ctx, `SELECT indexname FROM pg_indexes WHERE schemaname = 'layers' AND tablename = 'fl2' ORDER BY 1`)
		idx, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(idx) < 3 {
			t.Fatalf("indexes %v %v", idx, err)
		}
		for _, i := range idx {
			if !strings.HasPrefix(i, "fl2_") {
				t.Errorf("index %q keeps the old name", i)
			}
		}
		var seq, gen, genOld *string
		var genVersion, prerendered int64
		err = db.Pool.QueryRow(ctx, `SELECT to_regclass('layers.fl2_id_seq')::text, to_regclass('tiles.fl2__gen')::text, to_regclass('tiles.fl__gen')::text,
			(SELECT version FROM tiles.generalised WHERE layer = 'fl2'), (SELECT count(*) FROM tiles.prerendered WHERE layer IN ('fl', 'fl2'))`).
			Scan(&seq, &gen, &genOld, &genVersion, &prerendered)
		if err != nil || seq == nil || gen == nil || genOld != nil || genVersion != renamed.Version || prerendered != 0 {
			t.Fatalf("seq %v gen %v old gen %v gen version %d (want %d) prerendered %d: %v", seq, gen, genOld, genVersion, renamed.Version, prerendered, err)
		}
	})
	t.Run("a new layer under the old name is served with its own data, never the old cached tiles", func(t *testing.T) {
		// Elsewhere: the cached tile of the old fl had a feature here.
		up(t, "fl", 113.5, 23.5)
		l, err := db.FindLayer(ctx, "fl")
		if err != nil || l.Version <= before.Version {
			t.Fatalf("new fl at version %d, the old one was at %d: %v", l.Version, before.Version, err)
		}
		if status, n := tileFeatures(t, "fl"); status != 200 || n > 0 {
			t.Errorf("tile of the new fl: %d, %d features (the old layer's tile?)", status, n)
		}
		if status, n := items(t, "fl"); status != 200 || n != 1 {
			t.Errorf("items of the new fl: %d, %d", status, n)
		}
	})
	t.Run("a deleted layer is gone with its table and tile data", func(t *testing.T) {
		if status, _, b := call(t, http.MethodDelete, ts.URL+"/api/layers/fl2", admin, nil); status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", status, b)
		}
		if status, _ := tileFeatures(t, "fl2"); status != http.StatusNotFound {
			t.Errorf("tile of fl2 after: %d", status)
		}
		if status, _ := items(t, "fl2"); status != http.StatusNotFound {
			t.Errorf("items of fl2 after: %d", status)
		}
		var table, gen *string
		var rows int64
		err := db.Pool.QueryRow(ctx, `SELECT to_regclass('layers.fl2')::text, to_regclass('tiles.fl2__gen')::text,
			(SELECT count(*) FROM tiles.generalised WHERE layer = 'fl2') + (SELECT count(*) FROM tudi.layers WHERE name = 'fl2')`).Scan(&table, &gen, &rows)
		if err != nil || table != nil || gen != nil || rows != 0 {
			t.Fatalf("left behind: table %v gen %v rows %d %v", table, gen, rows, err)
		}
		// The new fl is untouched.
		if status, n := items(t, "fl"); status != 200 || n != 1 {
			t.Errorf("items of fl: %d, %d", status, n)
		}
	})
	t.Run("a layer recreated under a deleted name is served with its own data", func(t *testing.T) {
		// The deleted fl2 had its feature in the tile; the new one has not.
		up(t, "fl2", 113.5, 23.5)
		if status, n := tileFeatures(t, "fl2"); status != 200 || n > 0 {
			t.Errorf("tile of the new fl2: %d, %d features", status, n)
		}
	})
}
