#!/usr/bin/env bash
# Tile benchmark: a fixed list of ~3000 tiles, z8–z16, over the parcels of
# `tudi sample --scale N` (scale 400 ≈ 1M parcels), requested by 8 concurrent
# clients (bench/tiles, loopback only), against tudi and — in the same run, on
# the same database and table — against pg_tileserv asked for complete tiles
# (?limit=0) with the same attributes. For each: tiles/s, p50, p99 and the
# worst zoom's p99, cold (a fresh process: empty tile cache) and warm (the same
# list again; for tudi also five times in a row, as one warm pass is very short).
#
# pg_tileserv is not part of tudi: build it yourself from its source, outside
# this repository, and pass the binary:
#
#   PG_TILESERV=/path/to/pg_tileserv bench/tiles.sh
#   SCALE=40 N=1000 bench/tiles.sh          # smaller, tudi only when PG_TILESERV is unset
#   KEEP=1 …                                # keep the work dir (sample, cluster)
set -euo pipefail

SCALE=${SCALE:-400}
N=${N:-3000}
C=${C:-8}
PORT=${PORT:-27441}
PGTS_PORT=${PGTS_PORT:-27442}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TUDI_BIN:-$ROOT/bin/tudi}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/tudi-bench-tiles.XXXXXX)}
chmod 755 "$WORK"
PSQL=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1)
PSQL=${PSQL:-psql}

[ -n "${NO_BUILD:-}" ] || (cd "$ROOT" && go build -o "$BIN" ./cmd/tudi)
(cd "$ROOT" && go build -o "$WORK/loadgen" ./bench/tiles)

PIDS=()
cleanup() {
	status=$?
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
	exit $status
}
trap cleanup EXIT INT TERM

wait_http() { # url
	for _ in $(seq 1 600); do curl -fs -o /dev/null "$1" && return 0; sleep 0.5; done
	echo "no answer from $1" >&2; return 1
}

echo "== sample district, scale $SCALE" >&2
"$BIN" sample --scale "$SCALE" --out "$WORK/sample" >/dev/null

# The owner of the embedded cluster: it also hears the import's notification
# and builds the generalised low zooms, as any tudi serve would.
"$BIN" serve --data-dir "$WORK/data" --addr "127.0.0.1:$PORT" --sample=false >"$WORK/owner.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/healthz"
DB="postgres://postgres@/tudi?host=$WORK/data/pg&port=5432&sslmode=disable"

echo "== import" >&2
/usr/bin/time -f "import: %e s" "$BIN" import --data-dir "$WORK/data" --layer parcels "$WORK/sample/parcels.shp" >/dev/null

echo "== waiting for the generalised low zooms" >&2
start=$(date +%s)
until [ "$("$PSQL" "$DB" -Atc "SELECT count(*) FROM tiles.generalised g JOIN tudi.layers l ON l.name = g.layer AND l.version = g.version WHERE g.layer = 'parcels'")" = 1 ]; do
	sleep 2
	if [ $(( $(date +%s) - start )) -gt 1800 ]; then echo "no generalisation after 30 min" >&2; exit 1; fi
done
"$PSQL" "$DB" -Atc "SELECT 'generalised: ' || rows || ' rows in ' || duration_ms || ' ms' FROM tiles.generalised WHERE layer = 'parcels'" >&2
"$PSQL" "$DB" -Atc "SELECT 'pre-rendered: ' || count(*) || ' tiles, ' || pg_size_pretty(sum(length(mvt))) FROM tiles.prerendered WHERE layer = 'parcels'" >&2

# Same starting point for both servers: the table and its 3857 index in memory.
"$PSQL" "$DB" -qAtc "CREATE EXTENSION IF NOT EXISTS pg_prewarm; SELECT pg_prewarm('layers.parcels'), pg_prewarm('layers.parcels_geom_3857_idx')" >/dev/null || true

BBOX=$("$PSQL" "$DB" -Atc "SELECT concat_ws(',', minx, miny, maxx, maxy) FROM tudi.layers WHERE name = 'parcels'")
"$WORK/loadgen" list -bbox "$BBOX" -n "$N" >"$WORK/tiles.txt"
echo "== $(wc -l <"$WORK/tiles.txt") tiles over $BBOX, $C clients, $(nproc) cores" >&2
RESULTS=$WORK/results.jsonl

# tudi: a fresh process on the same database (empty tile cache) for the cold run.
"$BIN" serve --db "$DB" --addr "127.0.0.1:$((PORT + 2))" >"$WORK/tudi.log" 2>&1 &
TUDI=$!
PIDS+=($TUDI)
wait_http "http://127.0.0.1:$((PORT + 2))/healthz"
URL="http://127.0.0.1:$((PORT + 2))/tiles/parcels/{z}/{x}/{y}.mvt"
"$WORK/loadgen" run -url "$URL" -tiles "$WORK/tiles.txt" -c "$C" -label "tudi cold" -json "$RESULTS"
"$WORK/loadgen" run -url "$URL" -tiles "$WORK/tiles.txt" -c "$C" -label "tudi warm" -json "$RESULTS"
# One warm pass lasts a fifth of a second; five in a row give a steadier figure.
"$WORK/loadgen" run -url "$URL" -tiles "$WORK/tiles.txt" -c "$C" -repeat 5 -label "tudi warm x5" -json "$RESULTS"
kill "$TUDI"; wait "$TUDI" 2>/dev/null || true

if [ -n "${PG_TILESERV:-}" ]; then
	# DbTimeout raised from its 10 s so that low zooms complete rather than fail.
	DATABASE_URL="$DB" TS_DBTIMEOUT=600 TS_HTTPPORT=$PGTS_PORT TS_HTTPHOST=127.0.0.1 "$PG_TILESERV" >"$WORK/pg_tileserv.log" 2>&1 &
	PGTS=$!
	PIDS+=($PGTS)
	wait_http "http://127.0.0.1:$PGTS_PORT/index.json"
	curl -fs "http://127.0.0.1:$PGTS_PORT/layers.parcels.json" | head -c 400 >&2; echo >&2
	# Complete tiles (limit=0: no 50 000-feature cut) with tudi's attributes.
	PROPS=id,code,landuse_code,landuse_name,ownership,street,status,supply_method,supply_date,price_wan
	URL="http://127.0.0.1:$PGTS_PORT/layers.parcels/{z}/{x}/{y}.pbf?limit=0&properties=$PROPS"
	"$WORK/loadgen" run -url "$URL" -tiles "$WORK/tiles.txt" -c "$C" -label "pg_tileserv cold" -json "$RESULTS"
	"$WORK/loadgen" run -url "$URL" -tiles "$WORK/tiles.txt" -c "$C" -label "pg_tileserv warm" -json "$RESULTS"
else
	echo "PG_TILESERV not set: tudi only" >&2
fi
echo "== results (JSON lines) in $RESULTS" >&2
cat "$RESULTS"
