package importers

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tudi/land"
)

// mapper maps source attributes onto a kind's canonical fields: for each
// field, the source named by --map, else the first of the kind's presets
// (or the canonical name itself) that the feature has, compared without
// regard to case. Values are normalised to the field's type; one that
// cannot be stays only in props and is reported.
type mapper struct {
	fields []land.Field
	cands  [][]string // per field, source names in order of preference
	// The index of each field's source in the last key slice seen; readers
	// with a fixed set of columns hand out the same slice every time.
	lastKeys *string
	lastLen  int
	idx      []int
	out      []any // canonical values, reused
	props    []byte
	// bad, when set, words the problem of a value that cannot be
	// normalised (ledgers name the sheet, row and column).
	bad func(f *feature, j int, fd land.Field, err error) land.ImportProblem
}

// newMapper checks the --map entries against the kind and builds the
// candidate lists.
func newMapper(kind *land.KindSpec, override map[string]string) (*mapper, error) {
	m := &mapper{fields: kind.Fields}
	keys := make([]string, 0, len(override))
	for k := range override {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := kind.Field(k); !ok {
			var names []string
			for _, f := range m.fields {
				names = append(names, f.Name)
			}
			return nil, land.Errorf(land.Invalid, "--map %s=%s: kind %q has no field %q (its fields: %s)", k, override[k], kind.Kind, k, strings.Join(names, ", "))
		}
		if strings.TrimSpace(override[k]) == "" {
			return nil, land.Errorf(land.Invalid, "--map %s=: the source field is empty", k)
		}
	}
	for _, f := range m.fields {
		if src, ok := override[f.Name]; ok {
			m.cands = append(m.cands, []string{src})
			continue
		}
		c := append([]string(nil), f.Presets...)
		c = append(c, f.Name)
		m.cands = append(m.cands, append(c, headerPresets(kind.Kind, f)...))
	}
	m.idx = make([]int, len(m.fields))
	m.out = make([]any, len(m.fields))
	return m, nil
}

// checkFields reports --map sources missing from a file whose columns are
// known up front.
func (m *mapper) checkFields(override map[string]string, fields []land.SourceField, file string) error {
	if len(fields) == 0 {
		return nil
	}
	for k, src := range override {
		found := false
		for _, f := range fields {
			if strings.EqualFold(f.Name, src) {
				found = true
				break
			}
		}
		if !found {
			var names []string
			for _, f := range fields {
				names = append(names, f.Name)
			}
			return land.Errorf(land.Invalid, "--map %s=%s: %s has no field %q (its fields: %s)", k, src, file, src, strings.Join(names, ", "))
		}
	}
	return nil
}

// sources returns, per canonical field, the source field it is read from
// (empty when none), for the summary.
func (m *mapper) sources(fields []land.SourceField) map[string]string {
	out := map[string]string{}
	for i, f := range m.fields {
		for _, c := range m.cands[i] {
			for _, sf := range fields {
				if strings.EqualFold(sf.Name, c) || strings.EqualFold(stripUnitSuffix(sf.Name), c) {
					out[f.Name] = sf.Name
					break
				}
			}
			if out[f.Name] != "" {
				break
			}
		}
	}
	return out
}

func (m *mapper) resolve(keys []string) {
	if len(keys) > 0 && m.lastKeys == &keys[0] && m.lastLen == len(keys) {
		return
	}
	for i := range m.fields {
		m.idx[i] = -1
	found:
		for _, c := range m.cands[i] {
			for j, k := range keys {
				if strings.EqualFold(k, c) || strings.EqualFold(stripUnitSuffix(k), c) {
					m.idx[i] = j
					break found
				}
			}
		}
	}
	if len(keys) > 0 {
		m.lastKeys, m.lastLen = &keys[0], len(keys)
	} else {
		m.lastKeys = nil
	}
}

// mapFeature fills m.out with the canonical values of f and m.props with its
// attributes as a JSON object; values that cannot be normalised are added
// to f.Problems.
func (m *mapper) mapFeature(f *feature, file string) {
	m.resolve(f.Keys)
	for i, fd := range m.fields {
		m.out[i] = nil
		j := m.idx[i]
		if j < 0 || f.Values[j] == nil {
			continue
		}
		v, err := normaliseField(fd, f.Values[j])
		if err != nil && m.bad != nil {
			f.Problems = append(f.Problems, m.bad(f, j, fd, err))
			continue
		}
		if err != nil {
			f.Problems = append(f.Problems, land.ImportProblem{File: file, Record: f.Num, Field: f.Keys[j], Action: "warning",
				Reason: fmt.Sprintf("%v: not stored in %s (kept in props)", err, fd.Name)})
			continue
		}
		m.out[i] = v
	}
	m.props = appendProps(m.props[:0], f.Keys, f.Values)
}

