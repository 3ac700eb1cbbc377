package ogc

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"tudi/land"
	"tudi/postgis"
)

// property is a queryable property of a collection.
type property struct {
	Name  string
	Type  land.FieldType
	Col   string // SQL expression over the table alias t
	Title string
}

// schema is what a layer's features look like to OGC clients: the kind's
// canonical fields in order, then area_m2; id and the geometry are
// queryable too. Source attributes travel as the nested object "props".
type schema struct {
	layer *land.Layer
	props []property          // feature properties, in output order (without props)
	by    map[string]property // every queryable, by name (id and geometry included)
	dates []property          // the kind's date fields: its temporal extent
}

// newSchema returns the schema of l, whose kind's spec (in the catalogue in
// use) is spec.
func newSchema(l *land.Layer, spec *land.KindSpec) *schema {
	s := &schema{layer: l, by: map[string]property{}}
	for _, f := range spec.Fields {
		p := property{Name: f.Name, Type: f.Type, Col: "t." + postgis.Ident(f.Name), Title: f.Title}
		if f.Unit != "" {
			p.Title += " (" + f.Unit + ")"
		}
		s.props = append(s.props, p)
		if f.Type == land.Date {
			s.dates = append(s.dates, p)
		}
	}
	s.props = append(s.props, property{Name: "area_m2", Type: land.Float, Col: "t.area_m2", Title: "面积 (m², 椭球面)"})
	for _, p := range s.props {
		s.by[p.Name] = p
	}
	s.by["id"] = property{Name: "id", Type: land.Int, Col: "t.id", Title: "id"}
	return s
}

// names lists the feature property names, for error messages.
func (s *schema) names() string {
	var n []string
	for _, p := range s.props {
		n = append(n, p.Name)
	}
	return strings.Join(append(n, "props"), ", ")
}

// temporal returns the SQL start and end of a feature's time: the kind's
// first date field, or, for a kind with exactly two, the interval from the
// first to the second (an open end while the second is null, as for idle
// land not yet disposed of). A kind with more date fields (parcels: supply,
// reserve, contract, payment, start) is dated by its first.
func (s *schema) temporal() (start, end string, ok bool) {
	switch len(s.dates) {
	case 0:
		return "", "", false
	case 2:
	default:
		e := s.dates[0].Col + "::timestamp"
		return e, e, true
	}
	return s.dates[0].Col + "::timestamp",
		"coalesce(" + s.dates[1].Col + "::timestamp, 'infinity'::timestamp)", true
}

// args collects bind parameters: every value from a request reaches SQL as
// $n, never as text.
type args struct{ v []any }

func (a *args) bind(v any) string {
	a.v = append(a.v, v)
	return "$" + strconv.Itoa(len(a.v))
}

type ctype int

const (
	tBool ctype = iota
	tText
	tNum
	tTime
	tInterval
	tGeom
	tList
)

func (t ctype) String() string {
	return [...]string{"boolean", "text", "number", "temporal instant", "interval", "geometry", "list"}[t]
}

type compiled struct {
	sql   string
	t     ctype
	items []compiled
}

// compiler translates a CQL2 tree into a SQL boolean expression over the
// table alias t.
type compiler struct {
	s   *schema
	crs crs // filter-crs: the CRS of geometry literals
	a   *args
}

func compileFilter(s *schema, n node, c crs, a *args) (string, error) {
	cp := &compiler{s: s, crs: c, a: a}
	r, err := cp.expr(n)
	if err != nil {
		return "", err
	}
	if r.t != tBool {
		return "", fmt.Errorf("the filter is a %s, not a condition", r.t)
	}
	return r.sql, nil
}

func typeOf(t land.FieldType) ctype {
	switch t {
	case land.Int, land.Float:
		return tNum
	case land.Date:
		return tTime
	case land.Bool:
		return tBool
	}
	return tText
}

var spatialFns = map[string]string{
	"s_intersects": "ST_Intersects", "s_within": "ST_Within", "s_contains": "ST_Contains",
	"s_disjoint": "ST_Disjoint", "s_equals": "ST_Equals", "s_touches": "ST_Touches",
	"s_crosses": "ST_Crosses", "s_overlaps": "ST_Overlaps",
}

