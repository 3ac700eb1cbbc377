package land

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestHolidays(t *testing.T) {
	t.Parallel()
	h := DefaultHolidays()
	if got := h.Years(); !slices.Equal(got, []int{2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026}) {
		t.Fatalf("years %v", got)
	}
	for _, c := range []struct {
		day  string
		work bool
	}{
		{"2024-02-04", true},  // Sunday, make-up working day before the Spring Festival
		{"2024-02-12", false}, // Monday of the Spring Festival
		{"2024-02-18", true},  // Sunday, make-up working day after it
		{"2024-03-05", true},  // an ordinary Tuesday
		{"2024-03-09", false}, // an ordinary Saturday
		{"2020-02-01", false}, // Saturday: a make-up day until the 2020 Spring Festival was extended
		{"2020-01-31", false}, // the extension
		{"2020-01-19", true},  // Sunday, still worked
		{"2018-12-29", true},  // Saturday worked for New Year 2019 (declared in 2019's notice)
		{"2018-12-31", false}, // Monday off, New Year 2019
		{"2023-10-06", false}, // Friday of the 2023 Mid-Autumn and National Day holiday
		{"2023-10-07", true},  // Saturday worked
		{"2025-02-04", false}, // the 2025 Spring Festival's eighth day
		{"2026-01-04", true},  // Sunday worked after New Year 2026
		{"2026-02-23", false}, // the ninth day of the 2026 Spring Festival
		{"2026-02-28", true},  // Saturday worked
		{"2027-01-01", true},  // a Friday of a year the calendar lacks: weekends only
	} {
		if got := h.IsWorkday(day(c.day)); got != c.work {
			t.Errorf("IsWorkday(%s) = %v, want %v", c.day, got, c.work)
		}
	}
	// Working days per year, as counted from an independent, day-by-day
	// table of the same notices.
	for year, want := range map[int]int{2019: 250, 2020: 249, 2021: 250, 2022: 249, 2023: 249, 2024: 251, 2025: 248, 2026: 248} {
		n := 0
		for d := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == year; d = d.AddDate(0, 0, 1) {
			if h.IsWorkday(d) {
				n++
			}
		}
		if n != want {
			t.Errorf("%d: %d working days, want %d", year, n, want)
		}
	}
	for _, d := range h.Work() {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			t.Errorf("make-up working day %s is a %s", d.Format(time.DateOnly), d.Weekday())
		}
	}
}

const holidays2027 = `year: 2027
holidays:
  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
  - {name: 春节, from: 2027-02-05, to: 2027-02-13, work: [2027-02-14]}
`

func TestHolidaysOverlay(t *testing.T) {
	t.Parallel()
	replaced := "year: 2026\nholidays:\n  - {name: 元旦, from: 2026-01-01, to: 2026-01-01}\n"
	h, err := DefaultHolidays().Overlay(fstest.MapFS{
		"cat/holidays/2027.yaml": {Data: []byte(holidays2027)},
		"cat/holidays/2026.yaml": {Data: []byte(replaced)},
	}, "cat/holidays", "cat/holidays")
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Years(); got[len(got)-1] != 2027 || len(got) != 9 {
		t.Fatalf("years %v", got)
	}
	if h.IsWorkday(day("2027-02-08")) || !h.IsWorkday(day("2027-02-14")) {
		t.Error("2027 not added")
	}
	if !h.IsWorkday(day("2026-02-23")) || h.IsWorkday(day("2026-02-28")) || h.IsWorkday(day("2026-01-01")) || h.IsWorkday(day("2026-01-04")) {
		t.Error("2026 not replaced: its old days remain")
	}
	if !h.IsWorkday(day("2018-12-29")) || DefaultHolidays().IsWorkday(day("2027-02-08")) == false {
		t.Error("other years changed")
	}
	for _, c := range []struct{ name, file, want string }{
		{"a make-up day on a weekday", strings.Replace(holidays2027, "2027-02-14", "2027-02-15", 1),
			"cat/h/x.yaml:4: 春节: make-up working day 2027-02-15 is a Monday, not a Saturday or Sunday"},
		{"a bad date", strings.Replace(holidays2027, "2027-02-13", "2027-02-30", 1),
			`cat/h/x.yaml:4: 春节: to "2027-02-30" is not a date such as 2027-10-01`},
		{"from after to", strings.Replace(holidays2027, "to: 2027-01-03", "to: 2026-12-31", 1),
			"cat/h/x.yaml:3: 元旦: from 2027-01-01 is after to 2026-12-31"},
		{"a day of another year", strings.Replace(holidays2027, "2027-02-05", "2028-02-05", 1),
			"cat/h/x.yaml:4: 春节: from 2028-02-05 is not in the notice's year 2027"},
		{"an unknown key", strings.Replace(holidays2027, "year:", "yaer:", 1), "cat/h/x.yaml:1: field yaer not found"},
		{"a day both off and worked", strings.Replace(holidays2027, "2027-02-14", "2027-01-02", 1),
			"cat/h/x.yaml:4: 春节: 2027-01-02 is both a day off and a working day"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := DefaultHolidays().Overlay(fstest.MapFS{"cat/h/x.yaml": {Data: []byte(c.file)}}, "cat/h", "cat/h")
			if err == nil || KindOf(err) != Invalid || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	_, err = DefaultHolidays().Overlay(fstest.MapFS{"c/a.yaml": {Data: []byte(holidays2027)}, "c/b.yaml": {Data: []byte(holidays2027)}}, "c", "c")
	if err == nil || !strings.Contains(err.Error(), "c/b.yaml: year 2027 is declared twice (also in c/a.yaml)") {
		t.Fatalf("duplicate year: %v", err)
	}
}
