package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"tudi/land"
	"tudi/postgis"
)

func sampleCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	out := fs.String("out", "", "directory to write the sample district into (required)")
	scale := fs.Int("scale", 1, "size: 1 ≈ 2 500 parcels, 400 ≈ 1 000 000")
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	if *out == "" {
		return land.Errorf(land.Invalid, "--out is required")
	}
	if *scale < 1 {
		return land.Errorf(land.Invalid, "--scale must be at least 1, got %d", *scale)
	}
	return fmt.Errorf("sample: not available yet")
}

// loadSampleIfEmpty loads the scale-1 sample district when no layer exists.
func loadSampleIfEmpty(ctx context.Context, db *postgis.DB, dataDir string, log *slog.Logger) error {
	return nil
}
