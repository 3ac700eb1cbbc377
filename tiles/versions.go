package tiles

import (
	"context"
	"sync"
	"time"

	"tudi/land"
	"tudi/postgis"
)

// registry is the layer registry as this process holds it in memory,
// which tile requests use without asking the database. It is trusted only
// while the change listener is connected and has read the registry since
// (synced), and never for layers under a fence (see postgis.Fence): a
// writer's commit waits until this process has acknowledged its fence, and
// the fence stands until the registry has been read again after the commit.
// Everything else (not synced, fenced, unknown names) is read from the
// database per request by versionReader. So a tile older than a committed
// import is never served, and without imports no request costs a query.
type registry struct {
	mu        sync.RWMutex
	connected bool   // the listener is connected
	gen       uint64 // counts connections and losses
	synced    bool   // connected, and the registry read since
	layers    map[string]layerRef
	fences    postgis.Fences // the standing fences
	// Registry reads are numbered as they start; a read's result is kept
	// only if no later-started read has been kept (it may be older).
	started, applied uint64
}

func newRegistry() *registry {
	return &registry{}
}

// lookup returns the entries of names from memory, or false when they must
// be read from the database.
func (r *registry) lookup(names []string) ([]layerRef, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if !r.synced {
		return nil, false
	}
	out := make([]layerRef, 0, len(names))
	for _, n := range names {
		l, ok := r.layers[n]
		if !ok || r.fences.Fenced(n) {
			return nil, false
		}
		out = append(out, l)
	}
	return out, true
}

// lost stops trusting the registry (the listener is disconnected).
func (r *registry) lost() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connected, r.synced, r.layers = false, false, nil
	r.gen++
}

// versions returns every layer's version, or nil when not synced.
func (r *registry) versions() map[string]int64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if !r.synced {
		return nil
	}
	out := make(map[string]int64, len(r.layers))
	for n, l := range r.layers {
		out[n] = l.Version
	}
	return out
}

// needsSync reports whether the listener is connected but the registry has
// not been read since.
func (r *registry) needsSync() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.connected && !r.synced
}

// fence adds a fence; from its return on, its layers are read from the
// database.
func (r *registry) fence(token string, layers []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fences.Add(token, layers)
}

// connect replaces every fence with those standing at a (re)connection.
func (r *registry) connect(fences map[string][]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fences.Reset(fences)
	r.connected = true
	r.gen++
}

// tokens returns the standing fences' tokens.
func (r *registry) tokens() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.fences.Tokens()
}

// refresh reads the registry from the database and then lifts the fences
// of tokens: their layers are served from memory again, at the versions
// just read, which include every commit made before the fence was lifted.
// markSynced is for the read after a (re)connection: it takes effect only
// if the connection is still the one it started on.
func (r *registry) refresh(ctx context.Context, q postgis.Querier, markSynced bool, tokens ...string) error {
	r.mu.Lock()
	r.started++
	seq, gen := r.started, r.gen
	r.mu.Unlock()
	layers, err := postgis.LayerStates(ctx, q)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if seq > r.applied {
		r.layers, r.applied = layers, seq
	}
	if markSynced && r.connected && r.gen == gen {
		r.synced = true
	}
	for _, t := range tokens {
		r.fences.Lift(t)
	}
	return nil
}

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
		b.layers, b.err = postgis.LayerStates(ctx, v.db.Pool)
		cancel()
		close(b.done)
	}
}
