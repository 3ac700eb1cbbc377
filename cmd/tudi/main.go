// Command tudi keeps a district's land data in PostGIS and serves it: vector
// tiles, OGC API Features, spatial queries, imports and reports.
//
// Usage: tudi <command> [flags]; `tudi help` lists the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"tudi/land"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Env is what a command gets from the process: its streams and the
// environment lookup (tests pass their own).
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Ready, when not nil, receives the address serve listens on (tests).
	Ready func(addr string)
}

// Run runs the command line args and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return RunEnv(ctx, args, Env{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv})
}

const usage = `tudi keeps a district's land data in PostGIS and serves it.

Usage: tudi <command> [flags]

Commands:
  serve     serve the web map, tiles, OGC API Features, queries, imports and reports
  import    import files (.shp, .zip, .geojson, .json, .gpkg, .xlsx, .csv) into a layer
  report    compute a report (land-supply, farmland-occupation, idle-land, renewal-progress, land-use-summary)
  tiles     seed the tile cache or export tiles (tiles seed|export)
  targets   load or list the reports' yearly targets (targets import|list)
  migrate   apply database migrations
  token     create, list and revoke API tokens with roles (token create|list|revoke)
  layer     delete or rename a layer, list its history and what changed (layer rm|rename|history|diff)
  sample    write the synthetic sample district as files

Every command that needs the database uses --db / DATABASE_URL, or else the
embedded PostgreSQL cluster in --data-dir (default ./tudi-data), attaching to
it when a tudi serve runs on it. Run 'tudi <command> -h' for its flags.
`

// RunEnv is Run with an explicit environment.
func RunEnv(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return 2
	}
	log := newLogger(env.Stderr, env.Getenv("TUDI_LOG_LEVEL"))
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = serveCommand(ctx, rest, env, log)
	case "import":
		err = importCommand(ctx, rest, env, log)
	case "report":
		err = reportCommand(ctx, rest, env, log)
	case "tiles":
		err = tilesCommand(ctx, rest, env, log)
	case "targets":
		err = targetsCommand(ctx, rest, env, log)
	case "migrate":
		err = migrateCommand(ctx, rest, env, log)
	case "token":
		err = tokenCommand(ctx, rest, env, log)
	case "layer":
		err = layerCommand(ctx, rest, env, log)
	case "sample":
		err = sampleCommand(ctx, rest, env, log)
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return 0
	default:
		fmt.Fprintf(env.Stderr, "tudi: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	code := ExitCode(err)
	if land.KindOf(err) == land.Internal {
		fmt.Fprintf(env.Stderr, "tudi %s: %v\n", args[0], err)
	} else {
		fmt.Fprintf(env.Stderr, "tudi %s: %s\n", args[0], err.Error())
	}
	return code
}

// ExitCode maps error kinds to exit codes: the one place that does.
func ExitCode(err error) int {
	switch land.KindOf(err) {
	case land.Invalid:
		return 2
	case land.NotFound:
		return 3
	case land.Conflict:
		return 4
	case land.Unauthorized, land.Forbidden:
		return 5
	case land.TooLarge:
		return 6
	case land.Timeout:
		return 7
	case land.Unavailable:
		return 8
	}
	return 1
}

// newLogger builds the one logger: text on a terminal, JSON otherwise.
func newLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// usageError marks a flag-parsing failure as Invalid (exit code 2).
func usageError(err error) error {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return land.Wrap(land.Invalid, err, err.Error())
}
