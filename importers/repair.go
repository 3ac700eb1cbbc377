package importers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/errgroup"

	"tudi/land"
	"tudi/postgis"
)

// Repair modes (Request.Repair).
const (
	// RepairBounded (the default) repairs an invalid geometry with
	// ST_MakeValid's default (linework) method, as ogr2ogr -makevalid does;
	// a feature whose repair takes longer than the budget is repaired with
	// method=structure, then by pieces (subdivide → repair → union), each
	// within the budget, or else kept as it is and reported.
	RepairBounded = "bounded"
	// RepairFast starts with method=structure.
	RepairFast = "fast"
	// RepairFull repairs with the linework method whatever the time.
	RepairFull = "full"
	// RepairOff checks nothing: geometries are stored as they come.
	RepairOff = "off"
)

// DefaultRepairBudget is the time one repair method may take on a feature
// of up to BudgetPoints vertices (Request.RepairBudget); a larger feature
// is given as much more as it is larger.
const DefaultRepairBudget = 30 * time.Second

// BudgetPoints is the feature size the repair budget is for.
const BudgetPoints = 100_000

// budgetFor is the time a repair method may take on features of points
// vertices in all.
func (v *validator) budgetFor(points int64) time.Duration {
	if points <= BudgetPoints {
		return v.budget
	}
	return time.Duration(float64(v.budget) * float64(points) / BudgetPoints)
}

// ParseRepairMode checks a --repair value ("" is the default).
func ParseRepairMode(s string) (string, error) {
	switch s {
	case "", RepairBounded:
		return RepairBounded, nil
	case RepairFast, RepairFull, RepairOff:
		return s, nil
	}
	return "", land.Errorf(land.Invalid, "--repair %q: use off, fast or full (default: linework within the per-feature budget, then faster methods)", s)
}

// FeatureTiming is one feature (or one run of small features) at work, or
// done, during validation.
type FeatureTiming struct {
	Record  int64   `json:"record"`
	Last    int64   `json:"last,omitempty"` // a run of small features: records Record..Last
	Points  int64   `json:"points"`
	Step    string  `json:"step"` // check, linework, structure, subdivide
	Seconds float64 `json:"seconds"`
}

// ValidationProgress is what Request.Validation is told during validation,
// about twice a second.
type ValidationProgress struct {
	Done     int64           `json:"done"`  // features checked (and repaired when invalid)
	Total    int64           `json:"total"` // features with a geometry
	Invalid  int64           `json:"invalid"`
	Repaired int64           `json:"repaired"`
	Kept     int64           `json:"kept_invalid"`
	Running  []FeatureTiming `json:"running,omitempty"` // at work now, longest first
	Slowest  []FeatureTiming `json:"slowest,omitempty"` // done, slowest first
	Seconds  float64         `json:"seconds"`
}

// valItem is one feature to validate: its key (record number) and its
// size in points (estimated from its EWKB).
type valItem struct {
	key    int64
	points int64
}

// valTarget is a table of features to validate: the fresh layer table
// (direct mode, repaired in place, key id) or a staging table (key rec,
// the repair written to fixed).
type valTarget struct {
	table   string // quoted
	key     string // id or rec
	staging bool
	items   []valItem
}

// valChunk is one unit of work: one large feature, or a run of small ones
// of one table.
type valChunk struct {
	t      *valTarget
	keys   []int64
	points int64
}

const (
	chunkFeatures = 512
	chunkPoints   = 50_000
)

// chunks cuts the targets' features into units, the largest first, so that
// the long ones start at once and the small ones fill the other
// connections meanwhile.
func chunks(targets []*valTarget) []valChunk {
	var out []valChunk
	for _, t := range targets {
		slices.SortFunc(t.items, func(a, b valItem) int { return cmpInt(a.key, b.key) })
		var cur valChunk
		flush := func() {
			if len(cur.keys) > 0 {
				out = append(out, cur)
			}
			cur = valChunk{t: t}
		}
		cur.t = t
		for _, it := range t.items {
			if it.points >= chunkPoints {
				out = append(out, valChunk{t: t, keys: []int64{it.key}, points: it.points})
				continue
			}
			cur.keys = append(cur.keys, it.key)
			cur.points += it.points
			if len(cur.keys) >= chunkFeatures || cur.points >= chunkPoints {
				flush()
			}
		}
		flush()
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].points > out[j].points })
	return out
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// validator checks and repairs the geometries of an import, per feature,
// over several connections, each repair step within a time budget.
type validator struct {
	im       *Importer
	mode     string
	budget   time.Duration
	file     string
	report   func(land.ImportProblem) // called under mu
	progress func(ValidationProgress)

	mu      sync.Mutex
	start   time.Time
	state   ValidationProgress
	running map[int]*runningWork
	slowest []FeatureTiming
	methods map[string]int64
	gone    map[*valTarget][]int64 // in place: rows with nothing left, to delete
}

