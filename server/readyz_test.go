package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/server"
)

func getReadyz(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("/readyz body: %v", err)
	}
	return resp.StatusCode, body
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	srv, err := server.New(server.Config{}, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	t.Run("not ready before the listener has synced the registry, though healthy", func(t *testing.T) {
		code, body := getReadyz(t, ts.URL)
		checks, _ := body["checks"].(map[string]any)
		if code != http.StatusServiceUnavailable || body["status"] != "not ready" || checks["listener"] != false || checks["registry"] != false || checks["database"] != true {
			t.Fatalf("/readyz before Run: %d %v", code, body)
		}
		resp, err := http.Get(ts.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/healthz: %d", resp.StatusCode)
		}
	})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Run(ctx); close(done) }()

	t.Run("ready once the listener runs and the registry is held", func(t *testing.T) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			code, body := getReadyz(t, ts.URL)
			if code == http.StatusOK {
				if body["status"] != "ready" {
					t.Fatalf("/readyz 200 with %v", body)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz not ready in 20 s: %d %v", code, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("not ready when the schema lacks a migration", func(t *testing.T) {
		if _, err := tdb.Pool.Exec(context.Background(), `DELETE FROM public.tudi_schema_migrations
			WHERE version = (SELECT max(version) FROM public.tudi_schema_migrations)`); err != nil {
			t.Fatal(err)
		}
		code, body := getReadyz(t, ts.URL)
		if code != http.StatusServiceUnavailable || body["checks"].(map[string]any)["database"] != false {
			t.Fatalf("/readyz with a migration missing: %d %v", code, body)
		}
	})

	t.Run("not ready once the listener stops", func(t *testing.T) {
		cancel()
		<-done
		code, body := getReadyz(t, ts.URL)
		if code != http.StatusServiceUnavailable || body["checks"].(map[string]any)["listener"] != false {
			t.Fatalf("/readyz after the listener stopped: %d %v", code, body)
		}
	})
}
