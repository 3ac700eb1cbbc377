package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"

	"tudi/importers"
	"tudi/land"
	"tudi/postgis"
	"tudi/sampledata"
)

func sampleCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	out := fs.String("out", "", "directory to write the sample district into (required)")
	scale := fs.Int("scale", 1, "size: 1 ≈ 2 500 parcels, 400 ≈ 1 000 000")
	seed := fs.Uint64("seed", 0, "selects the district; the same seed and scale give the same files")
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	if *out == "" {
		return land.Errorf(land.Invalid, "--out is required")
	}
	if *scale < 1 {
		return land.Errorf(land.Invalid, "--scale must be at least 1, got %d", *scale)
	}
	if fs.NArg() > 0 {
		return land.Errorf(land.Invalid, "sample takes no arguments, got %q", fs.Args())
	}
	bar := newProgressBar(env.Stderr, "features", "")
	m, err := sampledata.Write(ctx, *out, sampledata.Options{Scale: *scale, Seed: *seed}, func(layer string, n int) {
		bar.update(int64(n), 0)
	})
	bar.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote the sample district %s (scale %d) into %s:\n", m.District, m.Scale, *out)
	for _, l := range m.Layers {
		fmt.Fprintf(env.Stdout, "  %-14s %-9s %9s features  %s\n", l.Name, l.Format, group(int64(l.Features)), filepath.Join(*out, l.Files[0]))
	}
	fmt.Fprintf(env.Stdout, "import one with: tudi import --layer parcels %s\n", filepath.Join(*out, "parcels.shp"))
	return nil
}

// loadSampleIfEmpty loads the scale-1 sample district when no layer exists:
// it writes the files into DATA_DIR/sample and imports every layer of the
// manifest, as a user would with tudi import.
func loadSampleIfEmpty(ctx context.Context, db *postgis.DB, dataDir string, log *slog.Logger) error {
	ls, err := db.FindLayers(ctx, land.LayerFilter{})
	if err != nil {
		return err
	}
	if len(ls) > 0 {
		return nil
	}
	dir := filepath.Join(dataDir, "sample")
	log.Info("empty database: loading the sample district", "dir", dir)
	m, err := sampledata.Write(ctx, dir, sampledata.Options{Scale: 1}, nil)
	if err != nil {
		return fmt.Errorf("write the sample district: %w", err)
	}
	im := importers.New(db, log)
	for _, l := range m.Layers {
		imp, err := im.Import(ctx, importers.Request{
			Layer: l.Name, Kind: l.Kind, Encoding: l.Encoding, SRID: l.SRID,
			Files: []string{filepath.Join(dir, l.Files[0])}, User: "tudi (sample)", Title: sampleTitles[l.Name],
		})
		if err != nil {
			return fmt.Errorf("load the sample layer %q: %w", l.Name, err)
		}
		log.Info("sample layer loaded", "layer", l.Name, "rows", imp.Summary.Loaded,
			"repaired", imp.Summary.Repaired, "rejected", imp.Summary.Rejected)
	}
	return nil
}

// sampleTitles names the sample's layers whose kind has no fitting title of
// its own (generic layers get their layer name otherwise).
var sampleTitles = map[string]string{"stations": "地铁站点", "inspection_patches": "卫片图斑及整改台账", "inspection_problems": "督察审计问题整改台账", "permits": "规划审批事项"}
