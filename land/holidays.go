package land

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"
)

// Holidays is the calendar of Chinese working days: the statutory holidays
// (days off, weekends among them) and the official make-up working days
// (调休上班: weekend days that are worked) of each year, as the State
// Council's yearly notice (国务院办公厅关于…年部分节假日安排的通知) sets them.
// A day is a working day when it is a make-up working day, or a Monday to
// Friday that is not a day off. The catalogue holds one file per year
// (land/catalog/holidays/*.yaml, embedded); a catalogue directory adds
// years or replaces them (--catalog DIR: DIR/holidays/*.yaml). Years the
// calendar lacks count weekends only. Built once, never changed.
type Holidays struct {
	off   map[time.Time]holiday // day off → its holiday
	work  map[time.Time]holiday // make-up working day → its holiday
	years map[int]string        // year → the file declaring it
}

// holiday names the holiday of a day and the year of the notice declaring
// it (New Year's Day comes with days of the December before).
type holiday struct {
	name string
	year int
}

// The YAML shape of a year's file.
type holidayFile struct {
	Year     int    `yaml:"year"`
	Notice   string `yaml:"notice"`
	Holidays []struct {
		Name string   `yaml:"name"`
		From string   `yaml:"from"`
		To   string   `yaml:"to"`
		Work []string `yaml:"work"`
	} `yaml:"holidays"`
}

//go:embed catalog/holidays/*.yaml
var embeddedHolidays embed.FS

// defaultHolidays is the embedded calendar, parsed once (TestHolidays
// proves it valid, so the panic cannot happen in a released binary).
var defaultHolidays = func() *Holidays {
	h, err := (&Holidays{}).Overlay(embeddedHolidays, "catalog/holidays", "land/catalog/holidays")
	if err != nil {
		panic(err)
	}
	return h
}()

// DefaultHolidays returns the embedded calendar.
func DefaultHolidays() *Holidays { return defaultHolidays }

// Overlay returns a calendar with the years of h, to which those of the
// *.yaml files of dir in fsys (one year a file) are added, replacing a year
// of the same number. label names dir in messages. Errors are Invalid and
// name the file and line: a date that is not a date, a holiday whose from
// is after its to, a make-up working day that is not a Saturday or Sunday,
// a day both off and worked, a year declared twice.
func (h *Holidays) Overlay(fsys fs.FS, dir, label string) (*Holidays, error) {
	read := map[int]*Holidays{}
	err := ReadCatalogFiles(fsys, dir, "*.yaml", label, func(file string, b []byte) error {
		y, err := parseHolidays(b, file)
		if err != nil {
			return err
		}
		for year := range y.years {
			if _, dup := read[year]; dup {
				return Errorf(Invalid, "%s: year %d is declared twice (also in %s)", file, year, read[year].years[year])
			}
			read[year] = y
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &Holidays{off: map[time.Time]holiday{}, work: map[time.Time]holiday{}, years: map[int]string{}}
	// A replaced year drops the days its old file declared.
	for year, file := range h.years {
		if _, ok := read[year]; !ok {
			out.years[year] = file
		}
	}
	for d, hd := range h.off {
		if _, ok := read[hd.year]; !ok {
			out.off[d] = hd
		}
	}
	for d, hd := range h.work {
		if _, ok := read[hd.year]; !ok {
			out.work[d] = hd
		}
	}
	for year, y := range read {
		out.years[year] = y.years[year]
		maps.Copy(out.off, y.off)
		maps.Copy(out.work, y.work)
	}
	return out, nil
}

func parseHolidays(b []byte, file string) (*Holidays, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, yamlError(file, err)
	}
	var hf holidayFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&hf); err != nil {
		return nil, yamlError(file, err)
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	bad := func(line int, format string, args ...any) error {
		return Errorf(Invalid, "%s:%d: %s", file, line, fmt.Sprintf(format, args...))
	}
	if hf.Year < 1900 || hf.Year > 2200 {
		return nil, bad(lineAt(doc, "year"), "year %d: give the year of the notice, e.g. 2024", hf.Year)
	}
	if len(hf.Holidays) == 0 {
		return nil, bad(lineAt(doc, "holidays"), "year %d: no holidays", hf.Year)
	}
	h := &Holidays{off: map[time.Time]holiday{}, work: map[time.Time]holiday{}, years: map[int]string{hf.Year: file}}
	for i, hd := range hf.Holidays {
		line := lineAt(doc, "holidays", i)
		if hd.Name == "" {
			return nil, bad(line, "holiday without a name")
		}
		parse := func(what, s string) (time.Time, error) {
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return d, bad(line, "%s: %s %q is not a date such as %d-10-01", hd.Name, what, s, hf.Year)
			}
			// A notice covers its year and the days next to it (New Year's
			// Day taken with the last days of December).
			if d.Year() < hf.Year-1 || d.Year() > hf.Year || d.Year() == hf.Year-1 && d.Month() != time.December {
				return d, bad(line, "%s: %s %s is not in the notice's year %d", hd.Name, what, s, hf.Year)
			}
			return d, nil
		}
		from, err := parse("from", hd.From)
		if err != nil {
			return nil, err
		}
		to, err := parse("to", hd.To)
		if err != nil {
			return nil, err
		}
		if to.Before(from) {
			return nil, bad(line, "%s: from %s is after to %s", hd.Name, hd.From, hd.To)
		}
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			if prev, dup := h.off[d]; dup {
				return nil, bad(line, "%s: %s is already a day off (%s)", hd.Name, d.Format(time.DateOnly), prev.name)
			}
			h.off[d] = holiday{hd.Name, hf.Year}
		}
		for _, s := range hd.Work {
			d, err := parse("work", s)
			if err != nil {
				return nil, err
			}
			if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
				return nil, bad(line, "%s: make-up working day %s is a %s, not a Saturday or Sunday", hd.Name, s, wd)
			}
			if _, dup := h.off[d]; dup {
				return nil, bad(line, "%s: %s is both a day off and a working day", hd.Name, s)
			}
			h.work[d] = holiday{hd.Name, hf.Year}
		}
	}
	for d := range h.work {
		if _, dup := h.off[d]; dup {
			return nil, bad(lineAt(doc, "holidays"), "%s is both a day off and a working day", d.Format(time.DateOnly))
		}
	}
	return h, nil
}

// IsWorkday says whether day d (its calendar date) is a working day.
func (h *Holidays) IsWorkday(d time.Time) bool {
	d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	if _, ok := h.work[d]; ok {
		return true
	}
	if _, ok := h.off[d]; ok {
		return false
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

// Off returns the days off of the calendar, in order (weekends among them).
func (h *Holidays) Off() []time.Time { return sortedDays(h.off) }

// Work returns the make-up working days, in order.
func (h *Holidays) Work() []time.Time { return sortedDays(h.work) }

// Years returns the years the calendar covers, in order.
func (h *Holidays) Years() []int { return slices.Sorted(maps.Keys(h.years)) }

func sortedDays(m map[time.Time]holiday) []time.Time {
	return slices.SortedFunc(maps.Keys(m), func(a, b time.Time) int { return a.Compare(b) })
}
