package ogc_test

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// span is a temporal operand on the time line in seconds: an instant has
// s = e; an open end is ±Inf.
type span struct {
	s, e    float64
	instant bool
}

// allen names the one relation of Allen's interval algebra that holds
// between two proper intervals (s < e). It is written from the algebra's
// definitions, not from the server's formulas.
func allen(a, b span) string {
	switch {
	case a.e < b.s:
		return "before"
	case a.s > b.e:
		return "after"
	case a.e == b.s:
		return "meets"
	case a.s == b.e:
		return "metby"
	case a.s == b.s && a.e == b.e:
		return "equals"
	case a.s == b.s && a.e < b.e:
		return "starts"
	case a.s == b.s:
		return "startedby"
	case a.e == b.e && a.s > b.s:
		return "finishes"
	case a.e == b.e:
		return "finishedby"
	case a.s < b.s && a.e < b.e:
		return "overlaps"
	case a.s < b.s:
		return "contains"
	case a.e < b.e:
		return "during"
	}
	return "overlappedby"
}

// truth is what CQL2 1.0 says fn(a, b) is. refused: the function takes
// intervals only and an operand is an instant (a client error).
func truth(fn string, a, b span) (want, refused bool) {
	if a.instant || b.instant {
		// Instants: only the five functions defined on instants apply; an
		// instant is before, after, equal to or inside the other operand.
		before, after := a.e < b.s, a.s > b.e
		switch fn {
		case "T_AFTER":
			return after, false
		case "T_BEFORE":
			return before, false
		case "T_DISJOINT":
			return before || after, false
		case "T_INTERSECTS":
			return !before && !after, false
		case "T_EQUALS":
			return a.s == b.s && a.e == b.e, false
		}
		return false, true
	}
	r := allen(a, b)
	switch fn {
	case "T_DISJOINT":
		return r == "before" || r == "after", false
	case "T_INTERSECTS":
		return r != "before" && r != "after", false
	}
	return "T_"+strings.ToUpper(r) == fn, false
}

var allTemporalFns = []string{"T_AFTER", "T_BEFORE", "T_CONTAINS", "T_DISJOINT", "T_DURING", "T_EQUALS",
	"T_FINISHEDBY", "T_FINISHES", "T_INTERSECTS", "T_MEETS", "T_METBY", "T_OVERLAPPEDBY", "T_OVERLAPS",
	"T_STARTEDBY", "T_STARTS"}

// operand is a CQL2 text operand and its span for a fixture row (ok false
// where the row's date is NULL: every function is then false).
type operand struct {
	text string
	span func(fixtureRow) (span, bool)
}

func secs(t time.Time) float64 { return float64(t.Unix()) }

func fixed(text string, s span) operand {
	return operand{text, func(fixtureRow) (span, bool) { return s, true }}
}

