package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"tudi/land"
	"tudi/postgis"
)

const tokenUsage = `Usage:
  tudi token create --role viewer|editor|admin [--layers a,b] [--expires 90d] [--name NOTE]
  tudi token list
  tudi token revoke ID

create prints a new token once: only its SHA-256 is stored, so it cannot be
shown again. A viewer reads (needed only when serve runs with --auth read),
an editor also imports (into --layers only, when given), an admin also
deletes and renames layers. list shows every token without its secret;
revoke stops one at once (a running server notices within seconds).
`

// TokenConfig configures tudi token.
type TokenConfig struct {
	DB      DBConfig
	Role    string
	Layers  string
	Expires string
	Name    string
}

func tokenCommand(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	if len(args) == 0 || !(args[0] == "create" || args[0] == "list" || args[0] == "revoke") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(env.Stdout, tokenUsage)
			return nil
		}
		fmt.Fprint(env.Stderr, tokenUsage)
		return land.Errorf(land.Invalid, "token needs a subcommand: create, list or revoke")
	}
	sub := args[0]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var cfg TokenConfig
	addDBFlags(fs, &cfg.DB, env)
	if sub == "create" {
		fs.StringVar(&cfg.Role, "role", "", "viewer, editor or admin (required)")
		fs.StringVar(&cfg.Layers, "layers", "", "comma-separated layers an editor may import into (default: every layer)")
		fs.StringVar(&cfg.Expires, "expires", "", "lifetime such as 90d, 12h or 30m (default: never)")
		fs.StringVar(&cfg.Name, "name", "", "a note on who or what holds the token")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err)
	}
	var create postgis.TokenCreate
	var id int64
	switch sub {
	case "create":
		if fs.NArg() > 0 {
			return land.Errorf(land.Invalid, "token create takes no arguments, got %q", fs.Args())
		}
		if cfg.Role == "" {
			return land.Errorf(land.Invalid, "--role is required (viewer, editor or admin)")
		}
		role, err := postgis.ParseRole(cfg.Role)
		if err != nil {
			return err
		}
		expires, err := parseLifetime(cfg.Expires)
		if err != nil {
			return err
		}
		create = postgis.TokenCreate{Name: cfg.Name, Role: role, Layers: splitList(cfg.Layers), Expires: expires}
	case "list":
		if fs.NArg() > 0 {
			return land.Errorf(land.Invalid, "token list takes no arguments, got %q", fs.Args())
		}
	case "revoke":
		if fs.NArg() != 1 {
			return land.Errorf(land.Invalid, "token revoke takes one token id (see tudi token list)")
		}
		n, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil || n <= 0 {
			return land.Errorf(land.Invalid, "token id %q: want the number shown by tudi token list", fs.Arg(0))
		}
		id = n
	}
	st, err := openStore(ctx, cfg.DB, postgis.Options{AppName: "tudi token"}, log)
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	switch sub {
	case "create":
		t, secret, err := st.DB.CreateToken(ctx, create)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, secret)
		fmt.Fprintf(env.Stderr, "token %d created (%s%s, %s): it is shown only now; send it as Authorization: Bearer TOKEN\n",
			t.ID, t.Role, layersNote(t.Layers), expiresNote(t.ExpiresAt))
		return nil
	case "list":
		list, err := st.DB.FindTokens(ctx)
		if err != nil {
			return err
		}
		writeTokens(env, list)
		return nil
	default:
		if err := st.DB.RevokeToken(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "token %d revoked\n", id)
		return nil
	}
}

func writeTokens(env Env, list []*postgis.Token) {
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tLAYERS\tCREATED\tEXPIRES\tLAST USED\tSTATUS")
	now := time.Now()
	for _, t := range list {
		layers := strings.Join(t.Layers, ",")
		if layers == "" {
			layers = "*"
		}
		status := "active"
		switch {
		case t.RevokedAt != nil:
			status = "revoked " + stamp(t.RevokedAt)
		case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
			status = "expired"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, orDash(t.Name), t.Role, layers,
			stamp(&t.CreatedAt), stamp(t.ExpiresAt), stamp(t.LastUsedAt), status)
	}
	tw.Flush()
}

func stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func layersNote(layers []string) string {
	if len(layers) == 0 {
		return ""
	}
	return " of layers " + strings.Join(layers, ",")
}

func expiresNote(t *time.Time) string {
	if t == nil {
		return "never expires"
	}
	return "expires " + t.Local().Format("2006-01-02 15:04 MST")
}

// parseLifetime reads a token lifetime: a number of days ("90d"), weeks
// ("2w") or any Go duration ("12h", "30m"); "" is forever.
func parseLifetime(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	bad := land.Errorf(land.Invalid, "--expires %q: want a lifetime such as 90d, 2w, 12h or 30m", s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil || v <= 0 || v > 100*365 {
				return 0, bad
			}
			return time.Duration(v * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, bad
	}
	return d, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
