package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"tudi/land"
	"tudi/postgis"
	"tudi/tiles"
)

const tilesUsage = `Usage:
  tudi tiles seed   --layers a,b --zoom 8-14 [--bbox minlon,minlat,maxlon,maxlat]
  tudi tiles export --format pmtiles|mbtiles --layers a,b --zoom 8-16 [--bbox …] --out FILE

seed pre-renders tiles into the database, where every tudi serve on it finds
them (they stop being used the moment an import changes their layer), and
rebuilds the generalised low zooms of large layers when outdated.
export writes composite tiles of the layers into one MBTiles or PMTiles file
for offline use (QGIS, GDAL, MapLibre).
`

// TilesConfig configures tudi tiles seed and export.
type TilesConfig struct {
	DB     DBConfig
	Layers string
	Zoom   string
	BBox   string
	Format string // export only
	Out    string // export only
}

func tilesCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	if len(args) == 0 || (args[0] != "seed" && args[0] != "export") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(env.Stdout, tilesUsage)
			return nil
		}
		fmt.Fprint(env.Stderr, tilesUsage)
		return land.Errorf(land.Invalid, "tiles needs a subcommand: seed or export")
	}
	sub := args[0]
	fs := flag.NewFlagSet("tiles "+sub, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var cfg TilesConfig
	addDBFlags(fs, &cfg.DB, env)
	fs.StringVar(&cfg.Layers, "layers", "", "comma-separated layer names (required)")
	fs.StringVar(&cfg.Zoom, "zoom", "", "zoom range a-b, or one zoom (required)")
	fs.StringVar(&cfg.BBox, "bbox", "", "limit to minlon,minlat,maxlon,maxlat (default: the layers' extent)")
	if sub == "export" {
		fs.StringVar(&cfg.Format, "format", "", "pmtiles or mbtiles (default: from --out's extension)")
		fs.StringVar(&cfg.Out, "out", "", "file to write (required)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err)
	}
	if fs.NArg() > 0 {
		return land.Errorf(land.Invalid, "tiles %s takes no arguments, got %q", sub, fs.Args())
	}
	r, err := cfg.tileRange()
	if err != nil {
		return err
	}
	if sub == "export" {
		if cfg.Out == "" {
			return land.Errorf(land.Invalid, "--out is required")
		}
		if cfg.Format == "" {
			switch {
			case strings.HasSuffix(cfg.Out, ".pmtiles"):
				cfg.Format = tiles.FormatPMTiles
			case strings.HasSuffix(cfg.Out, ".mbtiles"):
				cfg.Format = tiles.FormatMBTiles
			default:
				return land.Errorf(land.Invalid, "--format is required (pmtiles or mbtiles) when --out %q has neither extension", cfg.Out)
			}
		}
		if cfg.Format != tiles.FormatPMTiles && cfg.Format != tiles.FormatMBTiles {
			return land.Errorf(land.Invalid, "--format %q: use pmtiles or mbtiles", cfg.Format)
		}
	}
	st, err := openStore(ctx, cfg.DB, postgis.Options{AppName: "tudi tiles"}, log)
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	// No memory cache: every tile is rendered once and written out.
	svc, err := tiles.New(st.DB, tiles.Config{CacheBytes: -1}, nil, log)
	if err != nil {
		return err
	}
	bar := newProgressBar(env.Stderr, "tiles", "")
	start := time.Now()
	switch sub {
	case "seed":
		sum, err := svc.Seed(ctx, r, bar.updateInt)
		bar.finish()
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "seeded %s tile layers of %s (zooms %d-%d) in %s: %s rendered (%s empty, %s MB), %s already current\n",
			group(int64(sum.Tiles)), cfg.Layers, r.MinZoom, r.MaxZoom, time.Since(start).Round(time.Millisecond),
			group(int64(sum.Rendered)), group(int64(sum.Empty)), strconv.FormatFloat(float64(sum.Bytes)/1e6, 'f', 1, 64), group(int64(sum.Current)))
	case "export":
		sum, err := svc.Export(ctx, r, cfg.Format, cfg.Out, bar.updateInt)
		bar.finish()
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "wrote %s: %s tiles of %s (zooms %d-%d), %s non-empty, %s distinct, %s MB, in %s\n",
			cfg.Out, group(int64(sum.Tiles)), cfg.Layers, r.MinZoom, r.MaxZoom, group(int64(sum.Stored)), group(int64(sum.Unique)),
			strconv.FormatFloat(float64(sum.Bytes)/1e6, 'f', 1, 64), time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// tileRange parses --layers, --zoom and --bbox.
func (c TilesConfig) tileRange() (tiles.Range, error) {
	var r tiles.Range
	if c.Layers == "" {
		return r, land.Errorf(land.Invalid, "--layers is required (comma-separated layer names)")
	}
	names, err := tiles.ParseLayers(c.Layers)
	if err != nil {
		return r, err
	}
	r.Layers = names
	if c.Zoom == "" {
		return r, land.Errorf(land.Invalid, "--zoom is required (a-b, e.g. 8-14)")
	}
	lo, hi, isRange := strings.Cut(c.Zoom, "-")
	if !isRange {
		hi = lo
	}
	if r.MinZoom, err = strconv.Atoi(strings.TrimSpace(lo)); err != nil {
		return r, land.Errorf(land.Invalid, "--zoom %q: give a-b with whole numbers", c.Zoom)
	}
	if r.MaxZoom, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
		return r, land.Errorf(land.Invalid, "--zoom %q: give a-b with whole numbers", c.Zoom)
	}
	if c.BBox != "" {
		parts := strings.Split(c.BBox, ",")
		if len(parts) != 4 {
			return r, land.Errorf(land.Invalid, "--bbox %q: give minlon,minlat,maxlon,maxlat", c.BBox)
		}
		var v [4]float64
		for i, p := range parts {
			if v[i], err = strconv.ParseFloat(strings.TrimSpace(p), 64); err != nil {
				return r, land.Errorf(land.Invalid, "--bbox %q: %q is not a number", c.BBox, p)
			}
		}
		r.BBox = &orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}
	}
	return r, r.Validate()
}
