package tiles_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"tudi/geo"
	"tudi/land"
	"tudi/tiles"
)

// psqlPath returns psql: on PATH, else the newest of Debian's
// /usr/lib/postgresql/*/bin.
func psqlPath(t *testing.T) string {
	if p, err := exec.LookPath("psql"); err == nil {
		return p
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
	slices.SortFunc(found, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(a))))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(b))))
		return vb - va
	})
	if len(found) == 0 {
		t.Fatal("psql not found: install the PostgreSQL client (Debian: apt-get install postgresql-client)")
	}
	return found[0]
}

// documentedCommands returns the psql commands of a tile SQL file's header
// ("--   psql …" lines), split into arguments as a shell would (single
// quotes only, as the headers use).
func documentedCommands(t *testing.T, file string) [][]string {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, line := range strings.Split(string(src), "\n") {
		cmd, ok := strings.CutPrefix(line, "--   psql ")
		if !ok {
			continue
		}
		var (
			args   []string
			cur    strings.Builder
			quoted bool
			inArg  bool
		)
		for _, r := range cmd {
			switch {
			case r == '\'':
				quoted, inArg = !quoted, true
			case r == ' ' && !quoted:
				if inArg {
					args = append(args, cur.String())
					cur.Reset()
					inArg = false
				}
			default:
				cur.WriteRune(r)
				inArg = true
			}
		}
		if inArg {
			args = append(args, cur.String())
		}
		out = append(out, args)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no psql command in its header", file)
	}
	return out
}