type runningWork struct {
	t     FeatureTiming
	since time.Time
}

// steps are the repair methods tried in turn in a mode.
func (v *validator) steps() []string {
	switch v.mode {
	case RepairFull:
		return []string{"linework"}
	case RepairFast:
		return []string{"parts", "structure"}
	}
	return []string{"parts", "linework", "structure"}
}

// repairExpr is the SQL of a repair method applied to the column geom; a
// polygon keeps its polygonal parts only.
//
//   - parts: the parts of a multi-geometry are judged one by one and only
//     the invalid ones repaired, the valid ones kept as they are; a large
//     invalid polygon is repaired ring by ring, in time bounded by what is
//     wrong with it (ringsSQL). Same result as linework, and far faster
//     on a country of a thousand islands and thirty thousand lakes, whose
//     repair as one geometry spends minutes placing every lake in every
//     island. The result is checked, and not used when it cannot be shown
//     valid.
//   - linework: ST_MakeValid's default, as ogr2ogr -makevalid repairs.
//   - structure: method=structure, which unions the parts instead.
func repairExpr(method string) string {
	switch method {
	case "parts":
		return partsExpr()
	case "structure":
		return `CASE WHEN ST_Dimension(geom) = 2 THEN ST_CollectionExtract(ST_MakeValid(geom, 'method=structure'), 3) ELSE ST_MakeValid(geom) END`
	}
	return `CASE WHEN ST_Dimension(geom) = 2 THEN ST_CollectionExtract(ST_MakeValid(geom), 3) ELSE ST_MakeValid(geom) END`
}

