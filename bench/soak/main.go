// Command soak is tudi's soak and attack test: for a bounded time it runs
// many clients mixing the read endpoints a web map uses (tiles, identify,
// OGC items with filters and bboxes, POST /api/query, reports) together
// with known attacks (identify with one layer repeated hundreds and
// thousands of times, concurrent whole-district queries, slow-body clients,
// malformed inputs, huge IN lists, CQL2 temporal functions with intervals),
// and reports requests and statuses per endpoint, latency percentiles, the
// largest RSS of the tudi process and of the PostgreSQL cluster (summed over
// its processes, sampled every second from /proc) and /healthz's slowest
// answer (sampled every 500 ms).
//
// It exits 1 when any request got a 5xx, when /healthz failed or took 1 s
// or more, or when tudi's RSS passed -max-rss-mb (the run stops there, to
// spare the machine). Only loopback servers are accepted.
//
//	go run ./bench/soak -url http://127.0.0.1:8080 -pid 1234 -pgdata DATA/pg -duration 10m
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type config struct {
	base      string
	duration  time.Duration
	clients   int
	pid       int
	pgData    string
	maxRSSMB  int64
	attacks   bool
	reqTimout time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.base, "url", "http://127.0.0.1:8080", "the tudi server (loopback only)")
	flag.DurationVar(&c.duration, "duration", 10*time.Minute, "how long to run (at most 2h)")
	flag.IntVar(&c.clients, "clients", 200, "concurrent clients of the normal mix")
	flag.IntVar(&c.pid, "pid", 0, "process id of tudi serve, for its RSS (0: not measured)")
	flag.StringVar(&c.pgData, "pgdata", "", "the cluster's data directory (postmaster.pid), for PostgreSQL's RSS")
	flag.Int64Var(&c.maxRSSMB, "max-rss-mb", 4096, "stop the run when tudi's RSS passes this (MB)")
	flag.BoolVar(&c.attacks, "attacks", true, "run the attacks besides the normal mix")
	flag.DurationVar(&c.reqTimout, "timeout", 90*time.Second, "client timeout of one request")
	flag.Parse()
	if c.duration <= 0 || c.duration > 2*time.Hour {
		fmt.Fprintln(os.Stderr, "soak: -duration must be within 0..2h")
		os.Exit(2)
	}
	u, err := url.Parse(c.base)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	if ip := net.ParseIP(u.Hostname()); !(u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())) {
		fmt.Fprintf(os.Stderr, "soak: -url %q: only loopback servers may be loaded\n", c.base)
		os.Exit(2)
	}
	ok, err := run(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// stats collects statuses and latencies per endpoint label.
type stats struct {
	mu sync.Mutex
	by map[string]*endpoint
}

type endpoint struct {
	status map[string]int // "200", "429", "err:timeout", …
	ms     []float32
}

func (s *stats) add(label, status string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.by[label]
	if e == nil {
		e = &endpoint{status: map[string]int{}}
		s.by[label] = e
	}
	e.status[status]++
	e.ms = append(e.ms, float32(d.Seconds()*1000))
}

type world struct {
	c       config
	client  *http.Client
	st      *stats
	layers  []string
	reports []string
	bbox    [4]float64 // lon/lat of the district
	// reqCtx ends the requests still in flight a grace period after the
	// run (they are counted as "cut at the end").
	reqCtx context.Context
}

func run(c config) (bool, error) {
	w := &world{c: c, st: &stats{by: map[string]*endpoint{}}}
	w.client = &http.Client{Timeout: c.reqTimout, Transport: &http.Transport{
		MaxIdleConns: c.clients * 2, MaxIdleConnsPerHost: c.clients * 2, DisableCompression: false,
	}}
	if err := w.discover(); err != nil {
		return false, err
	}
	fmt.Printf("soak: %s for %s, %d clients, attacks %v; layers %v; district %v\n",
		c.base, c.duration, c.clients, c.attacks, w.layers, w.bbox)

	// ctx ends the run (no new requests); reqCtx, 30 s later, the requests
	// still running; sctx the samplers, once every client has returned.
	ctx, cancel := context.WithTimeout(context.Background(), c.duration)
	defer cancel()
	reqCtx, cancelReq := context.WithCancel(context.Background())
	defer cancelReq()
	w.reqCtx = reqCtx
	go func() {
		<-ctx.Done()
		select {
		case <-reqCtx.Done():
		case <-time.After(30 * time.Second):
			cancelReq()
		}
	}()
	sctx, stopSamplers := context.WithCancel(context.Background())
	var wg, samplers sync.WaitGroup
	var rssAbort atomic.Bool

	var mem memory
	samplers.Add(2)
	go func() {
		defer samplers.Done()
		mem.sample(sctx, c, &rssAbort, func() { cancel(); cancelReq() })
	}()
	var health healthz
	go func() { defer samplers.Done(); health.sample(sctx, w) }()

	start := time.Now()
	for i := range c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			// Each client has an address of its own, given to tudi as a
			// trusted proxy would (serve runs with --trusted-proxies
			// 127.0.0.1), so per-client limits apply per client; and it
			// waits as Retry-After says, as a well-behaved client does.
			ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255+1)
			for ctx.Err() == nil {
				if w.normal(ctx, rng, ip) == http.StatusTooManyRequests {
					select {
					case <-ctx.Done():
					case <-time.After(2 * time.Second):
					}
				}
			}
		}()
	}
	if c.attacks {
		wg.Add(1)
		go func() { defer wg.Done(); w.attacks(ctx) }()
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopSamplers()
	samplers.Wait()
	return w.report(elapsed, &mem, &health, rssAbort.Load()), nil
}

