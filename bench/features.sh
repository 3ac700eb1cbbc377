#!/usr/bin/env bash
# OGC API Features benchmark: six lists of N requests (default 400) over the
# parcels of `tudi sample --scale N` (scale 400 ≈ 1M parcels), requested by C
# concurrent clients (bench/features, loopback only) from tudi and — in the
# same run, on the same database and table — from pg_featureserv as shipped
# and with PostgreSQL's parallel plans off (max_parallel_workers_per_gather=0
# on its connections), one server right after the other, for ROUNDS rounds.
# Prints the ratio table (tudi ÷ each in requests per second) and the peak
# memory of every server.
#
# pg_featureserv is not part of tudi: pass its binary, or its source
# (github.com/CrunchyData/pg_featureserv, a checkout of v1.3.1), which is
# built with go:
#
#   PG_FEATURESERV=/path/to/pg_featureserv bench/features.sh
#   PG_FEATURESERV_SRC=/path/to/pg_featureserv-source bench/features.sh
#   SCALE=40 N=100 …            # smaller
#   BENCH_DIR=/some/dir KEEP=1 … # keep the work dir; a later run with the
#                                # same BENCH_DIR reuses its sample and cluster
#   BENCH_DATA=/other/dir/data … # the embedded cluster of an earlier run (its
#                                # BENCH_DIR/data), reused as it is; the work
#                                # files go to BENCH_DIR or a temporary dir
#   PG_FEATURESERV=bin PG_FEATURESERV_SRC=src … # a built binary, with the
#                                # assets (HTML templates) of its source
set -euo pipefail

SCALE=${SCALE:-400}
N=${N:-400}
C=${C:-8}
ROUNDS=${ROUNDS:-2}
PORT=${PORT:-27461}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TUDI_BIN:-$ROOT/bin/tudi}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/tudi-bench-features.XXXXXX)}
mkdir -p "$WORK"
mkdir -p "$WORK" && chmod 755 "$WORK"
PSQL=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1)
PSQL=${PSQL:-psql}

PGFS=${PG_FEATURESERV:-}
PGFS_DIR=
if [ -z "$PGFS" ] && [ -n "${PG_FEATURESERV_SRC:-}" ]; then
	echo "== building pg_featureserv from $PG_FEATURESERV_SRC ($(git -C "$PG_FEATURESERV_SRC" describe --tags 2>/dev/null || echo '?'))" >&2
	(cd "$PG_FEATURESERV_SRC" && go build -o "$WORK/pg_featureserv" .)
	PGFS=$WORK/pg_featureserv
	PGFS_DIR=$PG_FEATURESERV_SRC
fi
[ -n "$PGFS" ] || { echo "set PG_FEATURESERV (binary) or PG_FEATURESERV_SRC (source checkout)" >&2; exit 2; }
PGFS_DIR=${PGFS_DIR:-${PG_FEATURESERV_SRC:-$(dirname "$PGFS")}}
DATA=${BENCH_DATA:-$WORK/data}

[ -n "${NO_BUILD:-}" ] || (cd "$ROOT" && go build -o "$BIN" ./cmd/tudi)
(cd "$ROOT" && go build -o "$WORK/loadgen" ./bench/features)

