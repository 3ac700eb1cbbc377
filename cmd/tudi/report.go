package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"tudi/land"
	"tudi/postgis"
	"tudi/reports"
)

// ReportConfig is the configuration of `tudi report`.
type ReportConfig struct {
	DB     DBConfig
	Name   string // the report; "" or "list" lists them
	Format string // table, json, csv or xlsx; "" from --out's extension, else table
	Group  string // comma-separated grouping
	Year   int
	From   string // the period, dates such as 2024-01-01
	To     string
	AsOf   string            // the date of the stocks
	Street string            // comma-separated sub-districts; "" for every one
	Layers map[string]string // kind → layer name
	Out    string            // file to write; "" for stdout
	Params map[string]string // the report's own parameters (--overlay, --late-years, --param NAME=VALUE)
}

const reportUsage = `Usage: tudi report NAME [flags]
       tudi report [list]

Computes a report from the layers and writes it as a table, JSON, CSV or
Excel. Reports: land-supply, farmland-occupation, idle-land,
renewal-progress, land-use-summary, rectification, permits, expropriation,
resettlement, renovation-progress, and layer-summary (any layer: --of LAYER
--group FIELD[,FIELD] [--sum FIELD] [--date FIELD]); 'tudi report list' shows
each one's groupings, layers and own parameters (--overlay LAYER,
--late-years N). Flows (supply, disposal, milestones reached) count
the period --from … --to (--year Y: the calendar year); stocks (stages,
land disposed of so far) are as of --as-of (default: the period's end, else
today). For a year with targets (tudi targets import), each column with a
target gets the target and the completion rate.

Flags:
`

func reportCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), reportUsage)
		fs.PrintDefaults()
	}
	cfg := ReportConfig{Layers: map[string]string{}, Params: map[string]string{}}
	addDBFlags(fs, &cfg.DB, env)
	fs.StringVar(&cfg.Format, "format", "", "output format: table, json, csv or xlsx (default: from --out's extension, else table)")
	fs.StringVar(&cfg.Group, "group", "", "comma-separated grouping, e.g. street,year (default: the report's own)")
	var year string
	fs.StringVar(&year, "year", "", "the period Y-01-01 … Y-12-31 (shorthand for --from/--to)")
	fs.StringVar(&cfg.From, "from", "", "first day of the period of the flows (supply, disposal, milestones reached), e.g. 2024-01-01")
	fs.StringVar(&cfg.To, "to", "", "last day of the period, e.g. 2024-12-31")
	fs.StringVar(&cfg.AsOf, "as-of", "", "date of the stocks (stages, disposed so far) (default: the period's end, else today)")
	fs.StringVar(&cfg.Street, "street", "", "only these sub-districts (街道/镇), comma-separated names of the boundaries layer, or 未划分")
	fs.Func("layer", "KIND=NAME: read layer NAME for KIND (repeatable), e.g. parcels=parcels_2023", func(s string) error {
		return reports.ParseLayer(cfg.Layers, s)
	})
	fs.StringVar(&cfg.Out, "out", "", "write to this file instead of standard output")
	var summary reports.SummaryOptions // layer-summary
	fs.StringVar(&summary.Of, "of", "", "layer-summary: the layer to sum up")
	fs.StringVar(&summary.Sum, "sum", "", "layer-summary: a numeric field to total (canonical, Chinese title or source attribute)")
	fs.StringVar(&summary.Date, "date", "", "layer-summary: the date field the period (--year, --from/--to) selects by")
	addReportParamFlags(fs, cfg.Params)
	var catDir string
	addCatalogFlag(fs, &catDir, env)
	// The report name may come before or after the flags.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cfg.Name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	rest := fs.Args()
	if cfg.Name == "" && len(rest) > 0 {
		cfg.Name, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return land.Errorf(land.Invalid, "unexpected arguments %q: give one report name", rest)
	}
	var err error
	if cfg.Year, err = reports.ParseYear(year); err != nil {
		return err
	}
	if cfg.Format == "" {
		cfg.Format = reports.FormatTable
		if ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(cfg.Out)), "."); reports.CheckFormat(ext) == nil {
			cfg.Format = ext
		}
	}
	if err := reports.CheckFormat(cfg.Format); err != nil {
		return err
	}
	cat, err := loadCatalog(catDir)
	if err != nil {
		return err
	}
	if cfg.Name == "" || cfg.Name == "list" {
		return listReports(env.Stdout, reports.NewWithCatalog(nil, log, cat.Reports), cfg.Format)
	}
	opt := reports.Options{Group: reports.ParseGroup(cfg.Group), Year: cfg.Year, Street: reports.ParseStreets(cfg.Street), Layers: cfg.Layers, Summary: summary, Params: cfg.Params}
	if opt.From, err = reports.ParseDate("--from", cfg.From); err != nil {
		return err
	}
	if opt.To, err = reports.ParseDate("--to", cfg.To); err != nil {
		return err
	}
	if opt.AsOf, err = reports.ParseDate("--as-of", cfg.AsOf); err != nil {
		return err
	}
	// Parameters are checked before the database is opened, so that a typo
	// fails at once (exit code 2) even on the embedded cluster; the street
	// names are checked against the boundaries layer when the report runs.
	if err := reports.NewWithCatalog(nil, log, cat.Reports).Check(cfg.Name, opt); err != nil {
		return err
	}
	if cfg.Format == reports.FormatXLSX && cfg.Out == "" && isTerminal(env.Stdout) {
		return land.Errorf(land.Invalid, "an xlsx report is binary: give --out FILE.xlsx or redirect the output")
	}
	st, err := openStore(ctx, cfg.DB, postgis.Options{AppName: "tudi report"}, log)
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	res, err := reports.NewWithCatalog(st.DB, log, cat.Reports).Run(ctx, cfg.Name, opt)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := reports.Write(&buf, res, cfg.Format); err != nil {
		return err
	}
	if cfg.Out == "" {
		_, err := env.Stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(cfg.Out, buf.Bytes(), 0o644); err != nil {
		return land.Errorf(land.Invalid, "cannot write %q: %w", cfg.Out, err)
	}
	fmt.Fprintf(env.Stderr, "wrote %s (%d rows)\n", cfg.Out, len(res.Rows))
	return nil
}

