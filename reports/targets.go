package reports

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/encoding/simplifiedchinese"

	"tudi/land"
	"tudi/postgis"
	"tudi/sheet"
)

// TargetRow is a target read from a file, with the row it came from (as
// the spreadsheet numbers it) for messages.
type TargetRow struct {
	land.Target
	Row int
}

// targetHeaders maps the headers a targets file may use, English or
// Chinese, onto the fields.
var targetHeaders = map[string]string{
	"year": "year", "年度": "year", "年份": "year",
	"report": "report", "报表": "report",
	"measure": "measure", "指标": "measure",
	"filter": "filter", "条件": "filter",
	"street": "street", "街道": "street", "街道/镇": "street",
	"value": "value", "目标值": "value", "任务值": "value",
	"unit": "unit", "单位": "unit",
	"issuer": "issuer", "下达单位": "issuer",
}

// ReadTargets reads a targets file, .xlsx (its first sheet) or .csv (UTF-8,
// with or without a byte-order mark, or GBK): a header row, English or Chinese
// (year 年度, report 报表, measure 指标, filter 条件, street 街道, value
// 目标值, unit 单位, issuer 下达单位; year, report, measure and value are
// required), then one target per row; empty rows are skipped. Values are
// only parsed here: Service.CheckTargets validates them against the
// reports. Returns Invalid naming the file, row and column.
func ReadTargets(name string, r io.Reader) ([]TargetRow, error) {
	var sh *sheet.Sheet
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".csv":
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		b = bytes.TrimPrefix(b, []byte("\ufeff"))
		// Excel in a Chinese locale saves CSV in GBK: text that is not
		// UTF-8 is read as GB18030 (a superset of GBK).
		if !utf8.Valid(b) {
			if b, err = simplifiedchinese.GB18030.NewDecoder().Bytes(b); err != nil {
				return nil, land.Errorf(land.Invalid, "%s: neither UTF-8 nor GBK text: %v", name, err)
			}
		}
		if sh, err = sheet.ParseCSV(b); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	case ".xlsx":
		var err error
		if sh, err = sheet.ReadXLSX(name, r, ""); err != nil {
			return nil, err
		}
	default:
		return nil, land.Errorf(land.Invalid, "%s: a targets file is .xlsx or .csv", name)
	}
	rows := sh.Texts()
	// The header is the first row with any text.
	h := slices.IndexFunc(rows, func(r []string) bool { return strings.TrimSpace(strings.Join(r, "")) != "" })
	if h < 0 {
		return nil, land.Errorf(land.Invalid, "%s: no header row", name)
	}
	col := map[string]int{}
	for i, c := range rows[h] {
		c = strings.TrimSpace(c)
		f, ok := targetHeaders[strings.ToLower(c)]
		if !ok {
			if c == "" {
				continue
			}
			return nil, land.Errorf(land.Invalid, "%s row %d: unknown column %q (allowed: year 年度, report 报表, measure 指标, filter 条件, street 街道, value 目标值, unit 单位, issuer 下达单位)", name, sh.Lines[h], c)
		}
		if _, dup := col[f]; dup {
			return nil, land.Errorf(land.Invalid, "%s row %d: column %q is given twice", name, sh.Lines[h], f)
		}
		col[f] = i
	}
	for _, f := range []string{"year", "report", "measure", "value"} {
		if _, ok := col[f]; !ok {
			return nil, land.Errorf(land.Invalid, "%s: no %s column in the header row %d", name, f, sh.Lines[h])
		}
	}
	var out []TargetRow
	for i, r := range rows[h+1:] {
		n := sh.Lines[h+1+i]
		get := func(f string) string {
			if j, ok := col[f]; ok && j < len(r) {
				return strings.TrimSpace(r[j])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(r, "")) == "" {
			continue
		}
		t := TargetRow{Row: n, Target: land.Target{Report: get("report"), Measure: get("measure"), Street: get("street"),
			Unit: get("unit"), Issuer: get("issuer")}}
		var err error
		if t.Year, err = strconv.Atoi(get("year")); err != nil || t.Year < minYear || t.Year > maxYear {
			return nil, land.Errorf(land.Invalid, "%s row %d: invalid year %q", name, n, get("year"))
		}
		v := strings.NewReplacer(",", "", "，", "", " ", "").Replace(get("value"))
		if t.Value, err = strconv.ParseFloat(v, 64); err != nil || t.Value < 0 || math.IsInf(t.Value, 0) || math.IsNaN(t.Value) {
			return nil, land.Errorf(land.Invalid, "%s row %d: invalid value %q: give a number ≥ 0", name, n, get("value"))
		}
		if t.Filter, err = normaliseFilter(get("filter")); err != nil {
			return nil, land.Errorf(land.Invalid, "%s row %d: %v", name, n, err)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, land.Errorf(land.Invalid, "%s: no targets under the header row", name)
	}
	return out, nil
}

// parseFilter splits a filter such as "kind=批而未供; cause=政府原因" into
// its pairs, in the order given.
func parseFilter(s string) ([][2]string, error) {
	var out [][2]string
	for p := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ';' || r == '；' || r == ',' || r == '，' }) {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		k, v, ok := strings.Cut(strings.ReplaceAll(p, "＝", "="), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("invalid filter %q: use KEY=VALUE, ; between them, e.g. kind=批而未供", s)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// normaliseFilter returns the filter with its pairs sorted and joined by
// ";", so that the same condition is one key however it was written.
func normaliseFilter(s string) (string, error) {
	pairs, err := parseFilter(s)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p[0] + "=" + p[1]
	}
	sort.Strings(parts)
	return strings.Join(parts, ";"), nil
}

// unitFactors are the units a target may be given in, other than its
// column's: the size of one unit in a base unit shared by its family.
var unitFactors = map[string]struct {
	family string
	size   float64
}{
	"m²": {"area", 1}, "平方米": {"area", 1}, "m2": {"area", 1},
	"公顷": {"area", 10000}, "ha": {"area", 10000},
	"亩": {"area", 10000.0 / 15}, "mu": {"area", 10000.0 / 15},
	"万m²": {"area", 1e4}, "万平方米": {"area", 1e4},
	"万元": {"money", 1e4}, "亿元": {"money", 1e8},
	// Counts: the measure words of a count name the same unit.
	"个": {"count", 1}, "宗": {"count", 1}, "块": {"count", 1}, "项": {"count", 1}, "户": {"count", 1},
}

// convert returns v, in unit from, in unit to; ok is false when the units
// do not convert. The empty unit is to's.
func convert(v float64, from, to string) (float64, bool) {
	if from == "" || from == to {
		return v, true
	}
	f, okf := unitFactors[from]
	t, okt := unitFactors[to]
	if !okf || !okt || f.family != t.family {
		return 0, false
	}
	return v * f.size / t.size, true
}

// CheckTargets validates targets read from the file name against the
// reports: the report exists, the measure is one of its columns that take
// a target, the filter's keys are its grouping columns, the unit converts
// to the column's, the issuer is 市下达 or 区定, and no two rows are the
// same target. Returns Invalid naming the file and row.
func (s *Service) CheckTargets(name string, ts []TargetRow) error {
	seen := map[[5]string]int{}
	for _, t := range ts {
		sp, err := s.find(t.Report)
		if err != nil {
			return land.Errorf(land.Invalid, "%s row %d: %s", name, t.Row, land.MessageOf(err)).WithDetail(map[string]any{"row": t.Row})
		}
		if len(sp.Targets) == 0 {
			return land.Errorf(land.Invalid, "%s row %d: report %q takes no targets", name, t.Row, t.Report)
		}
		m, ok := sp.measure(t.Measure)
		if !ok || !m.target {
			return land.Errorf(land.Invalid, "%s row %d: report %q has no measure %q that takes a target (allowed: %s)",
				name, t.Row, t.Report, t.Measure, strings.Join(sp.Targets, ", ")).WithDetail(map[string]any{"row": t.Row, "allowed": sp.Targets})
		}
		pairs, err := parseFilter(t.Filter)
		if err != nil {
			return land.Errorf(land.Invalid, "%s row %d: %v", name, t.Row, err)
		}
		keys := sp.filterKeys()
		for _, p := range pairs {
			if !slices.Contains(keys, p[0]) {
				return land.Errorf(land.Invalid, "%s row %d: report %q cannot be filtered by %q (allowed: %s)",
					name, t.Row, t.Report, p[0], strings.Join(keys, ", "))
			}
		}
		if _, ok := convert(1, t.Unit, m.Unit); !ok {
			return land.Errorf(land.Invalid, "%s row %d: unit %q does not convert to %s's unit %q", name, t.Row, t.Unit, t.Measure, m.Unit)
		}
		if t.Issuer != "" && !slices.Contains(land.TargetIssuers, t.Issuer) {
			return land.Errorf(land.Invalid, "%s row %d: unknown issuer %q (allowed: %s)", name, t.Row, t.Issuer, strings.Join(land.TargetIssuers, ", "))
		}
		key := [5]string{strconv.Itoa(t.Year), t.Report, t.Measure, t.Filter, t.Street}
		if first, dup := seen[key]; dup {
			return land.Errorf(land.Invalid, "%s row %d: the same target as row %d (year, report, measure, filter and street)", name, t.Row, first)
		}
		seen[key] = t.Row
	}
	return nil
}

// measure returns the measure of sp keyed key.
func (sp *spec) measure(key string) (measure, bool) {
	for _, m := range sp.measures {
		if m.Key == key {
			return m, true
		}
	}
	return measure{}, false
}

// filterKeys returns the grouping columns of sp but street (which a target
// gives in its own column).
func (sp *spec) filterKeys() []string {
	var keys []string
	for _, d := range sp.dims {
		for _, c := range d.columns {
			if c.Key != "street" {
				keys = append(keys, c.Key)
			}
		}
	}
	return keys
}

// ImportTargets validates the targets read from the file name and stores
// them, all or none, replacing the value of a target already there (same
// year, report, measure, filter and street). Returns how many were stored.
func (s *Service) ImportTargets(ctx context.Context, name string, ts []TargetRow) (int, error) {
	if err := s.CheckTargets(name, ts); err != nil {
		return 0, err
	}
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		for _, t := range ts {
			if _, err := tx.Exec(ctx, `INSERT INTO tudi.targets (year, report, measure, filter, street, value, unit, issuer, source)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (year, report, measure, filter, street) DO UPDATE
				SET value = EXCLUDED.value, unit = EXCLUDED.unit, issuer = EXCLUDED.issuer,
				    source = EXCLUDED.source, loaded_at = now()`,
				t.Year, t.Report, t.Measure, t.Filter, t.Street, t.Value, t.Unit, t.Issuer, filepath.Base(name)); err != nil {
				return fmt.Errorf("%s row %d: %w", name, t.Row, postgis.Err(err))
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.log.Info("targets imported", "file", name, "rows", len(ts))
	return len(ts), nil
}

// TargetFilter selects targets; zero fields select all.
type TargetFilter struct {
	Year   int
	Report string
}

const targetsSQL = `SELECT year, report, measure, filter, street, value, unit, issuer FROM tudi.targets
	WHERE ($1::integer IS NULL OR year = $1) AND ($2::text IS NULL OR report = $2)
	ORDER BY year, report, measure, filter, street`

// Targets returns the stored targets, by year, report, measure, filter
// and street.
func (s *Service) Targets(ctx context.Context, f TargetFilter) ([]land.Target, error) {
	return queryTargets(ctx, s.db.Pool, f)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryTargets(ctx context.Context, q querier, f TargetFilter) ([]land.Target, error) {
	var year, report any
	if f.Year != 0 {
		year = f.Year
	}
	if f.Report != "" {
		report = f.Report
	}
	rows, err := q.Query(ctx, targetsSQL, year, report)
	if err != nil {
		return nil, fmt.Errorf("targets: %w", postgis.Err(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (land.Target, error) {
		var t land.Target
		err := r.Scan(&t.Year, &t.Report, &t.Measure, &t.Filter, &t.Street, &t.Value, &t.Unit, &t.Issuer)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("targets: %w", postgis.Err(err))
	}
	if out == nil {
		out = []land.Target{}
	}
	return out, nil
}

// WriteTargets writes targets as JSON, as GET /api/targets answers:
// {"targets": [{"year", "report", "measure", "filter", "street", "value",
// "unit", "issuer"}]}.
func WriteTargets(w io.Writer, ts []land.Target) error {
	if ts == nil {
		ts = []land.Target{}
	}
	return encodeJSON(w, map[string]any{"targets": ts})
}

// targetColumns returns the two columns a target adds after the column m:
// the target and the completion rate, whose title names its numerator and
// denominator.
func targetColumns(m land.Column) (target, rate land.Column) {
	target = m
	target.Key, target.Title, target.TitleEN = m.Key+"_target", m.Title+"年度任务", m.TitleEN+", yearly target"
	rate = land.Column{Key: m.Key + "_rate", Title: "完成率(" + m.Title + "÷年度任务)", TitleEN: "Completion rate (" + m.TitleEN + " ÷ yearly target)",
		Unit: "%", Type: land.ColumnPercent, Decimals: 2, Formula: m.Key + " ÷ " + m.Key + "_target (" + m.Title + " ÷ 年度任务)"}
	return target, rate
}

// applyTargets adds, for each column of res that takes a target and has
// one for the period (a calendar year), the target and completion-rate
// columns: filled in on the rows and totals the target applies to, empty
// elsewhere. A target applies to a row whose group its filter names
// exactly (a value for each grouping dimension but street) and whose
// sub-district is its street: the row's own when grouped by street, else
// the one sub-district the report is filtered to, else the whole district
// (no street). The totals match a target without a filter.
func (s *Service) applyTargets(ctx context.Context, q querier, sp *spec, res *Result, per period) error {
	if per.year == 0 || len(sp.Targets) == 0 {
		return nil
	}
	ts, err := queryTargets(ctx, q, TargetFilter{Year: per.year, Report: sp.Name})
	if err != nil {
		return fmt.Errorf("report %q: %w", sp.Name, err)
	}
	only := ""
	if len(res.Params.Street) == 1 {
		only = res.Params.Street[0]
	}
	streetOf := func(r map[string]any, total bool) string {
		if st, ok := r["street"].(string); ok && !total {
			return st
		}
		return only
	}
	// A row is the group of its grouping values: a target applies to it
	// when its filter names exactly that group, one value for each
	// grouping dimension but street (which the street column names).
	matches := func(t land.Target, r map[string]any, total bool) bool {
		if streetOf(r, total) != t.Street {
			return false
		}
		pairs, _ := parseFilter(t.Filter)
		if total {
			return len(pairs) == 0
		}
		used := 0
		for _, d := range sp.dims {
			if d.key == "street" || !slices.Contains(res.Params.Group, d.key) {
				continue
			}
			hit := false
			for _, p := range pairs {
				if slices.ContainsFunc(d.columns, func(c land.Column) bool { return c.Key == p[0] }) {
					if v := r[p[0]]; v == nil || fmt.Sprint(v) != p[1] {
						return false
					}
					hit = true
					used++
				}
			}
			if !hit {
				return false
			}
		}
		return used == len(pairs)
	}
	var cols []land.Column
	for _, c := range res.Columns {
		cols = append(cols, c)
		m, ok := sp.measure(c.Key)
		if !ok || !m.target {
			continue
		}
		tc, rc := targetColumns(c)
		used := false
		set := func(r map[string]any, total bool) {
			var target, rate any
			for _, t := range ts {
				if t.Measure != c.Key || !matches(t, r, total) {
					continue
				}
				v, _ := convert(t.Value, t.Unit, c.Unit)
				target = roundTo(v, c.Decimals)
				if done, ok := Figure(r[c.Key]); ok && v > 0 {
					rate = roundTo(100*done/v, 2)
				}
				used = true
				res.Notes = append(res.Notes, fmt.Sprintf("target %d %s%s%s: %s %s (%s)", t.Year, c.Key,
					cond(" ", t.Filter), cond(" street=", t.Street), strconv.FormatFloat(t.Value, 'f', -1, 64), cmpOr(t.Unit, c.Unit), cmpOr(t.Issuer, "issuer not given")))
			}
			r[tc.Key], r[rc.Key] = target, rate
		}
		for _, r := range res.Rows {
			set(r, false)
		}
		set(res.Totals, true)
		if !used {
			for _, r := range append(slices.Clone(res.Rows), res.Totals) {
				delete(r, tc.Key)
				delete(r, rc.Key)
			}
			continue
		}
		cols = append(cols, tc, rc)
	}
	res.Columns = cols
	return nil
}

func cond(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// roundTo rounds v to d decimals (counts, d = 0, to whole numbers).
func roundTo(v float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(v*p) / p
}

// Figure returns a figure of a Result's rows or totals as float64 (counts
// come back as int64); false when v is not a number.
func Figure(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
