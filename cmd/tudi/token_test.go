package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

// authRequest sends a request with a bearer token and returns the status and body.
func authRequest(t *testing.T, method, url, token, ctype string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// uploadGeoJSON imports one small square into layer through the API.
func uploadGeoJSON(t *testing.T, base, token, layer string) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("layer", layer)
	mw.WriteField("kind", "generic")
	w, _ := mw.CreateFormFile("file", "sq.geojson")
	w.Write([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"NAME":"sq"},
		"geometry":{"type":"Polygon","coordinates":[[[113,23],[113.001,23],[113.001,23.001],[113,23.001],[113,23]]]}}]}`))
	mw.Close()
	return authRequest(t, http.MethodPost, base+"/api/imports", token, mw.FormDataContentType(), &body)
}

func TestTokenAndLayerCommands(t *testing.T) {
	base := sharedServer(t) // the embedded cluster, running
	ctx := context.Background()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		// The flags go before the arguments: tudi CMD SUB --data-dir DIR ARGS.
		n := min(len(args), 2)
		args = append(append(append([]string{}, args[:n]...), "--data-dir", shared.dataDir), args[n:]...)
		code := RunEnv(ctx, args, Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
		return code, out.String(), errb.String()
	}

	var editor string
	t.Run("token create prints the token once and it works at once", func(t *testing.T) {
		code, out, errs := run("token", "create", "--role", "editor", "--layers", "cli_tok_a", "--expires", "90d", "--name", "ci editor")
		editor = strings.TrimSpace(out)
		if code != 0 || !strings.HasPrefix(editor, "tudi_") || strings.Count(out, "\n") != 1 || !strings.Contains(errs, "shown only now") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
		}
		if status, b := uploadGeoJSON(t, base, editor, "cli_tok_a"); status != http.StatusCreated {
			t.Fatalf("import with the new token: %d %s", status, b)
		}
		if status, b := uploadGeoJSON(t, base, editor, "cli_tok_b"); status != http.StatusForbidden {
			t.Fatalf("import into another layer: %d %s", status, b)
		}
	})
	t.Run("token list shows the token without its secret", func(t *testing.T) {
		code, out, errs := run("token", "list")
		if code != 0 || !strings.Contains(out, "ci editor") || !strings.Contains(out, "cli_tok_a") || !strings.Contains(out, "LAST USED") || strings.Contains(out, editor) {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
		}
	})
	t.Run("bad token commands exit 2", func(t *testing.T) {
		for _, args := range [][]string{
			{"token", "create"}, {"token", "create", "--role", "root"}, {"token", "create", "--role", "viewer", "--expires", "soon"},
			{"token", "create", "--role", "viewer", "--layers", "a"}, {"token", "revoke", "x"}, {"token"}, {"layer", "rename", "a"},
		} {
			if code, out, errs := run(args...); code != 2 {
				t.Errorf("%v: exit %d: %s %s", args, code, out, errs)
			}
		}
	})
	t.Run("the write token of the data dir stays an admin token", func(t *testing.T) {
		if status, b := uploadGeoJSON(t, base, testToken, "cli_tok_c"); status != http.StatusCreated {
			t.Fatalf("import: %d %s", status, b)
		}
		if status, b := authRequest(t, http.MethodPost, base+"/api/layers/cli_tok_c/rename", testToken, "application/json", strings.NewReader(`{"name":"cli_tok_d"}`)); status != http.StatusOK {
			t.Fatalf("rename: %d %s", status, b)
		}
		if status, b := authRequest(t, http.MethodDelete, base+"/api/layers/cli_tok_d", testToken, "", nil); status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", status, b)
		}
		if status, b := authRequest(t, http.MethodDelete, base+"/api/layers/cli_tok_a", editor, "", nil); status != http.StatusForbidden {
			t.Fatalf("delete with an editor token: %d %s", status, b)
		}
	})
	t.Run("layer rename and rm change what the running server serves", func(t *testing.T) {
		getJSON(t, base+"/ogc/collections/cli_tok_a", 200, nil)
		if code, out, errs := run("layer", "rename", "cli_tok_a", "cli_tok_e"); code != 0 || !strings.Contains(out, `renamed to "cli_tok_e"`) {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
		}
		getJSON(t, base+"/ogc/collections/cli_tok_a", 404, nil)
		getJSON(t, base+"/ogc/collections/cli_tok_e", 200, nil)
		getJSON(t, base+"/tiles/cli_tok_e.json", 200, nil)
		getJSON(t, base+"/tiles/cli_tok_a.json", 404, nil)
		// The editor token follows its layer.
		if status, b := uploadGeoJSON(t, base, editor, "cli_tok_e"); status != http.StatusCreated {
			t.Fatalf("import into the renamed layer: %d %s", status, b)
		}
		if code, out, errs := run("layer", "rm", "cli_tok_e"); code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
		}
		getJSON(t, base+"/ogc/collections/cli_tok_e", 404, nil)
		getJSON(t, base+"/tiles/cli_tok_e.json", 404, nil)
		if code, _, _ := run("layer", "rm", "cli_tok_e"); code != 3 {
			t.Errorf("removing it again: exit %d, want 3 (not found)", code)
		}
	})
	t.Run("token revoke stops the token within seconds", func(t *testing.T) {
		code, out, _ := run("token", "list")
		var id string
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "ci editor") {
				id = strings.Fields(line)[0]
			}
		}
		if code != 0 || id == "" {
			t.Fatalf("list: %d %s", code, out)
		}
		if code, out, errs := run("token", "revoke", id); code != 0 || !strings.Contains(out, "revoked") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			status, _ := authRequest(t, http.MethodGet, base+"/api/imports", editor, "", nil)
			if status == http.StatusUnauthorized {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the revoked token still answers %d", status)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if code, _, _ := run("token", "revoke", id); code != 4 {
			t.Errorf("revoking twice: exit %d, want 4 (conflict)", code)
		}
	})
}

func TestParseLifetime(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"": 0, "90d": 90 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "12h": 12 * time.Hour, "30m": 30 * time.Minute, "1.5d": 36 * time.Hour} {
		if got, err := parseLifetime(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"soon", "-1d", "0d", "-3h", "d"} {
		if _, err := parseLifetime(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}