// listReports prints the reports: as JSON when asked, else as text. It
// opens no database, so it names no sub-districts.
func listReports(w io.Writer, svc *reports.Service, format string) error {
	list := svc.List()
	if format == reports.FormatJSON {
		return reports.WriteList(w, list)
	}
	var b strings.Builder
	for _, r := range list.Reports {
		fmt.Fprintf(&b, "%s  %s %s\n  %s\n", r.Name, r.Title, r.TitleEN, r.Description)
		var groups []string
		for _, g := range r.Groups {
			groups = append(groups, g.Key+" ("+g.Title+")")
		}
		for _, in := range r.Inputs {
			fmt.Fprintf(&b, "  --%s: %s %s\n", in.Key, in.Title, in.TitleEN)
		}
		if len(r.Groups) > 0 {
			fmt.Fprintf(&b, "  --group: %s (default %s)\n", strings.Join(groups, ", "), strings.Join(r.Group, ","))
		}
		if r.Year != "" {
			fmt.Fprintf(&b, "  --from/--to/--year: %s\n", r.Year)
		}
		if len(r.Targets) > 0 {
			fmt.Fprintf(&b, "  targets: %s\n", strings.Join(r.Targets, ", "))
		}
		fmt.Fprintf(&b, "  --street: %s\n", r.Street)
		for _, p := range r.Params {
			fmt.Fprintf(&b, "  --%s: %s %s (%s)\n", strings.ReplaceAll(p.Name, "_", "-"), p.Title, p.TitleEN, paramDefault(p))
		}
		var layers []string
		for _, l := range r.Layers {
			s := l.Kind + "=" + l.Name
			if l.Optional {
				s += " (optional)"
			}
			layers = append(layers, s)
		}
		if len(layers) > 0 {
			fmt.Fprintf(&b, "  --layer: %s\n", strings.Join(layers, ", "))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
