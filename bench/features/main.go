// Command features is tudi's OGC API Features load generator: six lists of
// requests (the same for every server, from a seed) over a parcels layer,
// each requested by N concurrent clients against loopback servers, one
// server right after the other, for a number of rounds. It prints a table
// of requests per second and the ratios of the first server to the others.
//
//	features -points points.txt -ids ids.txt -n 400 -c 8 -rounds 2 -props code,…,area_m2 \
//	    -server 'tudi=http://127.0.0.1:8080/ogc/collections/parcels' \
//	    -server 'pg_featureserv=pgfs:http://127.0.0.1:9000/collections/layers.parcels' \
//	    -pid tudi=1234 -pid pg_featureserv=5678
//
// points.txt holds "lon lat" lines (points on features, where bboxes are
// centred), ids.txt feature ids. A server URL prefixed with "pgfs:" is
// spoken to as pg_featureserv (items.json, its property list -props); both
// are asked for the same properties (the canonical fields and area_m2) with
// Accept-Encoding: gzip, as QGIS sends.
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

type server struct {
	label string
	base  string
	pgfs  bool
	// props lists the properties pg_featureserv is asked for: tudi's
	// default answer (the canonical fields and area_m2, without the source
	// copy), which tudi gives unasked.
	props string
}

// shape is one list of requests.
type shape struct {
	name  string
	pages int // requests per unit (following next links)
	units []unit
}

// unit is one request, or the first of a run of pages.
type unit struct {
	bbox   *[4]float64
	limit  int
	filter string // landuse_code value
	id     int64
}

func (s server) url(u unit) string {
	q := url.Values{}
	if u.id != 0 {
		if s.pgfs {
			return s.base + "/items/" + strconv.FormatInt(u.id, 10) + ".json"
		}
		return s.base + "/items/" + strconv.FormatInt(u.id, 10)
	}
	q.Set("limit", strconv.Itoa(u.limit))
	if u.bbox != nil {
		b := u.bbox
		q.Set("bbox", fmt.Sprintf("%.6f,%.6f,%.6f,%.6f", b[0], b[1], b[2], b[3]))
	}
	if u.filter != "" {
		q.Set("landuse_code", u.filter)
	}
	if s.pgfs {
		// With its id, which it leaves out of a feature when not listed.
		q.Set("properties", "id,"+s.props)
		return s.base + "/items.json?" + q.Encode()
	}
	return s.base + "/items?" + q.Encode()
}

type result struct {
	d     time.Duration
	bytes int64 // on the wire
	err   error
}

type runStats struct {
	rps                float64
	p50, p99           time.Duration
	bytes              float64 // mean per request, on the wire
	errs               int
	returned, distinct int // paging shapes: features returned and distinct
	matched, pages     int // paging shapes: pages with numberMatched, of all pages
}

func main() {
	var (
		pointsFile = flag.String("points", "", "file of `lon lat` lines where bboxes are centred")
		idsFile    = flag.String("ids", "", "file of feature ids")
		n          = flag.Int("n", 400, "requests per list")
		c          = flag.Int("c", 8, "concurrent clients")
		rounds     = flag.Int("rounds", 2, "rounds over every list and server")
		seed       = flag.Uint64("seed", 19, "seed of the lists")
		code       = flag.String("code", "0101", "landuse_code of the filtered lists")
		props      = flag.String("props", "", "comma-separated properties pg_featureserv is asked for: the layer's canonical fields and area_m2, as tudi answers by default")
		servers    multi
		pids       multi
	)
	flag.Var(&servers, "server", "label=URL of a collection (prefix the URL with pgfs: for pg_featureserv); the first is compared with the others")
	flag.Var(&pids, "pid", "label=pid of a server process, for its peak memory")
	flag.Parse()
	if err := run(*pointsFile, *idsFile, *n, *c, *rounds, *seed, *code, *props, servers, pids); err != nil {
		fmt.Fprintln(os.Stderr, "features:", err)
		os.Exit(1)
	}
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func run(pointsFile, idsFile string, n, c, rounds int, seed uint64, code, props string, serverArgs, pidArgs multi) error {
	if len(serverArgs) < 2 {
		return errors.New("give at least two -server")
	}
	if props == "" {
		return errors.New("give -props: the properties tudi answers by default")
	}
	var servers []server
	for _, a := range serverArgs {
		label, u, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("-server %q: want label=URL", a)
		}
		s := server{label: label, base: u, props: props}
		if rest, ok := strings.CutPrefix(u, "pgfs:"); ok {
			s.base, s.pgfs = rest, true
		}
		if h, err := url.Parse(s.base); err != nil || !isLoopback(h.Hostname()) {
			return fmt.Errorf("-server %q: loopback URLs only", a)
		}
		servers = append(servers, s)
	}
	points, err := readPoints(pointsFile)
	if err != nil {
		return err
	}
	ids, err := readIDs(idsFile)
	if err != nil {
		return err
	}
	shapes := makeShapes(points, ids, n, seed, code)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c, DisableCompression: true}, Timeout: 5 * time.Minute}
	// stats[shape][server] over the rounds
	stats := make([][][]runStats, len(shapes))
	for i := range stats {
		stats[i] = make([][]runStats, len(servers))
	}
	for round := 0; round < rounds; round++ {
		for si, sh := range shapes {
			order := make([]int, len(servers))
			for i := range order {
				order[i] = i
			}
			if round%2 == 1 {
				slices.Reverse(order)
			}
			for _, vi := range order {
				st := runShape(client, servers[vi], sh, c)
				stats[si][vi] = append(stats[si][vi], st)
				fmt.Fprintf(os.Stderr, "round %d  %-44s %-26s %7.1f req/s  p50 %6.1f ms  p99 %7.1f ms  %7.0f B/req  errors %d",
					round+1, sh.name, servers[vi].label, st.rps, ms(st.p50), ms(st.p99), st.bytes, st.errs)
				if sh.pages > 1 {
					fmt.Fprintf(os.Stderr, "  distinct %d of %d returned, numberMatched on %d of %d pages", st.distinct, st.returned, st.matched, st.pages)
				}
				fmt.Fprintln(os.Stderr)
			}
		}
	}
	printTable(shapes, servers, stats, rounds)
	for _, p := range pidArgs {
		label, pid, _ := strings.Cut(p, "=")
		fmt.Printf("peak memory (VmHWM) of %s: %s\n", label, peakRSS(pid))
	}
	return nil
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

