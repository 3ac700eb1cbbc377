package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's headless Chromium over the DevTools
// protocol with chromedp, so they need no Node.js. Every request the browser
// makes, from the page and from MapLibre's workers alike, goes through a
// recording proxy in the test (--proxy-server, with loopback not bypassed):
// the tests see each tile request with its headers and status, and any
// request that would leave the machine is refused and counted.

// chromiumPath returns the Chromium to drive: $CHROMIUM or /usr/bin/chromium.
func chromiumPath(t testing.TB) string {
	t.Helper()
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("the browser test needs Chromium at %s: install it with `sudo apt-get install -y chromium fonts-noto-cjk` (or `make test-deps`), or set CHROMIUM", chromium)
	}
	return chromium
}

// exchange is one request the browser made, as the proxy saw it.
type exchange struct {
	URL        string
	Auth       string // the Authorization header sent
	Status     int
	Start, End time.Time
	OffMachine bool
	// FromPage: the request carries a Referer or an Origin, as those of
	// pages and their workers do; Chromium's own background requests
	// (component updates, network time, sign-in) carry neither.
	FromPage bool
}

// recorder is the browser's HTTP proxy: it forwards requests for loopback
// addresses, serves the pages set in pages itself (on any loopback origin),
// refuses everything else, and records every exchange.
type recorder struct {
	mu    sync.Mutex
	log   []exchange
	pages map[string]string // path → HTML, served by the proxy
	rp    *httputil.ReverseProxy
}

func newRecorder() *recorder {
	p := &recorder{pages: map[string]string{}}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			u := *pr.In.URL
			pr.Out.URL = &u
			pr.Out.Host = pr.In.Host
		},
		Transport: &http.Transport{Proxy: nil, DisableCompression: true, MaxIdleConnsPerHost: 16},
	}
	return p
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (p *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := exchange{Auth: r.Header.Get("Authorization"), Start: time.Now(),
		FromPage: r.Header.Get("Referer") != "" || r.Header.Get("Origin") != ""}
	host := r.URL.Hostname()
	if r.Method == http.MethodConnect {
		host, _, _ = net.SplitHostPort(r.Host)
		ex.URL = "https://" + r.Host
	} else {
		ex.URL = r.URL.String()
	}
	sw := &statusWriter{ResponseWriter: w}
	p.mu.Lock()
	page, ok := p.pages[r.URL.Path]
	p.mu.Unlock()
	switch {
	case host != "127.0.0.1" && host != "localhost" && host != "::1":
		ex.OffMachine = true
		http.Error(sw, "the test browser stays on this machine", http.StatusForbidden)
	case ok && r.Method != http.MethodConnect:
		sw.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = sw.Write([]byte(page))
	default:
		p.rp.ServeHTTP(sw, r)
	}
	ex.Status, ex.End = sw.status, time.Now()
	p.mu.Lock()
	p.log = append(p.log, ex)
	p.mu.Unlock()
}

// setPage has the proxy serve html at path, on any loopback origin.
func (p *recorder) setPage(path, html string) {
	p.mu.Lock()
	p.pages[path] = html
	p.mu.Unlock()
}

// exchanges returns the exchanges recorded so far.
func (p *recorder) exchanges() []exchange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]exchange(nil), p.log...)
}

// browser is one headless Chromium with one tab, behind a recorder.
type browser struct {
	t     testing.TB
	ctx   context.Context // the tab
	proxy *recorder
	out   string // where failure.png goes; "" for none

	mu       sync.Mutex
	console  []chromedp.ConsoleMessage
	refusing atomic.Bool // a 401 on the console is expected now
	errors   []string    // console errors and uncaught exceptions, but the expected 401s
}

// newBrowser starts Chromium (headless, SwiftShader's WebGL2, Chinese
// locale, Asia/Shanghai) with a viewport of w×h and opens a blank tab. It
// stops with the test.
func newBrowser(t testing.TB, w, h int64) *browser {
	t.Helper()
	chromium := chromiumPath(t)
	proxy := newRecorder()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: time.Minute}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		// MapLibre 6 needs WebGL2: SwiftShader provides it without a GPU.
		chromedp.Flag("use-angle", "swiftshader"),
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,NetworkTimeServiceQuerying"),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("no-service-autorun", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(int(w), int(h)),
		chromedp.ProxyServer("http://" + ln.Addr().String()),
		// Without this Chromium sends loopback requests past the proxy.
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, proxy: proxy}
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(w, h, chromedp.EmulateScale(1)),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: "zh_CN"}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Shanghai"})
			return err
		}),
	); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			switch {
			case m.Type == chromedp.ConsoleException:
				b.errors = append(b.errors, "uncaught: "+m.Text)
			case m.Type == chromedp.ConsoleError && !(b.refusing.Load() && strings.Contains(m.Text, "status of 401")):
				b.errors = append(b.errors, m.Text)
			}
			b.mu.Unlock()
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.Type == chromedp.ConsoleException {
				t.Logf("console %s: %s", m.Type, m.Text)
			}
		}
	}()
	return b
}