// discover reads the layers, the reports and the district's extent.
func (w *world) discover() error {
	var cols struct {
		Collections []struct {
			ID     string `json:"id"`
			Extent struct {
				Spatial struct {
					BBox [][]float64 `json:"bbox"`
				} `json:"spatial"`
			} `json:"extent"`
		} `json:"collections"`
	}
	if err := w.getJSON("/ogc/collections?f=json", &cols); err != nil {
		return err
	}
	for _, col := range cols.Collections {
		w.layers = append(w.layers, col.ID)
		if col.ID == "boundaries" || (w.bbox == [4]float64{} && len(col.Extent.Spatial.BBox) > 0) {
			if b := col.Extent.Spatial.BBox; len(b) > 0 && len(b[0]) == 4 {
				copy(w.bbox[:], b[0])
			}
		}
	}
	if !slices.Contains(w.layers, "parcels") || w.bbox == [4]float64{} {
		return fmt.Errorf("the server has no parcels layer or no extent (layers %v): serve the sample district", w.layers)
	}
	var list struct {
		Reports []struct {
			Name string `json:"name"`
		} `json:"reports"`
	}
	if err := w.getJSON("/api/reports", &list); err != nil {
		return err
	}
	for _, r := range list.Reports {
		w.reports = append(w.reports, r.Name)
	}
	return nil
}

func (w *world) getJSON(path string, v any) error {
	resp, err := w.client.Get(w.c.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// do sends one request and records it under label; the body is read to
// the end (that is what a client pays for).
func (w *world) do(_ context.Context, label, method, path string, body []byte, hdr ...string) int {
	ctx := w.reqCtx
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.c.base+path, rd)
	if err != nil {
		w.st.add(label, "err:request", 0)
		return 0
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	t := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			w.st.add(label, "cut at the end", time.Since(t))
			return 0
		}
		w.st.add(label, "err:"+errClass(err), time.Since(t))
		return 0
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	status := strconv.Itoa(resp.StatusCode)
	if err != nil {
		status += "+err:body"
	}
	w.st.add(label, status, time.Since(t))
	return resp.StatusCode
}

func errClass(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "Client.Timeout") || strings.Contains(s, "deadline exceeded"):
		return "timeout"
	case strings.Contains(s, "connection refused"):
		return "refused"
	case strings.Contains(s, "reset") || strings.Contains(s, "EOF"):
		return "reset"
	}
	return "other"
}

// point picks a point inside the district.
func (w *world) point(rng *rand.Rand) (float64, float64) {
	return w.bbox[0] + rng.Float64()*(w.bbox[2]-w.bbox[0]), w.bbox[1] + rng.Float64()*(w.bbox[3]-w.bbox[1])
}

