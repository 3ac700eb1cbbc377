package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"tudi/land"
	"tudi/postgis"
	"tudi/reports"
)

// TargetsConfig is the configuration of `tudi targets`.
type TargetsConfig struct {
	DB     DBConfig
	Action string // import or list
	File   string // the file to import
	Year   int    // list: only this year (0: all)
	Report string // list: only this report ("": all)
	Format string // list: table or json
}

const targetsUsage = `Usage: tudi targets import FILE.xlsx|FILE.csv [flags]
       tudi targets list [--year Y] [--report NAME] [--format table|json] [flags]

Loads or lists the yearly targets (年度任务) of the reports' figures. A
targets file has a header row, English or Chinese, and one target per row:
year 年度, report 报表, measure 指标 (a column of that report that takes a
target; 'tudi report list' names them), filter 条件 (optional, e.g.
kind=批而未供), street 街道 (optional), value 目标值, unit 单位 (optional:
the column's own; 公顷/亩/m² and 万元/亿元 convert), issuer 下达单位 (市下达
or 区定). The file is loaded all or nothing; a target already there (same
year, report, measure, filter, street) gets the new value. A report run for
a year with targets gets, after each such column, the target and the
completion rate (done ÷ target, %).

Flags:
`

func targetsCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	fs := flag.NewFlagSet("targets", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), targetsUsage)
		fs.PrintDefaults()
	}
	var cfg TargetsConfig
	addDBFlags(fs, &cfg.DB, env)
	var year string
	fs.StringVar(&year, "year", "", "list: only the targets of this year")
	fs.StringVar(&cfg.Report, "report", "", "list: only the targets of this report")
	fs.StringVar(&cfg.Format, "format", "table", "list: table or json")
	var catDir string
	addCatalogFlag(fs, &catDir, env)
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cfg.Action, args = args[0], args[1:]
	}
	if len(args) > 0 && cfg.Action == "import" && !strings.HasPrefix(args[0], "-") {
		cfg.File, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	rest := fs.Args()
	if cfg.Action == "import" && cfg.File == "" && len(rest) > 0 {
		cfg.File, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return land.Errorf(land.Invalid, "unexpected arguments %q", rest)
	}
	var err error
	if cfg.Year, err = reports.ParseYear(year); err != nil {
		return err
	}
	cat, err := loadCatalog(catDir)
	if err != nil {
		return err
	}
	svc := reports.NewWithCatalog(nil, log, cat.Reports)
	switch cfg.Action {
	case "import":
		if cfg.File == "" {
			return land.Errorf(land.Invalid, "tudi targets import: give a FILE.xlsx or FILE.csv")
		}
		// The file is read and checked before the database is opened.
		f, err := os.Open(cfg.File)
		if err != nil {
			return land.Errorf(land.Invalid, "cannot read %q: %v", cfg.File, err)
		}
		defer f.Close()
		ts, err := reports.ReadTargets(cfg.File, f)
		if err != nil {
			return err
		}
		if err := svc.CheckTargets(cfg.File, ts); err != nil {
			return err
		}
		st, err := openStore(ctx, cfg.DB, postgis.Options{AppName: "tudi targets"}, log)
		if err != nil {
			return err
		}
		defer st.Close(context.WithoutCancel(ctx))
		n, err := reports.NewWithCatalog(st.DB, log, cat.Reports).ImportTargets(ctx, cfg.File, ts)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "loaded %d targets from %s\n", n, cfg.File)
		return nil
	case "list":
		if cfg.Format != "table" && cfg.Format != "json" {
			return land.Errorf(land.Invalid, "unknown format %q (allowed: table, json)", cfg.Format)
		}
		if cfg.Report != "" {
			if err := svc.Check(cfg.Report, reports.Options{}); err != nil {
				return err
			}
		}
		st, err := openStore(ctx, cfg.DB, postgis.Options{AppName: "tudi targets"}, log)
		if err != nil {
			return err
		}
		defer st.Close(context.WithoutCancel(ctx))
		ts, err := reports.NewWithCatalog(st.DB, log, cat.Reports).Targets(ctx, reports.TargetFilter{Year: cfg.Year, Report: cfg.Report})
		if err != nil {
			return err
		}
		return writeTargets(env.Stdout, ts, cfg.Format)
	case "":
		fs.Usage()
		return land.Errorf(land.Invalid, "tudi targets: give import or list")
	}
	return land.Errorf(land.Invalid, "unknown targets command %q (allowed: import, list)", cfg.Action)
}

// writeTargets prints targets as JSON ({"targets": […]}, as GET
// /api/targets answers) or as one line each.
func writeTargets(w io.Writer, ts []land.Target, format string) error {
	if format == "json" {
		return reports.WriteTargets(w, ts)
	}
	var b strings.Builder
	for _, t := range ts {
		fmt.Fprintf(&b, "%d  %s  %s", t.Year, t.Report, t.Measure)
		if t.Filter != "" {
			fmt.Fprintf(&b, "  [%s]", t.Filter)
		}
		if t.Street != "" {
			fmt.Fprintf(&b, "  街道=%s", t.Street)
		}
		fmt.Fprintf(&b, "  %s %s  %s\n", strconv.FormatFloat(t.Value, 'f', -1, 64), t.Unit, t.Issuer)
	}
	if len(ts) == 0 {
		b.WriteString("no targets\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
