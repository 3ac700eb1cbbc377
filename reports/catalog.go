package reports

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"tudi/land"
	"tudi/postgis"
)

// Catalog is the set of reports the service runs: the embedded ones
// (sql/*.sql), plus or replaced by those of a catalogue directory. Each
// report is one .sql file whose header declares it (see docs/catalogue.md):
//
//	-- @report name=land-supply title=土地供应情况 title_en="Land supply"
//	-- @description "…"          what the list says of it
//	-- @period "…"               what a period counts (land.Report.Year)
//	-- @street "…"               what --street selects by
//	-- @layer kind=parcels name=parcels [optional]
//	-- @param $1 group           group, from, to, as_of, current or street
//	-- @param $7 overlay kind=layer title=… title_en=…   a parameter of its own (options.go)
//	-- @group key=year title=供应年度 title_en="Supply year"
//	-- @column key=year group=year type=integer title=… title_en=…
//	-- @default_group year,method
//	-- @column key=parcels type=integer title=宗数 title_en=Parcels unit=宗 [decimals=N] [needs=GROUP] [flow] [target]
//
// A file without any "-- @" line is not a report (sql/boundary-cells.sql is
// a helper the Go code reads by name). A catalogue is built once at start
// and never changed.
type Catalog struct {
	specs    []*spec
	kinds    *land.Catalog  // the kinds whose fields the reports' layers have
	holidays *land.Holidays // the working-day calendar (holidays.go)
}

// WithKinds returns c reading layers whose kinds are those of kinds (for
// the columns of a missing or older layer; default land.DefaultCatalog()).
func (c *Catalog) WithKinds(kinds *land.Catalog) *Catalog {
	out := *c
	out.kinds = kinds
	return &out
}

func (c *Catalog) kindCatalog() *land.Catalog {
	if c.kinds != nil {
		return c.kinds
	}
	return land.DefaultCatalog()
}

// Reports returns the reports of the catalogue, in listing order.
func (c *Catalog) Reports() []land.Report {
	out := make([]land.Report, len(c.specs))
	for i, sp := range c.specs {
		out[i] = sp.Report
	}
	return out
}

// defaultOrder is the listing order of the embedded reports; reports added
// by a catalogue directory follow, by name.
var defaultOrder = []string{"land-supply", "farmland-occupation", "idle-land", "renewal-progress", "land-use-summary",
	"rectification", "permits", "layer-summary", "expropriation", "resettlement", "renovation-progress"}

// DefaultCatalog returns the embedded reports. It panics if one of them is
// invalid: a build mistake, which every test run catches.
func DefaultCatalog() *Catalog {
	specs, err := readReports(sqlFiles, "sql", "reports/sql")
	if err != nil {
		panic(err)
	}
	specs = append(specs, summarySpec())
	sort.SliceStable(specs, func(i, j int) bool { return rank(specs[i].Name) < rank(specs[j].Name) })
	return &Catalog{specs: specs}
}

func rank(name string) int {
	if i := slices.Index(defaultOrder, name); i >= 0 {
		return i
	}
	return len(defaultOrder)
}

// Overlay returns a catalogue with the reports of c, to which those read
// from the *.sql files of dir in fsys are added, replacing reports of the
// same name. label names dir in messages. Errors are Invalid and name the
// file, the line and the parameter, group or column.
func (c *Catalog) Overlay(fsys fs.FS, dir, label string) (*Catalog, error) {
	specs, err := readReports(fsys, dir, label)
	if err != nil {
		return nil, err
	}
	out := &Catalog{specs: slices.Clone(c.specs), kinds: c.kinds, holidays: c.holidays}
	for _, sp := range specs {
		if i := slices.IndexFunc(out.specs, func(o *spec) bool { return o.Name == sp.Name }); i >= 0 {
			out.specs[i] = sp
		} else {
			out.specs = append(out.specs, sp)
		}
	}
	return out, nil
}

