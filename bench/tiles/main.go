// Command tiles is tudi's tile load generator: it builds a fixed list of
// tiles over an extent (the same list for every server, from a seed) and
// requests it with N concurrent clients, bounded in requests and time,
// against loopback servers only. It prints tiles/s, p50, p99 and the p99 of
// every zoom.
//
//	go run ./bench/tiles list -bbox minlon,minlat,maxlon,maxlat -n 3000 > tiles.txt
//	go run ./bench/tiles run -url 'http://127.0.0.1:8080/tiles/parcels/{z}/{x}/{y}.mvt' -tiles tiles.txt -c 8 -label "tudi cold"
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tiles list|run [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "list":
		err = list(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tiles:", err)
		os.Exit(1)
	}
}

// share is the fraction of the list per zoom, z8 to z16: like a map user's
// requests, most tiles are deep zooms, but every low zoom is there.
var share = map[int]float64{8: 0, 9: 0, 10: 0, 11: 0.01, 12: 0.03, 13: 0.08, 14: 0.18, 15: 0.30, 16: 0.40}

// list writes the tile list: every tile of z8–z10 over the bbox, then a
// seeded random sample of the deeper zooms in proportion to share.
func list(args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	bbox := fs.String("bbox", "", "minlon,minlat,maxlon,maxlat")
	n := fs.Int("n", 3000, "number of tiles")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var v [4]float64
	parts := strings.Split(*bbox, ",")
	if len(parts) != 4 {
		return errors.New("-bbox minlon,minlat,maxlon,maxlat is required")
	}
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return fmt.Errorf("-bbox: %w", err)
		}
		v[i] = f
	}
	b := orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}
	rng := rand.New(rand.NewPCG(*seed, 7))
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	count := 0
	for z := 8; z <= 16; z++ {
		tl := maptile.At(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z))
		br := maptile.At(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
		all := int(br.X-tl.X+1) * int(br.Y-tl.Y+1)
		want := int(share[z] * float64(*n))
		if z <= 10 || want >= all {
			want = all
		}
		if z == 16 {
			want = max(*n-count, 0)
		}
		seen := map[[2]uint32]bool{}
		for len(seen) < min(want, all) {
			x := tl.X + uint32(rng.IntN(int(br.X-tl.X+1)))
			y := tl.Y + uint32(rng.IntN(int(br.Y-tl.Y+1)))
			if seen[[2]uint32{x, y}] {
				continue
			}
			seen[[2]uint32{x, y}] = true
			fmt.Fprintf(w, "%d/%d/%d\n", z, x, y)
			count++
		}
	}
	return nil
}

type result struct {
	z      int
	d      time.Duration
	status int
	bytes  int64
	err    error
}

// run requests every tile of the list once with c clients.
func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	tmpl := fs.String("url", "", "URL template with {z}, {x}, {y}; loopback hosts only")
	file := fs.String("tiles", "", "tile list (z/x/y per line)")
	c := fs.Int("c", 8, "concurrent clients")
	limit := fs.Duration("timeout", 15*time.Minute, "stop the run after this long")
	reqTimeout := fs.Duration("request-timeout", 3*time.Minute, "limit of one request")
	maxReq := fs.Int("max", 10000, "at most this many tiles of the list")
	repeat := fs.Int("repeat", 1, "request the list this many times (a warm pass of a few thousand cached tiles is over too quickly to measure once)")
	label := fs.String("label", "", "name of the run in the output")
	jsonOut := fs.String("json", "", "append the summary as a JSON line to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0").Replace(*tmpl))
	if err != nil || u.Host == "" {
		return fmt.Errorf("-url %q: not a URL", *tmpl)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); !(host == "localhost" || (ip != nil && ip.IsLoopback())) {
		return fmt.Errorf("-url %q: only loopback servers may be loaded", *tmpl)
	}
	b, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	var tiles [][3]int
	for line := range strings.Lines(string(b)) {
		var z, x, y int
		if _, err := fmt.Sscanf(strings.TrimSpace(line), "%d/%d/%d", &z, &x, &y); err == nil {
			tiles = append(tiles, [3]int{z, x, y})
		}
	}
	if len(tiles) > *maxReq {
		tiles = tiles[:*maxReq]
	}
	// URLs are made before the clock starts, so the client spends as little
	// as it can per request and the run measures the server.
	type job struct {
		z   int
		url string
	}
	var jobList []job
	for range max(*repeat, 1) {
		for _, t := range tiles {
			u := strings.NewReplacer("{z}", strconv.Itoa(t[0]), "{x}", strconv.Itoa(t[1]), "{y}", strconv.Itoa(t[2])).Replace(*tmpl)
			jobList = append(jobList, job{t[0], u})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *c, DisableCompression: false}, Timeout: *reqTimeout}
	jobs := make(chan job)
	results := make(chan result, len(jobList))
	var wg sync.WaitGroup
	start := time.Now()
	for range *c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				t0 := time.Now()
				res, err := client.Do(req)
				r := result{z: j.z}
				if err == nil {
					r.bytes, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					r.status = res.StatusCode
				}
				r.d, r.err = time.Since(t0), err
				results <- r
			}
		}()
	}
