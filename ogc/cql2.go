package ogc

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// CQL2 (OGC 21-065) is parsed by hand. The one maintained Go implementation
// found, the filter package of github.com/planetlabs/go-ogc, cannot be
// fetched through the module proxy this project builds with, and the subset
// tudi serves (basic CQL2, advanced comparisons, spatial and temporal
// functions) is a small grammar: a recursive-descent parser over a token
// list is a few hundred lines and keeps every literal out of the SQL text.
//
// Both encodings parse into the same tree, shaped like CQL2-JSON: an *opNode
// with a lower-case operator ("and", "=", "like", "s_intersects", …) and its
// arguments; leaves are properties, literals, geometries and intervals.

// node is a CQL2 expression.
type node interface{}

type (
	opNode struct {
		Op   string
		Args []node
	}
	propNode struct{ Name string }
	// strNode, numNode and boolNode are scalar literals.
	strNode  struct{ V string }
	numNode  struct{ V float64 }
	boolNode struct{ V bool }
	// timeNode is DATE('…') or TIMESTAMP('…'); ".." (an open interval end)
	// is a timeNode with Open set.
	timeNode struct {
		V    string
		Date bool
		Open bool
	}
	intervalNode struct{ Start, End node }
	geomNode     struct{ G orb.Geometry }
	listNode     struct{ Items []node }
)

// maxFilterDepth bounds nesting, so a hostile filter cannot exhaust the stack.
const maxFilterDepth = 64

type token struct {
	kind byte // 'i' identifier, 'q' quoted identifier, 's' string, 'n' number, 'p' punctuation, 0 end
	text string
	pos  int
}

func lexCQL2(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += w
		case r == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, fmt.Errorf("unterminated string starting at position %d", i+1)
				}
				if s[j] == '\\' && j+1 < len(s) && s[j+1] == '\'' { // \' is an escaped quote (CQL2 escapeQuote), like ''
					b.WriteByte('\'')
					j += 2
					continue
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' { // '' is an escaped quote
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			out = append(out, token{'s', b.String(), i})
			i = j + 1
		case r == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unterminated quoted name starting at position %d", i+1)
			}
			out = append(out, token{'q', s[i+1 : i+1+j], i})
			i += j + 2
		case r >= '0' && r <= '9' || r == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' ||
			(r == '-' || r == '+') && i+1 < len(s) && (s[i+1] >= '0' && s[i+1] <= '9' || s[i+1] == '.'):
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
				(s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			out = append(out, token{'n', s[i:j], i})
			i = j
		case unicode.IsLetter(r) || r == '_':
			j := i + w
			for j < len(s) {
				r2, w2 := utf8.DecodeRuneInString(s[j:])
				if !(unicode.IsLetter(r2) || unicode.IsDigit(r2) || r2 == '_' || r2 == '.' || r2 == ':') {
					break
				}
				j += w2
			}
			out = append(out, token{'i', s[i:j], i})
			i = j
		default:
			for _, p := range []string{"<>", "<=", ">=", "(", ")", ",", "=", "<", ">"} {
				if strings.HasPrefix(s[i:], p) {
					out = append(out, token{'p', p, i})
					i += len(p)
					goto next
				}
			}
			return nil, fmt.Errorf("unexpected %q at position %d", r, i+1)
		next:
		}
	}
	return append(out, token{0, "", len(s)}), nil
}

type cql2Parser struct {
	src   string
	toks  []token
	i     int
	depth int
}

// parseCQL2Text parses a CQL2 text filter.
func parseCQL2Text(s string) (node, error) {
	toks, err := lexCQL2(s)
	if err != nil {
		return nil, err
	}
	p := &cql2Parser{src: s, toks: toks}
	n, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != 0 {
		return nil, p.unexpected(t)
	}
	return n, nil
}

func (p *cql2Parser) peek() token { return p.toks[p.i] }
func (p *cql2Parser) next() token {
	t := p.toks[p.i]
	if t.kind != 0 {
		p.i++
	}
	return t
}

func (p *cql2Parser) unexpected(t token) error {
	if t.kind == 0 {
		return fmt.Errorf("unexpected end of filter")
	}
	return fmt.Errorf("unexpected %q at position %d", t.text, t.pos+1)
}

