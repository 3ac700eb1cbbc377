package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/sampledata"
	"tudi/server"
)

// upload posts files and form fields to /api/imports.
func upload(t *testing.T, url, token string, files []string, fields map[string][]string) *http.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("file", filepath.Base(f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, url+"/api/imports", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestImportsAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	srv, err := server.New(server.Config{Token: "secret", MaxUploadBytes: 2 << 20}, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	dir := t.TempDir()
	if _, err := sampledata.Write(ctx, dir, sampledata.Options{Scale: 1}, nil); err != nil {
		t.Fatal(err)
	}
	shp := []string{"parcels.shp", "parcels.shx", "parcels.dbf", "parcels.prj", "parcels.cpg"}
	for i := range shp {
		shp[i] = filepath.Join(dir, shp[i])
	}

	t.Run("an upload without the token is refused", func(t *testing.T) {
		res := upload(t, ts.URL, "", shp, map[string][]string{"layer": {"parcels"}})
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
	var id float64
	t.Run("a shapefile upload imports and answers 201 with the record", func(t *testing.T) {
		res := upload(t, ts.URL, "secret", shp, map[string][]string{"layer": {"parcels"}, "map": {"code=DKBH"}})
		defer res.Body.Close()
		var body map[string]any
		json.NewDecoder(res.Body).Decode(&body)
		if res.StatusCode != http.StatusCreated || body["status"] != "ok" || res.Header.Get("Location") == "" {
			t.Fatalf("status %d: %v", res.StatusCode, body)
		}
		s := body["summary"].(map[string]any)
		if s["loaded"].(float64) < 2000 || s["encoding"] != "GBK" || s["srid"].(float64) != 4526 {
			t.Fatalf("summary %v", s)
		}
		if files := body["files"].([]any); len(files) != 5 || files[0].(map[string]any)["name"] != "parcels.shp" {
			t.Fatalf("files %v", files)
		}
		id = body["id"].(float64)
	})
	t.Run("a bad upload answers 400 naming the file, with the failed record", func(t *testing.T) {
		res := upload(t, ts.URL, "secret", shp[:1], map[string][]string{"layer": {"parcels"}})
		defer res.Body.Close()
		var body map[string]any
		json.NewDecoder(res.Body).Decode(&body)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body["error"].(string), "parcels.shp") {
			t.Fatalf("status %d: %v", res.StatusCode, body)
		}
		if d, ok := body["detail"].(map[string]any); !ok || d["status"] != "failed" {
			t.Fatalf("detail %v", body["detail"])
		}
	})
	t.Run("an upload over the size limit answers 413", func(t *testing.T) {
		big := filepath.Join(t.TempDir(), "big.geojson")
		os.WriteFile(big, bytes.Repeat([]byte(" "), 3<<20), 0o644)
		res := upload(t, ts.URL, "secret", []string{big}, map[string][]string{"layer": {"big"}})
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
	t.Run("unknown fields and missing layers are 400", func(t *testing.T) {
		for _, f := range []map[string][]string{{"colour": {"red"}, "layer": {"x"}}, {"kind": {"parcels"}}, {"layer": {"x"}, "srid": {"abc"}}} {
			res := upload(t, ts.URL, "secret", shp[:1], f)
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest {
				t.Errorf("%v: status %d", f, res.StatusCode)
			}
		}
	})
	t.Run("the history lists imports newest first and shows one", func(t *testing.T) {
		res, err := http.Get(ts.URL + "/api/imports?layer=parcels")
		if err != nil {
			t.Fatal(err)
		}
		var list struct{ Imports []land.Import }
		json.NewDecoder(res.Body).Decode(&list)
		res.Body.Close()
		if len(list.Imports) != 2 || list.Imports[0].Status != "failed" || list.Imports[1].Status != "ok" {
			t.Fatalf("history %+v", list.Imports)
		}
		res, err = http.Get(ts.URL + "/api/imports/" + strconv.FormatInt(int64(id), 10))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `"sha256"`) {
			t.Fatalf("status %d: %s", res.StatusCode, b)
		}
		for _, p := range []string{"/api/imports/99999", "/api/imports/abc"} {
			res, _ := http.Get(ts.URL + p)
			res.Body.Close()
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("%s: status %d", p, res.StatusCode)
			}
		}
	})
}