feed:
	for _, j := range jobList {
		select {
		case jobs <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	close(results)
	var all []result
	for r := range results {
		all = append(all, r)
	}
	return report(*label, all, elapsed, *jsonOut)
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds))*p+0.999999) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func report(label string, rs []result, elapsed time.Duration, jsonOut string) error {
	var ds []time.Duration
	byZoom := map[int][]time.Duration{}
	bytesByZoom := map[int]int64{}
	maxBytes := map[int]int64{}
	errs, bad := 0, 0
	var total int64
	for _, r := range rs {
		if r.err != nil {
			errs++
			continue
		}
		if r.status != 200 && r.status != 204 {
			bad++
		}
		ds = append(ds, r.d)
		byZoom[r.z] = append(byZoom[r.z], r.d)
		bytesByZoom[r.z] += r.bytes
		maxBytes[r.z] = max(maxBytes[r.z], r.bytes)
		total += r.bytes
	}
	rate := float64(len(ds)) / elapsed.Seconds()
	fmt.Printf("%s: %d tiles in %.1f s = %.1f tiles/s, p50 %.1f ms, p99 %.1f ms, %d errors, %d non-2xx, %.1f MB\n",
		label, len(ds), elapsed.Seconds(), rate, ms(pct(ds, .5)), ms(pct(ds, .99)), errs, bad, float64(total)/1e6)
	worstZ, worst := 0, time.Duration(0)
	zs := make([]int, 0, len(byZoom))
	for z := range byZoom {
		zs = append(zs, z)
	}
	slices.Sort(zs)
	perZoom := map[string]any{}
	for _, z := range zs {
		d := byZoom[z]
		p99 := pct(d, .99)
		if p99 > worst {
			worst, worstZ = p99, z
		}
		fmt.Printf("  z%-2d %5d tiles  p50 %8.1f ms  p99 %8.1f ms  max tile %8.1f KB (as sent)\n", z, len(d), ms(pct(d, .5)), ms(p99), float64(maxBytes[z])/1e3)
		perZoom["z"+strconv.Itoa(z)] = map[string]any{"n": len(d), "p50_ms": ms(pct(d, .5)), "p99_ms": ms(p99), "max_kb": float64(maxBytes[z]) / 1e3}
	}
	fmt.Printf("  worst zoom p99: z%d %.1f ms\n", worstZ, ms(worst))
	if jsonOut != "" {
		f, err := os.OpenFile(jsonOut, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		return json.NewEncoder(f).Encode(map[string]any{"label": label, "tiles": len(ds), "seconds": elapsed.Seconds(),
			"tiles_per_s": rate, "p50_ms": ms(pct(ds, .5)), "p99_ms": ms(pct(ds, .99)), "errors": errs, "non_2xx": bad,
			"worst_zoom": worstZ, "worst_zoom_p99_ms": ms(worst), "zooms": perZoom})
	}
	return nil
}