// keyword reports whether the next token is the (case-insensitive) keyword kw.
func (p *cql2Parser) keyword(kw string) bool {
	t := p.peek()
	return t.kind == 'i' && strings.EqualFold(t.text, kw)
}

func (p *cql2Parser) punct(s string) bool {
	t := p.peek()
	return t.kind == 'p' && t.text == s
}

func (p *cql2Parser) expect(s string) error {
	if !p.punct(s) {
		return fmt.Errorf("expected %q: %w", s, p.unexpected(p.peek()))
	}
	p.next()
	return nil
}

func (p *cql2Parser) enter() error {
	p.depth++
	if p.depth > maxFilterDepth {
		return fmt.Errorf("filter nested deeper than %d levels", maxFilterDepth)
	}
	return nil
}

func (p *cql2Parser) orExpr() (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	args := []node{n}
	for p.keyword("OR") {
		p.next()
		m, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, m)
	}
	if len(args) == 1 {
		return n, nil
	}
	return &opNode{"or", args}, nil
}

func (p *cql2Parser) andExpr() (node, error) {
	n, err := p.notExpr()
	if err != nil {
		return nil, err
	}
	args := []node{n}
	for p.keyword("AND") {
		p.next()
		m, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, m)
	}
	if len(args) == 1 {
		return n, nil
	}
	return &opNode{"and", args}, nil
}

func (p *cql2Parser) notExpr() (node, error) {
	if p.keyword("NOT") {
		p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		n, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return &opNode{"not", []node{n}}, nil
	}
	return p.predicate()
}

var comparisonOps = map[string]bool{"=": true, "<>": true, "<": true, ">": true, "<=": true, ">=": true}

func (p *cql2Parser) predicate() (node, error) {
	if p.punct("(") {
		p.next()
		n, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		return n, p.expect(")")
	}
	left, err := p.scalar()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind == 'p' && comparisonOps[t.text] {
		p.next()
		right, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return &opNode{t.text, []node{left, right}}, nil
	}
	negate := false
	if p.keyword("NOT") {
		p.next()
		negate = true
	}
	var n node
	switch {
	case p.keyword("LIKE"):
		p.next()
		pat, err := p.scalar()
		if err != nil {
			return nil, err
		}
		n = &opNode{"like", []node{left, pat}}
	case p.keyword("BETWEEN"):
		p.next()
		lo, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if !p.keyword("AND") {
			return nil, fmt.Errorf("expected AND in BETWEEN: %w", p.unexpected(p.peek()))
		}
		p.next()
		hi, err := p.scalar()
		if err != nil {
			return nil, err
		}
		n = &opNode{"between", []node{left, lo, hi}}
	case p.keyword("IN"):
		p.next()
		if err := p.expect("("); err != nil {
			return nil, err
		}
		var items []node
		for {
			it, err := p.scalar()
			if err != nil {
				return nil, err
			}
			items = append(items, it)
			if p.punct(",") {
				p.next()
				continue
			}
			break
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		n = &opNode{"in", []node{left, &listNode{items}}}
	case p.keyword("IS") && !negate:
		p.next()
		if p.keyword("NOT") {
			p.next()
			negate = true
		}
		if !p.keyword("NULL") {
			return nil, fmt.Errorf("expected NULL after IS: %w", p.unexpected(p.peek()))
		}
		p.next()
		n = &opNode{"isNull", []node{left}}
	default:
		if negate {
			return nil, fmt.Errorf("expected LIKE, BETWEEN or IN after NOT: %w", p.unexpected(p.peek()))
		}
		return left, nil // a boolean function, literal or property; the compiler checks the type
	}
	if negate {
		n = &opNode{"not", []node{n}}
	}
	return n, nil
}

var geometryKeywords = map[string]bool{"POINT": true, "LINESTRING": true, "POLYGON": true, "MULTIPOINT": true,
	"MULTILINESTRING": true, "MULTIPOLYGON": true, "GEOMETRYCOLLECTION": true}

func (p *cql2Parser) scalar() (node, error) {
	t := p.next()
	switch t.kind {
	case 's':
		return &strNode{t.text}, nil
	case 'n':
		v, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q at position %d", t.text, t.pos+1)
		}
		return &numNode{v}, nil
	case 'q':
		return &propNode{t.text}, nil
	case 'i':
		u := strings.ToUpper(t.text)
		switch {
		case u == "TRUE" || u == "FALSE":
			return &boolNode{u == "TRUE"}, nil
		case geometryKeywords[u]:
			return p.geometry(t)
		case u == "BBOX" && p.punct("("):
			return p.bbox()
		case (u == "DATE" || u == "TIMESTAMP") && p.punct("("):
			p.next()
			s := p.next()
			if s.kind != 's' {
				return nil, fmt.Errorf("%s needs a quoted value: %w", u, p.unexpected(s))
			}
			return &timeNode{V: s.text, Date: u == "DATE"}, p.expect(")")
		case u == "INTERVAL" && p.punct("("):
			p.next()
			a, err := p.intervalEnd()
			if err != nil {
				return nil, err
			}
			if err := p.expect(","); err != nil {
				return nil, err
			}
			b, err := p.intervalEnd()
			if err != nil {
				return nil, err
			}
			return &intervalNode{a, b}, p.expect(")")
		case p.punct("("):
			return p.call(strings.ToLower(t.text))
		case u == "AND" || u == "OR" || u == "NOT" || u == "LIKE" || u == "BETWEEN" || u == "IN" || u == "IS" || u == "NULL":
			return nil, p.unexpected(t)
		}
		return &propNode{t.text}, nil
	case 'p':
		if t.text == "(" {
			// Only an IN list or a boolean group may open with a parenthesis.
			return nil, p.unexpected(t)
		}
	}
	return nil, p.unexpected(t)
}