// normalise converts a source value to a canonical field's type: text
// trimmed, numbers parsed, dates in any common form, yes/no words as
// booleans. nil means no value.
func normalise(t land.FieldType, v any) (any, error) {
	switch t {
	case land.Text:
		switch v := v.(type) {
		case string:
			s := strings.TrimSpace(v)
			if s == "" {
				return nil, nil
			}
			return s, nil
		case int64:
			return strconv.FormatInt(v, 10), nil
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), nil
		case bool:
			return strconv.FormatBool(v), nil
		case time.Time:
			return v.Format("2006-01-02"), nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	case land.Int:
		x, err := number(v)
		if err != nil {
			return nil, err
		}
		if x == nil {
			return nil, nil
		}
		if *x != math.Trunc(*x) || *x > math.MaxInt32 || *x < math.MinInt32 {
			return nil, fmt.Errorf("%v is not a whole number", *x)
		}
		return int32(*x), nil
	case land.Float:
		x, err := number(v)
		if err != nil || x == nil {
			return nil, err
		}
		return *x, nil
	case land.Date:
		return parseDate(v)
	case land.Bool:
		return parseBool(v)
	}
	return v, nil
}

func number(v any) (*float64, error) {
	switch v := v.(type) {
	case int64:
		x := float64(v)
		return &x, nil
	case float64:
		return &v, nil
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return nil, nil
		}
		x, err := cleanNumber(s, "")
		if err != nil {
			return nil, err
		}
		return &x, nil
	case bool:
		x := 0.0
		if v {
			x = 1
		}
		return &x, nil
	}
	return nil, fmt.Errorf("%v is not a number", v)
}

// Date layouts tried in order; "1" and "2" accept one or two digits.
var dateLayouts = []string{"2006-1-2", "20060102", "2006/1/2", "2006.1.2", "2006年1月2日", "2006年1月2号", "1/2/2006"}

func parseDate(v any) (any, error) {
	switch v := v.(type) {
	case time.Time:
		return time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, time.UTC), nil
	case int64:
		if v >= 18000101 && v <= 21001231 {
			return parseDate(strconv.FormatInt(v, 10))
		}
	case float64:
		if v == math.Trunc(v) && v >= 18000101 && v <= 21001231 {
			return parseDate(strconv.FormatInt(int64(v), 10))
		}
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return nil, nil
		}
		// A time of day after the date (2023-06-30T08:00:00Z, 2023/6/30 8:00) is dropped.
		if i := strings.IndexAny(s, "T "); i >= 8 {
			s = s[:i]
		}
		for _, l := range dateLayouts {
			if d, err := time.Parse(l, s); err == nil {
				return d, nil
			}
		}
	}
	return nil, fmt.Errorf("%v is not a date", v)
}

func parseBool(v any) (any, error) {
	switch v := v.(type) {
	case bool:
		return v, nil
	case int64:
		if v == 0 || v == 1 {
			return v == 1, nil
		}
	case float64:
		if v == 0 || v == 1 {
			return v == 1, nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "":
			return nil, nil
		case "是", "y", "yes", "true", "t", "1", "√", "已消化", "真":
			return true, nil
		case "否", "n", "no", "false", "f", "0", "×", "未消化", "假":
			return false, nil
		}
	}
	return nil, fmt.Errorf("%v is not yes or no", v)
}

// appendProps appends the attributes as a JSON object, skipping nulls.
// Hand-written rather than json.Marshal of a map: it runs once per feature
// of million-feature files, and needs no map or reflection.
func appendProps(b []byte, keys []string, values []any) []byte {
	b = append(b, '{')
	first := true
	for i, k := range keys {
		v := values[i]
		if v == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONValue(b, v)
	}
	return append(b, '}')
}

func appendJSONValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return appendJSONString(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, v)
	case time.Time:
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 {
			return appendJSONString(b, v.Format("2006-01-02"))
		}
		return appendJSONString(b, v.Format(time.RFC3339))
	}
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, stripNUL(j)...)
}

func stripNUL(j []byte) []byte {
	return []byte(strings.ReplaceAll(string(j), `\u0000`, ""))
}

// appendJSONString appends s as a JSON string. NUL characters are dropped:
// PostgreSQL's jsonb cannot hold them.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\ufffd"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == 0:
		case c < 0x20:
			b = append(b, fmt.Sprintf(`\u%04x`, c)...)
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"')
}
