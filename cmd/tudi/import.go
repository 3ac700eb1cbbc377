package main

import (
	"context"
	"log/slog"

	"tudi/land"
)

func importCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	return land.Errorf(land.Unavailable, "import is not available yet")
}
