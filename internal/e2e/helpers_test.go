package e2e_test

import (
	"context"
	"slices"
	"testing"

	"tudi/reports"
)

func mustRun(tb testing.TB, svc *reports.Service, name string, opt reports.Options) *reports.Result {
	tb.Helper()
	res, err := svc.Run(context.Background(), name, opt)
	if err != nil {
		tb.Fatalf("report %s %+v: %v", name, opt, err)
	}
	return res
}
func num(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func withSummary(name string, opt reports.Options) reports.Options {
	if name == reports.LayerSummary {
		opt.Summary = reports.SummaryOptions{Of: "parcels", Sum: "price_wan"}
		if len(opt.Group) == 0 {
			opt.Group = []string{"supply_method"}
		}
	}
	return opt
}

func sameFigures(tb testing.TB, res *reports.Result, what string, got, want map[string]any, skip ...string) {
	tb.Helper()
	for key := range res.Totals {
		if slices.Contains(skip, key) {
			continue
		}
		g, gok := num(got[key])
		w, wok := num(want[key])
		if gok != wok || g != w || (!gok && got[key] != want[key]) {
			tb.Errorf("%s: %s = %v, want %v", what, key, got[key], want[key])
		}
	}
}