// temporalFns are the CQL2 1.0 temporal functions (Allen's interval
// algebra, OGC 21-065 §6.4.6 and Annex C) over the [start, end] bounds of
// their operands: %[1]s, %[2]s are the first operand's start and end, %[3]s,
// %[4]s the second's. An instant has start = end; an open end ("..") is
// -infinity or infinity, which PostgreSQL orders and compares like any
// timestamp (infinity = infinity), so an unbounded interval relates as the
// standard's tables say (nothing is after an interval open at its end).
var temporalFns = map[string]string{
	"t_after":        "(%[1]s > %[4]s)",
	"t_before":       "(%[2]s < %[3]s)",
	"t_contains":     "(%[1]s < %[3]s AND %[2]s > %[4]s)",
	"t_disjoint":     "(%[2]s < %[3]s OR %[1]s > %[4]s)",
	"t_during":       "(%[1]s > %[3]s AND %[2]s < %[4]s)",
	"t_equals":       "(%[1]s = %[3]s AND %[2]s = %[4]s)",
	"t_finishedby":   "(%[1]s < %[3]s AND %[2]s = %[4]s)",
	"t_finishes":     "(%[1]s > %[3]s AND %[2]s = %[4]s)",
	"t_intersects":   "(%[1]s <= %[4]s AND %[2]s >= %[3]s)",
	"t_meets":        "(%[2]s = %[3]s)",
	"t_metby":        "(%[1]s = %[4]s)",
	"t_overlappedby": "(%[1]s > %[3]s AND %[1]s < %[4]s AND %[2]s > %[4]s)",
	"t_overlaps":     "(%[1]s < %[3]s AND %[2]s > %[3]s AND %[2]s < %[4]s)",
	"t_startedby":    "(%[1]s = %[3]s AND %[2]s > %[4]s)",
	"t_starts":       "(%[1]s = %[3]s AND %[2]s < %[4]s)",
}

// intervalOnlyFns take two intervals: CQL2 1.0 defines them on intervals
// only, and a server must refuse instants with a client error.
var intervalOnlyFns = map[string]bool{
	"t_meets": true, "t_metby": true, "t_overlaps": true, "t_overlappedby": true, "t_starts": true,
	"t_startedby": true, "t_finishes": true, "t_finishedby": true, "t_during": true, "t_contains": true,
}

// tbound is one end of a temporal operand: SQL (a date property, an open
// end) or a literal value, bound as $n only where the function's formula
// uses that end. Binding every literal up front left unused parameters
// (T_AFTER reads only the second operand's end), whose type PostgreSQL
// cannot infer, and the statement failed.
type tbound struct {
	sql string
	v   any // the literal as "2006-01-02 15:04:05.999999"; nil for sql
}

// temporal is a compiled operand of a temporal function.
type temporal struct {
	interval   bool
	start, end tbound
}

func (c *compiler) use(b tbound) string {
	if b.v == nil {
		return b.sql
	}
	return c.a.bind(b.v) + "::timestamp"
}

// timeLiteral checks a DATE or TIMESTAMP literal and returns it as a
// timestamp without time zone (UTC), the form every date column compares to.
func timeLiteral(n *timeNode) (time.Time, error) {
	var t time.Time
	var err error
	if n.Date {
		t, err = time.Parse(time.DateOnly, n.V)
	} else {
		t, err = time.Parse(time.RFC3339Nano, n.V)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("bad date or timestamp %q (use 2023-06-30 or 2023-06-30T12:00:00Z)", n.V)
	}
	return t.UTC(), nil
}

const pgTimestamp = "2006-01-02 15:04:05.999999"

