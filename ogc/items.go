package ogc

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"tudi/httpx"
	"tudi/land"
	"tudi/postgis"
)

// itemsParams are the query parameters of the items resource; the field
// names of the layer's kind are allowed too, as equality filters.
var itemsParams = []string{"f", "limit", "bbox", "bbox-crs", "crs", "datetime", "filter", "filter-lang",
	"filter-crs", "sortby", "properties", "cursor", "as_of", "props"}

type sortKey struct {
	p    property
	desc bool
}

// cursor is the opaque position of a page: the sort keys and id of the
// last row of the previous page (or, going back, of the first row of the
// next page). Key-set paging on (sort keys, id) stays exact while other
// clients read or write, unlike OFFSET, and costs the same on every page.
type cursor struct {
	Keys   []*string `json:"k,omitempty"`
	ID     int64     `json:"i"`
	Before bool      `json:"b,omitempty"`
	// Pos is the row's position among the query's matches, when the page
	// was read from their cached list (see matchCache): the next page
	// starts there without searching.
	Pos *int64 `json:"p,omitempty"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// itemsQuery is a parsed items request.
type itemsQuery struct {
	s          *schema
	limit      int
	crs        crs
	where      []string // conditions without the cursor, ANDed
	args       args
	sort       []sortKey
	out        []property // properties emitted
	withProps  bool       // emit the source attributes
	cur        *cursor
	unfiltered bool       // no condition at all: numberMatched is the registry count
	asOf       *time.Time // the layer's state on this date, from its history
}

func (s *Service) parseItems(r *http.Request, l *land.Layer, single bool) (*itemsQuery, error) {
	q := r.URL.Query()
	sc := newSchema(l, s.db.Spec(l.Kind))
	iq := &itemsQuery{s: sc, limit: DefaultLimit, crs: crs84, out: sc.props}
	allowed := itemsParams
	if single {
		allowed = []string{"f", "crs", "properties", "props"}
	}
	for k := range q {
		if _, isField := sc.by[k]; isField && !single && k != "id" {
			continue
		}
		if !slices.Contains(allowed, k) {
			return nil, land.Errorf(land.Invalid, "unknown query parameter %q (allowed: %s, or a property of the layer as a filter: %s)",
				k, strings.Join(allowed, ", "), strings.TrimSuffix(sc.names(), ", props"))
		}
	}
	if v := q.Get("crs"); v != "" {
		c, err := parseCRS("crs", v)
		if err != nil {
			return nil, err
		}
		iq.crs = c
	}
	if v, ok := q["properties"]; ok {
		iq.out = nil
		for _, n := range splitList(v[0]) {
			if n == "props" {
				iq.withProps = true
				continue
			}
			p, ok := sc.by[n]
			if !ok || n == "id" {
				return nil, land.Errorf(land.Invalid, "properties: unknown property %q (known: %s)", n, sc.names())
			}
			iq.out = append(iq.out, p)
		}
	}
	// The source attributes (props) only on request, as the tiles do:
	// they are a third of a parcel's GeoJSON.
	all, err := propsAll(r)
	if err != nil {
		return nil, err
	}
	iq.withProps = iq.withProps || all
	if single {
		return iq, nil
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, land.Errorf(land.Invalid, "limit: %q is not a whole number from 1 to %d", v, MaxLimit)
		}
		// Part 1 lets a server cap limit rather than refuse a larger one;
		// QGIS and GDAL both read the maximum from /api, so they never ask more.
		iq.limit = min(n, MaxLimit)
	}
	bboxCRS := crs84
	if v := q.Get("bbox-crs"); v != "" {
		c, err := parseCRS("bbox-crs", v)
		if err != nil {
			return nil, err
		}
		bboxCRS = c
	} else if _, ok := q["bbox-crs"]; ok {
		return nil, land.Errorf(land.Invalid, "bbox-crs: empty")
	}
	if v, ok := q["bbox"]; ok {
		cond, err := bboxCondition(v[0], bboxCRS, &iq.args)
		if err != nil {
			return nil, err
		}
		iq.where = append(iq.where, cond)
	} else if q.Get("bbox-crs") != "" {
		return nil, land.Errorf(land.Invalid, "bbox-crs: given without bbox")
	}
	if v, ok := q["datetime"]; ok {
		cond, err := datetimeCondition(v[0], sc, &iq.args)
		if err != nil {
			return nil, err
		}
		iq.where = append(iq.where, cond)
	}
	for _, p := range sc.props {
		v, ok := q[p.Name]
		if !ok {
			continue
		}
		cond, err := equalsCondition(p, v[0], &iq.args)
		if err != nil {
			return nil, err
		}
		iq.where = append(iq.where, cond)
	}
	if v, ok := q["filter"]; ok {
		lang := q.Get("filter-lang")
		filterCRS := crs84
		if c := q.Get("filter-crs"); c != "" {
			var err error
			if filterCRS, err = parseCRS("filter-crs", c); err != nil {
				return nil, err
			}
		}
		var n node
		var err error
		switch lang {
		case "", "cql2-text":
			n, err = parseCQL2Text(v[0])
		case "cql2-json":
			n, err = parseCQL2JSON(v[0])
		default:
			return nil, land.Errorf(land.Invalid, "filter-lang: unknown language %q (use cql2-text or cql2-json)", lang)
		}
		if err != nil {
			return nil, land.Errorf(land.Invalid, "filter: %v", err)
		}
		cond, err := compileFilter(sc, n, filterCRS, &iq.args)
		if err != nil {
			return nil, land.Errorf(land.Invalid, "filter: %v", err)
		}
		iq.where = append(iq.where, cond)
	} else if q.Get("filter-lang") != "" || q.Get("filter-crs") != "" {
		return nil, land.Errorf(land.Invalid, "filter-lang/filter-crs: given without filter")
	}
	if v, ok := q["as_of"]; ok {
		d, err := land.ParseDate("as_of", v[0])
		if err != nil {
			return nil, err
		}
		iq.asOf = &d
	}
	iq.unfiltered = len(iq.where) == 0 && iq.asOf == nil
	if v := q.Get("sortby"); v != "" {
		for _, k := range splitList(v) {
			desc := false
			switch {
			case strings.HasPrefix(k, "-"):
				desc, k = true, k[1:]
			case strings.HasPrefix(k, "+"):
				k = k[1:]
			}
			p, ok := sc.by[k]
			if !ok {
				return nil, land.Errorf(land.Invalid, "sortby: unknown property %q (known: id, %s)", k, strings.TrimSuffix(sc.names(), ", props"))
			}
			if p.Name == "id" {
				if desc {
					return nil, land.Errorf(land.Invalid, "sortby: id sorts ascending only (it is the paging key)")
				}
				break // id is the implicit last key
			}
			iq.sort = append(iq.sort, sortKey{p, desc})
		}
	}
	if v := q.Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		var c cursor
		if err == nil {
			err = json.Unmarshal(b, &c)
		}
		if err != nil || len(c.Keys) != len(iq.sort) {
			return nil, land.Errorf(land.Invalid, "cursor: not a cursor of this query (follow the next/prev links as given)")
		}
		for i, k := range c.Keys {
			if k != nil {
				// JSON's \u0000 decodes to a NUL, which no text parameter can carry.
				if _, err := typedValue(iq.sort[i].p, *k); err != nil || strings.IndexByte(*k, 0) >= 0 {
					return nil, land.Errorf(land.Invalid, "cursor: not a cursor of this query (follow the next/prev links as given)")
				}
			}
		}
		iq.cur = &c
	}
	return iq, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// bboxCondition: bbox holds 4 (or 6, with heights ignored) numbers in the
// axis order of bbox-crs (lat/lon for EPSG:4490 and 4326, Part 2). The box
// is turned into storage coordinates in SQL; && against it lets the GiST
// index prune and ST_Intersects decides exactly.
func bboxCondition(v string, c crs, a *args) (string, error) {
	parts := strings.Split(v, ",")
	if len(parts) == 6 {
		parts = []string{parts[0], parts[1], parts[3], parts[4]}
	}
	if len(parts) != 4 {
		return "", land.Errorf(land.Invalid, "bbox: %q needs 4 numbers: minx,miny,maxx,maxy (lon/lat in CRS84)", v)
	}
	var f [4]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return "", land.Errorf(land.Invalid, "bbox: %q is not a number", p)
		}
		f[i] = x
	}
	for _, p := range [][2]float64{{f[0], f[1]}, {f[2], f[3]}} {
		if err := c.checkPosition(p); err != nil {
			return "", land.Errorf(land.Invalid, "bbox: %q: %v", v, err)
		}
	}
	if c.NorthFirst {
		f = [4]float64{f[1], f[0], f[3], f[2]}
	}
	if f[0] > f[2] || f[1] > f[3] {
		return "", land.Errorf(land.Invalid, "bbox: %q has its minimum above its maximum", v)
	}
	srid := c.inputSRID()
	env := fmt.Sprintf("ST_MakeEnvelope(%s, %s, %s, %s, %d)", a.bind(f[0]), a.bind(f[1]), a.bind(f[2]), a.bind(f[3]), srid)
	if c.transformed() {
		// Densify before transforming, so the box's edges stay true in 4490.
		env = fmt.Sprintf("ST_Transform(ST_Segmentize(%s, (%s::double precision - %s::double precision) / 16), 4490)", env, a.bind(f[2]), a.bind(f[0]))
	}
	return fmt.Sprintf("(t.geom && %[1]s AND ST_Intersects(t.geom, %[1]s))", env), nil
}

// datetimeCondition filters on the kind's date fields: features whose date
// (or date interval) intersects the instant or interval given.
func datetimeCondition(v string, sc *schema, a *args) (string, error) {
	start, end, ok := sc.temporal()
	if !ok {
		return "", land.Errorf(land.Invalid, "datetime: layer %q (kind %s) has no date field", sc.layer.Name, sc.layer.Kind)
	}
	lo, hi, isInterval := strings.Cut(v, "/")
	if !isInterval {
		hi = lo
	}
	bound := func(s, open string) (string, error) {
		if s == ".." || s == "" && isInterval {
			return open, nil
		}
		t, err := parseTime(s)
		if err != nil {
			return "", land.Errorf(land.Invalid, "datetime: %q is not a date, a timestamp or an interval (2023-01-01, 2023-01-01T00:00:00Z, 2023-01-01/2023-12-31, ../2023-12-31)", v)
		}
		return a.bind(t.UTC().Format("2006-01-02 15:04:05.999999")) + "::timestamp", nil
	}
	l, err := bound(lo, "'-infinity'::timestamp")
	if err != nil {
		return "", err
	}
	h, err := bound(hi, "'infinity'::timestamp")
	if err != nil {
		return "", err
	}
	if !isInterval && len(v) == 10 {
		// A bare date means that whole day.
		h = "(" + h + " + interval '1 day' - interval '1 microsecond')"
	}
	return fmt.Sprintf("(%s <= %s AND %s >= %s)", start, h, end, l), nil
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// typedValue converts a query-string value to the Go value of a property's
// type, so that the database sees a typed parameter.
func typedValue(p property, v string) (any, error) {
	switch p.Type {
	case land.Int:
		return strconv.ParseInt(v, 10, 64)
	case land.Float:
		f, err := strconv.ParseFloat(v, 64)
		if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			err = errors.New("not finite")
		}
		return f, err
	case land.Bool:
		return strconv.ParseBool(v)
	case land.Date:
		t, err := time.Parse(time.DateOnly, v)
		return t.Format(time.DateOnly), err
	}
	return v, nil
}

func sqlCast(t land.FieldType) string {
	switch t {
	case land.Int:
		return "::bigint"
	case land.Float:
		return "::double precision"
	case land.Bool:
		return "::boolean"
	case land.Date:
		return "::date"
	}
	return "::text"
}

func equalsCondition(p property, v string, a *args) (string, error) {
	x, err := typedValue(p, v)
	if err != nil {
		return "", land.Errorf(land.Invalid, "%s: %q is not a valid %s", p.Name, v, p.Type)
	}
	return fmt.Sprintf("(%s = %s%s)", p.Col, a.bind(x), sqlCast(p.Type)), nil
}

// keysetCondition returns the SQL condition that selects rows after (or,
// with before, rows before) the position c in the order of keys then id,
// with NULLs last in both directions. Written out as an OR of prefixes,
// because a row comparison (a, b) > ($1, $2) cannot mix directions or NULLs.
func keysetCondition(keys []sortKey, c *cursor, before, inclusive bool, a *args) string {
	var terms []string
	var eqs []string
	for i, k := range keys {
		v := c.Keys[i]
		var eq, beyond string
		if v == nil {
			eq = k.p.Col + " IS NULL"
			if before {
				beyond = k.p.Col + " IS NOT NULL"
			} else {
				beyond = "FALSE"
			}
		} else {
			p := a.bind(*v) + "::text" + sqlCast(k.p.Type)
			eq = k.p.Col + " = " + p
			op := ">"
			if k.desc != before {
				op = "<"
			}
			beyond = "(" + k.p.Col + " " + op + " " + p
			if !before {
				beyond += " OR " + k.p.Col + " IS NULL"
			}
			beyond += ")"
		}
		terms = append(terms, "("+strings.Join(append(append([]string{}, eqs...), beyond), " AND ")+")")
		eqs = append(eqs, eq)
	}
	op := ">"
	if before {
		op = "<"
	}
	if inclusive {
		op += "="
	}
	terms = append(terms, "("+strings.Join(append(eqs, "t.id "+op+" "+a.bind(c.ID)), " AND ")+")")
	return "(" + strings.Join(terms, " OR ") + ")"
}

func orderBy(keys []sortKey, reverse bool) string {
	var parts []string
	for _, k := range keys {
		desc := k.desc != reverse
		d := " ASC"
		if desc {
			d = " DESC"
		}
		nulls := " NULLS LAST"
		if reverse {
			nulls = " NULLS FIRST"
		}
		parts = append(parts, k.p.Col+d+nulls)
	}
	if reverse {
		parts = append(parts, "t.id DESC")
	} else {
		parts = append(parts, "t.id ASC")
	}
	return strings.Join(parts, ", ")
}

// selectList returns the columns of a feature row: id, the sort keys as
// text (for the cursor), the geometry as GeoJSON, each property as JSON
// text (to_json keeps numbers numbers and dates ISO strings), props.
func (iq *itemsQuery) selectList() string {
	cols := []string{"t.id"}
	for _, k := range iq.sort {
		cols = append(cols, k.p.Col+"::text")
	}
	cols = append(cols, fmt.Sprintf("ST_AsGeoJSON(%s, %d, 0)", iq.crs.geomOut("t.geom"), iq.crs.decimals()))
	for _, p := range iq.out {
		cols = append(cols, "to_json("+p.Col+")::text")
	}
	if iq.withProps {
		cols = append(cols, "t.props::text")
	}
	return strings.Join(cols, ", ")
}

func (iq *itemsQuery) whereSQL(extra ...string) string {
	w := append(append([]string{}, iq.where...), extra...)
	if len(w) == 0 {
		return "TRUE"
	}
	return strings.Join(w, " AND ")
}

// featureRow is one scanned row.
type featureRow struct {
	id    int64
	keys  []*string
	geom  *string
	props []*string // JSON texts, nil for SQL NULL
	src   *string
}

func (iq *itemsQuery) scan(rows pgx.Rows) (featureRow, error) {
	fr := featureRow{keys: make([]*string, len(iq.sort)), props: make([]*string, len(iq.out))}
	dst := []any{&fr.id}
	for i := range fr.keys {
		dst = append(dst, &fr.keys[i])
	}
	dst = append(dst, &fr.geom)
	for i := range fr.props {
		dst = append(dst, &fr.props[i])
	}
	if iq.withProps {
		dst = append(dst, &fr.src)
	}
	return fr, rows.Scan(dst...)
}

// rawRow returns the id and the raw values of a feature row without
// copying them: every column but id is text (or a text cast), whose bytes
// are the same in pgx's text and binary formats. The values are valid
// until the next rows.Next.
func rawRow(rows pgx.Rows) (int64, [][]byte, error) {
	vals := rows.RawValues()
	if len(vals) == 0 || vals[0] == nil {
		return 0, nil, errors.New("feature row without id")
	}
	if rows.FieldDescriptions()[0].Format == pgx.BinaryFormatCode {
		if len(vals[0]) != 8 {
			return 0, nil, fmt.Errorf("id of %d bytes", len(vals[0]))
		}
		return int64(binary.BigEndian.Uint64(vals[0])), vals, nil
	}
	id, err := strconv.ParseInt(string(vals[0]), 10, 64)
	return id, vals, err
}

func copyKeys(vals [][]byte) []*string {
	keys := make([]*string, len(vals))
	for i, v := range vals {
		if v != nil {
			s := string(v)
			keys[i] = &s
		}
	}
	return keys
}

// appendRawFeature is appendFeature over raw values: geometry, the
// properties, then props when asked for.
func (iq *itemsQuery) appendRawFeature(b []byte, id int64, vals [][]byte) []byte {
	raw := func(b, v []byte) []byte {
		if v == nil {
			return append(b, "null"...)
		}
		return append(b, v...)
	}
	b = append(b, `{"type":"Feature","id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"geometry":`...)
	b = raw(b, vals[0])
	b = append(b, `,"properties":{`...)
	for i, p := range iq.out {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, p.Name)
		b = append(b, ':')
		b = raw(b, vals[1+i])
	}
	if iq.withProps {
		if len(iq.out) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"props":`...)
		b = raw(b, vals[1+len(iq.out)])
	}
	return append(b, "}}"...)
}

// appendFeature writes one GeoJSON feature; every property is present, null
// when the column is NULL.
func (iq *itemsQuery) appendFeature(b []byte, fr featureRow) []byte {
	b = append(b, `{"type":"Feature","id":`...)
	b = strconv.AppendInt(b, fr.id, 10)
	b = append(b, `,"geometry":`...)
	b = appendRaw(b, fr.geom)
	b = append(b, `,"properties":{`...)
	for i, p := range iq.out {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, p.Name)
		b = append(b, ':')
		b = appendRaw(b, fr.props[i])
	}
	if iq.withProps {
		if len(iq.out) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"props":`...)
		b = appendRaw(b, fr.src)
	}
	return append(b, "}}"...)
}

func appendRaw(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return append(b, *s...)
}

func (s *Service) items(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	isHTML, err := wantsHTML(r)
	if err != nil {
		return err
	}
	var (
		l    *land.Layer
		iq   *itemsQuery
		pi   pageInfo
		rows pgx.Rows
		fast bool
	)
	// A query whose matches are known is answered in one statement.
	name := chi.URLParam(r, "layer")
	if k, ok := s.kinds.Load(name); ok {
		cl := &land.Layer{Name: name, Kind: k.(land.Kind)}
		if q, err := s.parseItems(r, cl, false); err == nil {
			if pi, rows, fast = s.fastPage(ctx, name, string(cl.Kind), q); !fast && !isHTML {
				// (Its rows carry more columns than the HTML table scans.)
				pi, rows, fast = s.firstPage(ctx, name, string(cl.Kind), q)
			}
			if fast {
				l, iq = cl, q
			}
		}
	}
	if !fast {
		if l, err = s.layer(ctx, r); err != nil {
			s.kinds.Delete(name)
			return err
		}
		s.kinds.Store(l.Name, l.Kind)
		if iq, err = s.parseItems(r, l, false); err != nil {
			return err
		}
		// One read-only snapshot for the count and the page, so
		// numberMatched agrees with the features of the page.
		tx, err := s.db.Reader(l.Name).BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return postgis.Err(err)
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

		// The layer's table, or (as_of) its state on that date from its history.
		table, err := postgis.LayerSource(ctx, tx, l.Name, s.db.Spec(l.Kind), iq.asOf)
		if err != nil {
			return err
		}
		if pi, rows, err = s.readPage(ctx, tx, l.Name, table, iq); err != nil {
			return err
		}
	}
	defer rows.Close()

	if isHTML {
		return s.itemsHTML(w, r, l, iq, rows, pi)
	}
	// The compressor of Mount (br or gzip, as the client prefers) encodes
	// the page as it is written.
	w.Header().Set("Content-Type", mediaGeoJSON)
	w.Header().Set("Content-Crs", iq.crs.contentCRS())
	wb := s.writeBufs.Get().(*writeBuf)
	defer s.writeBufs.Put(wb)
	bw := wb.w
	bw.Reset(w)
	buf := wb.b[:0]
	defer func() { wb.b = buf[:0] }()
	buf = append(buf, `{"type":"FeatureCollection",`...)
	if pi.matched >= 0 {
		// Omitted when counting would take long (OGC API Features allows
		// it): QGIS and GDAL page through the next links all the same.
		buf = append(buf, `"numberMatched":`...)
		buf = strconv.AppendInt(buf, pi.matched, 10)
		buf = append(buf, ',')
	}
	buf = append(buf, `"features":[`...)
	n := 0
	var firstRow, lastRow featureRow
	more := false
	geomAt := 1 + len(iq.sort)
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return abort(s, r, err)
		}
		if n == iq.limit {
			more = true // the extra row only tells that a next page exists
			break
		}
		id, vals, err := rawRow(rows)
		if err != nil {
			return abort(s, r, err)
		}
		fr := featureRow{id: id, keys: copyKeys(vals[1:geomAt])}
		if n == 0 {
			firstRow = fr
		} else {
			buf = append(buf, ',')
		}
		lastRow = fr
		n++
		buf = iq.appendRawFeature(buf, id, vals[geomAt:])
		if len(buf) > 32<<10 {
			if _, err := bw.Write(buf); err != nil {
				return abort(s, r, err)
			}
			buf = buf[:0]
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		if n == 0 && bw.Buffered() == 0 {
			// Nothing has reached the client: answer with a proper error.
			w.Header().Del("Content-Crs")
			return fmt.Errorf("items of %q: %w", l.Name, postgis.Err(err))
		}
		return abort(s, r, postgis.Err(err))
	}
	more = more || pi.more
	links := s.pageLinks(r, l, iq, n, pi, more, firstRow, lastRow)
	buf = append(buf, `],"numberReturned":`...)
	buf = strconv.AppendInt(buf, int64(n), 10)
	buf = append(buf, `,"timeStamp":`...)
	buf = strconv.AppendQuote(buf, time.Now().UTC().Format(time.RFC3339))
	lb, _ := json.Marshal(links)
	buf = append(buf, `,"links":`...)
	buf = append(buf, lb...)
	buf = append(buf, "}\n"...)
	if _, err := bw.Write(buf); err != nil {
		return abort(s, r, err)
	}
	if err := bw.Flush(); err != nil {
		return abort(s, r, err)
	}
	return nil
}

