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
#   BENCH_DIR=DIR SKIP_IMPORT=1 …           # reuse DIR/sample and DIR/data of a kept run
#   HEXAGONS=1 …                            # the 1 001 220 jittered hexagons of bench/hexagons
#                                           # (layer hexagons) instead of the sample's parcels;
#                                           # HEX_SCALE=k: k times as many over k times the area
#
# tudi runs with its default cache settings (memory budget from the machine's
# memory, disk cache on), its disk cache in the work dir. After the warm
# passes, a fresh process whose memory budget is half the list's bytes reads
# the list twice: the second pass shows how much a list larger than memory is
# still served from the disk cache. Hit rates come from /metrics.
set -euo pipefail

SCALE=${SCALE:-400}
HEX_SCALE=${HEX_SCALE:-1}
# The layer benchmarked: the sample's parcels, or bench/hexagons' layer.
LAYER=parcels
[ -z "${HEXAGONS:-}" ] || LAYER=hexagons
N=${N:-3000}
C=${C:-8}
PORT=${PORT:-27441}
PGTS_PORT=${PGTS_PORT:-27442}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TUDI_BIN:-$ROOT/bin/tudi}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/tudi-bench-tiles.XXXXXX)}
mkdir -p "$WORK" && chmod 755 "$WORK"
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

if [ -z "${SKIP_IMPORT:-}" ]; then
if [ -n "${HEXAGONS:-}" ]; then
echo "== hexagons, scale $HEX_SCALE" >&2
mkdir -p "$WORK/sample"
(cd "$ROOT" && go run ./bench/hexagons -scale "$HEX_SCALE" -out "$WORK/sample/hexagons.geojson")
else
echo "== sample district, scale $SCALE" >&2
"$BIN" sample --scale "$SCALE" --out "$WORK/sample" >/dev/null
fi
fi

# The owner of the embedded cluster: it also hears the import's notification
# and builds the generalised low zooms, as any tudi serve would.
"$BIN" serve --data-dir "$WORK/data" --addr "127.0.0.1:$PORT" --sample=false >"$WORK/owner.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/healthz"
DB="postgres://postgres@/tudi?host=$WORK/data/pg&port=5432&sslmode=disable"

if [ -z "${SKIP_IMPORT:-}" ]; then
echo "== import" >&2
if [ -n "${HEXAGONS:-}" ]; then
	/usr/bin/time -f "import: %e s, %M KB max RSS" "$BIN" import --data-dir "$WORK/data" --layer hexagons --kind parcels "$WORK/sample/hexagons.geojson" >/dev/null
else
	/usr/bin/time -f "import: %e s, %M KB max RSS" "$BIN" import --data-dir "$WORK/data" --layer parcels "$WORK/sample/parcels.shp" >/dev/null
fi
fi

echo "== waiting for the generalised low zooms" >&2
start=$(date +%s)
until [ "$("$PSQL" "$DB" -Atc "SELECT count(*) FROM tiles.generalised g JOIN tudi.layers l ON l.name = g.layer AND l.version = g.version WHERE g.layer = '$LAYER'")" = 1 ]; do
	sleep 2
	if [ $(( $(date +%s) - start )) -gt 1800 ]; then echo "no generalisation after 30 min" >&2; exit 1; fi
done
"$PSQL" "$DB" -Atc "SELECT 'generalised: ' || rows || ' rows in ' || duration_ms || ' ms' FROM tiles.generalised WHERE layer = '$LAYER'" >&2
"$PSQL" "$DB" -Atc "SELECT 'pre-rendered: ' || count(*) || ' tiles, ' || pg_size_pretty(sum(length(mvt))) FROM tiles.prerendered WHERE layer = '$LAYER'" >&2
"$PSQL" "$DB" -Atc "SELECT 'largest pre-rendered z' || z || ': ' || max(length(mvt)) || ' bytes' FROM tiles.prerendered WHERE layer = '$LAYER' GROUP BY z ORDER BY z" >&2

"$PSQL" "$DB" -Atc "SELECT 'layer $LAYER: ' || count(*) || ' features, ' || pg_total_relation_size('layers.$LAYER') || ' bytes with indexes (' || pg_total_relation_size('layers.$LAYER') / greatest(count(*), 1) || ' per feature)' FROM layers.$LAYER" >&2

# Same starting point for both servers: the table and its 3857 index in memory.
"$PSQL" "$DB" -qAtc "CREATE EXTENSION IF NOT EXISTS pg_prewarm; SELECT pg_prewarm('layers.$LAYER'), pg_prewarm('layers.${LAYER}_geom_3857_idx')" >/dev/null || true

BBOX=$("$PSQL" "$DB" -Atc "SELECT concat_ws(',', minx, miny, maxx, maxy) FROM tudi.layers WHERE name = '$LAYER'")
"$WORK/loadgen" list -bbox "$BBOX" -n "$N" >"$WORK/tiles.txt"
echo "== $(wc -l <"$WORK/tiles.txt") tiles over $BBOX, $C clients, $(nproc) cores" >&2
RESULTS=$WORK/results.jsonl

