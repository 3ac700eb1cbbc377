package tiles

import (
	"sync"

	"github.com/paulmach/orb"

	"tudi/postgis"
)

// maxLoggedChanges bounds the changes remembered per layer.
const maxLoggedChanges = 1024

// changeLog remembers the changes this process has heard of (version →
// touched lon/lat extent, per layer), so a cached tile rendered at an older
// version can be proven untouched and kept: an import then invalidates
// exactly the tiles of its extent. A version never heard of proves nothing,
// so the tile is rendered again; after a listener reconnect the log is
// cleared, since notifications may have been missed meanwhile.
type changeLog struct {
	mu      sync.Mutex
	byLayer map[string]map[int64]*orb.Bound // nil bound: the whole layer
}

func newChangeLog() *changeLog { return &changeLog{byLayer: map[string]map[int64]*orb.Bound{}} }

func (c *changeLog) record(ch postgis.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.byLayer[ch.Layer]
	if m == nil {
		m = map[int64]*orb.Bound{}
		c.byLayer[ch.Layer] = m
	}
	var b *orb.Bound
	if len(ch.BBox) == 4 {
		b = &orb.Bound{Min: orb.Point{ch.BBox[0], ch.BBox[1]}, Max: orb.Point{ch.BBox[2], ch.BBox[3]}}
	}
	m[ch.Version] = b
	if len(m) > maxLoggedChanges {
		for v := range m {
			if v <= ch.Version-maxLoggedChanges {
				delete(m, v)
			}
		}
	}
}

func (c *changeLog) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byLayer = map[string]map[int64]*orb.Bound{}
}

// untouched reports whether every change of layer after version from up to
// version to is known and lies outside b.
func (c *changeLog) untouched(layer string, from, to int64, b orb.Bound) bool {
	if to <= from || to-from > maxLoggedChanges {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.byLayer[layer]
	for v := from + 1; v <= to; v++ {
		cb, ok := m[v]
		if !ok || cb == nil || cb.Intersects(b) {
			return false
		}
	}
	return true
}