func TestTemporalFunctionsFollowCQL2(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	d := func(i int) time.Time { return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i) }
	iso := func(i int) string { return d(i).Format(time.DateOnly) }
	inf := math.Inf(1)
	prop := operand{"supply_date", func(r fixtureRow) (span, bool) {
		if !r.hasDate {
			return span{}, false
		}
		return span{secs(*r.date), secs(*r.date), true}, true
	}}
	propFrom := operand{"INTERVAL(supply_date, '..')", func(r fixtureRow) (span, bool) {
		if !r.hasDate {
			return span{}, false
		}
		return span{secs(*r.date), inf, false}, true
	}}
	propTo := operand{"INTERVAL('..', supply_date)", func(r fixtureRow) (span, bool) {
		if !r.hasDate {
			return span{}, false
		}
		return span{-inf, secs(*r.date), false}, true
	}}
	// Literal bounds on row dates (rows 10, 60 and 200 have them), so that
	// meets, starts and finishes happen.
	day60 := fixed("DATE('"+iso(60)+"')", span{secs(d(60)), secs(d(60)), true})
	noon60 := fixed("TIMESTAMP('"+iso(60)+"T12:00:00Z')", span{secs(d(60)) + 43200, secs(d(60)) + 43200, true})
	closed := fixed("INTERVAL('"+iso(10)+"', '"+iso(60)+"')", span{secs(d(10)), secs(d(60)), false})
	openStart := fixed("INTERVAL('..', '"+iso(60)+"')", span{-inf, secs(d(60)), false})
	openEnd := fixed("INTERVAL('"+iso(60)+"', '..')", span{secs(d(60)), inf, false})
	stamps := fixed("INTERVAL('"+iso(10)+"T00:00:00Z', '"+iso(200)+"T00:00:00Z')", span{secs(d(10)), secs(d(200)), false})
	pairs := [][2]operand{
		{prop, day60}, {noon60, prop}, {prop, closed}, {prop, openStart}, {prop, openEnd},
		{propFrom, closed}, {propTo, closed}, {propFrom, openEnd}, {propTo, openStart},
		{closed, propFrom}, {openEnd, propTo}, {stamps, propFrom}, {propFrom, stamps},
	}
	rows := fixtureRows()
	for _, fn := range allTemporalFns {
		matchedSome := false
		for _, p := range pairs {
			filter := fmt.Sprintf("%s(%s, %s)", fn, p[0].text, p[1].text)
			var want []string
			refused := false
			for _, r := range rows {
				a, okA := p[0].span(r)
				b, okB := p[1].span(r)
				w, ref := truth(fn, a, b)
				refused = refused || ref
				if w && okA && okB && !ref {
					want = append(want, fmt.Sprintf("DK%04d", r.i))
				}
			}
			t.Run(filter, func(t *testing.T) {
				u := ts.URL + "/ogc/collections/parcels/items?limit=1000&properties=code&filter=" + url.QueryEscape(filter)
				if refused {
					doc, _ := get(t, u, 400)
					if msg, _ := doc["error"].(string); !strings.Contains(msg, fn) || !strings.Contains(msg, "interval") {
						t.Errorf("the refusal does not name %s and intervals: %q", fn, msg)
					}
					return
				}
				doc, _ := get(t, u, 200)
				var got []string
				for _, f := range features(doc) {
					got = append(got, f["properties"].(map[string]any)["code"].(string))
				}
				sort.Strings(got)
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("got %d features %v\nwant %d %v", len(got), got, len(want), want)
				}
			})
			matchedSome = matchedSome || len(want) > 0
		}
		if !matchedSome {
			t.Errorf("%s: no case selects anything; the cases prove nothing", fn)
		}
	}
}

// TestTemporalFunctionsInCQL2JSON: the JSON encoding reaches the same SQL,
// open ends and property interval ends included.
func TestTemporalFunctionsInCQL2JSON(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	d60 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*60)
	cases := []struct {
		filter string
		want   func(r fixtureRow) bool
	}{
		{`{"op":"t_after","args":[{"property":"supply_date"},{"interval":["2020-01-01","` + d60.Format(time.DateOnly) + `"]}]}`,
			func(r fixtureRow) bool { return r.hasDate && r.date.After(d60) }},
		{`{"op":"t_before","args":[{"property":"supply_date"},{"interval":["` + d60.Format(time.DateOnly) + `",".."]}]}`,
			func(r fixtureRow) bool { return r.hasDate && r.date.Before(d60) }},
		{`{"op":"t_meets","args":[{"interval":["..",{"property":"supply_date"}]},{"interval":["` + d60.Format(time.DateOnly) + `",".."]}]}`,
			func(r fixtureRow) bool { return r.hasDate && r.date.Equal(d60) }},
		{`{"op":"t_metby","args":[{"interval":[{"property":"supply_date"},".."]},{"interval":["..",{"date":"` + d60.Format(time.DateOnly) + `"}]}]}`,
			func(r fixtureRow) bool { return r.hasDate && r.date.Equal(d60) }},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			doc, _ := get(t, ts.URL+"/ogc/collections/parcels/items?limit=1000&filter-lang=cql2-json&filter="+url.QueryEscape(c.filter), 200)
			if got, want := len(features(doc)), countWhere(c.want); got != want || want == 0 {
				t.Errorf("%d features, want %d (> 0)", got, want)
			}
		})
	}
	doc, _ := get(t, ts.URL+"/ogc/collections/parcels/items?filter-lang=cql2-json&filter="+
		url.QueryEscape(`{"op":"t_overlaps","args":[{"property":"supply_date"},{"interval":["2020-01-01",".."]}]}`), 400)
	if msg, _ := doc["error"].(string); !strings.Contains(msg, "T_OVERLAPS") {
		t.Errorf("refusal: %q", msg)
	}
	get(t, ts.URL+"/ogc/collections/parcels/items?filter="+url.QueryEscape(`T_AFTER(supply_date, INTERVAL('2021-01-01','2020-01-01'))`), 400)
}
