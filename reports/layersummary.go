package reports

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/postgis"
)

// LayerSummary is the name of the report that sums up any layer: its
// features counted, their area and a numeric field totalled, grouped by one
// or two fields, for the features whose date field lies in the period. Its
// SQL is built for the layer asked for, from the catalogue's field names
// (quoted identifiers) and props keys (bind parameters): no user text is
// ever part of the statement.
const LayerSummary = "layer-summary"

// SummaryOptions are the parameters of layer-summary besides the grouping
// (Options.Group: one or two fields) and the period.
type SummaryOptions struct {
	Of   string // the layer (required)
	Sum  string // a numeric field to total; "" none
	Date string // the date field the period selects by; required with a period
}

// summarySpec is the listing of layer-summary: it has no fixed groupings or
// layers, and takes the inputs of, group, sum and date.
func summarySpec() *spec {
	return &spec{
		Report: land.Report{
			Name: LayerSummary, Title: "图层汇总", TitleEN: "Layer summary",
			Description: "Any layer of any kind, grouped by one or two of its fields (canonical or source attributes, by name or Chinese title): feature count, area and the total of a numeric field, for the features whose date field lies in the period.",
			Groups:      []land.ReportGroup{},
			Group:       []string{},
			Layers:      []land.ReportLayer{},
			Year:        "features whose date field (date=, --date) lies in the period; without a period every feature (as of a past as-of date: the layer's state then)",
			Inputs: []land.ReportInput{
				{Key: "of", Title: "图层", TitleEN: "Layer", Required: true},
				{Key: "group", Title: "分组字段", TitleEN: "Group by fields (one or two, comma-separated)", Required: true},
				{Key: "sum", Title: "求和字段", TitleEN: "Field to total"},
				{Key: "date", Title: "日期字段", TitleEN: "Date field (for the period)"},
			},
		},
		street:  "sub-district of the feature (the smallest boundaries polygon holding its point on surface, else 未划分); a feature without geometry by its street field",
		dynamic: true,
		file:    "reports/layersummary.go",
	}
}

// summaryField is a field of the summed-up layer as the SQL reads it.
type summaryField struct {
	key     string // the result's column key: the canonical name, or the props key
	title   string
	titleEN string
	unit    string
	column  string         // the quoted column of a canonical field; "" for a props key
	typ     land.FieldType // a canonical field's type (Text for props)
	prop    string         // the props key
	sub     bool           // the sub-district (group street)
}

// checkSummary validates the parameters of layer-summary without the
// database: the Invalid errors Run gives for them.
func checkSummary(opt Options) (period, error) {
	var p period
	s := opt.Summary
	if strings.TrimSpace(s.Of) == "" {
		return p, land.Errorf(land.Invalid, "report %s needs the layer: give --of LAYER (API: of=LAYER)", LayerSummary)
	}
	if err := land.ValidateLayerName(s.Of); err != nil {
		return p, err
	}
	if len(opt.Group) == 0 || len(opt.Group) > 2 {
		return p, land.Errorf(land.Invalid, "report %s groups by one or two fields of the layer: give --group FIELD[,FIELD] (API: group=)", LayerSummary)
	}
	if len(opt.Group) == 2 && opt.Group[0] == opt.Group[1] {
		return p, land.Errorf(land.Invalid, "group %q is given twice", opt.Group[0])
	}
	for i, st := range opt.Street {
		if strings.TrimSpace(st) == "" {
			return p, land.Errorf(land.Invalid, "empty street name: give sub-district names, comma-separated, e.g. street=东街道,西街道")
		}
		if slices.Contains(opt.Street[:i], st) {
			return p, land.Errorf(land.Invalid, "street %q is given twice", st)
		}
	}
	if len(opt.Layers) > 0 {
		return p, land.Errorf(land.Invalid, "report %s reads the layer given by --of (API: of=), not layer.KIND", LayerSummary)
	}
	p, err := resolvePeriod(opt, time.Now())
	if err != nil {
		return p, err
	}
	if !p.from.IsZero() && strings.TrimSpace(s.Date) == "" {
		return p, land.Errorf(land.Invalid, "a period needs the date field it selects by: give --date FIELD (API: date=FIELD)")
	}
	return p, nil
}

