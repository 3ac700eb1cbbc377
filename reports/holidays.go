package reports

import (
	"io/fs"
	"time"

	"tudi/land"
)

// The working-day calendar reaches a report's SQL as two parameters:
//
//	-- @param $N holidays    date[]: the days off of the calendar (weekends among them)
//	-- @param $N workdays    date[]: the official make-up working days
//
// A day d is then a working day when
//
//	d = ANY(workdays) OR (extract(isodow FROM d) < 6 AND NOT d = ANY(holidays))

// WithHolidays returns c computing working days with the calendar h
// (default land.DefaultHolidays()).
func (c *Catalog) WithHolidays(h *land.Holidays) *Catalog {
	out := *c
	out.holidays = h
	return &out
}

// OverlayHolidays returns c with the years of the *.yaml files of dir in
// fsys added to its calendar (replacing years of the same number); label
// names dir in messages. A missing dir adds nothing.
func (c *Catalog) OverlayHolidays(fsys fs.FS, dir, label string) (*Catalog, error) {
	if _, err := fs.Stat(fsys, dir); err != nil {
		return c, nil
	}
	h, err := c.holidayCalendar().Overlay(fsys, dir, label)
	if err != nil {
		return nil, err
	}
	return c.WithHolidays(h), nil
}

func (c *Catalog) holidayCalendar() *land.Holidays {
	if c.holidays != nil {
		return c.holidays
	}
	return land.DefaultHolidays()
}

// holidayParam returns the value of the parameter holidays or workdays.
func holidayParam(h *land.Holidays, p string) []time.Time {
	if p == "workdays" {
		return h.Work()
	}
	return h.Off()
}
