package ogc

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/postgis"
)

// Sizes of the match cache.
const (
	// maxListedIDs bounds the ids kept for one query: a query that matches
	// more is paged by key set and only its count is kept.
	maxListedIDs = 20000
	// matchCacheBytes bounds the memory of all entries (8 bytes an id).
	matchCacheBytes = 24 << 20
	// countWait is how long a page waits for a count that is not known
	// yet; past it the page goes without numberMatched, and the count,
	// still running, serves the pages after it.
	countWait = 150 * time.Millisecond
	// countTimeout bounds one count in the background.
	countTimeout = 2 * time.Minute
	// maxCounting bounds the counts running in the background at once.
	maxCounting = 2
)

// matchKey identifies a query's matches: the layer, its registry version
// (read in the snapshot that the page reads), and the normalised query —
// its conditions as SQL with their bound values, and its order. Every
// change of a layer's features bumps its version in the same transaction
// (postgis.RefreshLayer) and announces it (postgis.NotifyChange), so an
// entry is exact for as long as its version is current, and is never used
// after: a newer version is another key.
type matchKey struct {
	layer   string
	version int64
	query   string
}

// matchEntry is what is known of one query at one layer version.
type matchEntry struct {
	key   matchKey
	count int64   // features matching; -1 while unknown
	ids   []int64 // every matching id in page order, when at most maxListedIDs; else nil
	// done is closed once count is known (or its computation has failed).
	done chan struct{}
	elem *list.Element
}

// matchCache remembers, per (layer version, normalised query), the count
// of matching features and — when few enough — their ids in page order.
// numberMatched is then computed once per query and version rather than on
// every page, and a page after the first reads its limit rows by primary
// key instead of the whole query's rows.
type matchCache struct {
	mu       sync.Mutex
	entries  map[matchKey]*matchEntry
	lru      *list.List // front: most recently used
	bytes    int64
	newest   map[string]int64 // newest version seen per layer
	counting chan struct{}    // semaphore of background counts
	listed   int              // ids kept per query at most (maxListedIDs)
}

func newMatchCache(listed int) *matchCache {
	if listed <= 0 {
		listed = maxListedIDs
	}
	return &matchCache{entries: map[matchKey]*matchEntry{}, lru: list.New(), newest: map[string]int64{},
		counting: make(chan struct{}, maxCounting), listed: listed}
}

func entryBytes(e *matchEntry) int64 { return 128 + int64(len(e.key.query)) + 8*int64(len(e.ids)) }

// seen records that layer is at version: entries of older versions can
// never be used again and are dropped.
func (c *matchCache) seen(layer string, version int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version <= c.newest[layer] {
		return
	}
	c.newest[layer] = version
	for k, e := range c.entries {
		if k.layer == layer && k.version < version {
			c.removeLocked(e)
		}
	}
}

// newestVersion returns the newest version of layer seen, 0 if none.
func (c *matchCache) newestVersion(layer string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.newest[layer]
}

func (c *matchCache) removeLocked(e *matchEntry) {
	if e.elem == nil {
		return
	}
	c.lru.Remove(e.elem)
	e.elem = nil
	delete(c.entries, e.key)
	c.bytes -= entryBytes(e)
}

// get returns the entry of k, or nil.
func (c *matchCache) get(k matchKey) *matchEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[k]
	if e != nil {
		c.lru.MoveToFront(e.elem)
	}
	return e
}

// put stores e (replacing an entry of the same key) unless its version is
// already outdated, and evicts the least recently used entries over the
// size bound.
func (c *matchCache) put(e *matchEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(e)
}

func (c *matchCache) putLocked(e *matchEntry) {
	if e.key.version < c.newest[e.key.layer] {
		return
	}
	if old := c.entries[e.key]; old != nil {
		c.removeLocked(old)
	}
	e.elem = c.lru.PushFront(e)
	c.entries[e.key] = e
	c.bytes += entryBytes(e)
	for c.bytes > matchCacheBytes && c.lru.Len() > 1 {
		c.removeLocked(c.lru.Back().Value.(*matchEntry))
	}
}

// normalisedQuery is the cache key of a query's matches: conditions and
// order as SQL, the values bound to them as JSON. Two requests that differ
// only in limit, cursor, crs, properties or the order of their parameters
// share it.
func (iq *itemsQuery) normalisedQuery() (string, error) {
	a, err := json.Marshal(iq.args.v)
	if err != nil {
		return "", fmt.Errorf("matches: %w", err)
	}
	return iq.whereSQL() + "\x00" + string(a) + "\x00" + orderBy(iq.sort, false), nil
}

