#!/usr/bin/env bash
# Import benchmark: the `tudi sample --scale N` parcels shapefile (scale 400 ≈ 1M polygons,
# CGCS2000 3° GK zone 38, GBK) imported by `tudi import` and, in the same run and into the
# same database, by `ogr2ogr -f PostgreSQL -t_srs EPSG:4490`. Prints wall time, rows/s and
# peak RSS of each (client process; the PostgreSQL backend works for both).
#
#   bench/import.sh                 # scale 400, embedded cluster in a temp dir
#   SCALE=40 bench/import.sh        # smaller
#   DATABASE_URL=postgres://… bench/import.sh   # an existing PostGIS database
#   KEEP=1 bench/import.sh          # keep the temp dir (sample files, cluster)
set -euo pipefail

SCALE=${SCALE:-400}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TUDI_BIN:-$ROOT/bin/tudi}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/tudi-bench-import.XXXXXX)}
mkdir -p "$WORK" && chmod 755 "$WORK"

if [ ! -x /usr/bin/time ]; then
	echo "installing GNU time (for peak RSS)…" >&2
	if [ "$(id -u)" = 0 ]; then apt-get install -y -qq time >/dev/null; else sudo apt-get install -y -qq time >/dev/null; fi
fi
command -v ogr2ogr >/dev/null || { echo "ogr2ogr is missing: apt-get install gdal-bin" >&2; exit 1; }

[ -n "${NO_BUILD:-}" ] || (cd "$ROOT" && go build -o "$BIN" ./cmd/tudi)

PG_STARTED=
cleanup() {
	status=$?
	if [ -n "$PG_STARTED" ]; then
		if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data/pg" -m fast -w stop >/dev/null 2>&1 || true
		else "$PGBIN/pg_ctl" -D "$WORK/data/pg" -m fast -w stop >/dev/null 2>&1 || true; fi
	fi
	if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
	exit $status
}
trap cleanup EXIT INT TERM

echo "== generating the sample district, scale $SCALE, into $WORK/sample" >&2
"$BIN" sample --scale "$SCALE" --out "$WORK/sample" >/dev/null
SHP="$WORK/sample/parcels.shp"
ls -l "$WORK/sample"/parcels.* >&2

URL=${DATABASE_URL:-}
PG="PG:$URL" # GDAL takes a plain URL; set OGR_PG for one with query parameters
if [ -z "$URL" ]; then
	# The embedded cluster, created and migrated by tudi migrate, then kept
	# running by pg_ctl with the embedded defaults, for both tools. Not by a
	# tudi serve: it would start generalising the new layer for low-zoom
	# tiles as soon as tudi's import commits, and that work would be counted.
	"$BIN" migrate --data-dir "$WORK/data" >/dev/null 2>"$WORK/migrate.log" || { cat "$WORK/migrate.log" >&2; exit 1; }
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$PGBIN" ] || PGBIN=$(pg_config --bindir)
	SOCK="$WORK/data/pg"
	AS=()
	[ "$(id -u)" = 0 ] && AS=(runuser -u postgres --)
	"${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data/pg" -l "$WORK/data/pg/bench.log" -w start -o "-c listen_addresses='' \
		-c unix_socket_directories=$SOCK -c port=5432 -c shared_buffers=512MB -c work_mem=32MB -c maintenance_work_mem=512MB \
		-c max_wal_size=4GB -c checkpoint_timeout=15min -c jit=off" >/dev/null
	PG_STARTED=1
	URL="postgres://postgres@/tudi?host=$SOCK&port=5432&sslmode=disable"
	PG="PG:host=$SOCK port=5432 user=postgres dbname=tudi"
fi
PG=${OGR_PG:-$PG}

# pgcpu prints the CPU seconds the embedded cluster has used so far: the
# postmaster's own and its reaped children's, plus its live children's. On a
# machine shared with other work, CPU seconds compare the tools more fairly
# than wall time. "-" for an external database.
pgcpu() {
	local pm
	pm=$(sed -n 1p "$WORK/data/pg/postmaster.pid" 2>/dev/null) || { echo -; return; }
	[ -n "$pm" ] || { echo -; return; }
	{
		awk '{print $14+$15+$16+$17}' "/proc/$pm/stat"
		for c in $(ps --ppid "$pm" -o pid= 2>/dev/null || true); do awk '{print $14+$15}' "/proc/$c/stat" 2>/dev/null || true; done
	} | awk -v hz="$(getconf CLK_TCK)" '{t+=$1} END {printf "%.1f", t/hz}' || echo -
}

measure() { # name, command…: prints "seconds rss_kb client_cpu_s db_cpu_s"
	local name=$1; shift
	local before after
	before=$(pgcpu)
	/usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || {
		echo "$name failed:" >&2; tail -20 "$WORK/$name.err" >&2; exit 1; }
	sleep 1 # let the tool's backends exit and be reaped, so their CPU is counted once
	after=$(pgcpu)
	local wall rss cpu db=-
	wall=$(grep 'Elapsed (wall clock)' "$WORK/$name.time" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
	rss=$(grep 'Maximum resident set size' "$WORK/$name.time" | awk '{print $NF}')
	cpu=$(awk -F': ' '/User time|System time/ {t+=$2} END {printf "%.1f", t}' "$WORK/$name.time")
	[ "$before" = - ] || db=$(awk -v a="$after" -v b="$before" 'BEGIN{printf "%.1f", a-b}')
	echo "$wall $rss $cpu $db"
}

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== ogr2ogr" >&2
read -r O_WALL O_RSS O_CPU O_DB < <(measure ogr2ogr ogr2ogr -f PostgreSQL "$PG" "$SHP" -t_srs EPSG:4490 \
	-nln public.bench_ogr_parcels -overwrite)
O_ROWS=$(psql "$URL" -Atc 'SELECT count(*) FROM public.bench_ogr_parcels')

echo "== tudi import" >&2
read -r T_WALL T_RSS T_CPU T_DB < <(measure tudi "$BIN" import --db "$URL" --layer bench_parcels --kind parcels --json "$SHP")
T_ROWS=$(grep -m1 '"loaded"' "$WORK/tudi.out" | tr -dc 0-9)

psql "$URL" -qc "DROP TABLE IF EXISTS public.bench_ogr_parcels; DROP TABLE IF EXISTS layers.bench_parcels;
	DELETE FROM tudi.layers WHERE name = 'bench_parcels'" >/dev/null

printf '\nimport of the scale-%s parcels shapefile (%s cores: %s; load average before: %s)\n' "$SCALE" "$(nproc)" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$LOAD"
printf '%-10s %10s %10s %12s %12s %12s %12s\n' tool seconds rows rows/s "peak RSS MB" "client CPU s" "DB CPU s"
awk -v t="$T_WALL" -v r="$T_ROWS" -v m="$T_RSS" -v c="$T_CPU" -v d="$T_DB" 'BEGIN{printf "%-10s %10.1f %10d %12.0f %12.0f %12s %12s\n","tudi",t,r,r/t,m/1024,c,d}'
awk -v t="$O_WALL" -v r="$O_ROWS" -v m="$O_RSS" -v c="$O_CPU" -v d="$O_DB" 'BEGIN{printf "%-10s %10.1f %10d %12.0f %12.0f %12s %12s\n","ogr2ogr",t,r,r/t,m/1024,c,d}'
awk -v a="$T_WALL" -v b="$O_WALL" 'BEGIN{printf "tudi/ogr2ogr time ratio: %.2f\n", a/b}'