func readPoints(file string) ([][2]float64, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][2]float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 2 {
			continue
		}
		x, err1 := strconv.ParseFloat(fs[0], 64)
		y, err2 := strconv.ParseFloat(fs[1], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s: bad line %q", file, sc.Text())
		}
		out = append(out, [2]float64{x, y})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no points", file)
	}
	return out, sc.Err()
}

func readIDs(file string) ([]int64, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, f := range strings.Fields(string(b)) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: bad id %q", file, f)
		}
		out = append(out, id)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no ids", file)
	}
	return out, nil
}

// box returns a bbox of about size metres around p.
func box(p [2]float64, size float64) *[4]float64 {
	dy := size / 2 / 111320
	dx := dy / math.Cos(p[1]*math.Pi/180)
	return &[4]float64{p[0] - dx, p[1] - dy, p[0] + dx, p[1] + dy}
}

func makeShapes(points [][2]float64, ids []int64, n int, seed uint64, code string) []shape {
	rng := rand.New(rand.NewPCG(seed, 19))
	pt := func() [2]float64 { return points[rng.IntN(len(points))] }
	list := func(name string, pages int, k int, mk func() unit) shape {
		s := shape{name: name, pages: pages}
		for i := 0; i < k; i++ {
			s.units = append(s.units, mk())
		}
		return s
	}
	return []shape{
		list("~300 m bbox, limit 100", 1, n, func() unit { return unit{bbox: box(pt(), 300), limit: 100} }),
		list("~2 km bbox, limit 1000", 1, n, func() unit { return unit{bbox: box(pt(), 2000), limit: 1000} }),
		list("5 pages of 1000 in a ~5 km bbox", 5, n/5, func() unit { return unit{bbox: box(pt(), 5000), limit: 1000} }),
		list("landuse_code="+code+" in a ~2 km bbox, limit 100", 1, n, func() unit { return unit{bbox: box(pt(), 2000), limit: 100, filter: code} }),
		list("landuse_code="+code+" alone, limit 100", 1, n, func() unit { return unit{limit: 100, filter: code} }),
		list("one feature by id", 1, n, func() unit { return unit{id: ids[rng.IntN(len(ids))]} }),
	}
}

type page struct {
	Features []struct {
		ID json.RawMessage `json:"id"`
	} `json:"features"`
	NumberMatched *int64 `json:"numberMatched"`
	Links         []struct {
		Href string `json:"href"`
		Rel  string `json:"rel"`
	} `json:"links"`
}