// abort ends a response whose body has begun: the status line is gone, so
// the only honest signal left is to cut the connection (net/http does that
// for http.ErrAbortHandler), and the client sees a truncated document
// rather than a wrong one.
func abort(s *Service, r *http.Request, err error) error {
	if r.Context().Err() == nil {
		s.log.Error("items response aborted", "path", r.URL.Path, "error", err.Error())
	}
	panic(http.ErrAbortHandler)
}

// pageStartBefore finds where the page before the cursor starts: the
// earliest of the limit rows preceding it. isFirst reports that this is
// the first page (fewer rows than limit precede the cursor).
func (iq *itemsQuery) pageStartBefore(ctx context.Context, tx pgx.Tx, table string) (*cursor, bool, error) {
	a := iq.args
	cols := []string{"t.id"}
	for _, k := range iq.sort {
		cols = append(cols, k.p.Col+"::text")
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + table + " t WHERE " +
		iq.whereSQL(keysetCondition(iq.sort, iq.cur, true, false, &a)) +
		" ORDER BY " + orderBy(iq.sort, true) + " LIMIT " + strconv.Itoa(iq.limit+1)
	rows, err := tx.Query(ctx, q, a.v...)
	if err != nil {
		return nil, false, fmt.Errorf("items: previous page: %w", postgis.Err(err))
	}
	defer rows.Close()
	var last *cursor
	n := 0
	for rows.Next() {
		c := cursor{Keys: make([]*string, len(iq.sort))}
		dst := []any{&c.ID}
		for i := range c.Keys {
			dst = append(dst, &c.Keys[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, false, fmt.Errorf("items: previous page: %w", err)
		}
		n++
		if n <= iq.limit {
			last = &c
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("items: previous page: %w", postgis.Err(err))
	}
	if n <= iq.limit {
		return nil, true, nil // the first page
	}
	return last, false, nil
}

// pageLinks builds self, alternate, collection, next and prev links; next
// and prev are absolute and carry every parameter of the request.
func (s *Service) pageLinks(r *http.Request, l *land.Layer, iq *itemsQuery, n int, pi pageInfo, more bool, firstRow, lastRow featureRow) []link {
	links := s.selfLinks(r, false, mediaGeoJSON)
	base := httpx.BaseURL(r, s.cfg.PublicURL) + r.URL.Path
	page := func(c cursor, rel string) link {
		q := r.URL.Query()
		q.Del("f")
		q.Set("cursor", c.encode())
		return link{Href: base + "?" + q.Encode(), Rel: rel, Type: mediaGeoJSON}
	}
	var next, prev *int64
	if pi.listed {
		a, b := int64(pi.start+n), int64(pi.start)
		next, prev = &a, &b
	}
	if more {
		links = append(links, page(cursor{Keys: lastRow.keys, ID: lastRow.id, Pos: next}, "next"))
	}
	if !pi.first && n > 0 {
		links = append(links, page(cursor{Keys: firstRow.keys, ID: firstRow.id, Before: true, Pos: prev}, "prev"))
	}
	links = append(links, link{Href: s.base(r) + "/collections/" + pathEscape(l.Name), Rel: "collection", Type: mediaJSON, Title: l.Name})
	return links
}

func (s *Service) item(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	isHTML, err := wantsHTML(r)
	if err != nil {
		return err
	}
	name, idText := chi.URLParam(r, "layer"), chi.URLParam(r, "id")
	if k, ok := s.kinds.Load(name); ok {
		// The fast path: one prepared statement by primary key, with the
		// layer's kind as last read, which the statement checks against the
		// registry. Anything unexpected — no such feature, layer or kind —
		// takes the full path below, which tells them apart.
		if id, err := strconv.ParseInt(idText, 10, 64); err == nil {
			l := &land.Layer{Name: name, Kind: k.(land.Kind)}
			iq, err := s.parseItems(r, l, true)
			if err != nil {
				return err
			}
			// The kind is checked in the same statement: a registry read
			// apart would cost the fast path a round trip.
			rows, err := s.db.Reader(name).Query(ctx, "SELECT "+iq.selectList()+" FROM "+postgis.Table(name)+
				" t WHERE t.id = $1 AND "+postgis.LayerVersionSQL("$2", "$3")+" IS NOT NULL", id, name, string(l.Kind))
			if err == nil {
				found := rows.Next()
				var fr featureRow
				if found {
					fr, err = iq.scan(rows)
				}
				rows.Close()
				if err == nil {
					err = rows.Err()
				}
				if err == nil && found {
					return s.writeItem(w, r, l, iq, fr, isHTML)
				}
			}
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("feature %d of %q: %w", id, name, postgis.Err(err))
				}
				s.kinds.Delete(name)
			}
		}
	}
	l, err := s.layer(ctx, r)
	if err != nil {
		s.kinds.Delete(name)
		return err
	}
	s.kinds.Store(l.Name, l.Kind)
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return land.Errorf(land.NotFound, "feature %q not found in collection %q", idText, l.Name)
	}
	iq, err := s.parseItems(r, l, true)
	if err != nil {
		return err
	}
	rows, err := s.db.Reader(l.Name).Query(ctx, "SELECT "+iq.selectList()+" FROM "+postgis.Table(l.Name)+" t WHERE t.id = $1", id)
	if err != nil {
		return fmt.Errorf("feature %d of %q: %w", id, l.Name, postgis.Err(err))
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("feature %d of %q: %w", id, l.Name, postgis.Err(err))
		}
		return land.Errorf(land.NotFound, "feature %d not found in collection %q", id, l.Name)
	}
	fr, err := iq.scan(rows)
	if err != nil {
		return fmt.Errorf("feature %d of %q: %w", id, l.Name, err)
	}
	rows.Close()
	return s.writeItem(w, r, l, iq, fr, isHTML)
}

// writeItem answers items/{id} with the feature read.
func (s *Service) writeItem(w http.ResponseWriter, r *http.Request, l *land.Layer, iq *itemsQuery, fr featureRow, isHTML bool) error {
	links := append(s.selfLinks(r, isHTML, mediaGeoJSON),
		link{Href: s.base(r) + "/collections/" + pathEscape(l.Name), Rel: "collection", Type: mediaJSON, Title: l.Name})
	if isHTML {
		return s.itemHTML(w, l, iq, fr, links)
	}
	b := iq.appendFeature(nil, fr)
	lb, _ := json.Marshal(links)
	b = append(b[:len(b)-1], `,"links":`...)
	b = append(b, lb...)
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", mediaGeoJSON)
	w.Header().Set("Content-Crs", iq.crs.contentCRS())
	_, err := w.Write(b)
	return err
}
