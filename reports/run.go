package reports

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/postgis"
)

// Options are the parameters of one run of a report.
type Options struct {
	Group []string // grouping dimensions; empty: the report's default
	Year  int      // the period Year-01-01 … Year-12-31 (shorthand for From, To); 0: none
	// From and To are the period of the flows, both or neither (zero: no
	// period); AsOf is the date of the stocks (zero: To when a period is
	// given, else today). Dates only: the time of day is ignored.
	From, To, AsOf time.Time
	Street         []string          // only features of these sub-districts (names in boundaries, or 未划分); empty: every one
	Layers         map[string]string // kind → layer name, overriding the defaults
	Summary        SummaryOptions    // layer-summary's layer and fields (layersummary.go)
	Params         map[string]string // the report's own parameters (options.go), by name
}

// Result is a computed report.
type Result = land.ReportResult

// Years a report accepts: wide enough for any land record, narrow enough to
// catch a typo such as 20233.
const minYear, maxYear = land.MinYear, land.MaxYear

// ParseGroup splits a comma-separated grouping such as "street,year".
func ParseGroup(s string) []string { return splitList(s) }

// splitList splits a comma-separated list, trimming items and dropping
// empty ones.
func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseYear parses a year parameter; "" is 0 (every year). Returns Invalid
// for anything but a year between 1900 and 2200.
func ParseYear(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	y, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || y < minYear || y > maxYear {
		return 0, land.Errorf(land.Invalid, "invalid year %q: give a year such as 2024 (%d–%d)", s, minYear, maxYear)
	}
	return y, nil
}

// ParseDate parses the date parameter param ("from", "to", "as_of"): a
// date such as 2024-01-31 (or 20240131, 2024/1/31); "" is the zero time.
// Returns Invalid naming the parameter.
func ParseDate(param, s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	return land.ParseDate(param, s)
}

// isoDate formats a date as 2024-01-31.
func isoDate(t time.Time) string { return t.Format(time.DateOnly) }

// isoDateOrEmpty is isoDate, "" for the zero time.
func isoDateOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return isoDate(t)
}

// newResult is the result of report sp before its columns and rows: the
// parameters it runs with (group, layers, period, as-of date, streets).
func newResult(sp *spec, opt Options, per period, group []string, layers map[string]string) *Result {
	res := &Result{
		Report: sp.Name, Title: sp.Title, TitleEN: sp.TitleEN,
		Params: land.ReportParams{Group: group, Layers: layers, AsOf: isoDate(per.asOf)},
		Rows:   []map[string]any{},
	}
	if opt.Year != 0 {
		y := opt.Year
		res.Params.Year = &y
	}
	if !per.from.IsZero() {
		f, t := isoDate(per.from), isoDate(per.to)
		res.Params.From, res.Params.To = &f, &t
	}
	if len(opt.Street) > 0 {
		res.Params.Street = slices.Clone(opt.Street)
	}
	return res
}

// day returns the date of t (midnight UTC of its calendar day).
func day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

// period is the resolved dates of a run.
type period struct {
	from, to time.Time // zero: no period
	asOf     time.Time
	current  bool // as_of was not given or is today or later
	year     int  // the period is the calendar year year (0: it is not one)
}