func (p *cql2Parser) intervalEnd() (node, error) {
	t := p.peek()
	if t.kind == 's' {
		p.next()
		if t.text == ".." {
			return &timeNode{Open: true}, nil
		}
		return &timeNode{V: t.text, Date: len(t.text) == 10}, nil
	}
	return p.scalar()
}

func (p *cql2Parser) call(name string) (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.next() // (
	var args []node
	if !p.punct(")") {
		for {
			a, err := p.scalar()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			if !p.punct(",") {
				break
			}
			p.next()
		}
	}
	return &opNode{name, args}, p.expect(")")
}

// geometry reads a WKT literal as CQL2 writes it: the type keyword, an
// optional Z, then the coordinates, 2 or 3 to a position. orb's WKT reader
// knows neither Z nor 3-D positions, so the literal is read here from the
// tokens; heights are dropped, as every layer is stored in 2-D.
func (p *cql2Parser) geometry(kw token) (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	g, err := p.taggedGeometry(kw)
	if err != nil {
		return nil, fmt.Errorf("bad %s literal at position %d: %w", strings.ToUpper(kw.text), kw.pos+1, err)
	}
	return &geomNode{g}, nil
}

// taggedGeometry reads what follows a geometry keyword.
func (p *cql2Parser) taggedGeometry(kw token) (orb.Geometry, error) {
	u := strings.ToUpper(kw.text)
	dims := 0 // 0: 2 or 3 per position; 3 after Z
	if p.keyword("Z") {
		p.next()
		dims = 3
	}
	if p.keyword("EMPTY") {
		p.next()
		switch u {
		case "LINESTRING":
			return orb.LineString{}, nil
		case "POLYGON":
			return orb.Polygon{}, nil
		case "MULTIPOINT":
			return orb.MultiPoint{}, nil
		case "MULTILINESTRING":
			return orb.MultiLineString{}, nil
		case "MULTIPOLYGON":
			return orb.MultiPolygon{}, nil
		case "GEOMETRYCOLLECTION":
			return orb.Collection{}, nil
		}
		return nil, fmt.Errorf("an empty %s has no coordinates", u)
	}
	switch u {
	case "POINT":
		return p.wktPoint(dims)
	case "LINESTRING":
		ls, err := p.wktPositions(dims)
		return orb.LineString(ls), err
	case "POLYGON":
		return p.wktPolygon(dims)
	case "MULTIPOINT":
		var mp orb.MultiPoint
		err := p.wktList(func() error {
			var pt orb.Point
			var err error
			if p.punct("(") { // MULTIPOINT((1 2),(3 4)) and MULTIPOINT(1 2,3 4)
				pt, err = p.wktPoint(dims)
			} else {
				pt, err = p.position(dims)
			}
			mp = append(mp, pt)
			return err
		})
		return mp, err
	case "MULTILINESTRING":
		var ml orb.MultiLineString
		err := p.wktList(func() error {
			ls, err := p.wktPositions(dims)
			ml = append(ml, orb.LineString(ls))
			return err
		})
		return ml, err
	case "MULTIPOLYGON":
		var mp orb.MultiPolygon
		err := p.wktList(func() error {
			pg, err := p.wktPolygon(dims)
			mp = append(mp, pg)
			return err
		})
		return mp, err
	}
	var c orb.Collection // GEOMETRYCOLLECTION
	err := p.wktList(func() error {
		t := p.next()
		if t.kind != 'i' || !geometryKeywords[strings.ToUpper(t.text)] {
			return fmt.Errorf("expected a geometry: %w", p.unexpected(t))
		}
		if err := p.enter(); err != nil {
			return err
		}
		defer func() { p.depth-- }()
		g, err := p.taggedGeometry(t)
		c = append(c, g)
		return err
	})
	return c, err
}

