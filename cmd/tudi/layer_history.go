package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"tudi/land"
	"tudi/postgis"
)

const layerHistoryUsage = `Usage:
  tudi layer history NAME [--json]
      the history imports of a layer: effective date, features added,
      changed, removed and unchanged, files, user
  tudi layer diff NAME --from DATE --to DATE [--format table|json|geojson]
      the features added, removed and changed (with the changed fields)
      between two dates (YYYY-MM-DD)

Flags:
`

// layerHistoryCommand runs `tudi layer history` and `tudi layer diff`.
func layerHistoryCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, layerHistoryUsage)
		return land.Errorf(land.Invalid, "layer: a subcommand is required (history, diff)")
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("layer "+sub, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), layerHistoryUsage)
		fs.PrintDefaults()
	}
	var db DBConfig
	addDBFlags(fs, &db, env)
	var catDir string
	addCatalogFlag(fs, &catDir, env)
	var (
		asJSON   bool
		from, to string
		format   string
	)
	switch sub {
	case "history":
		fs.BoolVar(&asJSON, "json", false, "print the history as JSON")
	case "diff":
		fs.StringVar(&from, "from", "", "the earlier date, YYYY-MM-DD (required)")
		fs.StringVar(&to, "to", "", "the later date, YYYY-MM-DD (default: today)")
		fs.StringVar(&format, "format", "table", "table, json or geojson")
	case "-h", "--help", "help":
		fmt.Fprint(env.Stdout, layerHistoryUsage)
		return nil
	default:
		return land.Errorf(land.Invalid, "layer: unknown subcommand %q (history, diff)", sub)
	}
	// The layer name may come before or after the flags.
	var names []string
	for {
		if err := fs.Parse(rest); err != nil {
			return usageError(err)
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(names) != 1 {
		return land.Errorf(land.Invalid, "layer %s: give one layer name", sub)
	}
	name := names[0]
	if err := land.ValidateLayerName(name); err != nil {
		return err
	}
	var fromD, toD time.Time
	if sub == "diff" {
		if from == "" {
			return land.Errorf(land.Invalid, "--from: required (YYYY-MM-DD)")
		}
		var err error
		if fromD, err = land.ParseDate("--from", from); err != nil {
			return err
		}
		if to == "" {
			now := time.Now()
			toD = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		} else if toD, err = land.ParseDate("--to", to); err != nil {
			return err
		}
		switch format {
		case "table", "json", "geojson":
		default:
			return land.Errorf(land.Invalid, "--format %q: use table, json or geojson", format)
		}
	}
	cat, err := loadCatalog(catDir)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, db, postgis.Options{AppName: "tudi layer " + sub}, log)
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	st.DB.Kinds = cat.Kinds
	w := bufio.NewWriter(env.Stdout)
	defer w.Flush()
	if sub == "history" {
		return printLayerHistory(ctx, w, st.DB, name, asJSON)
	}
	return printLayerDiff(ctx, w, st.DB, name, fromD, toD, format)
}

func printLayerHistory(ctx context.Context, w io.Writer, db *postgis.DB, name string, asJSON bool) error {
	hs, err := db.FindLayerChanges(ctx, name)
	if err != nil {
		return err
	}
	h, err := postgis.FindLayerHistory(ctx, db.Pool, name)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"layer": name, "history": h != nil, "imports": hs})
	}
	if h == nil {
		fmt.Fprintf(w, "layer %q keeps no history (imported in replace or append mode)\n", name)
		return nil
	}
	fmt.Fprintf(w, "layer %q: history from %s, latest effective date %s\n", name, h.First.Format(postgis.DateLayout), h.Last.Format(postgis.DateLayout))
	fmt.Fprintf(w, "%-10s  %7s  %9s  %9s  %9s  %9s  %-16s  %s\n", "effective", "import", "added", "changed", "removed", "unchanged", "imported at", "files")
	for _, e := range hs {
		c := e.Changes
		fmt.Fprintf(w, "%-10s  %7d  %9s  %9s  %9s  %9s  %-16s  %s\n", c.EffectiveDate, e.ImportID, group(c.Added), group(c.Changed),
			group(c.Removed), group(c.Unchanged), e.FinishedAt.Local().Format("2006-01-02 15:04"), strings.Join(e.Files, ", "))
	}
	return nil
}

func printLayerDiff(ctx context.Context, w io.Writer, db *postgis.DB, name string, from, to time.Time, format string) error {
	fd, td := from.Format(postgis.DateLayout), to.Format(postgis.DateLayout)
	n := 0
	var each func(f postgis.DiffFeature) error
	switch format {
	case "table":
		each = func(f postgis.DiffFeature) error {
			fmt.Fprintf(w, "%-8s %s%s\n", f.Change, f.Code, describeChange(f))
			return nil
		}
	case "json":
		fmt.Fprintf(w, `{"layer":%q,"from":%q,"to":%q,"features":[`, name, fd, td)
		each = func(f postgis.DiffFeature) error {
			if n > 0 {
				io.WriteString(w, ",")
			}
			n++
			b, err := json.Marshal(f)
			if err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		}
	case "geojson":
		fmt.Fprintf(w, `{"type":"FeatureCollection","name":%q,"features":[`, name+" "+fd+"…"+td)
		each = func(f postgis.DiffFeature) error {
			if n > 0 {
				io.WriteString(w, ",\n")
			}
			n++
			b, err := json.Marshal(f.GeoJSON())
			if err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		}
	}
	counts, err := db.DiffLayer(ctx, name, from, to, each)
	if err != nil {
		return err
	}
	switch format {
	case "table":
		fmt.Fprintf(w, "layer %q from %s to %s: %s added, %s changed, %s removed\n", name, fd, td,
			group(counts.Added), group(counts.Changed), group(counts.Removed))
	case "json":
		b, _ := json.Marshal(counts)
		fmt.Fprintf(w, "],\"counts\":%s}\n", b)
	case "geojson":
		io.WriteString(w, "]}\n")
	}
	return nil
}

// describeChange words a changed feature's fields: name old → new.
func describeChange(f postgis.DiffFeature) string {
	if f.Change != "changed" {
		return ""
	}
	var before, after map[string]any
	_ = json.Unmarshal(f.Before, &before)
	_ = json.Unmarshal(f.After, &after)
	parts := make([]string, 0, len(f.Changed))
	for _, c := range f.Changed {
		if _, ok := after[c]; ok {
			parts = append(parts, fmt.Sprintf("%s %s → %s", c, jsonText(before[c]), jsonText(after[c])))
		} else {
			parts = append(parts, c)
		}
	}
	return ": " + strings.Join(parts, "; ")
}

func jsonText(v any) string {
	if v == nil {
		return "∅"
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
