package main

import (
	"flag"
	"fmt"
	"strings"

	"tudi/land"
	"tudi/reports"
)

// addReportParamFlags adds a flag for each parameter that an embedded report
// declares for itself (--overlay LAYER, --late-years N: the parameter's name
// with - for _), and --param NAME=VALUE for those of a --catalog report. The
// values go into params by the parameter's name; the report checks them.
func addReportParamFlags(fs *flag.FlagSet, params map[string]string) {
	for _, p := range reports.DefaultCatalog().OptionFlags() {
		name := p.Name
		fs.Func(strings.ReplaceAll(name, "_", "-"), fmt.Sprintf("%s %s: a report's own parameter (%s)", p.Title, p.TitleEN, paramDefault(p)), func(s string) error {
			params[name] = s
			return nil
		})
	}
	fs.Func("param", "NAME=VALUE: a parameter a report declares for itself (repeatable; see tudi report list)", func(s string) error {
		name, v, ok := strings.Cut(s, "=")
		if name = strings.TrimSpace(name); !ok || name == "" {
			return land.Errorf(land.Invalid, "invalid --param %q: use NAME=VALUE", s)
		}
		params[name] = strings.TrimSpace(v)
		return nil
	})
}

// paramDefault says what a report parameter takes.
func paramDefault(p land.ReportParam) string {
	if p.Kind == land.ReportParamLayer {
		return "a layer name; default none"
	}
	return fmt.Sprintf("an integer; default %d", *p.Default)
}
