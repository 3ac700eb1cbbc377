package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"tudi/land"
	"tudi/postgis"
)

const layerUsage = `Usage:
  tudi layer rm NAME
  tudi layer rename OLD NEW
  tudi layer history NAME | tudi layer diff NAME --from DATE [--to DATE]   (tudi layer history -h)

rm deletes a layer with its table, its generalised and pre-rendered tiles;
rename gives it a new name, with its tile data, import history and the
editor tokens that name it. Each is one transaction: running servers stop
serving the old name the moment it commits. The import history of a deleted
layer is kept.
`

func layerCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	if len(args) > 0 && (args[0] == "history" || args[0] == "diff") {
		return layerHistoryCommand(ctx, args, env, log)
	}
	if len(args) == 0 || (args[0] != "rm" && args[0] != "rename") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(env.Stdout, layerUsage)
			return nil
		}
		fmt.Fprint(env.Stderr, layerUsage)
		return land.Errorf(land.Invalid, "layer needs a subcommand: rm, rename, history or diff")
	}
	sub := args[0]
	fs := flag.NewFlagSet("layer "+sub, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var cfg DBConfig
	addDBFlags(fs, &cfg, env)
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err)
	}
	want := map[string]int{"rm": 1, "rename": 2}[sub]
	if fs.NArg() != want {
		fmt.Fprint(env.Stderr, layerUsage)
		return land.Errorf(land.Invalid, "layer %s takes %d layer name(s), got %q", sub, want, fs.Args())
	}
	st, err := openStore(ctx, cfg, postgis.Options{AppName: "tudi layer"}, log)
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	if sub == "rm" {
		if err := st.DB.DeleteLayer(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "layer %q deleted\n", fs.Arg(0))
		return nil
	}
	l, err := st.DB.RenameLayer(ctx, fs.Arg(0), fs.Arg(1))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "layer %q renamed to %q\n", fs.Arg(0), l.Name)
	return nil
}
