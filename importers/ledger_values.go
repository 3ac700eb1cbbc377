package importers

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"tudi/land"
)

// unitFactors gives, per unit a value may carry, its dimension and its
// size in the dimension's base unit (m² for areas, 万元 for money, one for
// counts), so that "2 亩" in a field in m² becomes 1333.33 and "1.2亿元" in a
// field in 万元 becomes 12000. Longer spellings come first: they are
// matched as suffixes.
var unitFactors = []struct {
	unit, dim string
	factor    float64
}{
	{"平方公里", "area", 1e6}, {"平方千米", "area", 1e6}, {"km²", "area", 1e6}, {"km2", "area", 1e6},
	{"hm²", "area", 1e4}, {"hm2", "area", 1e4},
	{"平方米", "area", 1}, {"平米", "area", 1}, {"m²", "area", 1}, {"m2", "area", 1}, {"㎡", "area", 1},
	{"公顷", "area", 1e4}, {"ha", "area", 1e4},
	{"亩", "area", 1e4 / 15},
	{"亿元", "money", 1e4}, {"万元", "money", 1}, {"元", "money", 1e-4}, {"亿", "money", 1e4},
	{"户", "count", 1}, {"宗", "count", 1}, {"个", "count", 1}, {"人", "count", 1}, {"间", "count", 1},
	{"套", "count", 1}, {"栋", "count", 1}, {"幢", "count", 1}, {"处", "count", 1}, {"块", "count", 1},
	{"米", "length", 1}, {"km", "length", 1000}, {"公里", "length", 1000}, {"m", "length", 1},
	{"%", "ratio", 1},
}

// errUnit marks a number whose unit does not fit the field's.
var errUnit = errors.New("unit does not fit")

// cleanNumber parses a number as people type it in a spreadsheet: thousands
// separators (1,234 or 1，234), a currency sign, spaces, and a unit after it
// ("1,234.5 平方米", "2亩", "¥120万元"). With fieldUnit set (m², 万元), a
// value in another unit of the same dimension is converted; one in a unit
// of another dimension is an error wrapping errUnit.
func cleanNumber(s, fieldUnit string) (float64, error) {
	t := strings.TrimSpace(s)
	t = strings.NewReplacer(",", "", "，", "", " ", "", "\u00a0", "", "\u3000", "", "¥", "", "￥", "").Replace(t)
	t = strings.TrimSuffix(t, ")")
	t = strings.TrimSuffix(t, "）")
	unit := ""
	for _, u := range unitFactors {
		if rest, ok := strings.CutSuffix(t, u.unit); ok && rest != "" {
			unit, t = u.unit, strings.TrimRight(rest, "(（")
			break
		}
	}
	if t == "" {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	for _, r := range t {
		if !(unicode.IsDigit(r) && r < unicode.MaxASCII) && !strings.ContainsRune("+-.eE", r) {
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	x, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if unit == "" || fieldUnit == "" {
		return x, nil
	}
	from, to := unitOf(unit), unitOf(fieldUnit)
	switch {
	case from == nil || to == nil:
		return x, nil
	case from.dim != to.dim:
		return 0, fmt.Errorf("%w: %q is in %s, the field in %s", errUnit, s, unit, fieldUnit)
	}
	return x * from.factor / to.factor, nil
}

func unitOf(u string) *struct {
	unit, dim string
	factor    float64
} {
	for i := range unitFactors {
		if unitFactors[i].unit == u {
			return &unitFactors[i]
		}
	}
	return nil
}

// normaliseField is normalise for one canonical field: numbers typed as
// text may carry a unit, converted to the field's.
func normaliseField(fd land.Field, v any) (any, error) {
	if s, ok := v.(string); ok && (fd.Type == land.Float || fd.Type == land.Int) && strings.TrimSpace(s) != "" {
		x, err := cleanNumber(s, fd.Unit)
		if err != nil {
			return nil, err
		}
		v = x
	}
	return normalise(fd.Type, v)
}

// badValue words a value that does not fit its field's type, the way a
// ledger's user reads it: `bad date "2023-13-45"`.
func badValue(fd land.Field, v any, err error) string {
	what := map[land.FieldType]string{land.Date: "date", land.Int: "whole number", land.Float: "number", land.Bool: "yes/no value"}[fd.Type]
	if what == "" {
		what = "value"
	}
	var shown string
	switch v := v.(type) {
	case string:
		shown = strconv.Quote(v)
	case time.Time:
		shown = v.Format("2006-01-02")
	default:
		shown = fmt.Sprint(v)
	}
	msg := fmt.Sprintf("bad %s %s", what, shown)
	if errors.Is(err, errUnit) {
		_, detail, _ := strings.Cut(err.Error(), ": ")
		msg += " (" + detail + ")"
	}
	return msg
}