// consoleErrors returns the console errors and uncaught exceptions so far,
// but the 401s while refusing was set.
func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// fatalf saves a screenshot as failure.png (when the test has an output
// folder) and stops the test.
func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	if b.out != "" {
		if png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot()); err == nil {
			_ = os.WriteFile(filepath.Join(b.out, "failure.png"), png, 0o644)
		}
	}
	b.t.Fatalf(format, args...)
}

// do runs actions in the tab with two minutes to do them.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// js returns a JavaScript literal for v.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes its value into out (nil to drop it: the value, such as a
// MapLibre event, need not be serialisable then).
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute)
	defer cancel()
	if out == nil {
		expr = "Promise.resolve(" + expr + ").then(() => true)"
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fatalf("evaluating %s: %v", expr, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			b.fatalf("evaluating %s: %v (%s)", expr, err, raw)
		}
	}
}

// waitFor waits until the JavaScript expression is truthy; false when it
// is not within timeout. It asks every 200 ms from Go rather than polling
// inside the page, so it goes on across a reload of the page (which would
// leave an in-page poll waiting forever in a destroyed context).
func (b *browser) waitFor(expr string, timeout time.Duration) bool {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return true
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// truthy reports whether the JavaScript expression is truthy now.
func (b *browser) truthy(expr string) bool {
	b.t.Helper()
	var ok bool
	b.eval("!!("+expr+")", &ok)
	return ok
}

// mustWaitFor is waitFor that stops the test on a timeout.
func (b *browser) mustWaitFor(expr string, timeout time.Duration) {
	b.t.Helper()
	if !b.waitFor(expr, timeout) {
		b.fatalf("waited %s for %s", timeout, expr)
	}
}

// visible is a JavaScript expression: the first element matching the CSS
// selector exists and is rendered.
func visible(sel string) string {
	return fmt.Sprintf(`(() => { const el = document.querySelector(%s); return !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'; })()`, js(sel))
}

// text returns the textContent of the first element matching sel, "" when
// there is none.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.eval(fmt.Sprintf(`document.querySelector(%s)?.textContent ?? ''`, js(sel)), &s)
	return s
}

// attr returns an attribute of the first element matching sel.
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	var s string
	b.eval(fmt.Sprintf(`document.querySelector(%s)?.getAttribute(%s) ?? ''`, js(sel), js(name)), &s)
	return s
}

// click clicks the middle of the first visible element matching sel with
// the mouse.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.do("clicking "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// press clicks the first element matching sel from script (element.click()),
// as a keyboard user's Enter would: for buttons that a modal dialog's
// layer keeps the mouse from, on a machine too loaded for the mouse's timing.
func (b *browser) press(sel string) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`(() => { const el = document.querySelector(%s); if (!el) throw new Error('no element ' + %s); el.click(); })()`, js(sel), js(sel)), nil)
}

// clickAt clicks the page at (x, y) in CSS pixels.
func (b *browser) clickAt(x, y float64) {
	b.t.Helper()
	b.do(fmt.Sprintf("clicking at %.0f,%.0f", x, y), chromedp.MouseClickXY(x, y))
}

// moveTo moves the mouse to (x, y).
func (b *browser) moveTo(x, y float64) {
	b.t.Helper()
	b.do("moving the mouse", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y))
}

// setValue sets the value of a form field (an input or a select) as a user
// would, firing input and change.
func (b *browser) setValue(sel, value string) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`(() => {
  const el = document.querySelector(%s);
  if (!el) throw new Error('no element ' + %s);
  el.focus();
  el.value = %s;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
  return el.value;
})()`, js(sel), js(sel), js(value)), nil)
}

// screenshot saves the viewport as a PNG.
func (b *browser) screenshot(file string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.fatalf("screenshot %s: %v", file, err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// newTab opens another tab in the same browser, behind the same proxy.
func (b *browser) newTab() *browser {
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	// The first run opens the tab, with no deadline: the tab lives as long
	// as the context of that run.
	if err := chromedp.Do(ctx); err != nil {
		b.fatalf("opening a tab: %v", err)
	}
	return &browser{t: b.t, ctx: ctx, proxy: b.proxy, out: b.out}
}
