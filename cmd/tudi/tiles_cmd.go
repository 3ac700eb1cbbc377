package main

import (
	"context"
	"log/slog"

	"tudi/land"
)

func tilesCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	return land.Errorf(land.Unavailable, "tiles is not available yet")
}
