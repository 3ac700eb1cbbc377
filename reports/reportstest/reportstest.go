// Package reportstest holds the helpers that the tests of reports and the
// end-to-end tests share: a test package cannot import another package's
// test files, so they live here, as net/http/httptest does for net/http.
package reportstest

import (
	"context"
	"slices"
	"testing"

	"tudi/reports"
)

// MustRun runs a report, failing the test on an error.
func MustRun(tb testing.TB, svc *reports.Service, name string, opt reports.Options) *reports.Result {
	tb.Helper()
	res, err := svc.Run(context.Background(), name, opt)
	if err != nil {
		tb.Fatalf("report %s %+v: %v", name, opt, err)
	}
	return res
}

// WithSummary gives layer-summary, in the tests that run every report, the
// parcels layer to sum up (and a grouping when none is given).
func WithSummary(name string, opt reports.Options) reports.Options {
	if name == reports.LayerSummary {
		opt.Summary = reports.SummaryOptions{Of: "parcels", Sum: "price_wan"}
		if len(opt.Group) == 0 {
			opt.Group = []string{"supply_method"}
		}
	}
	return opt
}

// SameFigures checks that got has exactly the figures of want: every
// figure of res (the keys of its totals) but those in skip.
func SameFigures(tb testing.TB, res *reports.Result, what string, got, want map[string]any, skip ...string) {
	tb.Helper()
	for key := range res.Totals {
		if slices.Contains(skip, key) {
			continue
		}
		g, gok := reports.Figure(got[key])
		w, wok := reports.Figure(want[key])
		if gok != wok || g != w || (!gok && got[key] != want[key]) {
			tb.Errorf("%s: %s = %v, want %v", what, key, got[key], want[key])
		}
	}
}
