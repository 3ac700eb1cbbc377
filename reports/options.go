package reports

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/postgis"
)

// A report may declare parameters of its own besides the ones every report
// takes, each with a kind:
//
//	-- @param $7 overlay kind=layer title=叠加图层 title_en="Overlay layer"
//	-- @param $8 late_years kind=int default=3 min=1 max=50 title=… title_en=…
//
// A layer parameter names any layer with polygons: the SQL gets its name
// ($7, NULL when not given) and reads its polygons by the name of the
// parameter (a common table expression, see layerViews) (`FROM overlay`: columns id and geom; empty
// when not given). An integer parameter gets its value, the default when not
// given. On the command line a parameter is --NAME (with - for _), in the
// API NAME=…; a column declared with param=NAME is shown only when that
// parameter is given, and a column title may say {NAME}, replaced by the
// value.

// optionKinds are the kinds of a report's own parameters.
var optionKinds = []string{land.ReportParamLayer, land.ReportParamInt}

// parseOption reads the attributes of an "@param $N NAME kind=…" line.
func parseOption(name string, attrs map[string]string) (land.ReportParam, error) {
	p := land.ReportParam{Name: name, Kind: attrs["kind"], Title: attrs["title"], TitleEN: attrs["title_en"]}
	if !columnKeyRE.MatchString(name) || slices.Contains(sqlParams, name) || name == "format" || name == "year" || name == "layer" {
		return p, fmt.Errorf("invalid parameter name %q: use lower-case letters, digits and _, not one of format, year, layer, %s", name, strings.Join(sqlParams, ", "))
	}
	if !slices.Contains(optionKinds, p.Kind) {
		return p, fmt.Errorf("parameter %q: unknown kind %q (allowed: %s)", name, p.Kind, strings.Join(optionKinds, ", "))
	}
	if p.Title == "" || p.TitleEN == "" {
		return p, fmt.Errorf("parameter %q: title and title_en are required", name)
	}
	for key, dst := range map[string]**int{"default": &p.Default, "min": &p.Min, "max": &p.Max} {
		v, ok := attrs[key]
		if !ok {
			continue
		}
		if p.Kind != land.ReportParamInt {
			return p, fmt.Errorf("parameter %q: %s= is for an int parameter", name, key)
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, fmt.Errorf("parameter %q: bad %s %q", name, key, v)
		}
		*dst = &n
	}
	for key := range attrs {
		if !slices.Contains([]string{"kind", "title", "title_en", "default", "min", "max"}, key) {
			return p, fmt.Errorf("parameter %q: unknown attribute %s=", name, key)
		}
	}
	if p.Kind == land.ReportParamInt && p.Default == nil {
		return p, fmt.Errorf("parameter %q: an int parameter needs default=", name)
	}
	if p.Default != nil && ((p.Min != nil && *p.Default < *p.Min) || (p.Max != nil && *p.Default > *p.Max)) {
		return p, fmt.Errorf("parameter %q: default %d is out of its range", name, *p.Default)
	}
	return p, nil
}

// option returns the report's own parameter named name.
func (sp *spec) option(name string) (land.ReportParam, bool) {
	i := slices.IndexFunc(sp.Params, func(p land.ReportParam) bool { return p.Name == name })
	if i < 0 {
		return land.ReportParam{}, false
	}
	return sp.Params[i], true
}

// OptionNames returns the names of the parameters report name declares for
// itself (none for an unknown report).
func (s *Service) OptionNames(name string) []string {
	sp, err := s.find(name)
	if err != nil {
		return nil
	}
	out := make([]string, len(sp.Params))
	for i, p := range sp.Params {
		out[i] = p.Name
	}
	return out
}