// temporalOperand compiles an argument of a temporal function: a date
// property or a DATE/TIMESTAMP literal (instants) or an INTERVAL.
func (c *compiler) temporalOperand(fn string, i int, n node) (temporal, error) {
	switch n := n.(type) {
	case *timeNode:
		if n.Open {
			return temporal{}, fmt.Errorf("%s: \"..\" is only an INTERVAL end", strings.ToUpper(fn))
		}
		t, err := timeLiteral(n)
		if err != nil {
			return temporal{}, err
		}
		b := tbound{v: t.Format(pgTimestamp)}
		return temporal{start: b, end: b}, nil
	case *intervalNode:
		s, st, err := c.intervalBound(n.Start, "'-infinity'::timestamp")
		if err != nil {
			return temporal{}, err
		}
		e, et, err := c.intervalBound(n.End, "'infinity'::timestamp")
		if err != nil {
			return temporal{}, err
		}
		if !st.IsZero() && !et.IsZero() && st.After(et) {
			return temporal{}, fmt.Errorf("%s: the interval starts after it ends", strings.ToUpper(fn))
		}
		return temporal{interval: true, start: s, end: e}, nil
	}
	r, err := c.expr(n)
	if err != nil {
		return temporal{}, err
	}
	if r.t != tTime {
		return temporal{}, fmt.Errorf("%s: argument %d is a %s, not a date, a timestamp or an interval", strings.ToUpper(fn), i+1, r.t)
	}
	return temporal{start: tbound{sql: r.sql}, end: tbound{sql: r.sql}}, nil
}

// intervalBound compiles an INTERVAL end: "..", a literal (returned as t
// too, to check the order of the ends) or a date property.
func (c *compiler) intervalBound(n node, open string) (b tbound, t time.Time, err error) {
	if tn, ok := n.(*timeNode); ok {
		if tn.Open {
			return tbound{sql: open}, time.Time{}, nil
		}
		t, err := timeLiteral(tn)
		if err != nil {
			return tbound{}, time.Time{}, err
		}
		return tbound{v: t.Format(pgTimestamp)}, t, nil
	}
	if _, ok := n.(*propNode); !ok {
		return tbound{}, time.Time{}, fmt.Errorf("an interval end must be a date, a timestamp, \"..\" or a date property")
	}
	r, err := c.expr(n)
	if err != nil {
		return tbound{}, time.Time{}, err
	}
	if r.t != tTime {
		return tbound{}, time.Time{}, fmt.Errorf("an interval end must be a date, a timestamp, \"..\" or a date property, not a %s", r.t)
	}
	return tbound{sql: r.sql}, time.Time{}, nil
}

// temporalFn compiles a temporal function call.
func (c *compiler) temporalFn(n *opNode, f string) (compiled, error) {
	name := strings.ToUpper(n.Op)
	if len(n.Args) != 2 {
		return compiled{}, fmt.Errorf("%s takes 2 arguments, got %d", name, len(n.Args))
	}
	var ops [2]temporal
	for i, a := range n.Args {
		t, err := c.temporalOperand(n.Op, i, a)
		if err != nil {
			return compiled{}, err
		}
		if intervalOnlyFns[n.Op] && !t.interval {
			return compiled{}, fmt.Errorf("%s compares two intervals, but argument %d is an instant (CQL2 1.0 defines it on intervals only; use INTERVAL(start, end))", name, i+1)
		}
		ops[i] = t
	}
	// Each end is bound only if the formula reads it.
	ends := []tbound{ops[0].start, ops[0].end, ops[1].start, ops[1].end}
	sqls := make([]any, 4)
	for i, e := range ends {
		sqls[i] = "NULL" // not in the formula, so never in the SQL text
		if strings.Contains(f, "%["+strconv.Itoa(i+1)+"]s") {
			sqls[i] = c.use(e)
		}
	}
	return compiled{sql: fmt.Sprintf(f, sqls...), t: tBool}, nil
}