// listMatches reads the ids of the features matching iq in page order, at
// most max; complete reports that they are all.
func (iq *itemsQuery) listMatches(ctx context.Context, tx pgx.Tx, table string, max int) (ids []int64, complete bool, err error) {
	q := "SELECT t.id FROM " + table + " t WHERE " + iq.whereSQL() + " ORDER BY " + orderBy(iq.sort, false) +
		" LIMIT " + strconv.Itoa(max+1)
	rows, err := tx.Query(ctx, q, iq.args.v...)
	if err != nil {
		return nil, false, fmt.Errorf("matching ids: %w", postgis.Err(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, false, fmt.Errorf("matching ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("matching ids: %w", postgis.Err(err))
	}
	if len(ids) > max {
		return nil, false, nil
	}
	if ids == nil {
		ids = []int64{}
	}
	return ids, true, nil
}

// countLater counts the features matching iq in the background, in a
// snapshot of its own, and keeps the count under the layer version read in
// that snapshot (so it is exact for that version, whichever it is). Only
// one count runs per key, and at most maxCounting at once; a request that
// finds the semaphore full goes without. The returned entry's done is
// closed when the count is known or has failed.
func (s *Service) countLater(k matchKey, table string, iq *itemsQuery) *matchEntry {
	e := &matchEntry{key: k, count: -1, done: make(chan struct{})}
	c := s.matches
	c.mu.Lock()
	if old := c.entries[k]; old != nil {
		c.mu.Unlock()
		return old
	}
	select {
	case c.counting <- struct{}{}:
	default:
		c.mu.Unlock()
		close(e.done)
		return e // too many counts running: this page goes without
	}
	c.putLocked(e)
	c.mu.Unlock()
	where, args := iq.whereSQL(), iq.args.v
	go func() {
		defer func() { <-c.counting }()
		defer close(e.done)
		ctx, cancel := context.WithTimeout(context.Background(), countTimeout)
		defer cancel()
		n, version, err := s.countIn(ctx, k.layer, table, where, args)
		if err != nil {
			s.log.Warn("counting matches of an items query", "layer", k.layer, "error", err.Error())
			c.mu.Lock()
			c.removeLocked(e) // let a later request try again
			c.mu.Unlock()
			return
		}
		if version == k.version {
			c.mu.Lock()
			e.count = n
			c.mu.Unlock()
			return
		}
		// The layer changed before the count's snapshot: the count belongs
		// to the newer version.
		c.mu.Lock()
		c.removeLocked(e)
		c.mu.Unlock()
		ne := &matchEntry{key: matchKey{k.layer, version, k.query}, count: n, done: make(chan struct{})}
		close(ne.done)
		c.put(ne)
	}()
	return e
}

// countIn counts in a read-only snapshot, and returns the layer's version
// in the same snapshot.
func (s *Service) countIn(ctx context.Context, layer, table, where string, args []any) (int64, int64, error) {
	tx, err := s.db.Reader(layer).BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, 0, postgis.Err(err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	st, err := postgis.FindLayerState(ctx, tx, layer)
	if err != nil {
		return 0, 0, fmt.Errorf("count: version of %q: %w", layer, err)
	}
	version, n := st.Version, int64(0)
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return 0, 0, fmt.Errorf("count: %w", postgis.Err(err))
	}
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+table+" t WHERE "+where, args...).Scan(&n); err != nil {
		return 0, 0, fmt.Errorf("count: %w", postgis.Err(err))
	}
	return n, version, nil
}

// waitCount waits up to countWait (or until ctx is done) for e's count;
// -1 when it is not known by then.
func (s *Service) waitCount(ctx context.Context, e *matchEntry) int64 {
	t := time.NewTimer(countWait)
	defer t.Stop()
	select {
	case <-e.done:
	case <-t.C:
	case <-ctx.Done():
	}
	s.matches.mu.Lock()
	defer s.matches.mu.Unlock()
	return e.count
}

// listPosition returns where the page of the cursor c starts in ids, or
// false when c does not point into them. A cursor made from the list
// carries its position, which is checked against the id there; a cursor
// without one is placed by its id when the order is by id alone.
func listPosition(ids []int64, c *cursor, limit int, sorted bool) (int, bool) {
	if c.Pos != nil {
		p := *c.Pos
		switch {
		case !c.Before && p > 0 && p <= int64(len(ids)) && ids[p-1] == c.ID:
			return int(p), true
		case c.Before && p >= 0 && p < int64(len(ids)) && ids[p] == c.ID:
			return max(0, int(p)-limit), true
		}
	}
	if sorted {
		return 0, false
	}
	// Ordered by id: the first id after (or, going back, at) the cursor's.
	i := sort.Search(len(ids), func(i int) bool {
		if c.Before {
			return ids[i] >= c.ID
		}
		return ids[i] > c.ID
	})
	if c.Before {
		return max(0, i-limit), true
	}
	return i, true
}