# cache counters of a tudi serve: hits disk_hits misses
counters() { # port
	curl -fs "http://127.0.0.1:$1/metrics" | awk '
		/^tudi_tile_cache_hits_total /{h=$2} /^tudi_tile_cache_disk_hits_total /{d=$2} /^tudi_tile_cache_misses_total /{m=$2}
		END {printf "%d %d %d\n", h, d, m}'
}
# pass LABEL PORT ARGS…: one loadgen run and the cache hit rates of its requests.
pass() {
	local label=$1 port=$2; shift 2
	echo "$label: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	read -r h0 d0 m0 < <(counters "$port")
	"$WORK/loadgen" run -url "http://127.0.0.1:$port/tiles/$LAYER/{z}/{x}/{y}.mvt" -tiles "$WORK/tiles.txt" -c "$C" -label "$label" -json "$RESULTS" "$@"
	read -r h1 d1 m1 < <(counters "$port")
	awk -v l="$label" -v h=$((h1 - h0)) -v d=$((d1 - d0)) -v m=$((m1 - m0)) 'BEGIN {
		n = h + m; if (n == 0) n = 1
		printf "%s: memory hits %.1f %%, disk hits %.1f %%, rendered %.1f %% (of %d)\n", l, 100 * (h - d) / n, 100 * d / n, 100 * m / n, n }'
}

# tudi: a fresh process on the same database (empty tile caches) for the
# cold run, with the default cache settings. The disk caches of a kept run
# (BENCH_DIR, SKIP_IMPORT) are emptied first: a cold pass renders.
rm -rf "$WORK/tile-cache" "$WORK/tile-cache-2"
"$BIN" serve --db "$DB" --addr "127.0.0.1:$((PORT + 2))" --tile-cache "$WORK/tile-cache" >"$WORK/tudi.log" 2>&1 &
TUDI=$!
PIDS+=($TUDI)
wait_http "http://127.0.0.1:$((PORT + 2))/healthz"
grep -o '"tile_cache_max_mb":[0-9]*,"tile_memory_mb":[0-9]*' "$WORK/tudi.log" >&2 || true
pass "tudi cold" $((PORT + 2))
pass "tudi warm" $((PORT + 2))
# One warm pass lasts a fifth of a second; five in a row give a steadier figure.
pass "tudi warm x5" $((PORT + 2)) -repeat 5
kill "$TUDI"; wait "$TUDI" 2>/dev/null || true

# The largest tile of each zoom, uncompressed (the gzip trailer's length).
python3 - "$WORK/tile-cache" >&2 <<'PY' || true
import os, struct, sys
best = {}
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".mvt.gz"):
            p = os.path.join(root, f)
            if os.path.getsize(p) < 18:
                continue  # an empty tile
            z = int(os.path.relpath(p, sys.argv[1]).split(os.sep)[1])
            with open(p, "rb") as fh:
                fh.seek(-4, 2)
                n = struct.unpack("<I", fh.read(4))[0]
            best[z] = max(best.get(z, 0), n)
print("largest tile served per zoom (bytes, uncompressed): " + ", ".join(f"z{z} {best[z]}" for z in sorted(best)))
PY

# A list twice the memory budget: a fresh process whose memory holds half
# the list's (gzip) bytes, a new disk cache; the second pass shows what the
# disk cache still serves.
LIST_MB=$(( $(du -sb "$WORK/tile-cache" | cut -f1) >> 20 ))
HALF=${HALF_MB:-$(( LIST_MB / 2 > 0 ? LIST_MB / 2 : 1 ))}
echo "== list of ${LIST_MB} MB on disk; memory budget ${HALF} MB" >&2
"$BIN" serve --db "$DB" --addr "127.0.0.1:$((PORT + 3))" --tile-cache "$WORK/tile-cache-2" --tile-memory "$HALF" >"$WORK/tudi-half.log" 2>&1 &
TUDI=$!
PIDS+=($TUDI)
wait_http "http://127.0.0.1:$((PORT + 3))/healthz"
pass "tudi memory 1/2 list, first pass" $((PORT + 3))
pass "tudi memory 1/2 list, second pass" $((PORT + 3))
pass "tudi memory 1/2 list, passes 3-5" $((PORT + 3)) -repeat 3
kill "$TUDI"; wait "$TUDI" 2>/dev/null || true

if [ -n "${PG_TILESERV:-}" ]; then
	# DbTimeout raised from its 10 s so that low zooms complete rather than fail.
	DATABASE_URL="$DB" TS_DBTIMEOUT=600 TS_HTTPPORT=$PGTS_PORT TS_HTTPHOST=127.0.0.1 "$PG_TILESERV" >"$WORK/pg_tileserv.log" 2>&1 &
	PGTS=$!
	PIDS+=($PGTS)
	wait_http "http://127.0.0.1:$PGTS_PORT/index.json"
	curl -fs "http://127.0.0.1:$PGTS_PORT/layers.$LAYER.json" | head -c 400 >&2; echo >&2
	# Complete tiles (limit=0: no 50 000-feature cut) with tudi's attributes.
	PROPS=id,code,landuse_code,landuse_name,ownership,street,status,supply_method,supply_date,price_wan
	URL="http://127.0.0.1:$PGTS_PORT/layers.$LAYER/{z}/{x}/{y}.pbf?limit=0&properties=$PROPS"
	echo "pg_tileserv cold: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	"$WORK/loadgen" run -url "$URL" -tiles "$WORK/tiles.txt" -c "$C" -label "pg_tileserv cold" -json "$RESULTS"
	echo "pg_tileserv warm: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	"$WORK/loadgen" run -url "$URL" -tiles "$WORK/tiles.txt" -c "$C" -label "pg_tileserv warm" -json "$RESULTS"
else
	echo "PG_TILESERV not set: tudi only" >&2
fi
echo "== results (JSON lines) in $RESULTS" >&2
cat "$RESULTS"