// wktList reads "(" item {"," item} ")".
func (p *cql2Parser) wktList(item func() error) error {
	if err := p.expect("("); err != nil {
		return err
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if !p.punct(",") {
			break
		}
		p.next()
	}
	return p.expect(")")
}

func (p *cql2Parser) wktPoint(dims int) (orb.Point, error) {
	if err := p.expect("("); err != nil {
		return orb.Point{}, err
	}
	pt, err := p.position(dims)
	if err != nil {
		return pt, err
	}
	return pt, p.expect(")")
}

func (p *cql2Parser) wktPositions(dims int) ([]orb.Point, error) {
	var out []orb.Point
	err := p.wktList(func() error {
		pt, err := p.position(dims)
		out = append(out, pt)
		return err
	})
	return out, err
}

func (p *cql2Parser) wktPolygon(dims int) (orb.Polygon, error) {
	var pg orb.Polygon
	err := p.wktList(func() error {
		r, err := p.wktPositions(dims)
		pg = append(pg, orb.Ring(r))
		return err
	})
	return pg, err
}

// position reads 2 or 3 numbers (exactly 3 when dims is 3) and keeps x, y.
func (p *cql2Parser) position(dims int) (orb.Point, error) {
	var v []float64
	for len(v) < 3 && p.peek().kind == 'n' {
		t := p.next()
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return orb.Point{}, fmt.Errorf("bad number %q at position %d", t.text, t.pos+1)
		}
		v = append(v, f)
	}
	if len(v) < 2 || dims == 3 && len(v) != 3 {
		want := "2 or 3"
		if dims == 3 {
			want = "3 (x y z)"
		}
		return orb.Point{}, fmt.Errorf("a position needs %s numbers: %w", want, p.unexpected(p.peek()))
	}
	return orb.Point{v[0], v[1]}, nil
}

func (p *cql2Parser) bbox() (node, error) {
	p.next() // (
	var v []float64
	for {
		t := p.next()
		if t.kind != 'n' {
			return nil, fmt.Errorf("BBOX needs numbers: %w", p.unexpected(t))
		}
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q at position %d", t.text, t.pos+1)
		}
		v = append(v, f)
		if !p.punct(",") {
			break
		}
		p.next()
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	return bboxNode(v)
}

// bboxNode turns [minx, miny, maxx, maxy] (or the 6-value 3D form) into a
// polygon.
func bboxNode(v []float64) (node, error) {
	switch len(v) {
	case 4:
	case 6:
		v = []float64{v[0], v[1], v[3], v[4]}
	default:
		return nil, fmt.Errorf("BBOX needs 4 or 6 numbers, got %d", len(v))
	}
	if v[0] > v[2] || v[1] > v[3] {
		return nil, fmt.Errorf("BBOX minimum is above its maximum")
	}
	return &geomNode{orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}.ToPolygon()}, nil
}