// runSummary computes layer-summary.
func (s *Service) runSummary(ctx context.Context, sp *spec, opt Options) (*Result, error) {
	start := time.Now()
	per, err := checkSummary(opt)
	if err != nil {
		return nil, err
	}
	of := opt.Summary.Of
	res := newResult(sp, opt, per, opt.Group, map[string]string{"of": of})
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("report %q: %w", sp.Name, postgis.Err(err))
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	k, exists, err := postgis.LayerKind(ctx, tx, of)
	if err != nil {
		return nil, fmt.Errorf("report %q: %w", sp.Name, err)
	}
	if !exists {
		return nil, land.Errorf(land.NotFound, "report %s: layer %q does not exist (--of, API: of=)", LayerSummary, of)
	}
	kind := string(k)
	// The layer as of a past as-of date (when it keeps history), read
	// by the name of its kind like any report's layer (layerViews).
	var asOf *time.Time
	if !opt.AsOf.IsZero() && !per.current {
		asOf = &per.asOf
	}
	var v layerViews
	note, err := s.mapLayer(ctx, tx, &v, sp, land.ReportLayer{Kind: kind, Name: of}, of, false, asOf)
	if err != nil {
		return nil, err
	}
	if note != "" {
		res.Notes = append(res.Notes, note)
	}
	// Sub-districts, as every report computes them: group street, or the
	// street filter.
	byStreet := slices.Contains(opt.Group, "street") || len(opt.Street) > 0
	if byStreet {
		if kind == string(land.Boundaries) && of != "boundaries" {
			return nil, land.Errorf(land.Invalid, "report %s: a boundaries layer other than \"boundaries\" cannot be grouped or filtered by street", LayerSummary)
		}
		cp := *sp
		cp.Layers = []land.ReportLayer{{Kind: string(land.Boundaries), Name: "boundaries"}}
		if kind != string(land.Boundaries) {
			if _, err := s.mapLayer(ctx, tx, &v, &cp, cp.Layers[0], "boundaries", true, asOf); err != nil {
				return nil, err
			}
		}
		if len(opt.Street) > 0 {
			if err := checkStreets(ctx, tx, &v, sp, "boundaries", opt.Street); err != nil {
				return nil, err
			}
		}
		if err := s.boundaryCells(ctx, tx, &v, &cp, true, opt.Street); err != nil {
			return nil, err
		}
	}
	ks := s.kinds.Spec(land.Kind(kind))
	view := postgis.Ident(kind)
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	// Each field given is a canonical field (by name, Chinese or English
	// title, or source preset), else a key of props that some feature has.
	resolve := func(param, name string) (summaryField, error) {
		return s.summaryField(ctx, tx, &v, ks, view, of, param, name)
	}
	var groups []summaryField
	for _, g := range opt.Group {
		f := summaryField{key: "street", title: "街道/镇", titleEN: "Sub-district", sub: true}
		if g != "street" {
			if f, err = resolve("group", g); err != nil {
				return nil, err
			}
		}
		if slices.ContainsFunc(groups, func(o summaryField) bool { return o.key == f.key }) {
			return nil, land.Errorf(land.Invalid, "group %q is given twice", f.key)
		}
		groups = append(groups, f)
	}
	text := func(f summaryField) string {
		if f.sub {
			return "t.sub"
		}
		if f.column != "" {
			return "t." + f.column + "::text"
		}
		return "t.props->>" + arg(f.prop)
	}
	var sel, keys, order []string
	for i, f := range groups {
		k := fmt.Sprintf("g%d", i+1)
		if f.sub {
			order = append(order, k+" = '未划分'") // as the street rows of every report
		}
		order = append(order, k)
		sel = append(sel, fmt.Sprintf("coalesce(nullif(btrim(%s), ''), '未填') AS %s", text(f), k))
		keys = append(keys, k)
		res.Columns = append(res.Columns, land.Column{Key: f.key, Title: f.title, TitleEN: f.titleEN, Type: land.ColumnText})
	}
	res.Columns = append(res.Columns,
		land.Column{Key: "features", Title: "个数", TitleEN: "Features", Unit: "个", Type: land.ColumnInteger},
		land.Column{Key: "area_m2", Title: "面积", TitleEN: "Area", Unit: "m²", Type: land.ColumnNumber, Decimals: 2},
		land.Column{Key: "area_ha", Title: "面积", TitleEN: "Area", Unit: "公顷", Type: land.ColumnNumber, Decimals: 4},
		land.Column{Key: "area_mu", Title: "面积", TitleEN: "Area", Unit: "亩", Type: land.ColumnNumber, Decimals: 2})
	sumExpr := "NULL::float8"
	var sum summaryField
	if opt.Summary.Sum != "" {
		if sum, err = resolve("sum", opt.Summary.Sum); err != nil {
			return nil, err
		}
		switch {
		case sum.column != "" && (sum.typ == land.Int || sum.typ == land.Float):
			sumExpr = "t." + sum.column + "::float8"
		case sum.column != "" && sum.typ != land.Text:
			return nil, land.Errorf(land.Invalid, "sum: field %q of layer %q is a %s field, not a number", sum.key, of, sum.typ)
		default: // text: numbers with thousands separators and units read as numbers
			sumExpr = "pg_temp.tudi_number(" + text(sum) + ")"
		}
		if slices.ContainsFunc(res.Columns, func(c land.Column) bool { return c.Key == "sum" }) {
			return nil, land.Errorf(land.Invalid, "sum: a group is named sum")
		}
		res.Columns = append(res.Columns, land.Column{Key: "sum", Title: sum.title + "合计", TitleEN: "Total " + sum.titleEN, Unit: sum.unit, Type: land.ColumnNumber, Decimals: 2})
	}
	var date *summaryField
	if opt.Summary.Date != "" {
		d, err := resolve("date", opt.Summary.Date)
		if err != nil {
			return nil, err
		}
		if d.column != "" && d.typ != land.Date && d.typ != land.Text {
			return nil, land.Errorf(land.Invalid, "date: field %q of layer %q is a %s field, not a date", d.key, of, d.typ)
		}
		date = &d
	}
	// dateExpr is the date of a feature, reading a text field or a props
	// value as a date; arg numbers its props key.
	dateExpr := func(arg func(any) string) string {
		switch {
		case date.column != "" && date.typ == land.Date:
			return "t." + date.column
		case date.column != "":
			return "pg_temp.tudi_date(t." + date.column + "::text)"
		}
		return "pg_temp.tudi_date(t.props->>" + arg(date.prop) + ")"
	}
	for _, c := range res.Columns[len(groups):] {
		if slices.ContainsFunc(groups, func(g summaryField) bool { return g.key == c.Key }) {
			return nil, land.Errorf(land.Invalid, "group %q has the name of a figure: it cannot be a group", c.Key)
		}
	}
	if _, err := tx.Exec(ctx, summaryFunctions); err != nil {
		return nil, fmt.Errorf("report %q: %w", sp.Name, postgis.Err(err))
	}
	where := "true"
	if !per.from.IsZero() {
		where = dateExpr(arg) + " BETWEEN " + arg(per.from) + "::date AND " + arg(per.to) + "::date"
	}
	from := view + " t WHERE " + where
	if byStreet {
		// The sub-district of each feature (see sql/idle-land.sql): its
		// point's cell, else a lookup, else (no geometry) the polygon named
		// by its street field, else 未划分; filtered by street, the features
		// outside the chosen sub-districts' extent are left out first.
		streetCol := "NULL::text"
		if f, ok := ks.Field("street"); ok && f.Type == land.Text {
			streetCol = "d.street"
		}
		streets := "NULL::text[]"
		if len(opt.Street) > 0 {
			streets = arg(opt.Street) + "::text[]"
		}
		from = `(SELECT d.*, coalesce(cell.name, (
                    SELECT b.name FROM boundaries b WHERE ST_Contains(b.geom, d.pos) ORDER BY b.area_m2 LIMIT 1), (
                    SELECT b.name FROM boundaries b WHERE (d.pos IS NULL OR ST_IsEmpty(d.pos)) AND b.name = btrim(` + streetCol + `) LIMIT 1),
                    '未划分') AS sub
          FROM (SELECT t.*, ST_PointOnSurface(t.geom) AS pos FROM ` + view + ` t
                WHERE ` + where + `
                  AND (` + streets + ` IS NULL OR '未划分' = ANY(` + streets + `) OR t.geom IS NULL OR t.geom && (
                       SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY(` + streets + `)))
                OFFSET 0) d
          LEFT JOIN boundary_cells cell
                 ON cell.cell = floor(ST_X(d.pos) * 100)::bigint * 100000 + floor(ST_Y(d.pos) * 100)::bigint
          OFFSET 0) t
    WHERE ` + streets + ` IS NULL OR t.sub = ANY(` + streets + `)`
	}
	q := "SELECT " + strings.Join(append(keys, "GROUPING("+strings.Join(keys, ", ")+") <> 0 AS is_total"), ", ") + `,
       count(*) AS features,
       round(coalesce(sum(area_m2), 0)::numeric, 2)::float8 AS area_m2,
       round((coalesce(sum(area_m2), 0) / 10000)::numeric, 4)::float8 AS area_ha,
       round((coalesce(sum(area_m2), 0) * 15 / 10000)::numeric, 2)::float8 AS area_mu,
       round(coalesce(sum(v), 0)::numeric, 2)::float8 AS sum,
       count(*) FILTER (WHERE v IS NULL) AS no_sum
FROM (SELECT ` + strings.Join(append(sel, "t.area_m2", sumExpr+" AS v"), ", ") + `
      FROM ` + from + `) s
GROUP BY GROUPING SETS ((` + strings.Join(keys, ", ") + `), ())
ORDER BY is_total, ` + strings.Join(order, ", ")
	rows, err := tx.Query(ctx, v.with(q), args...)
	if err != nil {
		return nil, fmt.Errorf("report %q: %w", sp.Name, postgis.Err(err))
	}
	// The SQL names the groups g1, g2: the result names them after their fields.
	var noSum int64
	err = func() error {
		defer rows.Close()
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				return err
			}
			row := map[string]any{}
			total := vals[len(keys)].(bool)
			for i, f := range groups {
				if !total {
					row[f.key] = vals[i]
				}
			}
			for i, k := range []string{"features", "area_m2", "area_ha", "area_mu", "sum"} {
				if k != "sum" || opt.Summary.Sum != "" {
					row[k] = normalise(vals[len(keys)+1+i])
				}
			}
			if total {
				noSum = vals[len(keys)+6].(int64)
				res.Totals = row
			} else {
				res.Rows = append(res.Rows, row)
			}
		}
		return rows.Err()
	}()
	if err != nil {
		return nil, fmt.Errorf("report %q: %w", sp.Name, postgis.Err(err))
	}
	if opt.Summary.Sum != "" && noSum > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d features have no number in %s: they count 0 in its total", noSum, sum.key))
	}
	if !per.from.IsZero() {
		var undated int64
		var dargs []any
		q := "SELECT count(*) FROM " + view + " t WHERE " + dateExpr(func(v any) string { dargs = append(dargs, v); return "$1" }) + " IS NULL"
		if err := tx.QueryRow(ctx, v.with(q), dargs...).Scan(&undated); err != nil {
			return nil, fmt.Errorf("report %q: undated features: %w", sp.Name, postgis.Err(err))
		}
		if undated > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("%d features have no date in %s (or one that is not a date): they are in no period", undated, date.key))
		}
	}
	s.log.Info("report computed", "report", sp.Name, "of", of, "group", strings.Join(opt.Group, ","), "sum", opt.Summary.Sum, "date", opt.Summary.Date,
		"from", isoDateOrEmpty(per.from), "to", isoDateOrEmpty(per.to), "as_of", res.Params.AsOf, "rows", len(res.Rows), "duration_ms", time.Since(start).Milliseconds())
	return res, nil
}

