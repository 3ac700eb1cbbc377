package tiles

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// entry is one cached tile response: the MVT bytes of all requested layers,
// their gzip form (made once, on the first request that accepts gzip), the
// ETag, and the layer versions the tile was rendered at.
type entry struct {
	key      string
	tile     Tile
	layers   []string
	versions []int64
	raw      []byte
	etag     string

	gzOnce sync.Once
	gz     []byte
}

func newEntry(key string, t Tile, layers []string, versions []int64, raw []byte) *entry {
	sum := sha256.Sum256(raw)
	return &entry{key: key, tile: t, layers: layers, versions: versions, raw: raw,
		etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// gzipped returns the gzip form of the tile, compressing it once.
func (e *entry) gzipped() []byte {
	e.gzOnce.Do(func() {
		var b bytes.Buffer
		// BestSpeed: the cold path matters more than a few percent of bytes.
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
		_, _ = zw.Write(e.raw)
		_ = zw.Close()
		e.gz = b.Bytes()
	})
	return e.gz
}

// size is what an entry counts against the byte budget: both encodings
// (the gzip one is usually made at once) plus bookkeeping.
func (e *entry) size() int64 { return int64(len(e.raw))*3/2 + int64(len(e.key)) + 200 }

// lru is an in-memory least-recently-used tile cache bounded by bytes. It is
// keyed by layers, tile and props only; the versions stored in each entry
// decide whether it may still be served (see Service.lookup), so a change of
// one layer invalidates exactly the tiles it touched.
type lru struct {
	mu     sync.Mutex
	budget int64
	used   int64
	ll     *list.List
	items  map[string]*list.Element
}

func newLRU(budget int64) *lru {
	return &lru{budget: budget, ll: list.New(), items: map[string]*list.Element{}}
}

func (c *lru) get(key string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil
	}
	c.ll.MoveToFront(el)
	return el.Value.(*entry)
}

// put stores e, replacing an entry of the same key, and evicts the least
// recently used entries beyond the budget. An entry larger than the whole
// budget is not stored.
func (c *lru) put(e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.size() > c.budget {
		return
	}
	if el, ok := c.items[e.key]; ok {
		c.used -= el.Value.(*entry).size()
		c.ll.Remove(el)
	}
	c.items[e.key] = c.ll.PushFront(e)
	c.used += e.size()
	for c.used > c.budget {
		last := c.ll.Back()
		old := last.Value.(*entry)
		c.ll.Remove(last)
		delete(c.items, old.key)
		c.used -= old.size()
	}
}

// remove drops the entry of key if it is still e.
func (c *lru) remove(key string, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok && el.Value.(*entry) == e {
		c.ll.Remove(el)
		delete(c.items, key)
		c.used -= e.size()
	}
}

// stats returns the bytes used and the number of entries.
func (c *lru) stats() (int64, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used, len(c.items)
}

// diskCache keeps rendered tiles as files under a directory, named with the
// layer versions, so a file of an older version is never read again; sweep
// removes such files after each change.
// Files are written to a temporary name and renamed, so readers (other
// processes too) never see half a tile.
type diskCache struct{ dir string }

func (d diskCache) path(key string, versions []int64) string {
	name := key
	for _, v := range versions {
		name += "-v" + strconv.FormatInt(v, 10)
	}
	// The key is "layers/z/x/y[.all]": layer names are validated ASCII.
	return filepath.Join(d.dir, filepath.FromSlash(name)+".mvt")
}

func (d diskCache) get(key string, versions []int64) ([]byte, bool) {
	b, err := os.ReadFile(d.path(key, versions))
	return b, err == nil
}

func (d diskCache) put(key string, versions []int64, b []byte) error {
	p := d.path(key, versions)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), p)
}

// sweep removes the files of tiles rendered at a version older than the
// layer's current one (they are never read again) or of a layer that is
// gone, and temporary files left for over an hour by a writer that died.
// Files of a newer version than current (written by a process that has
// heard of a later import) are kept, as are files it does not recognise.
func (d diskCache) sweep(current map[string]int64) (removed int, err error) {
	err = filepath.WalkDir(d.dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if de.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(d.dir, p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(de.Name(), ".tmp-") {
			if fi, err := de.Info(); err == nil && time.Since(fi.ModTime()) > time.Hour && os.Remove(p) == nil {
				removed++
			}
			return nil
		}
		// layers/z/x/y[.all]-vA[-vB…].mvt, one version per layer.
		parts := strings.Split(filepath.ToSlash(rel), "/")
		name, ok := strings.CutSuffix(de.Name(), ".mvt")
		if len(parts) != 4 || !ok {
			return nil
		}
		layers := strings.Split(parts[0], ",")
		vs := strings.Split(name, "-v")[1:]
		if len(vs) != len(layers) {
			return nil
		}
		for i, l := range layers {
			v, err := strconv.ParseInt(vs[i], 10, 64)
			if err != nil {
				return nil
			}
			if cur, ok := current[l]; !ok || v < cur {
				if os.Remove(p) == nil {
					removed++
				}
				return nil
			}
		}
		return nil
	})
	return removed, err
}