// Check describes the SQL of every report against db and returns an Invalid
// error naming the file and line of a declared column the SQL does not
// return. The report's layers are stood in for by empty ones of their kind
// (layerViews), so no layer needs to exist.
func (c *Catalog) Check(ctx context.Context, db *postgis.DB) error {
	for _, sp := range c.specs {
		if sp.dynamic {
			continue
		}
		if err := sp.check(ctx, db, c.kindCatalog()); err != nil {
			return err
		}
	}
	return nil
}

func (sp *spec) check(ctx context.Context, db *postgis.DB, kinds *land.Catalog) error {
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("report %q: %w", sp.Name, postgis.Err(err))
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var v layerViews
	for _, l := range sp.Layers {
		v.add(l.Kind, emptySelect(kinds, l.Kind), false)
	}
	for _, p := range sp.Params {
		if p.Kind == land.ReportParamLayer {
			v.add(p.Name, emptyOverlay, false)
		}
	}
	v.add("boundary_cells", `SELECT NULL::bigint AS cell, NULL::text AS name WHERE false`, false)
	sd, err := tx.Conn().Prepare(ctx, "", v.with(sp.sql))
	if err != nil {
		return land.Errorf(land.Invalid, "%s: the SQL does not prepare: %v", sp.file, postgis.Err(err))
	}
	got := map[string]bool{}
	for _, f := range sd.Fields {
		got[f.Name] = true
	}
	for _, key := range append([]string{"is_total"}, sp.columnKeys()...) {
		if !got[key] {
			return land.Errorf(land.Invalid, "%s:%d: column %q: the SQL returns no such column", sp.file, sp.lines[key], key)
		}
	}
	return nil
}

// columnKeys lists the keys of every declared column.
func (sp *spec) columnKeys() []string {
	var out []string
	for _, d := range sp.dims {
		for _, c := range d.columns {
			out = append(out, c.Key)
		}
	}
	for _, m := range sp.measures {
		out = append(out, m.Key)
	}
	return out
}

var (
	placeholderRE = regexp.MustCompile(`\$(\d+)`)
	reportNameRE  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	columnKeyRE   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	sqlParams     = []string{"group", "from", "to", "as_of", "current", "street", "holidays", "workdays"}
	columnTypes   = []string{land.ColumnText, land.ColumnInteger, land.ColumnNumber, land.ColumnPercent}
)