func (c *compiler) expr(n node) (compiled, error) {
	switch n := n.(type) {
	case *strNode:
		if err := checkText(n.V); err != nil {
			return compiled{}, err
		}
		return compiled{sql: c.a.bind(n.V) + "::text", t: tText}, nil
	case *numNode:
		return compiled{sql: c.a.bind(n.V) + "::double precision", t: tNum}, nil
	case *boolNode:
		return compiled{sql: c.a.bind(n.V) + "::boolean", t: tBool}, nil
	case *timeNode:
		if n.Open {
			return compiled{}, fmt.Errorf(`".." is only an INTERVAL end`)
		}
		t, err := timeLiteral(n)
		if err != nil {
			return compiled{}, err
		}
		return compiled{sql: c.a.bind(t.Format(pgTimestamp)) + "::timestamp", t: tTime}, nil
	case *intervalNode:
		// Only temporal functions take intervals (temporalFn); anywhere
		// else this is a type error, so nothing is bound.
		return compiled{t: tInterval}, nil
	case *geomNode:
		if err := checkGeometry(n.G, c.crs); err != nil {
			return compiled{}, fmt.Errorf("geometry literal: %w", err)
		}
		b, err := wkb.Marshal(n.G)
		if err != nil {
			return compiled{}, fmt.Errorf("geometry literal: %v", err)
		}
		return compiled{sql: c.crs.geomIn(c.a.bind(b)), t: tGeom}, nil
	case *listNode:
		out := compiled{t: tList}
		for _, it := range n.Items {
			r, err := c.expr(it)
			if err != nil {
				return compiled{}, err
			}
			out.items = append(out.items, r)
		}
		return out, nil
	case *propNode:
		if n.Name == "geometry" || n.Name == "geom" {
			return compiled{sql: "t.geom", t: tGeom}, nil
		}
		p, ok := c.s.by[n.Name]
		if !ok {
			return compiled{}, fmt.Errorf("unknown property %q (queryables: id, geometry, %s)", n.Name, strings.TrimSuffix(c.s.names(), ", props"))
		}
		t := typeOf(p.Type)
		if t == tTime {
			return compiled{sql: p.Col + "::timestamp", t: tTime}, nil
		}
		return compiled{sql: p.Col, t: t}, nil
	case *opNode:
		return c.op(n)
	}
	return compiled{}, fmt.Errorf("unsupported expression %T", n)
}