// run validates every target over workers connections.
func (v *validator) run(ctx context.Context, workers int, targets []*valTarget) error {
	v.start = time.Now()
	v.running = map[int]*runningWork{}
	v.methods = map[string]int64{}
	v.gone = map[*valTarget][]int64{}
	all := chunks(targets)
	for _, c := range all {
		v.state.Total += int64(len(c.keys))
	}
	if v.progress != nil {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(500 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					v.progress(v.snapshot())
				}
			}
		}()
		defer func() { close(stop); <-done; v.progress(v.snapshot()) }()
		v.progress(v.snapshot())
	}
	queue := make(chan valChunk)
	g, gctx := errgroup.WithContext(ctx)
	for w := range min(workers, max(len(all), 1)) {
		g.Go(func() error {
			wc := &workerConn{im: v.im}
			defer wc.release(gctx)
			for ch := range queue {
				if err := v.chunk(gctx, wc, w, ch); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(queue)
		for _, c := range all {
			select {
			case queue <- c:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return fmt.Errorf("validate geometries: %w", postgis.Err(err))
	}
	return nil
}

func (v *validator) snapshot() ValidationProgress {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.state
	now := time.Now()
	s.Seconds = now.Sub(v.start).Seconds()
	s.Running = nil
	for _, r := range v.running {
		t := r.t
		t.Seconds = now.Sub(r.since).Seconds()
		s.Running = append(s.Running, t)
	}
	sort.Slice(s.Running, func(i, j int) bool { return s.Running[i].Seconds > s.Running[j].Seconds })
	s.Slowest = slices.Clone(v.slowest)
	return s
}

// begin marks worker w at work on t; end marks it done, keeping the
// slowest.
func (v *validator) begin(w int, t FeatureTiming) {
	v.mu.Lock()
	v.running[w] = &runningWork{t: t, since: time.Now()}
	v.mu.Unlock()
}

func (v *validator) end(w int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	r := v.running[w]
	if r == nil {
		return
	}
	delete(v.running, w)
	t := r.t
	t.Seconds = time.Since(r.since).Seconds()
	v.slowest = append(v.slowest, t)
	sort.SliceStable(v.slowest, func(i, j int) bool { return v.slowest[i].Seconds > v.slowest[j].Seconds })
	if len(v.slowest) > 5 {
		v.slowest = v.slowest[:5]
	}
}

type invalid struct {
	key    int64
	reason string
	empty  bool
	ewkb   []byte // the geometry, for the repair
}

// workerConn is a validation worker's connection, replaced when a repair
// over its budget had to be abandoned with it.
//
// It is a connection of its own, not one of the pool's, because it must
// never send a cancel request: pgx, on giving up a query at its context's
// deadline, closes the connection and sends the backend a cancel request
// first, and a cancel (SIGINT) that reaches GEOS 3.11 inside an overlay or
// ST_MakeValid can crash the server process — every session of the
// cluster with it. The connection's dialer works only until it is
// connected, so the cancel request cannot be dialled; the abandoned
// backend finishes its computation, then reads the Terminate that pgx
// sends and exits.
type workerConn struct {
	im *Importer
	c  *pgx.Conn
}

// errNoCancel refuses the dial of a cancel request on a repair connection.
var errNoCancel = errors.New("a repair connection sends no cancel request (GEOS may crash on one)")

func (wc *workerConn) conn(ctx context.Context) (*pgx.Conn, error) {
	if wc.c != nil && wc.c.IsClosed() {
		wc.c = nil
	}
	if wc.c == nil {
		cfg := wc.im.db.Pool.Config().ConnConfig.Copy()
		dial := cfg.DialFunc
		var connected atomic.Bool
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if connected.Load() {
				return nil, errNoCancel
			}
			return dial(ctx, network, addr)
		}
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return nil, postgis.Err(err)
		}
		connected.Store(true)
		if err := importSettings(ctx, c); err != nil {
			c.Close(context.WithoutCancel(ctx))
			return nil, err
		}
		wc.c = c
	}
	return wc.c, nil
}

func (wc *workerConn) release(ctx context.Context) {
	if wc.c != nil {
		wc.c.Close(context.WithoutCancel(ctx))
		wc.c = nil
	}
}

// chunk checks one unit and repairs what is invalid in it.
func (v *validator) chunk(ctx context.Context, wc *workerConn, w int, ch valChunk) error {
	t := ch.t
	c, err := wc.conn(ctx)
	if err != nil {
		return err
	}
	timing := FeatureTiming{Record: ch.keys[0], Points: ch.points, Step: "check"}
	if len(ch.keys) > 1 {
		timing.Last = ch.keys[len(ch.keys)-1]
	}
	v.begin(w, timing)
	reject := ""
	if t.staging {
		reject = " AND reject IS NULL"
	}
	// ST_IsValidDetail judges each geometry once, reason and place
	// included (ST_IsValid then ST_IsValidReason would judge the invalid
	// ones twice); the reason is worded as ST_IsValidReason words it.
	rows, err := c.Query(ctx, fmt.Sprintf(`SELECT %[2]s, empty, CASE WHEN empty THEN 'empty geometry'
			ELSE (d).reason || coalesce('[' || ST_X((d).location) || ' ' || ST_Y((d).location) || ']', '') END,
			CASE WHEN NOT empty THEN ST_AsEWKB(geom) END
		FROM (SELECT %[2]s, geom, ST_IsEmpty(geom) AS empty, CASE WHEN NOT ST_IsEmpty(geom) THEN ST_IsValidDetail(geom) END AS d
		      FROM %[1]s WHERE %[2]s = ANY($1) AND geom IS NOT NULL%[3]s) s
		WHERE empty OR NOT (d).valid`, t.table, t.key, reject), ch.keys)
	if err != nil {
		return err
	}
	bad, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (invalid, error) {
		var x invalid
		return x, r.Scan(&x.key, &x.empty, &x.reason, &x.ewkb)
	})
	if err != nil {
		return err
	}
	v.end(w)
	v.mu.Lock()
	v.state.Invalid += int64(len(bad))
	v.mu.Unlock()
	var broken []invalid
	for _, b := range bad {
		if b.empty {
			v.mu.Lock()
			v.report(land.ImportProblem{File: v.file, Record: b.key, Action: "rejected", Reason: "empty geometry"})
			if !t.staging {
				v.gone[t] = append(v.gone[t], b.key)
			}
			v.mu.Unlock()
			continue
		}
		broken = append(broken, b)
	}
	if len(broken) > 0 {
		points := map[int64]int64{}
		if len(ch.keys) == 1 {
			points[ch.keys[0]] = ch.points
		} else {
			for _, it := range t.items {
				if len(points) == len(ch.keys) {
					break
				}
				if slices.Contains(ch.keys, it.key) {
					points[it.key] = it.points
				}
			}
		}
		if err := v.repair(ctx, wc, w, t, broken, points); err != nil {
			return err
		}
	}
	v.mu.Lock()
	v.state.Done += int64(len(ch.keys))
	v.mu.Unlock()
	return nil
}

// repair makes the given features valid, trying the mode's methods in
// turn. Several small ones are first tried together in one statement
// within one budget; what that does not finish is repaired one by one.
func (v *validator) repair(ctx context.Context, wc *workerConn, w int, t *valTarget, bad []invalid, points map[int64]int64) error {
	first := v.steps()[0]
	todo := bad
	if len(bad) > 1 {
		var n int64
		for _, b := range bad {
			n += points[b.key]
		}
		v.begin(w, FeatureTiming{Record: bad[0].key, Last: bad[len(bad)-1].key, Points: n, Step: first})
		res, err := v.step(ctx, wc, t, first, bad)
		v.end(w)
		if err != nil {
			return err
		}
		todo = nil
		for _, b := range bad {
			if r, ok := res[b.key]; ok {
				v.done(t, b, first, r, nil)
			} else {
				todo = append(todo, b)
			}
		}
	}
	for _, b := range todo {
		var failed []string
		repaired := false
		for _, m := range v.steps() {
			if len(bad) > 1 && m == first {
				failed = append(failed, m)
				continue // tried with the others
			}
			v.begin(w, FeatureTiming{Record: b.key, Points: points[b.key], Step: m})
			res, err := v.step(ctx, wc, t, m, []invalid{b})
			v.end(w)
			if err != nil {
				return err
			}
			if r, ok := res[b.key]; ok {
				v.done(t, b, m, r, failed)
				repaired = true
				break
			}
			failed = append(failed, m)
		}
		if !repaired {
			v.mu.Lock()
			v.state.Kept++
			v.report(land.ImportProblem{File: v.file, Record: b.key, Action: "warning", Reason: fmt.Sprintf(
				"invalid geometry (%s) kept as it is: no repair gave a valid geometry within the budget of %s per method (%s); import with --repair full to repair it however long it takes",
				b.reason, v.budgetFor(int64(len(b.ewkb))/16).Round(time.Millisecond), joinWords(failed))})
			v.mu.Unlock()
		}
	}
	return nil
}

func joinWords(s []string) string {
	out := ""
	for i, w := range s {
		switch {
		case i == 0:
		case i == len(s)-1:
			out += " and "
		default:
			out += ", "
		}
		out += w
	}
	return out
}

type repaired struct {
	empty bool
	typ   *string
}

// step repairs the features with one method within the budget and
// writes the valid results; it returns those. A method over its budget,
// giving an invalid result or failing in PostGIS (a GEOS exception)
// leaves the features out; err is for anything else.
//
// A repair over budget is abandoned with its connection: the client stops
// waiting and closes it, and another connection goes on. No cancel request
// is sent (see workerConn): GEOS cannot be interrupted safely (a statement
// timeout or a cancel request reaching it inside an overlay can crash the
// server process, and with it every session of the cluster), so it
// finishes its computation and then finds its client gone. The repair
// works on the geometries sent as parameters, not on the table, so that
// the abandoned backend holds no lock on the import's tables and can write
// nothing.
func (v *validator) step(ctx context.Context, wc *workerConn, t *valTarget, method string, bad []invalid) (map[int64]repaired, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := wc.conn(ctx)
	if err != nil {
		return nil, err
	}
	qctx, cancel := ctx, func() {}
	var points int64
	for _, b := range bad {
		points += int64(len(b.ewkb)) / 16
	}
	budget := v.budgetFor(points)
	if v.mode != RepairFull {
		qctx, cancel = context.WithTimeout(ctx, budget)
	}
	defer cancel()
	check := "true" // parts checks its result itself (NULL when invalid)
	keys := make([]int64, len(bad))
	in := make([][]byte, len(bad))
	for i, b := range bad {
		keys[i], in[i] = b.key, b.ewkb
	}
	if method == "parts" && len(bad) == 1 && points >= bigPartPoints && ringsPolygonal(bad[0].ewkb) {
		g, r, ok, err := stepRings(ctx, qctx, c, bad[0])
		if err != nil {
			return v.stepFailed(ctx, c, err)
		}
		if !ok {
			return map[int64]repaired{}, nil
		}
		return v.write(ctx, c, t, map[int64]repaired{bad[0].key: r}, keys, [][]byte{g})
	}
	rows, err := c.Query(qctx, fmt.Sprintf(`SELECT k, ST_AsEWKB(r), ST_IsEmpty(r), GeometryType(r) FROM (
			SELECT k, %[1]s AS r FROM (SELECT u.k, ST_GeomFromEWKB(u.g) AS geom FROM unnest($1::bigint[], $2::bytea[]) AS u(k, g)) s) x
		WHERE r IS NOT NULL AND (ST_IsEmpty(r) OR %[2]s)`, repairExpr(method), check), keys, in)
	if err != nil {
		return v.stepFailed(ctx, c, err)
	}
	res := map[int64]repaired{}
	var (
		ks   []int64
		geom [][]byte
	)
	for rows.Next() {
		var (
			k int64
			g []byte
			r repaired
		)
		if err := rows.Scan(&k, &g, &r.empty, &r.typ); err != nil {
			rows.Close()
			return v.stepFailed(ctx, c, err)
		}
		res[k] = r
		ks = append(ks, k)
		geom = append(geom, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return v.stepFailed(ctx, c, err)
	}
	return v.write(ctx, c, t, res, ks, geom)
}

// write stores the repaired geometries of the features ks and returns res.
func (v *validator) write(ctx context.Context, c *pgx.Conn, t *valTarget, res map[int64]repaired, ks []int64, geom [][]byte) (map[int64]repaired, error) {
	if len(ks) == 0 {
		return res, nil
	}
	col := "geom"
	if t.staging {
		col = "fixed"
	}
	if _, err := c.Exec(ctx, fmt.Sprintf(`UPDATE %[1]s t SET %[3]s = ST_GeomFromEWKB(u.g) FROM unnest($1::bigint[], $2::bytea[]) AS u(k, g) WHERE t.%[2]s = u.k`,
		t.table, t.key, col), ks, geom); err != nil {
		return nil, err
	}
	return res, nil
}

// stepFailed sorts a failed repair: over the budget (the client's
// deadline, which leaves the connection closed) or a GEOS exception
// (XX000) lets the next method try; a cancelled import or a lost
// connection is an error.
func (v *validator) stepFailed(ctx context.Context, c *pgx.Conn, err error) (map[int64]repaired, error) {
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "XX000" {
		return nil, nil
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		c.Close(context.WithoutCancel(ctx)) // workerConn takes another
		return nil, nil
	}
	return nil, err
}

// done records the repair of one feature.
func (v *validator) done(t *valTarget, b invalid, method string, r repaired, failed []string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.methods[method]++
	p := repairProblem(v.file, b.key, b.reason, r.empty, r.typ)
	if len(failed) > 0 && !r.empty {
		p.Reason += fmt.Sprintf(" with method %s (%s gave no valid geometry within %s)", method, joinWords(failed), v.budgetFor(int64(len(b.ewkb))/16).Round(time.Millisecond))
	}
	if r.empty {
		if !t.staging {
			v.gone[t] = append(v.gone[t], b.key)
		}
	} else {
		v.state.Repaired++
	}
	v.report(p)
}

// summary is what the import record keeps of validation.
func (v *validator) summary() map[string]any {
	s := v.snapshot()
	return map[string]any{
		"mode": v.mode, "budget_ms": v.budget.Milliseconds(), "features": s.Total, "invalid": s.Invalid,
		"repaired": s.Repaired, "kept_invalid": s.Kept, "methods": v.methods, "seconds": s.Seconds, "slowest": s.Slowest,
	}
}
