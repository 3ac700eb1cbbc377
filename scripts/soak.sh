#!/usr/bin/env bash
# Soak and attack test (make soak): builds tudi, serves the sample district
# from an embedded cluster in a temp data dir on loopback, and runs
# bench/soak against it for DURATION (default 10m, at most 2h): 200 clients
# mixing tiles, identify, OGC items, POST /api/query and reports, plus the
# attacks. It prints requests and statuses per endpoint, latency
# percentiles, the largest RSS of tudi and of PostgreSQL, and /healthz's
# slowest answer, and fails on any 5xx or a /healthz of 1 s or more.
#
#   DURATION=2m scripts/soak.sh
#   SCALE=40 …           # a larger district (scale 40 ≈ 100 000 parcels), imported before the run
#   CLIENTS=200          # clients of the normal mix
#   MAX_RSS_MB=4096      # stop the run (and fail) when tudi's RSS passes this
#   PORT=27461 KEEP=1    # listen port; keep the work dir (logs, cluster)
set -euo pipefail

DURATION=${DURATION:-10m}
SCALE=${SCALE:-1}
CLIENTS=${CLIENTS:-200}
MAX_RSS_MB=${MAX_RSS_MB:-4096}
PORT=${PORT:-27461}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/tudi-soak.XXXXXX)
chmod 755 "$WORK" # the cluster runs as postgres when this runs as root
BIN=$WORK/tudi

echo "== building tudi and the soak client" >&2
(cd "$ROOT" && go build -o "$BIN" ./cmd/tudi && go build -o "$WORK/soak" ./bench/soak)

SERVE_PID=
cleanup() {
	status=$?
	if [ -n "$SERVE_PID" ]; then
		kill "$SERVE_PID" 2>/dev/null || true
		for _ in $(seq 1 60); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.5; done
		kill -9 "$SERVE_PID" 2>/dev/null || true
	fi
	if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
	exit $status
}
trap cleanup EXIT INT TERM

SAMPLE=true
[ "$SCALE" = 1 ] || SAMPLE=false
echo "== tudi serve on 127.0.0.1:$PORT, data in $WORK/data" >&2
"$BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$WORK/data" --sample=$SAMPLE --trusted-proxies 127.0.0.1 >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for i in $(seq 1 600); do
	curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
	kill -0 "$SERVE_PID" 2>/dev/null || { tail -20 "$WORK/serve.log" >&2; exit 2; }
	[ "$i" -lt 600 ] || { echo "tudi serve did not answer" >&2; exit 2; }
	sleep 0.5
done
if [ "$SCALE" != 1 ]; then
	echo "== sample district, scale $SCALE, imported" >&2
	"$BIN" sample --scale "$SCALE" --out "$WORK/sample" >/dev/null
	for f in boundaries.geojson parcels.shp farmland.shp renewal_units.geojson idle_land.gpkg stations.geojson; do
		"$BIN" import --data-dir "$WORK/data" --layer "${f%.*}" "$WORK/sample/$f" >/dev/null
	done
fi

echo "== soak for $DURATION" >&2
status=0
"$WORK/soak" -url "http://127.0.0.1:$PORT" -duration "$DURATION" -clients "$CLIENTS" \
	-pid "$SERVE_PID" -pgdata "$WORK/data/pg" -max-rss-mb "$MAX_RSS_MB" || status=$?
errors=$(grep -c '"level":"ERROR"' "$WORK/serve.log" || true)
echo "tudi logged $errors errors (serve.log)"
grep '"level":"ERROR"' "$WORK/serve.log" | sed -E 's/.*"msg":"([^"]*)".*"error":"(([^"\\]|\\.){0,160}).*/\1: \2/' | sort | uniq -c | sort -rn | head -15 || true
exit $status
