package tiles

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// tileEntry returns an entry of n bytes of incompressible data (so that
// every entry weighs about the same once gzipped).
func tileEntry(key string, n int, seed uint64) *entry {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return &entry{key: key, gz: b, rawLen: n}
}

func TestTheMemoryCacheKeepsToItsByteBudget(t *testing.T) {
	t.Parallel()
	one := tileEntry("k0", 1000, 0).size()
	c := newMemCache(100*one, true)
	for i := range 500 {
		c.put(tileEntry(fmt.Sprint("k", i), 1000, uint64(i)))
	}
	c.c.CleanUp()
	used, n := c.stats()
	if n > 100 || n < 50 || used > 100*one {
		t.Fatalf("%d entries, %d bytes, want at most 100 within %d", n, used, 100*one)
	}
	c.put(tileEntry("huge", 200*int(one), 1))
	c.c.CleanUp()
	if c.get("huge") != nil {
		t.Fatal("an entry larger than the budget was stored")
	}
	// remove drops an entry only if it is still the one given.
	c = newMemCache(100*one, true)
	e := tileEntry("k", 1000, 1)
	c.put(e)
	c.remove("k", tileEntry("k", 1000, 1))
	if c.get("k") != e {
		t.Fatal("remove dropped an entry it was not given")
	}
	c.remove("k", e)
	if c.get("k") != nil {
		t.Fatal("remove kept the entry")
	}
}

// A hot set of tiles asked for again and again stays cached through scans
// of more tiles than the budget holds between two requests of the hot ones
// (a crawler, a bulk download), where least-recently-used eviction keeps
// nothing of it.
func TestTheMemoryCacheKeepsAHotSetThroughScans(t *testing.T) {
	t.Parallel()
	one := tileEntry("x", 1000, 0).size()
	c := newMemCache(200*one, true)
	request := func(key string) bool {
		if c.get(key) != nil {
			return true
		}
		c.put(tileEntry(key, 1000, uint64(len(key))))
		return false
	}
	hot := make([]string, 50)
	for i := range hot {
		hot[i] = fmt.Sprint("hot/", i)
	}
	hotHits := func() (hits int) {
		c.c.CleanUp()
		for _, k := range hot {
			if request(k) {
				hits++
			}
		}
		return hits
	}
	hotHits()
	hotHits()
	scan := 0
	for round := range 8 {
		// 300 tiles never asked for before, more than the budget holds,
		// then the hot set again.
		for range 300 {
			request(fmt.Sprint("scan/", scan))
			scan++
		}
		if h := hotHits(); h < len(hot)*9/10 {
			t.Fatalf("round %d: %d of %d hot tiles still cached after a scan of 300 new tiles through a budget of 200", round, h, len(hot))
		}
	}
}

// A list twice the budget asked for over and over: after the first passes,
// part of it is served from memory every pass (with LRU: never, each tile is
// evicted before it comes round again).
func TestARepeatedListTwiceTheBudgetIsPartlyServedFromMemory(t *testing.T) {
	t.Parallel()
	one := tileEntry("x", 1000, 0).size()
	c := newMemCache(100*one, true)
	pass := func() (hits int) {
		for i := range 200 {
			k := fmt.Sprint("list/", i)
			if c.get(k) != nil {
				hits++
			} else {
				c.put(tileEntry(k, 1000, uint64(i)))
			}
			c.c.CleanUp()
		}
		return hits
	}
	// W-TinyLFU adapts its window to the pattern: how many passes that
	// takes varies (its sketch is seeded), so the last passes are judged.
	var hits []int
	for range 12 {
		hits = append(hits, pass())
	}
	t.Logf("hits per pass: %v", hits)
	for p, h := range hits[len(hits)-4:] {
		if h < 30 {
			t.Fatalf("pass %d: %d of 200 tiles from memory, want at least 30 (the budget holds 100); passes: %v", len(hits)-3+p, h, hits)
		}
	}
}