// resolvePeriod checks the dates of opt and fills in the defaults: Year is
// the calendar year; the as-of date is the period's end, else today.
func resolvePeriod(opt Options, today time.Time) (period, error) {
	var p period
	from, to := opt.From, opt.To
	if opt.Year != 0 {
		if opt.Year < minYear || opt.Year > maxYear {
			return p, land.Errorf(land.Invalid, "invalid year %d: give a year such as 2024 (%d–%d)", opt.Year, minYear, maxYear)
		}
		if !from.IsZero() || !to.IsZero() {
			return p, land.Errorf(land.Invalid, "year and from/to are given together: give a year or a period from … to")
		}
		from, to = time.Date(opt.Year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(opt.Year, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	switch {
	case from.IsZero() && !to.IsZero():
		return p, land.Errorf(land.Invalid, "to is given without from: a period needs both (or give as_of for a date)")
	case !from.IsZero() && to.IsZero():
		return p, land.Errorf(land.Invalid, "from is given without to: a period needs both (or give year)")
	}
	today = day(today)
	if !from.IsZero() {
		p.from, p.to = day(from), day(to)
		if p.from.After(p.to) {
			return p, land.Errorf(land.Invalid, "invalid period: from %s is after to %s", isoDate(p.from), isoDate(p.to))
		}
		if p.from.Month() == time.January && p.from.Day() == 1 && p.to.Month() == time.December && p.to.Day() == 31 && p.from.Year() == p.to.Year() {
			p.year = p.from.Year()
		}
	}
	switch {
	case !opt.AsOf.IsZero():
		p.asOf = day(opt.AsOf)
	case !p.to.IsZero():
		p.asOf = p.to
	default:
		p.asOf = today
	}
	p.current = !p.asOf.Before(today)
	return p, nil
}

// ParseLayer parses a layer choice "KIND=NAME" into m.
func ParseLayer(m map[string]string, s string) error {
	kind, name, ok := strings.Cut(s, "=")
	kind, name = strings.TrimSpace(kind), strings.TrimSpace(name)
	if !ok || kind == "" || name == "" {
		return land.Errorf(land.Invalid, "invalid layer choice %q: use KIND=NAME, e.g. parcels=parcels_2024", s)
	}
	m[kind] = name
	return nil
}

// Reports returns the reports the service runs, in their listing order.
func (s *Service) Reports() []land.Report {
	out := make([]land.Report, len(s.specs))
	for i, sp := range s.specs {
		out[i] = sp.Report
	}
	return out
}

// List returns the list of reports that GET /api/reports and `tudi report
// list` show, without the sub-districts (see Streets).
func (s *Service) List() *List {
	l := &List{Reports: make([]land.Report, len(s.specs)), Formats: Formats()}
	for i, sp := range s.specs {
		l.Reports[i] = sp.Report
		l.Reports[i].Street = sp.street
	}
	return l
}

func (s *Service) find(name string) (*spec, error) {
	for _, sp := range s.specs {
		if sp.Name == name {
			return sp, nil
		}
	}
	names := make([]string, len(s.specs))
	for i, sp := range s.specs {
		names[i] = sp.Name
	}
	return nil, land.Errorf(land.Invalid, "unknown report %q (allowed: %s)", name, strings.Join(names, ", ")).WithDetail(map[string]any{"allowed": names})
}

// validate checks opt against the report and returns the grouping to use and
// the layer of each kind the report reads.
func (sp *spec) validate(opt Options) (group []string, layers map[string]string, err error) {
	group = opt.Group
	if len(group) == 0 {
		group = sp.Group
	}
	keys := make([]string, len(sp.dims))
	for i, d := range sp.dims {
		keys[i] = d.key
	}
	for i, g := range group {
		if !slices.Contains(keys, g) {
			return nil, nil, land.Errorf(land.Invalid, "report %q cannot be grouped by %q (allowed: %s, comma-separated)",
				sp.Name, g, strings.Join(keys, ", ")).WithDetail(map[string]any{"allowed": keys})
		}
		if slices.Contains(group[:i], g) {
			return nil, nil, land.Errorf(land.Invalid, "group %q is given twice", g)
		}
	}
	for i, st := range opt.Street {
		if strings.TrimSpace(st) == "" {
			return nil, nil, land.Errorf(land.Invalid, "empty street name: give sub-district names, comma-separated, e.g. street=东街道,西街道")
		}
		if slices.Contains(opt.Street[:i], st) {
			return nil, nil, land.Errorf(land.Invalid, "street %q is given twice", st)
		}
	}
	if _, err := resolvePeriod(opt, time.Now()); err != nil {
		return nil, nil, err
	}
	if _, err := sp.optionValues(opt.Params); err != nil {
		return nil, nil, err
	}
	layers = map[string]string{}
	kinds := make([]string, len(sp.Layers))
	for i, l := range sp.Layers {
		layers[l.Kind] = l.Name
		kinds[i] = l.Kind
	}
	for kind, name := range opt.Layers {
		if !slices.Contains(kinds, kind) {
			return nil, nil, land.Errorf(land.Invalid, "report %q reads no %q layer (it reads: %s)", sp.Name, kind, strings.Join(kinds, ", "))
		}
		if err := land.ValidateLayerName(name); err != nil {
			return nil, nil, err
		}
		layers[kind] = name
	}
	return group, layers, nil
}

// Check validates the parameters of a run without touching the database:
// the same Invalid errors as Run gives for them.
func (s *Service) Check(name string, opt Options) error {
	sp, err := s.find(name)
	if err != nil {
		return err
	}
	if sp.dynamic {
		_, err = checkSummary(opt)
		return err
	}
	_, _, err = sp.validate(opt)
	return err
}

// Run computes the report named name. Unknown reports, groupings, years,
// layer kinds and streets are Invalid, listing what is allowed; a missing or
// empty layer that the report needs (boundaries when grouped or filtered by
// street) is NotFound, naming the layer.
func (s *Service) Run(ctx context.Context, name string, opt Options) (*Result, error) {
	sp, err := s.find(name)
	if err != nil {
		return nil, err
	}
	if sp.dynamic {
		return s.runSummary(ctx, sp, opt)
	}
	group, layers, err := sp.validate(opt)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	per, err := resolvePeriod(opt, start)
	if err != nil {
		return nil, err
	}
	res := newResult(sp, opt, per, group, layers)
	res.Columns = sp.columns(group, !per.from.IsZero())
	own, _ := sp.optionValues(opt.Params) // checked by validate
	if len(own) > 0 {
		res.Params.Options = own
		res.Columns = sp.applyOptions(res.Columns, own)
	}
	// Sub-districts are computed when grouping by street or filtering by it.
	byStreet := slices.Contains(group, "street") || len(opt.Street) > 0
	// Given an as-of date in the past, layers that keep history are read in
	// their state on that date. A period alone does not: its figures count
	// dated events (supply dates, milestones) in the layers' current state,
	// which also serves layers whose history began after the period.
	var asOf *time.Time
	if !opt.AsOf.IsZero() && !per.current {
		asOf = &per.asOf
	}
	// The report only reads (layerViews), so it runs where reads of its
	// layers go: a fit replica (one that has replayed their last import),
	// else the primary; on the primary again if the replica fails it.
	read := slices.Collect(maps.Values(layers))
	for _, v := range own {
		if name, ok := v.(string); ok {
			read = append(read, name)
		}
	}
	slices.Sort(read)
	notes0 := res.Notes
	began := false
	err = s.db.ReadTx(ctx, slices.Compact(read), func(tx pgx.Tx) error {
		began = true
		res.Notes, res.Rows, res.Totals = slices.Clone(notes0), []map[string]any{}, nil // a run again on the primary starts afresh
		var v layerViews
		for _, l := range sp.Layers {
			note, err := s.mapLayer(ctx, tx, &v, sp, l, layers[l.Kind], byStreet, asOf)
			if err != nil {
				return err
			}
			if note != "" {
				res.Notes = append(res.Notes, note)
			}
		}
		notes, err := s.mapOptionLayers(ctx, tx, &v, sp, own, asOf)
		if err != nil {
			return err
		}
		res.Notes = append(res.Notes, notes...)
		if len(opt.Street) > 0 {
			if err := checkStreets(ctx, tx, &v, sp, layers[string(land.Boundaries)], opt.Street); err != nil {
				return err
			}
		}
		if err := s.boundaryCells(ctx, tx, &v, sp, byStreet, opt.Street); err != nil {
			return err
		}
		var args []any
		for _, p := range sp.params {
			var v any // NULL: none given
			switch p {
			case "group":
				v = group
			case "from":
				if !per.from.IsZero() {
					v = per.from
				}
			case "to":
				if !per.to.IsZero() {
					v = per.to
				}
			case "as_of":
				v = per.asOf
			case "current":
				v = per.current
			case "street":
				if len(opt.Street) > 0 {
					v = opt.Street
				}
			case "holidays", "workdays":
				v = holidayParam(s.holidays, p)
			default:
				var ok bool
				if v, ok = own[p]; !ok {
					return fmt.Errorf("report %q: unknown SQL parameter %q", sp.Name, p)
				}
			}
			args = append(args, v)
		}
		rows, err := tx.Query(ctx, v.with(sp.sql), args...)
		if err != nil {
			return fmt.Errorf("report %q: %w", sp.Name, postgis.Err(err))
		}
		if err := scan(ctx, rows, res, sp.dimColumns()); err != nil {
			return fmt.Errorf("report %q: %w", sp.Name, postgis.Err(err))
		}
		return nil
	})
	if err != nil && !began {
		return nil, fmt.Errorf("report %q: %w", sp.Name, postgis.Err(err))
	}
	if err != nil {
		return nil, err
	}
	// Targets are not layers (no fence follows their changes): read from
	// the primary.
	if err := s.applyTargets(ctx, s.db.Pool, sp, res, per); err != nil {
		return nil, err
	}
	s.log.Info("report computed", "report", sp.Name, "group", strings.Join(group, ","), "year", opt.Year,
		"from", isoDateOrEmpty(per.from), "to", isoDateOrEmpty(per.to), "as_of", res.Params.AsOf,
		"street", strings.Join(opt.Street, ","), "rows", len(res.Rows), "duration_ms", time.Since(start).Milliseconds())
	return res, nil
}

// columns returns the columns of the result under a grouping: the columns
// of the chosen dimensions, then the figures that apply.
func (sp *spec) columns(group []string, withPeriod bool) []land.Column {
	var cols []land.Column
	for _, d := range sp.dims {
		if slices.Contains(group, d.key) {
			cols = append(cols, d.columns...)
		}
	}
	for _, m := range sp.measures {
		if (m.needs == "" || slices.Contains(group, m.needs)) && (!m.period || withPeriod) {
			cols = append(cols, m.Column)
		}
	}
	return cols
}

// dimColumns returns the keys of every dimension's columns.
func (sp *spec) dimColumns() map[string]bool {
	m := map[string]bool{}
	for _, d := range sp.dims {
		for _, c := range d.columns {
			m[c.Key] = true
		}
	}
	return m
}

// mapLayer maps the name of the kind in v (the report's SQL reads plain
// `parcels`, `farmland`, …) onto the chosen layer, after checking that the
// layer exists, is of the right kind and has features. A layer the report
// can do without (an optional one, or boundaries when neither grouped nor
// filtered by street) becomes an empty one instead; the returned note says so when it matters.
func (s *Service) mapLayer(ctx context.Context, tx pgx.Tx, v *layerViews, sp *spec, rl land.ReportLayer, name string, byStreet bool, asOf *time.Time) (note string, err error) {
	needed := !rl.Optional && (rl.Kind != string(land.Boundaries) || byStreet)
	// The registry is read in the report's transaction: taking a second
	// connection from the pool while holding one could wait forever on a
	// busy (or one-connection) pool.
	kind, exists, err := postgis.LayerKind(ctx, tx, name)
	if err != nil {
		return "", fmt.Errorf("report %q: %w", sp.Name, err)
	}
	if !exists {
		if needed {
			return "", land.Errorf(land.NotFound, "report %q needs a %s layer, and layer %q does not exist: import it, or choose another with --layer %s=NAME (API: layer.%s=NAME)",
				sp.Name, rl.Kind, name, rl.Kind, rl.Kind)
		}
		v.add(rl.Kind, emptySelect(s.kinds, rl.Kind), false)
		if rl.Optional {
			return fmt.Sprintf("layer %q (%s) does not exist: its figures are zero", name, rl.Kind), nil
		}
		return "", nil
	}
	if rl.Kind != stationsKind && string(kind) != rl.Kind {
		return "", land.Errorf(land.Invalid, "layer %q is a %s layer, but report %q needs a %s layer there", name, kind, sp.Name, rl.Kind)
	}
	// The layer's state on the as-of date, for a layer that keeps history;
	// any other layer is read as it is now, and the note says so.
	src := postgis.Table(name)
	var asOfNote string
	if asOf != nil && rl.Kind != stationsKind {
		h, err := postgis.FindLayerHistory(ctx, tx, name)
		if err != nil {
			return "", fmt.Errorf("report %q: layer %q: %w", sp.Name, name, err)
		}
		switch {
		case h == nil:
			asOfNote = fmt.Sprintf("layer %q keeps no history: read as it is now, not as of %s", name, asOf.Format(postgis.DateLayout))
		case asOf.Before(h.First) && rl.Kind == string(land.Boundaries):
			// Sub-districts place every feature: an empty boundaries layer
			// would put them all in 未划分, so before its history begins the
			// earliest known boundaries stand in.
			src = postgis.AsOfTable(name, s.kinds.Spec(land.Kind(kind)), h.First)
			asOfNote = fmt.Sprintf("layer %q's history begins on %s: its boundaries of that date are used for %s", name, h.First.Format(postgis.DateLayout), asOf.Format(postgis.DateLayout))
		default:
			src = postgis.AsOfTable(name, s.kinds.Spec(land.Kind(kind)), *asOf)
			if asOf.Before(h.First) {
				asOfNote = fmt.Sprintf("layer %q's history begins on %s: as of %s it is empty", name, h.First.Format(postgis.DateLayout), asOf.Format(postgis.DateLayout))
			}
		}
		if !needed {
			asOfNote = ""
		}
	}
	var hasRows bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+src+" t)").Scan(&hasRows); err != nil {
		return "", fmt.Errorf("report %q: layer %q: %w", sp.Name, name, postgis.Err(err))
	}
	if !hasRows {
		switch {
		case rl.Optional:
			note = fmt.Sprintf("layer %q (%s) is empty: its figures are zero", name, rl.Kind)
		case rl.Kind == string(land.Boundaries) && byStreet:
			note = fmt.Sprintf("layer %q (boundaries) is empty: every feature is 未划分 (unassigned)", name)
		case needed && asOfNote == "":
			return "", land.Errorf(land.NotFound, "report %q: layer %q (%s) has no features: import some first", sp.Name, name, rl.Kind)
		}
	}
	// A layer created before its kind gained a field (the milestone dates,
	// street) lacks that column: it is read as NULL, so the SQL can
	// read every canonical field of the kind.
	var have []string
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(attname::text), '{}') FROM pg_attribute
		WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`, postgis.Table(name)).Scan(&have); err != nil {
		return "", fmt.Errorf("report %q: columns of layer %q: %w", sp.Name, name, postgis.Err(err))
	}
	extra := ""
	if rl.Kind != stationsKind {
		for _, f := range kindFields(s.kinds, rl.Kind) {
			if !slices.Contains(have, f.Name) {
				extra += fmt.Sprintf(", NULL::%s AS %s", f.Type.SQLType(), postgis.Ident(f.Name))
			}
		}
	}
	v.add(rl.Kind, "SELECT *"+extra+" FROM "+src+" t", false)
	if asOfNote != "" {
		note = strings.TrimPrefix(note+"; "+asOfNote, "; ")
	}
	return note, nil
}

// kindFields returns the fields of kind in the catalogue kinds (Generic's
// for stations or a kind it does not know).
func kindFields(kinds *land.Catalog, kind string) []land.Field {
	if sp := kinds.Kind(land.Kind(kind)); sp != nil && kind != stationsKind {
		return sp.Fields
	}
	return kinds.Kind(land.Generic).Fields
}

// emptySelect returns a SELECT with the columns of a layer of the kind and
// no rows, standing in for a layer the report can do without.
func emptySelect(kinds *land.Catalog, kind string) string {
	var b strings.Builder
	b.WriteString("SELECT NULL::bigint AS id")
	for _, f := range kindFields(kinds, kind) {
		fmt.Fprintf(&b, ", NULL::%s AS %s", f.Type.SQLType(), postgis.Ident(f.Name))
	}
	b.WriteString(", NULL::jsonb AS props, NULL::geometry(Geometry, 4490) AS geom, NULL::double precision AS area_m2 WHERE false")
	return b.String()
}

// scan reads the report's rows into res: the row marked is_total becomes
// Totals (figures only), every other row a map of the result's columns.
func scan(ctx context.Context, rows pgx.Rows, res *land.ReportResult, dimCols map[string]bool) error {
	defer rows.Close()
	fields := rows.FieldDescriptions()
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		byName := make(map[string]any, len(vals))
		for i, v := range vals {
			byName[fields[i].Name] = normalise(v)
		}
		total, _ := byName["is_total"].(bool)
		row := make(map[string]any, len(res.Columns))
		for _, c := range res.Columns {
			if total && dimCols[c.Key] {
				continue
			}
			v, ok := byName[c.Key]
			if !ok {
				return fmt.Errorf("the SQL returns no column %q", c.Key)
			}
			row[c.Key] = v
		}
		if total {
			res.Totals = row
		} else {
			res.Rows = append(res.Rows, row)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if res.Totals == nil {
		return errors.New("the SQL returned no total row")
	}
	return nil
}

// normalise turns database values into the few types results hold.
func normalise(v any) any {
	switch x := v.(type) {
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}
