package tiles

import (
	"context"
	"fmt"
	"sync"
	"time"

	"tudi/land"
	"tudi/postgis"
)

// versionReader reads the layer registry for tile requests, sharing one
// query between concurrent requests without ever answering a request from a
// query that started before it arrived: a request joins the batch waiting
// for the next query, and a batch's query starts only after it has been
// closed to newcomers. So every import committed before a request arrived is
// seen by it (the freshness guarantee of the cache), while under load one
// registry query serves many requests instead of one each.
type versionReader struct {
	db *postgis.DB

	mu      sync.Mutex
	next    *versionBatch // open batch, its query not yet started
	running bool          // a goroutine is running batches
}

type versionBatch struct {
	ctx    context.Context // the first joiner's, without its cancellation
	done   chan struct{}
	layers map[string]layerRef
	err    error
}

// read returns the registry entries of names, in order; NotFound names the
// first unknown layer.
func (v *versionReader) read(ctx context.Context, names []string) ([]layerRef, error) {
	v.mu.Lock()
	b := v.next
	if b == nil {
		b = &versionBatch{ctx: context.WithoutCancel(ctx), done: make(chan struct{})}
		v.next = b
	}
	if !v.running {
		v.running = true
		go v.loop()
	}
	v.mu.Unlock()
	select {
	case <-b.done:
	case <-ctx.Done():
		return nil, postgis.Err(ctx.Err())
	}
	if b.err != nil {
		return nil, b.err
	}
	out := make([]layerRef, 0, len(names))
	for _, n := range names {
		l, ok := b.layers[n]
		if !ok {
			return nil, land.Errorf(land.NotFound, "layer %q not found", n)
		}
		out = append(out, l)
	}
	return out, nil
}

// loop runs the open batch's query until no batch is waiting.
func (v *versionReader) loop() {
	for {
		v.mu.Lock()
		b := v.next
		v.next = nil
		if b == nil {
			v.running = false
			v.mu.Unlock()
			return
		}
		v.mu.Unlock()
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		b.layers, b.err = readAllLayers(ctx, v.db)
		cancel()
		close(b.done)
	}
}

// readAllLayers reads every registry entry (the registry is small: one row
// per layer).
func readAllLayers(ctx context.Context, db *postgis.DB) (map[string]layerRef, error) {
	rows, err := db.Pool.Query(ctx, `SELECT name, kind, version, feature_count, geom_type, minx, miny, maxx, maxy FROM tudi.layers`)
	if err != nil {
		return nil, fmt.Errorf("read layer registry: %w", postgis.Err(err))
	}
	defer rows.Close()
	out := map[string]layerRef{}
	for rows.Next() {
		var (
			l                      layerRef
			kind                   string
			minx, miny, maxx, maxy *float64
		)
		if err := rows.Scan(&l.Name, &kind, &l.Version, &l.Features, &l.GeomType, &minx, &miny, &maxx, &maxy); err != nil {
			return nil, fmt.Errorf("read layer registry: %w", err)
		}
		l.Kind = land.Kind(kind)
		if minx != nil && miny != nil && maxx != nil && maxy != nil {
			l.Extent, l.HasBBox = [4]float64{*minx, *miny, *maxx, *maxy}, true
		}
		out[l.Name] = l
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read layer registry: %w", postgis.Err(err))
	}
	return out, nil
}
