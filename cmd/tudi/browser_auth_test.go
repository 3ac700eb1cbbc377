package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The web map against `tudi serve --auth read` in headless Chromium: it asks
// for a token, says when one is refused, and with a viewer token draws the
// map, sending the token with every tile request, which the tab keeps in
// sessionStorage only. The server is a second one on the shared embedded
// cluster.
func TestWebMapAsksForAToken(t *testing.T) {
	chromiumPath(t)
	sharedServer(t) // the embedded cluster with the sample district
	noEnv := func(string) string { return "" }
	var out, errb bytes.Buffer
	if code := RunEnv(context.Background(), []string{"token", "create", "--data-dir", shared.dataDir, "--role", "viewer", "--name", "browser"},
		Env{Stdout: &out, Stderr: &errb, Getenv: noEnv}); code != 0 {
		t.Fatalf("token create: %d %s", code, errb.String())
	}
	token := strings.TrimSpace(out.String())

	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan int, 1)
	logs := &syncBuffer{}
	go func() {
		done <- RunEnv(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", shared.dataDir, "--auth", "read", "--sample=false"},
			Env{Stdout: logs, Stderr: logs, Getenv: noEnv, Ready: func(addr string) { ready <- addr }})
	}()
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case code := <-done:
		t.Fatalf("serve --auth read exited with %d:\n%s", code, logs.String())
	}
	defer func() { cancel(); <-done }()

	b := newBrowser(t, 640, 400) // small: SwiftShader draws on the CPU, and only the token flow is checked here
	b.refusing.Store(true)       // the 401s before a token is given are the point of this test

	// 1. No token: the page asks for one.
	b.do("opening the page", chromedp.Navigate(base+"/"))
	b.mustWaitFor(visible("#token-dialog[open]"), 3*time.Minute)
	if b.truthy(visible("#token-refused")) {
		t.Error("the first ask says a token was refused")
	}
	t.Log("asked for a token")

	// 2. A wrong token: asked again, saying it was refused.
	b.setValue("#token-input", "tudi_not-a-token")
	b.press(`#token-dialog button[value="ok"]`)
	b.mustWaitFor(visible("#token-dialog[open] #token-refused:not([hidden])"), 3*time.Minute)
	refused := b.text("#token-refused")
	if !regexp.MustCompile(`(?i)令牌|token`).MatchString(refused) {
		t.Errorf("the refusal says %q", refused)
	}
	t.Logf("a wrong token: %s", refused)

	// 3. The viewer's token: the map with its layers and tiles.
	before := len(b.proxy.exchanges())
	b.setValue("#token-input", token)
	b.press(`#token-dialog button[value="ok"]`)
	b.mustWaitFor(visible("#layer-list .layer"), 3*time.Minute)
	b.mustWaitFor(`window.map && window.map.loaded() && window.map.areTilesLoaded()`, 3*time.Minute)
	var layers int
	b.eval(`document.querySelectorAll('#layer-list .layer').length`, &layers)
	var tiles, withToken int
	for _, ex := range b.proxy.exchanges()[before:] {
		if !isTile(ex.URL) {
			continue
		}
		tiles++
		if ex.Auth == "Bearer "+token {
			withToken++
		} else {
			t.Errorf("a tile request without the token (%q): %s", ex.Auth, ex.URL)
		}
		if ex.Status != 200 && ex.Status != 204 {
			t.Errorf("a tile answered %d: %s", ex.Status, ex.URL)
		}
	}
	if tiles == 0 {
		t.Error("no tile was requested with the token")
	}
	if b.truthy(visible("#token-dialog")) {
		t.Error("the token dialog is still open")
	}
	var stored struct {
		Session *string `json:"session"`
		Local   *string `json:"local"`
	}
	b.eval(`({ session: sessionStorage.getItem('tudi.token'), local: localStorage.getItem('tudi.token') })`, &stored)
	if stored.Session == nil || *stored.Session != token {
		t.Errorf("sessionStorage holds %v, not the token", stored.Session)
	}
	if stored.Local != nil {
		t.Error("the token is in localStorage")
	}
	for _, e := range b.consoleErrors() {
		t.Errorf("console: %s", e)
	}
	t.Logf("with a viewer token: %d layers, %d tiles, %d of them with the token", layers, tiles, withToken)
}
