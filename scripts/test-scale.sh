#!/usr/bin/env bash
# Scale test (make test-scale, a few minutes, not part of make test):
#
#   - a primary and a streaming replica (pg_basebackup -R) as private
#     clusters in a temp dir (unix sockets only);
#   - two `tudi serve --db PRIMARY --read-db REPLICA` behind nginx, with
#     the configuration of deploy/nginx/tudi.conf (ports and paths changed);
#   - reads (tiles, OGC items, identify, reports) through nginx are served by the
#     replica (the replica's own statistics and /readyz's counters);
#   - an import on the primary while the replica's replay is paused: right
#     after it, every tile of the layer from both servers equals the tile of
#     a third server that reads the primary only (no stale tile), and
#     differs from before the import; once the replica has replayed the
#     import, reads go back to it;
#   - the replica stopped in the middle of a stream of uncached requests
#     through nginx: no request fails.
#
#   SCALE=4 (sample size, 1 ≈ 2 500 parcels)  PORT=28480 (nginx; servers +1, +2, +3)  KEEP=1
set -euo pipefail

SCALE=${SCALE:-4}
PORT=${PORT:-28480}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/tudi-scale.XXXXXX)
chmod 755 "$WORK" # the clusters run as postgres when this runs as root
BIN=$WORK/tudi
PA=$((PORT + 1)) PB=$((PORT + 2)) PC=$((PORT + 3))
TOKEN=scale-test-token
failures=0

say() { echo "== $(date -u +%H:%M:%S) $*"; }
pass() { echo "PASS: $*"; }
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

