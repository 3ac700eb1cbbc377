package main

import (
	"context"
	"log/slog"

	"tudi/land"
)

func reportCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	return land.Errorf(land.Unavailable, "report is not available yet")
}