// readReports reads every *.sql file of dir that has a header.
func readReports(fsys fs.FS, dir, label string) ([]*spec, error) {
	var out []*spec
	seen := map[string]string{}
	err := land.ReadCatalogFiles(fsys, dir, "*.sql", label, func(file string, b []byte) error {
		sp, err := parseReport(string(b), file)
		if err != nil || sp == nil {
			return err
		}
		if prev, ok := seen[sp.Name]; ok {
			return land.Errorf(land.Invalid, "%s:%d: duplicate report %q (also declared in %s)", file, sp.lines["@report"], sp.Name, prev)
		}
		seen[sp.Name] = file
		out = append(out, sp)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parseReport reads the header of one .sql file; nil when it has none.
func parseReport(src, file string) (*spec, error) {
	sp := &spec{sql: src, file: file, lines: map[string]int{}}
	params := map[int]int{} // $n → line
	cur := -1               // the group the next group= column belongs to
	header := false
	for i, raw := range strings.Split(src, "\n") {
		line := i + 1
		rest, ok := strings.CutPrefix(strings.TrimSpace(raw), "-- @")
		if !ok {
			continue
		}
		header = true
		bad := func(format string, args ...any) error {
			return land.Errorf(land.Invalid, "%s:%d: %s", file, line, fmt.Sprintf(format, args...))
		}
		directive, rest, _ := strings.Cut(rest, " ")
		words, attrs, err := tokens(rest)
		if err != nil {
			return nil, bad("@%s: %v", directive, err)
		}
		one := func() (string, error) {
			if len(words) != 1 || len(attrs) != 0 {
				return "", bad("@%s takes one value (quote it if it has spaces)", directive)
			}
			return words[0], nil
		}
		switch directive {
		case "report":
			if sp.Name != "" {
				return nil, bad("a second @report")
			}
			sp.Name, sp.Title, sp.TitleEN = attrs["name"], attrs["title"], attrs["title_en"]
			if !reportNameRE.MatchString(sp.Name) {
				return nil, bad("@report: invalid name %q: use lower-case letters, digits and -", sp.Name)
			}
			if sp.Title == "" || sp.TitleEN == "" {
				return nil, bad("@report %q: title and title_en are required", sp.Name)
			}
			sp.lines["@report"] = line
		case "description":
			if sp.Description, err = one(); err != nil {
				return nil, err
			}
		case "period":
			if sp.Year, err = one(); err != nil {
				return nil, err
			}
		case "street":
			if sp.street, err = one(); err != nil {
				return nil, err
			}
		case "layer":
			l := land.ReportLayer{Kind: attrs["kind"], Name: attrs["name"], Optional: slices.Contains(words, "optional")}
			if l.Kind == "" || land.ValidateLayerName(l.Name) != nil {
				return nil, bad("@layer: kind= and a valid layer name= are required")
			}
			if slices.ContainsFunc(sp.Layers, func(o land.ReportLayer) bool { return o.Kind == l.Kind }) {
				return nil, bad("@layer: kind %q: duplicate layer", l.Kind)
			}
			sp.Layers = append(sp.Layers, l)
		case "param":
			if len(words) == 2 && attrs["kind"] != "" && strings.HasPrefix(words[0], "$") {
				// A parameter of the report's own (options.go).
				p, err := parseOption(words[1], attrs)
				if err != nil {
					return nil, bad("@param %s: %v", words[0], err)
				}
				if _, dup := sp.option(p.Name); dup {
					return nil, bad("@param %s: duplicate parameter %q", words[0], p.Name)
				}
				sp.Params = append(sp.Params, p)
				attrs = map[string]string{}
			}
			if len(words) != 2 || !strings.HasPrefix(words[0], "$") || len(attrs) != 0 {
				return nil, bad("@param: want \"$N NAME\" (NAME one of %s)", strings.Join(sqlParams, ", "))
			}
			n, err := strconv.Atoi(words[0][1:])
			if err != nil || n < 1 {
				return nil, bad("@param: bad placeholder %q", words[0])
			}
			if _, dup := params[n]; dup {
				return nil, bad("@param %s: duplicate parameter", words[0])
			}
			if _, own := sp.option(words[1]); !own && !slices.Contains(sqlParams, words[1]) {
				return nil, bad("@param %s: unknown parameter %q (allowed: %s)", words[0], words[1], strings.Join(sqlParams, ", "))
			}
			if n != len(params)+1 {
				return nil, bad("@param %s: parameters are declared in order, $1 first", words[0])
			}
			params[n] = line
			sp.params = append(sp.params, words[1])
		case "group":
			d := dim{key: attrs["key"], title: attrs["title"], titleEN: attrs["title_en"]}
			if !columnKeyRE.MatchString(d.key) {
				return nil, bad("@group: invalid key %q", d.key)
			}
			if slices.ContainsFunc(sp.dims, func(o dim) bool { return o.key == d.key }) {
				return nil, bad("@group %q: duplicate group", d.key)
			}
			sp.dims = append(sp.dims, d)
			cur = len(sp.dims) - 1
		case "default_group":
			g, err := one()
			if err != nil {
				return nil, err
			}
			sp.Group = splitList(g)
			sp.lines["@default_group"] = line
		case "column":
			c := land.Column{Key: attrs["key"], Title: attrs["title"], TitleEN: attrs["title_en"], Unit: attrs["unit"], Type: attrs["type"],
				Formula: attrs["formula"]}
			if !columnKeyRE.MatchString(c.Key) {
				return nil, bad("@column: invalid key %q", c.Key)
			}
			if _, dup := sp.lines[c.Key]; dup {
				return nil, bad("@column %q: duplicate column", c.Key)
			}
			if !slices.Contains(columnTypes, c.Type) {
				return nil, bad("@column %q: unknown type %q (allowed: %s)", c.Key, c.Type, strings.Join(columnTypes, ", "))
			}
			// A rate names its numerator and denominator: the reports it
			// stands for often do not, and a reader must not have to guess.
			if c.Type == land.ColumnPercent && strings.TrimSpace(c.Formula) == "" {
				return nil, bad("@column %q: a percent column needs formula=\"numerator ÷ denominator\"", c.Key)
			}
			if d, ok := attrs["decimals"]; ok {
				if c.Decimals, err = strconv.Atoi(d); err != nil || c.Decimals < 0 || c.Decimals > 10 {
					return nil, bad("@column %q: bad decimals %q", c.Key, d)
				}
			}
			sp.lines[c.Key] = line
			if g, ok := attrs["group"]; ok {
				if cur < 0 || sp.dims[cur].key != g {
					return nil, bad("@column %q: group=%s must follow its @group", c.Key, g)
				}
				sp.dims[cur].columns = append(sp.dims[cur].columns, c)
				continue
			}
			m := measure{Column: c, needs: attrs["needs"], period: slices.Contains(words, "flow"), target: slices.Contains(words, "target"), param: attrs["param"]}
			if _, ok := sp.option(m.param); m.param != "" && !ok {
				return nil, bad("@column %q: param=%s names no parameter of the report's own (declare its @param first)", c.Key, m.param)
			}
			if m.needs != "" && !slices.ContainsFunc(sp.dims, func(d dim) bool { return d.key == m.needs }) {
				return nil, bad("@column %q: needs=%s names no @group", c.Key, m.needs)
			}
			sp.measures = append(sp.measures, m)
			if m.target {
				sp.Targets = append(sp.Targets, c.Key)
			}
		default:
			return nil, bad("unknown directive @%s", directive)
		}
	}
	if !header {
		return nil, nil
	}
	if sp.Name == "" {
		return nil, land.Errorf(land.Invalid, "%s: no @report line", file)
	}
	if len(sp.measures) == 0 {
		return nil, land.Errorf(land.Invalid, "%s: report %q declares no @column", file, sp.Name)
	}
	for _, d := range sp.dims {
		sp.Groups = append(sp.Groups, land.ReportGroup{Key: d.key, Title: d.title, TitleEN: d.titleEN})
	}
	for _, g := range sp.Group {
		if !slices.ContainsFunc(sp.dims, func(d dim) bool { return d.key == g }) {
			return nil, land.Errorf(land.Invalid, "%s:%d: @default_group: %q names no @group", file, sp.lines["@default_group"], g)
		}
	}
	// Every placeholder of the SQL (comments aside) has its @param.
	for i, raw := range strings.Split(src, "\n") {
		code, _, _ := strings.Cut(raw, "--")
		for _, m := range placeholderRE.FindAllStringSubmatch(code, -1) {
			n, _ := strconv.Atoi(m[1])
			if _, ok := params[n]; !ok {
				return nil, land.Errorf(land.Invalid, "%s:%d: placeholder $%d has no @param", file, i+1, n)
			}
		}
	}
	return sp, nil
}

// tokens splits a header line into bare words and key=value attributes; a
// value with spaces is quoted as a Go string ("…").
func tokens(s string) (words []string, attrs map[string]string, err error) {
	attrs = map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		key := ""
		if i := strings.IndexAny(s, "= \""); i > 0 && s[i] == '=' {
			key, s = s[:i], s[i+1:]
		}
		var v string
		if strings.HasPrefix(s, `"`) {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, nil, fmt.Errorf("unterminated quoted value")
			}
			v, _ = strconv.Unquote(q)
			s = s[len(q):]
		} else {
			v, s, _ = strings.Cut(s, " ")
		}
		if key == "" {
			words = append(words, v)
			continue
		}
		if _, dup := attrs[key]; dup {
			return nil, nil, fmt.Errorf("%s= given twice", key)
		}
		attrs[key] = v
	}
	return words, attrs, nil
}
