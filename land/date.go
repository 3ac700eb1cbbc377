package land

import (
	"strings"
	"time"
)

// MinYear and MaxYear bound the years a date or year parameter may name:
// wider than any land record, narrow enough to catch a typo (20224).
const MinYear, MaxYear = 1900, 2200

// ParseDate reads the date parameter param (--as-of, as_of, from, …): a
// date such as 2024-01-31, 20240131, 2024/1/31 or 2024-1-31. It is the one
// reader of dates given by users on the command line and in URLs; values in
// imported files are read by the importers, which know many more forms.
// Returns an Invalid error naming param, also for "".
func ParseDate(param, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.DateOnly, "20060102", "2006/1/2", "2006-1-2"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < MinYear || t.Year() > MaxYear {
				break
			}
			return t, nil
		}
	}
	return time.Time{}, Errorf(Invalid, "%s: %q is not a date (give one such as 2024-01-31)", param, s)
}