func TestOneEncodingIsKept(t *testing.T) {
	t.Parallel()
	raw := bytes.Repeat([]byte("parcel 0101 水田; "), 2000)
	e := newEntry("k", Tile{}, nil, nil, raw)
	if !isGzip(e.gz) || len(e.gz) >= len(raw)/4 || e.rawLen != len(raw) {
		t.Fatalf("gzip %d bytes of %d (rawLen %d)", len(e.gz), len(raw), e.rawLen)
	}
	got, err := e.raw()
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("decompressed: %v", err)
	}
	// From the disk (gzip bytes only): the same ETag and length.
	d := newGzipEntry("k", Tile{}, nil, nil, e.gz)
	if d.etag != e.etag || d.rawLen != len(raw) || e.etag == "" {
		t.Fatalf("etag %s / %s, length %d", d.etag, e.etag, d.rawLen)
	}
	// Compressing is deterministic: the same ETag on every server.
	if again := newEntry("k", Tile{}, nil, nil, raw); again.etag != e.etag || !bytes.Equal(again.gz, e.gz) {
		t.Fatal("two compressions of one tile differ")
	}
	if empty := newEntry("k", Tile{}, nil, nil, nil); !empty.empty() || empty.etag != "" {
		t.Fatal("an empty tile has bytes")
	}
}

func TestTheDiskCacheKeepsToItsLimitDroppingTheLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	d := &diskCache{dir: t.TempDir(), max: 20 * (1000 + diskOverhead)}
	gz := bytes.Repeat([]byte{7}, 1000)
	full := false
	old := time.Now().Add(-time.Hour)
	for i := range 30 {
		f, err := d.put(fmt.Sprintf("parcels/14/%d/1", i), []int64{3}, gz)
		if err != nil {
			t.Fatal(err)
		}
		full = full || f
		// Files 0–9 were written long ago, the rest in order after them.
		p := d.path(fmt.Sprintf("parcels/14/%d/1", i), []int64{3})
		if err := os.Chtimes(p, old.Add(time.Duration(i)*time.Second), old.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if !full {
		t.Fatal("30 files over a limit of 20 were not reported as full")
	}
	// Reading tile 0 makes it the most recently used.
	if _, ok := d.get("parcels/14/0/1", []int64{3}); !ok {
		t.Fatal("tile 0 not on disk")
	}
	// An outdated version and a file of the old uncompressed format go first.
	if _, err := d.put("parcels/14/99/1", []int64{2}, gz); err != nil {
		t.Fatal(err)
	}
	legacy := filepath.Join(d.dir, "parcels", "14", "29", "1-v3.mvt")
	if err := os.WriteFile(legacy, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := d.clean(map[string]int64{"parcels": 3})
	if err != nil {
		t.Fatal(err)
	}
	if c.stale != 2 || c.bytes > d.max*9/10 || c.trimmed != 30-int(d.max*9/10/(1000+diskOverhead)) {
		t.Fatalf("clean: %+v, limit %d", c, d.max)
	}
	if _, ok := d.get("parcels/14/0/1", []int64{3}); !ok {
		t.Fatal("the most recently read tile was removed")
	}
	for i := 1; i <= c.trimmed; i++ {
		if _, ok := d.get(fmt.Sprintf("parcels/14/%d/1", i), []int64{3}); ok {
			t.Fatalf("tile %d, among the least recently used, was kept", i)
		}
	}
	if _, ok := d.get("parcels/14/29/1", []int64{3}); !ok {
		t.Fatal("the newest tile was removed")
	}
	if d.used.Load() != c.bytes {
		t.Fatalf("used %d after clean, want %d", d.used.Load(), c.bytes)
	}
}

func TestDefaultBudgetsFollowTheMachine(t *testing.T) {
	t.Parallel()
	mem := machineMemory()
	if mem <= 0 {
		t.Fatal("cannot read this machine's memory")
	}
	b := DefaultCacheBytes()
	if want := min(max(mem/MemoryShare, MinCacheBytes), MaxCacheBytes); b != want {
		t.Fatalf("memory budget %d, want %d of %d bytes of memory", b, want, mem)
	}
	dir := filepath.Join(t.TempDir(), "not", "yet")
	if d := DefaultDiskBytes(dir); d < MinDiskBytes || d > MaxDiskBytes {
		t.Fatalf("disk limit %d", d)
	}
}