func tileOf(lon, lat float64, z int) (int, int) {
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
	return x, y
}

// square is a GeoJSON polygon of side d degrees at lon, lat.
func square(lon, lat, d float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}`,
		lon, lat, lon+d, lat, lon+d, lat+d, lon, lat+d, lon, lat)
}

var filters = []string{
	"street LIKE '%街道'",
	"price_wan > 1000",
	"supply_date > DATE('2020-01-01')",
	"landuse_code IN ('0701','0702','0501','1201')",
	"supply_method = '划拨' AND price_wan IS NULL",
	"T_AFTER(supply_date, DATE('2021-06-30'))",
}

// normal makes one request of the web map's mix.
func (w *world) normal(ctx context.Context, rng *rand.Rand, ip string) int {
	xff := []string{"X-Forwarded-For", ip}
	lon, lat := w.point(rng)
	switch r := rng.IntN(100); {
	case r < 45: // tiles, the bulk of a map's traffic
		z := 12 + rng.IntN(6)
		x, y := tileOf(lon, lat, z)
		layers := "parcels"
		if rng.IntN(3) == 0 {
			layers = "parcels,farmland,boundaries"
		}
		return w.do(ctx, "tiles", "GET", fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layers, z, x, y), nil, "Accept-Encoding", "gzip", xff[0], xff[1])
	case r < 65:
		return w.do(ctx, "identify", "GET", fmt.Sprintf("/api/identify?lon=%f&lat=%f&zoom=%d", lon, lat, 14+rng.IntN(5)), nil, xff...)
	case r < 80:
		d := 0.002 + rng.Float64()*0.01
		q := url.Values{"limit": {strconv.Itoa(10 + rng.IntN(90))}, "bbox": {fmt.Sprintf("%f,%f,%f,%f", lon, lat, lon+d, lat+d)}}
		if rng.IntN(2) == 0 {
			q.Set("filter", filters[rng.IntN(len(filters))])
		}
		return w.do(ctx, "ogc items", "GET", "/ogc/collections/parcels/items?"+q.Encode(), nil, xff...)
	case r < 92:
		body := fmt.Sprintf(`{"geometry":%s,"layers":["parcels","farmland"],"distance":%d}`, square(lon, lat, 0.001+rng.Float64()*0.004), rng.IntN(50))
		return w.do(ctx, "query", "POST", "/api/query", []byte(body), xff...)
	default:
		if len(w.reports) == 0 {
			return 0
		}
		name := w.reports[rng.IntN(len(w.reports))]
		format := []string{"json", "csv", "xlsx"}[rng.IntN(3)]
		return w.do(ctx, "reports", "GET", "/api/reports/"+name+"?format="+format, nil, xff...)
	}
}

// attacks runs the attacks side by side until the run ends, each in its
// own loop so that a slow one does not hold back the others.
func (w *world) attacks(ctx context.Context) {
	lon, lat := (w.bbox[0]+w.bbox[2])/2, (w.bbox[1]+w.bbox[3])/2
	var wg sync.WaitGroup
	loop := func(pause time.Duration, f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				f()
				select {
				case <-ctx.Done():
				case <-time.After(pause):
				}
			}
		}()
	}
	// Identify with one layer repeated 500 times (a 4 kB URL), and a query
	// naming it 2000 times.
	loop(5*time.Second, func() {
		w.do(ctx, "attack: identify ×500", "GET", fmt.Sprintf("/api/identify?lon=%f&lat=%f&layers=%s", lon, lat, repeat("parcels", 500)), nil)
	})
	loop(10*time.Second, func() {
		body := fmt.Sprintf(`{"geometry":%s,"layers":[%s]}`, square(lon, lat, 0.001), strings.TrimSuffix(strings.Repeat(`"parcels",`, 2000), ","))
		w.do(ctx, "attack: query ×2000 layers", "POST", "/api/query", []byte(body))
	})
	// The same repeated 5000 times, once, in the second half: where it is
	// not yet fixed it may reach the memory guard and end the run, so the
	// rest is measured first.
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.c.duration / 2):
		}
		w.do(ctx, "attack: identify ×5000", "GET", fmt.Sprintf("/api/identify?lon=%f&lat=%f&layers=%s", lon, lat, repeat("parcels", 5000)), nil)
	}()
	// 40 concurrent queries with a polygon over the whole district.
	whole := fmt.Sprintf(`{"geometry":{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]},"layers":["parcels","farmland"]}`,
		w.bbox[0], w.bbox[1], w.bbox[2], w.bbox[1], w.bbox[2], w.bbox[3], w.bbox[0], w.bbox[3], w.bbox[0], w.bbox[1])
	loop(10*time.Second, func() {
		var g sync.WaitGroup
		for range 40 {
			g.Add(1)
			go func() {
				defer g.Done()
				w.do(ctx, "attack: whole-district query ×40", "POST", "/api/query", []byte(whole))
			}()
		}
		g.Wait()
	})
	// 20 slow-body clients, each starting again when the server ends it.
	for range 20 {
		loop(time.Second, func() { w.slowBody(ctx) })
	}
	// Malformed input, one request after another.
	loop(2*time.Second, func() {
		for _, b := range badInputs(lon, lat) {
			if ctx.Err() != nil {
				return
			}
			w.do(ctx, "attack: "+b.label, b.method, b.path, b.body)
		}
	})
	wg.Wait()
}

func repeat(s string, n int) string { return strings.TrimSuffix(strings.Repeat(s+",", n), ",") }

// slowBody sends a POST /api/query that announces 4 kB and trickles one
// byte every 2 s; it records how the server ended it and after how long.
func (w *world) slowBody(ctx context.Context) {
	u, _ := url.Parse(w.c.base)
	t := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(w.reqCtx, "tcp", u.Host)
	if err != nil {
		if ctx.Err() == nil {
			w.st.add("attack: slow body", "err:"+errClass(err), time.Since(t))
		}
		return
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/query HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{", u.Host)
	done := make(chan string, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			done <- "closed"
			return
		}
		resp.Body.Close()
		done <- strconv.Itoa(resp.StatusCode)
	}()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	limit := time.After(3 * time.Minute) // give up holding it: the server did not
	for {
		select {
		case <-ctx.Done():
			w.st.add("attack: slow body", "held to the end", time.Since(t))
			return
		case s := <-done:
			w.st.add("attack: slow body", s, time.Since(t))
			return
		case <-limit:
			w.st.add("attack: slow body", "held 3 min", time.Since(t))
			return
		case <-tick.C:
			if _, err := conn.Write([]byte(" ")); err != nil {
				w.st.add("attack: slow body", "closed", time.Since(t))
				return
			}
		}
	}
}

type badInput struct {
	label, method, path string
	body                []byte
}

// badInputs are requests that must get a 4xx, never a 5xx.
func badInputs(lon, lat float64) []badInput {
	get := func(label, path string) badInput { return badInput{label, "GET", path, nil} }
	post := func(label, body string) badInput { return badInput{label, "POST", "/api/query", []byte(body)} }
	items := "/ogc/collections/parcels/items?filter="
	in := make([]string, 70000)
	for i := range in {
		in[i] = strconv.Itoa(i)
	}
	deep := strings.Repeat(`{"type":"GeometryCollection","geometries":[`, 500) + `{"type":"Point","coordinates":[113.3,23.1]}` + strings.Repeat("]}", 500)
	return []badInput{
		get("NUL in a parameter", fmt.Sprintf("/api/identify?lon=%f&lat=%f&layers=parcels%%00", lon, lat)),
		get("NUL in a filter", items+url.QueryEscape("street = 'a\x00b'")),
		get("invalid UTF-8 in a parameter", fmt.Sprintf("/api/identify?lon=%f&lat=%f&layers=%%FF%%FE", lon, lat)),
		get("invalid UTF-8 in a filter", items+"street%3D%27%FF%FE%27"),
		get("invalid UTF-8 in a report", "/api/reports/land-use-summary?street=%FF%FE"),
		get("lon=1e30", "/api/identify?lon=1e30&lat=23.1"),
		get("lon=1e30 in another CRS", "/api/identify?lon=1e30&lat=1e30&crs=4526"),
		get("bbox of 1e30", "/ogc/collections/parcels/items?bbox=-1e30,-1e30,1e30,1e30"),
		get("LIKE '\\'", items+url.QueryEscape(`street LIKE '\'`)),
		get("IN list of 70 000 items", items+url.QueryEscape("price_wan IN ("+strings.Join(in, ",")+")")),
		get("T_AFTER with INTERVAL", items+url.QueryEscape("T_AFTER(supply_date, INTERVAL('2020-01-01','2020-12-31'))")),
		get("T_BEFORE with INTERVAL", items+url.QueryEscape("T_BEFORE(supply_date, INTERVAL('2020-01-01','2020-12-31'))")),
		get("T_MEETS with INTERVAL", items+url.QueryEscape("T_MEETS(supply_date, INTERVAL('2020-01-01','2020-12-31'))")),
		get("T_DURING with an instant", items+url.QueryEscape("T_DURING(supply_date, DATE('2020-01-01'))")),
		get("POINT Z filter", items+url.QueryEscape("S_INTERSECTS(geometry, POINT Z (113.3 23.1 5))")),
		get("tile out of range", "/tiles/parcels/30/1/1.mvt"),
		get("tile path garbage", "/tiles/parcels%00,..%2F..%2Fetc/1/1/1.mvt"),
		post("a 2-point ring", fmt.Sprintf(`{"geometry":{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f]]]},"layers":["parcels"]}`, lon, lat, lon+0.001, lat)),
		post("an antipodal polygon", `{"geometry":{"type":"Polygon","coordinates":[[[-180,-90],[180,-90],[180,90],[-180,90],[-180,-90]]]},"layers":["parcels"]}`),
		post("a 500-deep geometry", `{"geometry":`+deep+`,"layers":["parcels"]}`),
		post("NUL in a layer name", `{"geometry":{"type":"Point","coordinates":[113.3,23.1]},"layers":["par\u0000cels"]}`),
		post("coordinates of 1e30", `{"geometry":{"type":"Point","coordinates":[1e30,1e30]},"layers":["parcels"]}`),
		post("not JSON", "{\xff\xfe"),
	}
}