func (c *compiler) operands(n *opNode, want int) ([]compiled, error) {
	if want >= 0 && len(n.Args) != want {
		return nil, fmt.Errorf("%s takes %d arguments, got %d", n.Op, want, len(n.Args))
	}
	out := make([]compiled, len(n.Args))
	for i, a := range n.Args {
		r, err := c.expr(a)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

func comparable(t ctype) bool { return t == tText || t == tNum || t == tBool || t == tTime }

func (c *compiler) op(n *opNode) (compiled, error) {
	switch n.Op {
	case "and", "or":
		if len(n.Args) < 2 {
			return compiled{}, fmt.Errorf("%s needs at least two arguments", n.Op)
		}
		rs, err := c.operands(n, -1)
		if err != nil {
			return compiled{}, err
		}
		parts := make([]string, len(rs))
		for i, r := range rs {
			if r.t != tBool {
				return compiled{}, fmt.Errorf("%s: argument %d is a %s, not a condition", strings.ToUpper(n.Op), i+1, r.t)
			}
			parts[i] = r.sql
		}
		return compiled{sql: "(" + strings.Join(parts, " "+strings.ToUpper(n.Op)+" ") + ")", t: tBool}, nil
	case "not":
		rs, err := c.operands(n, 1)
		if err != nil {
			return compiled{}, err
		}
		if rs[0].t != tBool {
			return compiled{}, fmt.Errorf("NOT needs a condition, not a %s", rs[0].t)
		}
		return compiled{sql: "(NOT " + rs[0].sql + ")", t: tBool}, nil
	case "=", "<>", "<", ">", "<=", ">=":
		rs, err := c.operands(n, 2)
		if err != nil {
			return compiled{}, err
		}
		if !comparable(rs[0].t) || rs[0].t != rs[1].t {
			return compiled{}, fmt.Errorf("cannot compare a %s with a %s using %s", rs[0].t, rs[1].t, n.Op)
		}
		return compiled{sql: "(" + rs[0].sql + " " + n.Op + " " + rs[1].sql + ")", t: tBool}, nil
	case "like":
		if len(n.Args) == 2 {
			// CQL2's patternExpression is a character literal; its escape
			// character is \ (PostgreSQL's too), which must escape something.
			pat, ok := n.Args[1].(*strNode)
			if !ok {
				return compiled{}, fmt.Errorf("LIKE needs a quoted pattern such as 'DK%%'")
			}
			if k := len(pat.V) - len(strings.TrimRight(pat.V, `\`)); k%2 == 1 {
				return compiled{}, fmt.Errorf(`LIKE pattern %q ends with the escape character \ (write \\ for a backslash)`, pat.V)
			}
		}
		rs, err := c.operands(n, 2)
		if err != nil {
			return compiled{}, err
		}
		if rs[0].t != tText || rs[1].t != tText {
			return compiled{}, fmt.Errorf("LIKE compares text, not a %s with a %s", rs[0].t, rs[1].t)
		}
		return compiled{sql: "(" + rs[0].sql + " LIKE " + rs[1].sql + ")", t: tBool}, nil
	case "between":
		rs, err := c.operands(n, 3)
		if err != nil {
			return compiled{}, err
		}
		if !comparable(rs[0].t) || rs[0].t == tBool || rs[1].t != rs[0].t || rs[2].t != rs[0].t {
			return compiled{}, fmt.Errorf("BETWEEN needs three numbers, texts or dates, not %s, %s and %s", rs[0].t, rs[1].t, rs[2].t)
		}
		return compiled{sql: "(" + rs[0].sql + " BETWEEN " + rs[1].sql + " AND " + rs[2].sql + ")", t: tBool}, nil
	case "in":
		return c.in(n)
	case "isNull":
		rs, err := c.operands(n, 1)
		if err != nil {
			return compiled{}, err
		}
		if _, ok := n.Args[0].(*propNode); !ok {
			return compiled{}, fmt.Errorf("IS NULL tests a property")
		}
		return compiled{sql: "(" + rs[0].sql + " IS NULL)", t: tBool}, nil
	case "s_dwithin":
		return c.dwithin(n)
	}
	if fn, ok := spatialFns[n.Op]; ok {
		rs, err := c.operands(n, 2)
		if err != nil {
			return compiled{}, err
		}
		if rs[0].t != tGeom || rs[1].t != tGeom {
			return compiled{}, fmt.Errorf("%s needs two geometries, not a %s and a %s", strings.ToUpper(n.Op), rs[0].t, rs[1].t)
		}
		return compiled{sql: fn + "(" + rs[0].sql + ", " + rs[1].sql + ")", t: tBool}, nil
	}
	if f, ok := temporalFns[n.Op]; ok {
		return c.temporalFn(n, f)
	}
	return compiled{}, fmt.Errorf("unsupported operator or function %q", n.Op)
}

// dwithin is S_DWITHIN(a, b, distance[, units]) with the distance in metres
// (a tudi extension; CQL2 1.0 has no distance operator). The exact test is
// on the ellipsoid (geography); the planar ST_DWithin in degrees before it
// only lets the GiST index on geom prune: distance/55 660 m per degree
// over-covers every latitude up to 60°, so it never drops a true match in
// China (at most 53.6°N).
func (c *compiler) dwithin(n *opNode) (compiled, error) {
	if len(n.Args) != 3 && len(n.Args) != 4 {
		return compiled{}, fmt.Errorf("S_DWITHIN takes (geometry, geometry, distance[, 'meters'])")
	}
	d, ok := n.Args[2].(*numNode)
	if !ok || d.V < 0 || d.V > 100000 {
		return compiled{}, fmt.Errorf("S_DWITHIN: the distance must be a number of metres from 0 to 100000")
	}
	if len(n.Args) == 4 {
		u, ok := n.Args[3].(*strNode)
		if !ok || !(u.V == "meters" || u.V == "metres" || u.V == "m") {
			return compiled{}, fmt.Errorf("S_DWITHIN: distances are in metres ('meters')")
		}
	}
	rs, err := c.operands(&opNode{n.Op, n.Args[:2]}, 2)
	if err != nil {
		return compiled{}, err
	}
	if rs[0].t != tGeom || rs[1].t != tGeom {
		return compiled{}, fmt.Errorf("S_DWITHIN needs two geometries")
	}
	m := c.a.bind(d.V)
	return compiled{t: tBool, sql: fmt.Sprintf("(ST_DWithin(%[1]s, %[2]s, %[3]s::double precision / 55660.0) AND ST_DWithin(%[1]s::geography, %[2]s::geography, %[3]s::double precision))",
		rs[0].sql, rs[1].sql, m)}, nil
}

// checkGeometry refuses a geometry literal that PostGIS would reject when
// reading it (a 500 otherwise): a line of fewer than 2 positions, a ring of
// fewer than 4 or not closed, positions outside the CRS's domain.
func checkGeometry(g orb.Geometry, c crs) error {
	points := func(ps []orb.Point) error {
		for _, p := range ps {
			if err := c.checkPosition(p); err != nil {
				return err
			}
		}
		return nil
	}
	line := func(ls orb.LineString) error {
		if len(ls) < 2 {
			return fmt.Errorf("a line needs at least 2 positions, got %d", len(ls))
		}
		return points(ls)
	}
	polygon := func(pg orb.Polygon) error {
		for _, r := range pg {
			if len(r) < 4 || r[0] != r[len(r)-1] {
				return fmt.Errorf("a polygon ring needs at least 4 positions, the last equal to the first")
			}
			if err := points(r); err != nil {
				return err
			}
		}
		return nil
	}
	switch g := g.(type) {
	case orb.Point:
		return c.checkPosition(g)
	case orb.MultiPoint:
		return points(g)
	case orb.LineString:
		return line(g)
	case orb.MultiLineString:
		for _, l := range g {
			if err := line(l); err != nil {
				return err
			}
		}
	case orb.Ring:
		return polygon(orb.Polygon{g})
	case orb.Polygon:
		return polygon(g)
	case orb.MultiPolygon:
		for _, p := range g {
			if err := polygon(p); err != nil {
				return err
			}
		}
	case orb.Bound:
		return points([]orb.Point{g.Min, g.Max})
	case orb.Collection:
		for _, x := range g {
			if err := checkGeometry(x, c); err != nil {
				return err
			}
		}
	case nil:
		return fmt.Errorf("no geometry")
	}
	return nil
}

// in compiles IN. The literals of the list travel as one array parameter
// (x = ANY($n), which is what PostgreSQL makes of an IN list anyway): one
// parameter per item would stop at the protocol's 65 535 parameters.
func (c *compiler) in(n *opNode) (compiled, error) {
	if len(n.Args) != 2 {
		return compiled{}, fmt.Errorf("in takes 2 arguments, got %d", len(n.Args))
	}
	left, err := c.expr(n.Args[0])
	if err != nil {
		return compiled{}, err
	}
	list, ok := n.Args[1].(*listNode)
	if !ok || len(list.Items) == 0 {
		return compiled{}, fmt.Errorf("IN needs a non-empty list")
	}
	if !comparable(left.t) {
		return compiled{}, fmt.Errorf("IN cannot test a %s", left.t)
	}
	var texts []string
	var nums []float64
	var bools []bool
	var others []string
	for i, it := range list.Items {
		t := tList
		switch it := it.(type) {
		case *strNode:
			if err := checkText(it.V); err != nil {
				return compiled{}, err
			}
			t = tText
			texts = append(texts, it.V)
		case *numNode:
			t = tNum
			nums = append(nums, it.V)
		case *boolNode:
			t = tBool
			bools = append(bools, it.V)
		case *timeNode:
			if it.Open {
				return compiled{}, fmt.Errorf(`IN: list item %d: ".." is only an INTERVAL end`, i+1)
			}
			v, err := timeLiteral(it)
			if err != nil {
				return compiled{}, err
			}
			t = tTime
			texts = append(texts, v.Format(pgTimestamp))
		default:
			r, err := c.expr(it)
			if err != nil {
				return compiled{}, err
			}
			t = r.t
			others = append(others, r.sql)
		}
		if t != left.t {
			return compiled{}, fmt.Errorf("IN: list item %d is a %s, not a %s", i+1, t, left.t)
		}
	}
	var parts []string
	switch {
	case len(texts) > 0 && left.t == tTime:
		parts = append(parts, left.sql+" = ANY("+c.a.bind(texts)+"::timestamp[])")
	case len(texts) > 0:
		parts = append(parts, left.sql+" = ANY("+c.a.bind(texts)+"::text[])")
	case len(nums) > 0:
		parts = append(parts, left.sql+" = ANY("+c.a.bind(nums)+"::double precision[])")
	case len(bools) > 0:
		parts = append(parts, left.sql+" = ANY("+c.a.bind(bools)+"::boolean[])")
	}
	if len(others) > 0 {
		parts = append(parts, left.sql+" IN ("+strings.Join(others, ", ")+")")
	}
	return compiled{sql: "(" + strings.Join(parts, " OR ") + ")", t: tBool}, nil
}

// checkText refuses a text value PostgreSQL cannot hold: CQL2-JSON's \u0000
// decodes to a NUL past the check of the raw parameters.
func checkText(v string) error {
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("text %q holds a NUL character", v)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("text %q is not valid UTF-8", v)
	}
	return nil
}