// runShape requests every unit of sh with c clients and returns its stats.
func runShape(client *http.Client, s server, sh shape, c int) runStats {
	var (
		mu      sync.Mutex
		results []result
		st      runStats
		next    = 0
		wg      sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next == len(sh.units) {
					mu.Unlock()
					return
				}
				u := sh.units[next]
				next++
				mu.Unlock()
				href := s.url(u)
				seen := map[string]bool{}
				for p := 0; p < sh.pages && href != ""; p++ {
					if p > 0 && s.pgfs {
						// pg_featureserv 1.3 gives no next link: its pages are
						// offsets, as a client pages it.
						href = s.url(u) + "&offset=" + strconv.Itoa(p*u.limit)
					}
					r, pg := get(client, href)
					mu.Lock()
					results = append(results, r)
					mu.Unlock()
					if r.err != nil || pg == nil {
						break
					}
					href = ""
					if sh.pages > 1 {
						mu.Lock()
						for _, f := range pg.Features {
							st.returned++
							seen[string(f.ID)] = true
						}
						st.pages++
						if pg.NumberMatched != nil {
							st.matched++
						}
						mu.Unlock()
						for _, l := range pg.Links {
							if l.Rel == "next" {
								href = l.Href
							}
						}
						if s.pgfs && len(pg.Features) == u.limit {
							href = "offset" // replaced above
						}
					}
				}
				mu.Lock()
				st.distinct += len(seen)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var ds []time.Duration
	var bytes int64
	for _, r := range results {
		if r.err != nil {
			st.errs++
			continue
		}
		ds = append(ds, r.d)
		bytes += r.bytes
	}
	slices.Sort(ds)
	st.rps = float64(len(results)) / elapsed.Seconds()
	st.p50, st.p99 = pct(ds, 0.5), pct(ds, 0.99)
	if len(ds) > 0 {
		st.bytes = float64(bytes) / float64(len(ds))
	}
	return st
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func get(client *http.Client, href string) (result, *page) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, href, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	t := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return result{err: err}, nil
	}
	defer resp.Body.Close()
	cr := &countingReader{r: resp.Body}
	var body io.Reader = cr
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(cr)
		if err != nil {
			return result{err: err}, nil
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	d := time.Since(t)
	if err != nil {
		return result{err: err}, nil
	}
	if resp.StatusCode != http.StatusOK {
		return result{err: fmt.Errorf("%s: %s: %.200s", href, resp.Status, b)}, nil
	}
	var pg page
	if err := json.Unmarshal(b, &pg); err != nil {
		return result{err: fmt.Errorf("%s: %w", href, err)}, nil
	}
	return result{d: d, bytes: cr.n}, &pg
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, int(float64(len(ds))*p))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// printTable prints, per list, the first server's requests per second over
// each other's (the range over the rounds), and the p50s.
func printTable(shapes []shape, servers []server, stats [][][]runStats, rounds int) {
	fmt.Printf("\nRatios are %s ÷ the other server in requests per second (one figure per round; %d rounds).\n\n", servers[0].label, rounds)
	head := "| requests |"
	sep := "|---|"
	for _, s := range servers[1:] {
		head += " vs " + s.label + " |"
		sep += "---|"
	}
	for _, s := range servers {
		head += " " + s.label + " req/s, p50 |"
		sep += "---|"
	}
	head += " bytes/request |"
	sep += "---|"
	fmt.Println(head)
	fmt.Println(sep)
	for si, sh := range shapes {
		line := "| " + sh.name + " |"
		for vi := 1; vi < len(servers); vi++ {
			var rs []string
			for r := 0; r < rounds && r < len(stats[si][vi]); r++ {
				rs = append(rs, fmt.Sprintf("%.2f×", stats[si][0][r].rps/stats[si][vi][r].rps))
			}
			line += " " + strings.Join(rs, ", ") + " |"
		}
		for vi := range servers {
			var rps, p50 float64
			for _, st := range stats[si][vi] {
				rps += st.rps
				p50 += ms(st.p50)
			}
			k := float64(len(stats[si][vi]))
			line += fmt.Sprintf(" %.0f, %.1f ms |", rps/k, p50/k)
		}
		var bs []string
		for vi := range servers {
			bs = append(bs, fmt.Sprintf("%.0f", stats[si][vi][0].bytes))
		}
		line += " " + strings.Join(bs, " / ") + " |"
		fmt.Println(line)
	}
	for si, sh := range shapes {
		if sh.pages == 1 {
			continue
		}
		for vi, s := range servers {
			st := stats[si][vi][0]
			fmt.Printf("\n%s, %s: %d distinct of %d features returned over %d runs of up to %d pages; numberMatched on %d of %d pages; errors %d",
				sh.name, s.label, st.distinct, st.returned, len(sh.units), sh.pages, st.matched, st.pages, st.errs)
		}
		fmt.Println()
	}
	errs := 0
	for si := range stats {
		for vi := range stats[si] {
			for _, st := range stats[si][vi] {
				errs += st.errs
			}
		}
	}
	fmt.Printf("errors: %d\n", errs)
}

func peakRSS(pid string) string {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