// memory samples the largest RSS of tudi and of the cluster's processes.
type memory struct {
	mu                  sync.Mutex
	tudiMax, pgMax, pss int64 // kB
	tudiFirst, tudiLast int64
	pgProcsMax, samples int
	pgFirst, pgLast     int64
}

func (m *memory) sample(ctx context.Context, c config, abort *atomic.Bool, stop context.CancelFunc) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		t := kbField(c.pid, "VmRSS")
		pg, pss, n := clusterRSS(c.pgData)
		m.mu.Lock()
		if m.samples == 0 {
			m.tudiFirst, m.pgFirst = t, pg
		}
		m.samples++
		m.tudiLast, m.pgLast = t, pg
		m.tudiMax, m.pgMax, m.pss, m.pgProcsMax = max(m.tudiMax, t), max(m.pgMax, pg), max(m.pss, pss), max(m.pgProcsMax, n)
		m.mu.Unlock()
		if c.maxRSSMB > 0 && t > c.maxRSSMB<<10 {
			fmt.Printf("soak: tudi's RSS is %d MB, past -max-rss-mb %d: stopping the run\n", t>>10, c.maxRSSMB)
			abort.Store(true)
			stop()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// kbField reads a "Name:   123 kB" line of /proc/pid/status (0 when gone).
func kbField(pid int, name string) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

// clusterRSS sums VmRSS (which counts shared buffers once per process) and
// Pss (shared pages divided among their users) over the postmaster named in
// pgData/postmaster.pid and its children.
func clusterRSS(pgData string) (rss, pss int64, n int) {
	if pgData == "" {
		return 0, 0, 0
	}
	b, err := os.ReadFile(filepath.Join(pgData, "postmaster.pid"))
	if err != nil {
		return 0, 0, 0
	}
	pm, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return 0, 0, 0
	}
	pids := []int{pm}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == pm {
			continue
		}
		if kbField(pid, "PPid") == int64(pm) {
			pids = append(pids, pid)
		}
	}
	for _, pid := range pids {
		rss += kbField(pid, "VmRSS")
		if s, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
			for _, l := range strings.Split(string(s), "\n") {
				if v, ok := strings.CutPrefix(l, "Pss:"); ok {
					k, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
					pss += k
				}
			}
		}
	}
	return rss, pss, len(pids)
}