PIDS=()
cleanup() {
	status=$?
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	if [ -z "${KEEP:-}" ] && [ -z "${BENCH_DIR:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
	exit $status
}
trap cleanup EXIT INT TERM

wait_http() { # url
	for _ in $(seq 1 600); do curl -fs -o /dev/null "$1" && return 0; sleep 0.5; done
	echo "no answer from $1" >&2; return 1
}

# The owner of the embedded cluster (it also builds the catalogue's field
# indexes of layers that lack them, in the background).
"$BIN" serve --data-dir "$DATA" --addr "127.0.0.1:$PORT" --sample=false >"$WORK/owner.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/healthz"
DB="postgres://postgres@/tudi?host=$DATA/pg&port=5432&sslmode=disable"

if [ "$("$PSQL" "$DB" -Atc "SELECT count(*) FROM tudi.layers WHERE name = 'parcels'")" != 1 ]; then
	echo "== sample district, scale $SCALE" >&2
	"$BIN" sample --scale "$SCALE" --out "$WORK/sample" >/dev/null
	echo "== import" >&2
	"$BIN" import --data-dir "$DATA" --layer parcels "$WORK/sample/parcels.shp" >/dev/null
fi
echo "== waiting for the field indexes" >&2
want=$("$PSQL" "$DB" -Atc "SELECT count(*) FROM unnest(ARRAY['landuse_code','street','status','supply_method','supply_date']) f")
until [ "$("$PSQL" "$DB" -Atc "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	WHERE i.indrelid = 'layers.parcels'::regclass AND i.indisvalid AND c.relname IN
	('parcels_landuse_code_idx','parcels_street_idx','parcels_status_idx','parcels_supply_method_idx','parcels_supply_date_idx')")" = "$want" ]; do
	sleep 2
done
# Statistics and the visibility map, as autovacuum leaves them after an
# import; then the same starting point for every server: table and indexes
# in memory.
"$PSQL" "$DB" -qAtc "VACUUM ANALYZE layers.parcels" >/dev/null
"$PSQL" "$DB" -qAtc "CREATE EXTENSION IF NOT EXISTS pg_prewarm" >/dev/null 2>&1 || true
"$PSQL" "$DB" -qAtc "SELECT pg_prewarm(c.oid) FROM pg_class c WHERE c.oid = 'layers.parcels'::regclass OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'layers.parcels'::regclass)" >/dev/null 2>&1 || true
ROWS=$("$PSQL" "$DB" -Atc "SELECT feature_count FROM tudi.layers WHERE name = 'parcels'")
# What tudi answers unasked (the canonical fields, then area_m2), which
# pg_featureserv is asked for by name.
PROPS=$("$PSQL" "$DB" -Atc "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns
	WHERE table_schema = 'layers' AND table_name = 'parcels' AND column_name NOT IN ('id', 'props', 'geom', 'geom_3857')")

# Where the bboxes are centred (points on parcels) and the ids asked for.
"$PSQL" "$DB" -Atc "SELECT ST_X(p) || ' ' || ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM layers.parcels TABLESAMPLE SYSTEM (1) REPEATABLE (19) WHERE geom IS NOT NULL LIMIT 4000) s" >"$WORK/points.txt"
"$PSQL" "$DB" -Atc "SELECT id FROM layers.parcels TABLESAMPLE SYSTEM (1) REPEATABLE (7) LIMIT 4000" >"$WORK/ids.txt"

"$BIN" serve --db "$DB" --addr "127.0.0.1:$((PORT + 1))" >"$WORK/tudi.log" 2>&1 &
TUDI=$!
PIDS+=($TUDI)
# pg_featureserv reads its assets (HTML templates) from ./assets.
(cd "$PGFS_DIR" && DATABASE_URL="$DB" PGFS_SERVER_HTTPHOST=127.0.0.1 PGFS_SERVER_HTTPPORT=$((PORT + 2)) exec "$PGFS") >"$WORK/pgfs.log" 2>&1 &
PGFS1=$!
PIDS+=($PGFS1)
(cd "$PGFS_DIR" && DATABASE_URL="$DB&max_parallel_workers_per_gather=0" PGFS_SERVER_HTTPHOST=127.0.0.1 PGFS_SERVER_HTTPPORT=$((PORT + 3)) exec "$PGFS") >"$WORK/pgfs-np.log" 2>&1 &
PGFS2=$!
PIDS+=($PGFS2)
wait_http "http://127.0.0.1:$((PORT + 1))/healthz"
wait_http "http://127.0.0.1:$((PORT + 2))/collections.json"
wait_http "http://127.0.0.1:$((PORT + 3))/collections.json"
# A cluster from an older tudi may hold a parcels table without the kind's
# newer fields, which tudi cannot serve: stop here rather than time errors.
curl -fs -o /dev/null "http://127.0.0.1:$((PORT + 1))/ogc/collections/parcels/items?limit=1" ||
	{ echo "tudi cannot answer items of parcels (see $WORK/tudi.log); import the sample again" >&2; exit 1; }

echo "== $ROWS parcels; $N requests per list, $C clients, $ROUNDS rounds, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$WORK/loadgen" -points "$WORK/points.txt" -ids "$WORK/ids.txt" -n "$N" -c "$C" -rounds "$ROUNDS" -props "$PROPS" \
	-server "tudi=http://127.0.0.1:$((PORT + 1))/ogc/collections/parcels" \
	-server "pg_featureserv as shipped=pgfs:http://127.0.0.1:$((PORT + 2))/collections/layers.parcels" \
	-server "pg_featureserv no parallel=pgfs:http://127.0.0.1:$((PORT + 3))/collections/layers.parcels" \
	-pid "tudi=$TUDI" -pid "pg_featureserv as shipped=$PGFS1" -pid "pg_featureserv no parallel=$PGFS2"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