// runDocumented runs a documented psql command against url with the
// variables in set replaced (each must be one the command sets) and
// returns its output.
func runDocumented(t *testing.T, psql, url string, args []string, set map[string]string) string {
	t.Helper()
	args = slices.Clone(args)
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-v":
			name, _, _ := strings.Cut(args[i+1], "=")
			if v, ok := set[name]; ok {
				args[i+1] = name + "=" + v
				seen[name] = true
			}
			i++
		case "-f":
			// The command is run from the repository root; tests run in tiles/.
			args[i+1] = strings.TrimPrefix(args[i+1], "tiles/")
			i++
		}
	}
	for name := range set {
		if !seen[name] {
			t.Fatalf("the documented command %q sets no variable %s", args, name)
		}
	}
	cmd := exec.Command(psql, append(args, "-v", "ON_ERROR_STOP=1", "-d", url)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// hexBytes decodes psql's text output of one bytea ("\x…").
func hexBytes(t *testing.T, out string) []byte {
	t.Helper()
	s, ok := strings.CutPrefix(strings.TrimSpace(out), `\x`)
	if !ok {
		t.Fatalf("psql printed %q, want one bytea", out)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unit is one unit of the 4096 tile grid at zoom z (EPSG:3857 metres),
// computed as tudi does.
func unit(z int) float64 { return 2 * geo.WebMercatorHalf / float64(int(1)<<z) / 4096 }

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Every tile SQL file runs in psql as its header says, and gives what tudi
// serves for the same tile: the same bytes (tiles) or the same rows (the
// generalised geometry).
func TestTileSQLRunsInPsqlAsDocumented(t *testing.T) {
	t.Parallel()
	psql := psqlPath(t)
	ctx := context.Background()
	e := newEnv(t, tiles.Config{GeneraliseMin: 1000})
	e.mustCreateParcels("parcels", 60, 60)
	if err := e.svc.Rebuild(ctx, "parcels"); err != nil {
		t.Fatal(err)
	}
	url := e.db.Pool.Config().ConnString()
	fields := e.db.Spec(land.Parcels).Fields
	center := [2]float64{originLon + 30*cellDeg, originLat + 30*cellDeg}
	vars := func(file string, tile tiles.Tile, extra map[string]string) map[string]string {
		v := tiles.PsqlVars(file, "parcels", land.Parcels, fields)
		v["layer"] = "parcels"
		if tile != (tiles.Tile{}) {
			v["z"], v["x"], v["y"] = itoa(tile.Z), itoa(tile.X), itoa(tile.Y)
		}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}
	files, err := filepath.Glob("*.sql")
	if err != nil || len(files) != 4 {
		t.Fatalf("tile SQL files %v (%v): a new one needs its case here", files, err)
	}

	t.Run("tile.sql", func(t *testing.T) {
		tile := tileAt(center[0], center[1], 15)
		args := documentedCommands(t, "tile.sql")[0]
		got := hexBytes(t, runDocumented(t, psql, url, args, vars("tile.sql", tile, nil)))
		want := e.get(tilePath("parcels", tile)).body
		if len(got) == 0 || !bytes.Equal(got, want) {
			t.Fatalf("psql: %d bytes, tudi: %d bytes, not the same", len(got), len(want))
		}
	})
	t.Run("gen_tile.sql", func(t *testing.T) {
		tile := tileAt(center[0], center[1], 9)
		args := documentedCommands(t, "gen_tile.sql")[0]
		got := hexBytes(t, runDocumented(t, psql, url, args, vars("gen_tile.sql", tile, map[string]string{"band": "9"})))
		want := e.get(tilePath("parcels", tile)).body
		if len(got) == 0 || !bytes.Equal(got, want) {
			t.Fatalf("psql: %d bytes, tudi: %d bytes, not the same", len(got), len(want))
		}
	})
	t.Run("budget_tile.sql", func(t *testing.T) {
		// A service that is never generalised by count and has a small
		// byte budget, over the same database; z14 is never pre-rendered.
		svc, err := tiles.New(e.db, tiles.Config{GeneraliseMin: 1 << 40, TileBytes: 40_000}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		tile := tileAt(center[0], center[1], 14)
		d, err := svc.Tile(ctx, []string{"parcels"}, tile, false)
		if err != nil {
			t.Fatal(err)
		}
		want, err := d.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if len(want) > 40_000 || len(want) == 0 {
			t.Fatalf("tudi's tile of %d bytes is not one rendered within the budget", len(want))
		}
		args := documentedCommands(t, "budget_tile.sql")[0]
		got := hexBytes(t, runDocumented(t, psql, url, args, vars("budget_tile.sql", tile,
			map[string]string{"unit": ftoa(unit(14)), "cell": ftoa(25 * unit(14))})))
		if !bytes.Equal(got, want) {
			t.Fatalf("psql: %d bytes, tudi: %d bytes, not the same", len(got), len(want))
		}
	})
	t.Run("generalise.sql", func(t *testing.T) {
		rows := func(table string, band int) string {
			var n int64
			var sum string
			err := e.db.Pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(cls || ST_AsHEXEWKB(geom), ',' ORDER BY cls, ST_AsHEXEWKB(geom))), '')
				FROM tiles.%s WHERE band = $1`, table), band).Scan(&n, &sum)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Fatalf("%s: no rows of band %d", table, band)
			}
			return fmt.Sprintf("%d rows, md5 %s", n, sum)
		}
		cmds := documentedCommands(t, "generalise.sql")
		if len(cmds) != 2 {
			t.Fatalf("%d psql commands in the header of generalise.sql, want one per statement of a band", len(cmds))
		}
		for i, band := range []int{8, 12} {
			name := fmt.Sprintf("parcels__gen_psql_%d", band)
			u := unit(band)
			block := 2 * geo.WebMercatorHalf / float64(int(1)<<band)
			extra := map[string]string{"new": name, "band": itoa(band)}
			if band >= 12 {
				extra["dissolve"] = "on"
				extra["dissolve_block"], extra["dissolve_tolerance"], extra["dissolve_min_area"] = ftoa(block/8), ftoa(u/4), ftoa(u*u)
			} else {
				extra["dissolve"] = "off"
				extra["cell"], extra["block"], extra["tolerance"], extra["min_area"] = ftoa(25*2*geo.WebMercatorHalf/float64(int(1)<<band)/4096), ftoa(block), ftoa(u), ftoa(4*u*u)
			}
			runDocumented(t, psql, url, cmds[i], vars("generalise.sql", tiles.Tile{}, extra))
			if got, want := rows(`"`+name+`"`, band), rows("parcels__gen", band); got != want {
				t.Errorf("band %d: psql built %s, tudi %s", band, got, want)
			}
		}
	})
}

// The sizes written in the headers are those tudi computes for the zoom
// they name (a reader copies them as they are).
func TestTileSQLHeadersQuoteTudisSizes(t *testing.T) {
	t.Parallel()
	vars := func(args []string) map[string]string {
		v := map[string]string{}
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-v" {
				name, val, _ := strings.Cut(args[i+1], "=")
				v[name] = val
			}
		}
		return v
	}
	check := func(file string, args []string, want map[string]float64) {
		v := vars(args)
		for k, w := range want {
			if v[k] != ftoa(w) {
				t.Errorf("%s: -v %s=%s, tudi computes %s", file, k, v[k], ftoa(w))
			}
		}
	}
	budget := documentedCommands(t, "budget_tile.sql")[0]
	z, _ := strconv.Atoi(vars(budget)["z"])
	check("budget_tile.sql", budget, map[string]float64{"unit": unit(z), "cell": 25 * unit(z)})
	for _, args := range documentedCommands(t, "generalise.sql") {
		band, _ := strconv.Atoi(vars(args)["band"])
		u, block := unit(band), 2*geo.WebMercatorHalf/float64(int(1)<<band)
		if vars(args)["dissolve"] == "on" {
			check("generalise.sql", args, map[string]float64{"dissolve_block": block / 8, "dissolve_tolerance": u / 4, "dissolve_min_area": u * u})
		} else {
			check("generalise.sql", args, map[string]float64{"cell": 25 * 2 * geo.WebMercatorHalf / float64(int(1)<<band) / 4096,
				"block": block, "tolerance": u, "min_area": 4 * u * u})
		}
	}
}
