package main

import (
	"context"
	"log/slog"

	"tudi/land"
)

func importCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	return land.Errorf(land.Unavailable, "import is not available yet")
}

func reportCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	return land.Errorf(land.Unavailable, "report is not available yet")
}

func tilesCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	return land.Errorf(land.Unavailable, "tiles is not available yet")
}