// summaryFunctions read numbers and dates from text (props): functions of
// the report's transaction, gone when it ends. A value that is not a number
// or a date reads NULL.
const summaryFunctions = `
CREATE FUNCTION pg_temp.tudi_number(s text) RETURNS double precision LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
    RETURN nullif(regexp_replace(s, '[^0-9.eE+-]', '', 'g'), '')::double precision;
EXCEPTION WHEN others THEN RETURN NULL;
END $f$;
CREATE FUNCTION pg_temp.tudi_date(s text) RETURNS date LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE m text[];
BEGIN
    m := regexp_match(s, '^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?');
    IF m IS NULL THEN
        m := regexp_match(s, '^\s*(\d{4})(\d{2})(\d{2})\s*$');
    END IF;
    IF m IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN make_date(m[1]::int, m[2]::int, m[3]::int);
EXCEPTION WHEN others THEN RETURN NULL;
END $f$;`

// summaryField resolves name, given as parameter param, to a field of the
// layer: a canonical field by its name, its Chinese or English title or a
// source preset, else a props key that some feature of the layer has.
func (s *Service) summaryField(ctx context.Context, tx pgx.Tx, v *layerViews, ks *land.KindSpec, view, layer, param, name string) (summaryField, error) {
	name = strings.TrimSpace(name)
	for _, match := range []func(f land.Field) bool{
		func(f land.Field) bool { return f.Name == name },
		func(f land.Field) bool { return f.Title == name || strings.EqualFold(f.TitleEN, name) },
		func(f land.Field) bool {
			return slices.ContainsFunc(f.Presets, func(p string) bool { return strings.EqualFold(p, name) })
		},
	} {
		for _, f := range ks.Fields {
			if match(f) {
				return summaryField{key: f.Name, title: f.Title, titleEN: f.TitleEN, unit: f.Unit, column: postgis.Ident(f.Name), typ: f.Type}, nil
			}
		}
	}
	var has bool
	if err := tx.QueryRow(ctx, v.with("SELECT EXISTS (SELECT 1 FROM "+view+" t WHERE t.props ? $1)"), name).Scan(&has); err != nil {
		return summaryField{}, fmt.Errorf("report %s: %s %q: %w", LayerSummary, param, name, postgis.Err(err))
	}
	if has {
		return summaryField{key: name, title: name, titleEN: name, typ: land.Text, prop: name}, nil
	}
	allowed := make([]string, 0, len(ks.Fields))
	for _, f := range ks.Fields {
		allowed = append(allowed, f.Name+" ("+f.Title+")")
	}
	var props []string
	if err := tx.QueryRow(ctx, v.with("SELECT coalesce(array_agg(k ORDER BY k), '{}') FROM (SELECT DISTINCT jsonb_object_keys(t.props) AS k FROM (SELECT props FROM "+view+" LIMIT 1000) t) k")).Scan(&props); err != nil {
		return summaryField{}, fmt.Errorf("report %s: %s %q: %w", LayerSummary, param, name, postgis.Err(err))
	}
	allowed = append(allowed, props...)
	return summaryField{}, land.Errorf(land.Invalid, "%s: layer %q has no field %q (allowed: %s)", param, layer, name, strings.Join(allowed, ", ")).
		WithDetail(map[string]any{"allowed": allowed})
}

// setSummary sets the layer-summary parameter key (of, sum or date) of o.
func setSummary(o *SummaryOptions, key, v string) {
	switch key {
	case "of":
		o.Of = strings.TrimSpace(v)
	case "sum":
		o.Sum = strings.TrimSpace(v)
	case "date":
		o.Date = strings.TrimSpace(v)
	}
}