// healthz samples GET /healthz every 500 ms.
type healthz struct {
	mu      sync.Mutex
	n, bad  int
	max     time.Duration
	slow    int // answers of 1 s or more
	lastBad string
}

func (h *healthz) sample(ctx context.Context, w *world) {
	client := &http.Client{Timeout: 10 * time.Second}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		t := time.Now()
		resp, err := client.Get(w.c.base + "/healthz")
		d := time.Since(t)
		status := "err"
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = strconv.Itoa(resp.StatusCode)
		}
		if ctx.Err() != nil {
			return
		}
		h.mu.Lock()
		h.n++
		h.max = max(h.max, d)
		if d >= time.Second {
			h.slow++
		}
		if status != "200" {
			h.bad++
			h.lastBad = status
			if err != nil {
				h.lastBad = err.Error()
			}
		}
		h.mu.Unlock()
	}
}

func pct(ms []float32, p float64) float32 {
	if len(ms) == 0 {
		return 0
	}
	return ms[min(len(ms)-1, int(p*float64(len(ms))))]
}

// report prints the figures and says whether the run passed.
func (w *world) report(elapsed time.Duration, m *memory, h *healthz, rssAbort bool) bool {
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	labels := make([]string, 0, len(w.st.by))
	for l := range w.st.by {
		labels = append(labels, l)
	}
	slices.SortFunc(labels, func(a, b string) int {
		if ak, bk := strings.HasPrefix(a, "attack"), strings.HasPrefix(b, "attack"); ak != bk {
			if ak {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	fmt.Printf("\n== %s in %.0f s\n", w.c.base, elapsed.Seconds())
	fmt.Printf("%-40s %8s %8s %8s %8s %9s  %s\n", "endpoint", "requests", "p50 ms", "p90 ms", "p99 ms", "max ms", "statuses")
	total, fivexx := 0, 0
	var failing []string
	for _, l := range labels {
		e := w.st.by[l]
		slices.Sort(e.ms)
		codes := make([]string, 0, len(e.status))
		for s := range e.status {
			codes = append(codes, s)
		}
		slices.Sort(codes)
		var parts []string
		for _, s := range codes {
			parts = append(parts, fmt.Sprintf("%s×%d", s, e.status[s]))
			if strings.HasPrefix(s, "5") {
				fivexx += e.status[s]
				failing = append(failing, fmt.Sprintf("%s: %s×%d", l, s, e.status[s]))
			}
		}
		total += len(e.ms)
		fmt.Printf("%-40s %8d %8.1f %8.1f %8.1f %9.1f  %s\n", l, len(e.ms), pct(e.ms, .5), pct(e.ms, .9), pct(e.ms, .99), pct(e.ms, 1), strings.Join(parts, " "))
	}
	fmt.Printf("total: %d requests, %.0f/s, %d with a 5xx\n", total, float64(total)/elapsed.Seconds(), fivexx)
	m.mu.Lock()
	fmt.Printf("tudi RSS: max %d MB (first %d MB, last %d MB)\n", m.tudiMax>>10, m.tudiFirst>>10, m.tudiLast>>10)
	fmt.Printf("PostgreSQL RSS, summed over up to %d processes: max %d MB (first %d MB, last %d MB); Pss sum max %d MB\n",
		m.pgProcsMax, m.pgMax>>10, m.pgFirst>>10, m.pgLast>>10, m.pss>>10)
	m.mu.Unlock()
	h.mu.Lock()
	fmt.Printf("/healthz: %d samples, max %d ms, %d of 1 s or more, %d not 200 %s\n", h.n, h.max.Milliseconds(), h.slow, h.bad, h.lastBad)
	ok := fivexx == 0 && h.slow == 0 && h.bad == 0 && !rssAbort && h.n > 0
	h.mu.Unlock()
	for _, f := range failing {
		fmt.Println("FAIL 5xx:", f)
	}
	if rssAbort {
		fmt.Println("FAIL: tudi's RSS passed -max-rss-mb; the run was stopped")
	}
	if ok {
		fmt.Println("PASS")
	} else {
		fmt.Println("FAIL")
	}
	return ok
}