// OptionFlags returns the report parameters declared by any report of the
// catalogue, one per name (for the command line's flags).
func (c *Catalog) OptionFlags() []land.ReportParam {
	var out []land.ReportParam
	for _, sp := range c.specs {
		for _, p := range sp.Params {
			if !slices.ContainsFunc(out, func(o land.ReportParam) bool { return o.Name == p.Name }) {
				out = append(out, p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// optionValues checks the values given for the report's own parameters and
// returns the value of each declared one: a layer name (nil: not given), an
// integer (its default when not given). Invalid names the parameter.
func (sp *spec) optionValues(given map[string]string) (map[string]any, error) {
	names := make([]string, len(sp.Params))
	for i, p := range sp.Params {
		names[i] = p.Name
	}
	for key := range given {
		if _, ok := sp.option(key); !ok {
			allowed := "none"
			if len(names) > 0 {
				allowed = strings.Join(names, ", ")
			}
			return nil, land.Errorf(land.Invalid, "report %q takes no parameter %q (its own parameters: %s)", sp.Name, key, allowed)
		}
	}
	out := map[string]any{}
	for _, p := range sp.Params {
		v, ok := given[p.Name]
		v = strings.TrimSpace(v)
		switch p.Kind {
		case land.ReportParamLayer:
			out[p.Name] = nil
			if ok && v != "" {
				if err := land.ValidateLayerName(v); err != nil {
					return nil, land.Errorf(land.Invalid, "parameter %s: %w", p.Name, err)
				}
				out[p.Name] = v
			}
		case land.ReportParamInt:
			n := *p.Default
			if ok && v != "" {
				var err error
				if n, err = strconv.Atoi(v); err != nil {
					return nil, land.Errorf(land.Invalid, "parameter %s: %q is not a whole number", p.Name, v)
				}
			}
			if (p.Min != nil && n < *p.Min) || (p.Max != nil && n > *p.Max) {
				return nil, land.Errorf(land.Invalid, "parameter %s: %d is out of range (%s)", p.Name, n, intRange(p))
			}
			out[p.Name] = int64(n)
		}
	}
	return out, nil
}

func intRange(p land.ReportParam) string {
	lo, hi := "…", "…"
	if p.Min != nil {
		lo = strconv.Itoa(*p.Min)
	}
	if p.Max != nil {
		hi = strconv.Itoa(*p.Max)
	}
	return lo + "–" + hi
}

// applyOptions drops the columns of parameters not given and puts the
// values of the parameters into the column titles ({NAME}).
func (sp *spec) applyOptions(cols []land.Column, vals map[string]any) []land.Column {
	var out []land.Column
	for _, c := range cols {
		if p := sp.columnParam(c.Key); p != "" && vals[p] == nil {
			continue
		}
		for name, v := range vals {
			if v != nil {
				c.Title = strings.ReplaceAll(c.Title, "{"+name+"}", fmt.Sprint(v))
				c.TitleEN = strings.ReplaceAll(c.TitleEN, "{"+name+"}", fmt.Sprint(v))
				c.Formula = strings.ReplaceAll(c.Formula, "{"+name+"}", fmt.Sprint(v))
			}
		}
		out = append(out, c)
	}
	return out
}

// columnParam returns the parameter a measure's column is shown for.
func (sp *spec) columnParam(key string) string {
	for _, m := range sp.measures {
		if m.Key == key {
			return m.param
		}
	}
	return ""
}

// emptyOverlay stands for a layer parameter that was not given.
const emptyOverlay = "SELECT NULL::bigint AS id, NULL::geometry(Geometry, 4490) AS geom WHERE false"

// mapOptionLayers maps each layer parameter in v onto the polygons of
// the named layer (as of asOf for a layer that keeps history), or none. A
// layer that does not exist is NotFound; one without polygons is Invalid.
func (s *Service) mapOptionLayers(ctx context.Context, tx pgx.Tx, v *layerViews, sp *spec, vals map[string]any, asOf *time.Time) (notes []string, err error) {
	for _, p := range sp.Params {
		if p.Kind != land.ReportParamLayer {
			continue
		}
		name, _ := vals[p.Name].(string)
		if name == "" {
			v.add(p.Name, emptyOverlay, false)
			continue
		}
		kind, exists, err := postgis.LayerKind(ctx, tx, name)
		if err != nil {
			return nil, fmt.Errorf("report %q: %w", sp.Name, err)
		}
		if !exists {
			return nil, land.Errorf(land.NotFound, "report %q: parameter %s: layer %q does not exist", sp.Name, p.Name, name)
		}
		src := postgis.Table(name)
		if asOf != nil {
			h, err := postgis.FindLayerHistory(ctx, tx, name)
			if err != nil {
				return nil, fmt.Errorf("report %q: layer %q: %w", sp.Name, name, err)
			}
			if h == nil {
				notes = append(notes, fmt.Sprintf("layer %q keeps no history: read as it is now, not as of %s", name, asOf.Format(postgis.DateLayout)))
			} else {
				src = postgis.AsOfTable(name, s.kinds.Spec(land.Kind(kind)), *asOf)
			}
		}
		var polygons bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+src+" t WHERE ST_Dimension(t.geom) = 2)").Scan(&polygons); err != nil {
			return nil, fmt.Errorf("report %q: layer %q: %w", sp.Name, name, postgis.Err(err))
		}
		if !polygons {
			return nil, land.Errorf(land.Invalid, "report %q: parameter %s: layer %q has no polygons to overlay", sp.Name, p.Name, name)
		}
		v.add(p.Name, "SELECT t.id, t.geom FROM "+src+" t WHERE ST_Dimension(t.geom) = 2", false)
	}
	return notes, nil
}