command -v nginx >/dev/null || { echo "nginx not found: apt-get install -y nginx" >&2; exit 2; }
PGBIN=$(pg_config --bindir 2>/dev/null || true)
[ -x "$PGBIN/pg_basebackup" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
[ -x "$PGBIN/pg_basebackup" ] || { echo "PostgreSQL server binaries not found" >&2; exit 2; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

PIDS=()
cleanup() {
	status=$?
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
	done
	[ -f "$WORK/nginx/nginx.pid" ] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true
	for c in r p; do
		[ -f "$WORK/$c/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$WORK/$c" -m immediate stop >/dev/null 2>&1 || true
	done
	if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
	exit $status
}
trap cleanup EXIT INT TERM

say "building tudi"
(cd "$ROOT" && go build -o "$BIN" ./cmd/tudi && go build -o "$WORK/mvtdigest" ./scripts/mvtdigest)

# A private cluster: no TCP, its socket in its own directory.
pg_start() { # dir
	as_pg "$PGBIN/pg_ctl" -D "$WORK/$1" -l "$WORK/pglog/$1.log" -w -t 120 -o "-c listen_addresses='' -c unix_socket_directories=$WORK/$1 -c port=5432 -c unix_socket_permissions=0700 -c fsync=off -c shared_buffers=128MB -c max_wal_size=1GB" start >/dev/null
}
url() { echo "postgres://postgres@/tudi?host=$WORK/$1&port=5432&sslmode=disable"; }
psql_on() { # dir sql
	as_pg "$PGBIN/psql" -X -q -At -h "$WORK/$1" -p 5432 -U postgres -d tudi -c "$2"
}

say "primary: initdb and start"
mkpgdir() { mkdir -m 0700 "$WORK/$1" && if [ "$(id -u)" = 0 ]; then chown postgres: "$WORK/$1"; fi; }
mkpgdir p
mkpgdir pglog
as_pg "$PGBIN/initdb" -D "$WORK/p" -U postgres -E UTF8 --no-locale --auth-local=trust --auth-host=reject --no-sync >/dev/null
pg_start p
as_pg "$PGBIN/createdb" -h "$WORK/p" -p 5432 -U postgres tudi
"$BIN" migrate --db "$(url p)" >/dev/null 2>&1

say "replica: pg_basebackup -R and start"
mkpgdir r
as_pg "$PGBIN/pg_basebackup" -D "$WORK/r" -R -X stream -c fast -h "$WORK/p" -p 5432 -U postgres --no-sync
rm -f "$WORK"/r/.s.PGSQL.*
pg_start r
[ "$(psql_on r 'SELECT pg_is_in_recovery()')" = t ] && pass "the replica is a streaming standby" || fail "the replica is not in recovery"

say "sample district (scale $SCALE) imported on the primary"
"$BIN" sample --scale "$SCALE" --out "$WORK/s1" >/dev/null
"$BIN" sample --scale "$SCALE" --seed 7 --out "$WORK/s2" >/dev/null
for f in boundaries.geojson parcels.shp farmland.shp; do
	"$BIN" import --db "$(url p)" --layer "${f%.*}" "$WORK/s1/$f" >/dev/null 2>&1
done

serve() { # name port [read-db]
	local extra=()
	[ -n "${3:-}" ] && extra=(--read-db "$3")
	"$BIN" serve --db "$(url p)" "${extra[@]}" --addr "127.0.0.1:$2" --data-dir "$WORK/$1" --sample=false \
		--token "$TOKEN" --trusted-proxies 127.0.0.1 --tile-memory 64 >"$WORK/$1.log" 2>&1 &
	PIDS+=($!)
}
ready() { # port
	for _ in $(seq 1 240); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz")" = 200 ] && return 0
		sleep 0.25
	done
	return 1
}
say "two tudi serve with --read-db, and nginx"
serve a "$PA" "$(url r)"
serve b "$PB" "$(url r)"
ready "$PA" && ready "$PB" && pass "/readyz 200 on both servers" || { fail "servers not ready"; tail -5 "$WORK"/a.log "$WORK"/b.log; exit 1; }

mkdir -p "$WORK/nginx/cache" "$WORK/nginx/tmp"
sed -e "s#server 127.0.0.1:8081#server 127.0.0.1:$PA#" -e "s#server 127.0.0.1:8082#server 127.0.0.1:$PB#" \
	-e "s#listen 80;#listen 127.0.0.1:$PORT;#" -e "s#/var/cache/nginx/tudi#$WORK/nginx/cache#" \
	"$ROOT/deploy/nginx/tudi.conf" >"$WORK/nginx/tudi.conf"
cat >"$WORK/nginx/nginx.conf" <<EOF
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log $WORK/nginx/access.log;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    include $WORK/nginx/tudi.conf;
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
NG=http://127.0.0.1:$PORT
for _ in $(seq 1 40); do curl -fs -o /dev/null "$NG/readyz" && break; sleep 0.25; done
curl -fs -o /dev/null "$NG/readyz" && pass "nginx answers /readyz" || fail "nginx does not answer"

# URLs of the run: z14 tiles over the parcels' extent, OGC items pages by
# bbox, identify clicks, reports — each different, so none is a cache hit.
python3 - "$NG" "$WORK" <<'EOF'
import json, math, random, sys, urllib.request
ng, work = sys.argv[1], sys.argv[2]
b = json.load(urllib.request.urlopen(ng + "/tiles/parcels.json"))["bounds"]
def tile(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
x0, y1 = tile(b[0], b[1], 14); x1, y0 = tile(b[2], b[3], 14)
tiles = [f"/tiles/parcels/14/{x}/{y}.mvt" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
open(f"{work}/tiles.txt", "w").write("\n".join(tiles) + "\n")
rnd = random.Random(1)
def reads(n, z):
    out = []
    for i in range(n):
        lon = rnd.uniform(b[0], b[2]); lat = rnd.uniform(b[1], b[3])
        k = i % 3
        if i % 10 == 9:
            out.append(f"/api/reports/land-supply?group=method&year={2000 + i % 25}")
        elif k == 0:
            out.append(f"/api/identify?lon={lon:.6f}&lat={lat:.6f}&layers=parcels,farmland")
        elif k == 1:
            d = 0.002
            out.append(f"/ogc/collections/parcels/items?bbox={lon:.6f},{lat:.6f},{lon+d:.6f},{lat+d:.6f}&limit=20")
        else:
            x, y = tile(lon, lat, z)
            out.append(f"/tiles/farmland/{z}/{x}/{y}.mvt?props=all")
    return out
open(f"{work}/reads1.txt", "w").write("\n".join(reads(150, 15)) + "\n")
open(f"{work}/load.txt", "w").write("\n".join(reads(800, 16)) + "\n")
print(f"{len(tiles)} parcels tiles at z14")
EOF

# fetch FILE BASE CONCURRENCY: one line per request, "code url".
fetch() { xargs -P "$3" -I{} curl -s -o /dev/null -w '%{http_code} {}\n' "$2{}" <"$1"; }

say "reads through nginx go to the replica"
r0=$(psql_on r "SELECT sum(xact_commit) FROM pg_stat_database WHERE datname = 'tudi'")
fetch "$WORK/reads1.txt" "$NG" 8 >"$WORK/reads1.out"
r1=$(psql_on r "SELECT sum(xact_commit) FROM pg_stat_database WHERE datname = 'tudi'")
bad=$(grep -cvE '^(200|204) ' "$WORK/reads1.out" || true)
[ "$bad" = 0 ] && pass "150 reads through nginx, all answered" || fail "$bad of 150 reads failed: $(grep -vE '^(200|204) ' "$WORK/reads1.out" | head -3)"
ra=$(curl -s "http://127.0.0.1:$PA/readyz" | python3 -c 'import json,sys; d=json.load(sys.stdin)["replicas"]; print(d["replicas"][0]["reads"], d["primary_reads"])')
rb=$(curl -s "http://127.0.0.1:$PB/readyz" | python3 -c 'import json,sys; d=json.load(sys.stdin)["replicas"]; print(d["replicas"][0]["reads"], d["primary_reads"])')
echo "replica transactions during the reads: $((r1 - r0)); server a (replica reads, primary reads): $ra; server b: $rb"
[ "$((r1 - r0))" -ge 100 ] && [ "${ra%% *}" -gt 0 ] && [ "${rb%% *}" -gt 0 ] &&
	pass "the replica served the reads (both servers read from it)" || fail "the replica did not serve the reads"

say "tiles of parcels before the import, from both servers"
# The features of each tile, whatever their order in it (see scripts/mvtdigest).
tilehash() { # base-url file → "path digest" lines
	"$WORK/mvtdigest" -base "$1" <"$WORK/tiles.txt" >"$2"
}
tilehash "http://127.0.0.1:$PA" "$WORK/before.a"
tilehash "http://127.0.0.1:$PB" "$WORK/before.b"
cmp -s "$WORK/before.a" "$WORK/before.b" && pass "both servers give the same tiles (features) before the import" ||
	fail "the servers' tiles differ before the import ($(diff "$WORK/before.a" "$WORK/before.b" | grep -c '^<') tiles)"

while read -r p; do curl -s -o /dev/null "$NG$p"; done <"$WORK/tiles.txt" # into nginx's cache

say "import on the primary with the replica's replay paused"
psql_on r "SELECT pg_wal_replay_pause()" >/dev/null
t0=$(date +%s.%N)
"$BIN" import --db "$(url p)" --layer parcels "$WORK/s2/parcels.shp" >"$WORK/import2.log" 2>&1
t1=$(date +%s.%N)
echo "import of parcels (seed 7) took $(python3 -c "print(round($t1 - $t0, 2))") s"
tilehash "http://127.0.0.1:$PA" "$WORK/after.a"
tilehash "http://127.0.0.1:$PB" "$WORK/after.b"
serve c "$PC" # reads the primary only, started after the import: the truth
ready "$PC" || { fail "server c not ready"; exit 1; }
tilehash "http://127.0.0.1:$PC" "$WORK/after.c"
n=$(wc -l <"$WORK/tiles.txt")
changed=$(paste -d' ' "$WORK/before.a" "$WORK/after.c" | awk '$2 != $4' | wc -l)
stale_a=$(paste -d' ' "$WORK/after.a" "$WORK/after.c" | awk '$2 != $4' | wc -l)
stale_b=$(paste -d' ' "$WORK/after.b" "$WORK/after.c" | awk '$2 != $4' | wc -l)
echo "$changed of $n tiles changed by the import; differing from a fresh primary-only server: a $stale_a, b $stale_b"
[ "$changed" -gt 0 ] || fail "the import changed no tile (the check would prove nothing)"
[ "$stale_a" = 0 ] && [ "$stale_b" = 0 ] && pass "no stale tile on either server right after the import (replica paused)" || fail "stale tiles after the import"
st=$(psql_on r "SELECT pg_is_wal_replay_paused()")
[ "$st" = t ] && pass "the replica was still paused during those reads" || fail "the replica resumed by itself"
psql_on r "SELECT pg_wal_replay_resume()" >/dev/null
sleep 1
tilehash "$NG" "$WORK/after.nginx"
nginx_stale=$(paste -d' ' "$WORK/after.nginx" "$WORK/after.c" | awk '$2 != $4' | wc -l)
[ "$nginx_stale" = 0 ] && pass "through nginx (1 s after the import) every tile is the new one" || fail "$nginx_stale tiles through nginx are stale"
replica_reads() { curl -s "http://127.0.0.1:$PA/readyz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["replicas"]["replicas"][0]["reads"])'; }
back=
for i in $(seq 1 80); do
	x0=$(replica_reads)
	curl -s -o /dev/null "http://127.0.0.1:$PA/ogc/collections/parcels/items?limit=3"
	x1=$(replica_reads)
	if [ "$x1" -gt "$x0" ]; then back=$i; break; fi
	sleep 0.25
done
[ -n "$back" ] && pass "once the replica replayed the import, parcels are read from it again (after $back tries)" || fail "parcels reads did not return to the replica"

say "the replica stopped in the middle of a stream of uncached requests through nginx"
fetch "$WORK/load.txt" "$NG" 8 >"$WORK/load.out" &
LOAD=$!
# Stop it once a good part of the stream has been served, with requests in flight.
for _ in $(seq 1 600); do [ "$(grep -c . "$WORK/load.out" || true)" -ge 200 ] && break; sleep 0.2; done
cp "$WORK/load.out" "$WORK/load.out.before-stop"
as_pg "$PGBIN/pg_ctl" -D "$WORK/r" -m fast stop >/dev/null
say "replica stopped"
wait "$LOAD"
total=$(wc -l <"$WORK/load.out")
bad=$(grep -cvE '^(200|204) ' "$WORK/load.out" || true)
echo "$(grep -c . "$WORK/load.out.before-stop" || true) requests done before the stop; $total requests, $bad failed; status counts: $(cut -d' ' -f1 "$WORK/load.out" | sort | uniq -c | tr '\n' ' ')"
[ "$bad" = 0 ] && [ "$total" -ge 800 ] && pass "stopping the replica cost no failed request" ||
	fail "requests failed after the replica stopped: $(grep -vE '^(200|204) ' "$WORK/load.out" | head -3)"
up=$(curl -s "http://127.0.0.1:$PA/readyz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["replicas"]["replicas"][0]["up"])')
[ "$up" = False ] && pass "server a reports the replica down and stays ready" || fail "replica state after the stop: $up"
psql_on p "SELECT 'parcels on disk: ' || count(*) || ' rows, ' || pg_total_relation_size('layers.parcels') || ' bytes with indexes (' || (pg_total_relation_size('layers.parcels') / greatest(count(*), 1)) || ' per parcel)' FROM layers.parcels"
echo "tudi logged $(cat "$WORK"/a.log "$WORK"/b.log | grep -c '"level":"ERROR"' || true) errors"
cat "$WORK"/a.log "$WORK"/b.log | grep '"level":"ERROR"' | sed -E 's/.*"msg":"([^"]*)".*"error":"(([^"\\]|\\.){0,200}).*/  \1: \2/' | sort | uniq -c | head -10 || true

if [ "$failures" -gt 0 ]; then
	echo "test-scale: $failures checks FAILED"
	exit 1
fi
echo "test-scale: all checks passed"
