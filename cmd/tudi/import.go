package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/user"
	"strconv"
	"strings"

	"tudi/importers"
	"tudi/land"
	"tudi/postgis"
)

// ImportConfig is the configuration of `tudi import`.
type ImportConfig struct {
	DB      DBConfig
	Request importers.Request
	JSON    bool // print the summary as JSON
}

const importUsage = `Usage: tudi import --layer NAME [flags] FILE…

Imports a shapefile (.shp with its .dbf/.shx/.prj/.cpg, or a .zip holding
one), a GeoJSON file (.geojson/.json, also newline-delimited), a
GeoPackage (.gpkg) or a ledger (.xlsx or .csv, one row per record) into a
layer, all or nothing: on any error the layer stays as it was. Text encoding
and coordinate system are detected (.cpg, the DBF language driver, .prj)
unless given.

Flags:
`

func importCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), importUsage)
		fs.PrintDefaults()
	}
	var cfg ImportConfig
	r := &cfg.Request
	r.Map = map[string]string{}
	addDBFlags(fs, &cfg.DB, env)
	var catDir string
	addCatalogFlag(fs, &catDir, env)
	fs.StringVar(&r.Layer, "layer", "", "target layer name (required): lower-case letters, digits and _")
	kind := fs.String("kind", "", "kind of a new layer: parcels, farmland, renewal_units, idle_land, boundaries, generic or a kind of --catalog (default: the existing layer's, else from the layer name, else generic)")
	fs.StringVar(&r.Mode, "mode", "", "history (keep every past state, compared by code), replace or append (default: history for a kind with a code when the layer is new or keeps history, else replace)")
	fs.Func("as-of", "history mode: the date the file's state takes effect, YYYY-MM-DD (default: today); not before the layer's latest", func(s string) error {
		d, err := land.ParseDate("--as-of", s)
		if err != nil {
			return err
		}
		r.AsOf = d
		return nil
	})
	fs.StringVar(&r.Encoding, "encoding", "", "text encoding of the .dbf, e.g. GBK, GB18030, UTF-8, Big5 (default: .cpg, DBF language driver, else detected)")
	fs.IntVar(&r.SRID, "srid", 0, "EPSG code of the source coordinates (default: from the .prj or the file, else guessed)")
	fs.Func("map", "FIELD=SOURCE: read canonical FIELD from source field SOURCE (repeatable)", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" || v == "" {
			return fmt.Errorf("want FIELD=SOURCE, got %q", s)
		}
		r.Map[strings.TrimSpace(k)] = strings.TrimSpace(v)
		return nil
	})
	fs.StringVar(&r.Title, "title", "", "title of a new layer, shown in the web map and catalogs (default: the kind's name)")
	fs.StringVar(&r.SourceLayer, "source-layer", "", "the layer to read from a GeoPackage, or a zip holding several")
	fs.StringVar(&r.User, "user", currentUser(env), "who imports, for the history (env TUDI_USER)")
	fs.BoolVar(&cfg.JSON, "json", false, "print the summary as JSON")
	fs.StringVar(&r.Ledger.Sheet, "sheet", "", "ledger .xlsx: the sheet to read (default: the first)")
	fs.StringVar(&r.Ledger.Lon, "lon", "", "ledger: the column of longitudes or eastings (default: detected, e.g. 经度, lon, x)")
	fs.StringVar(&r.Ledger.Lat, "lat", "", "ledger: the column of latitudes or northings (default: detected, e.g. 纬度, lat, y)")
	fs.StringVar(&r.Ledger.WKT, "wkt", "", "ledger: a column of WKT geometries")
	fs.StringVar(&r.Ledger.GeometryFrom, "geometry-from", "", "ledger: LAYER:FIELD=COLUMN, the geometry of LAYER's feature whose FIELD equals the row's COLUMN (e.g. parcels:code=DKBH)")
	fs.BoolVar(&r.Ledger.Lenient, "lenient", false, "ledger: keep values that cannot be read only in props (counted as warnings) instead of failing")
	fs.StringVar(&r.Repair, "repair", "", "invalid geometries: off (store as they are), fast (parts, then method=structure) or full (linework, however long) (default: parts, then linework, then structure, each within --repair-budget)")
	fs.DurationVar(&r.RepairBudget, "repair-budget", importers.DefaultRepairBudget, "the time one repair method may take on a feature of up to 100 000 vertices (larger ones get proportionally more) before the next method is tried, or the feature is kept as it is and reported")
	// Files may come before, between or after the flags.
	for {
		if err := fs.Parse(args); err != nil {
			return usageError(err)
		}
		if fs.NArg() == 0 {
			break
		}
		r.Files = append(r.Files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	r.Kind = land.Kind(*kind)
	if r.Layer == "" {
		return land.Errorf(land.Invalid, "--layer is required")
	}
	if err := land.ValidateLayerName(r.Layer); err != nil {
		return err
	}
	if len(r.Files) == 0 {
		return land.Errorf(land.Invalid, "no file to import: give a .shp, .zip, .geojson, .json, .gpkg, .xlsx or .csv")
	}
	cat, err := loadCatalog(catDir)
	if err != nil {
		return err
	}
	if *kind != "" {
		if _, err := cat.Kinds.ParseKind(*kind); err != nil {
			return err
		}
	}

	st, err := openStore(ctx, cfg.DB, postgis.Options{AppName: "tudi import"}, log)
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	st.DB.Kinds = cat.Kinds
	// A layer made before its kind gained fields gets their columns first.
	if _, err := st.DB.EnsureLayerColumns(ctx, r.Layer); err != nil {
		return err
	}

	if _, err := importers.ParseRepairMode(r.Repair); err != nil {
		return err
	}
	if r.RepairBudget <= 0 {
		return land.Errorf(land.Invalid, "--repair-budget %s: want a positive duration, e.g. 30s or 5m", r.RepairBudget)
	}
	bar := newProgressBar(env.Stderr, "features", "— validating, indexing, swapping…")
	r.Progress = bar.update
	r.Validation = bar.validation
	if cfg.JSON {
		// Progress as JSON lines on stderr (stdout holds the import record).
		jp := newJSONProgress(env.Stderr)
		r.Progress, r.Validation = jp.read, jp.validation
	}
	imp, err := importers.New(st.DB, log).Import(ctx, *r)
	bar.finish()
	if err != nil {
		if cfg.JSON && imp != nil {
			writeImportJSON(env.Stdout, imp)
		}
		return err
	}
	if cfg.JSON {
		return writeImportJSON(env.Stdout, imp)
	}
	printImport(env.Stdout, imp, cat.Kinds)
	return nil
}

func currentUser(env Env) string {
	if u := env.Getenv("TUDI_USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return env.Getenv("USER")
}

func writeImportJSON(w io.Writer, imp *land.Import) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(imp)
}

// printImport writes the human summary of an import.
func printImport(w io.Writer, imp *land.Import, kinds *land.Catalog) {
	s := imp.Summary
	fmt.Fprintf(w, "imported %s features into layer %q (%s) in %.1f s — import #%d\n",
		group(s.Loaded), imp.Layer, imp.Kind, float64(imp.DurationMS)/1000, imp.ID)
	fmt.Fprintf(w, "  read %s, loaded %s, repaired %s, rejected %s, null shapes %s, warnings %s\n",
		group(s.Read), group(s.Loaded), group(s.Repaired), group(s.Rejected), group(s.NullShapes), group(s.Warnings))
	if c := s.Changes; c != nil {
		fmt.Fprintf(w, "  history as of %s: added %s, changed %s, removed %s, unchanged %s\n",
			c.EffectiveDate, group(c.Added), group(c.Changed), group(c.Removed), group(c.Unchanged))
	}
	fmt.Fprintf(w, "  text encoding %s (%s); coordinates EPSG:%d (%s), stored in EPSG:4490\n",
		orDash(s.Encoding), orDash(s.EncodingSource), s.SRID, orDash(s.SRIDSource))
	if m, ok := imp.Extra["mapping"].(map[string]string); ok && len(m) > 0 {
		var parts []string
		for _, f := range kinds.Spec(imp.Kind).Fields {
			if src, ok := m[f.Name]; ok {
				parts = append(parts, f.Name+"←"+src)
			}
		}
		fmt.Fprintf(w, "  fields: %s (all source attributes kept in props)\n", strings.Join(parts, ", "))
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	if len(s.Problems) > 0 {
		fmt.Fprintf(w, "  problems (%d shown):\n", len(s.Problems))
		for i, p := range s.Problems {
			if i == 50 {
				fmt.Fprintf(w, "    … %d more (see --json or GET /api/imports/%d)\n", len(s.Problems)-50, imp.ID)
				break
			}
			field := ""
			if p.Field != "" {
				field = " field " + p.Field
			}
			fmt.Fprintf(w, "    %s record %d%s: %s: %s\n", p.File, p.Record, field, p.Action, p.Reason)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// group writes n with thin groups of three digits: 1 000 000.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}
