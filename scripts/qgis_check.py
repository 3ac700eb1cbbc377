#!/usr/bin/python3
"""Reads tudi's OGC API Features collections with QGIS's own OAPIF provider,
headless, as QGIS does when a user adds the layer, and checks what it read.

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/qgis_check.py \
        --url http://127.0.0.1:8080/ogc [--layers parcels,farmland] [--bbox 113.30,23.10,113.31,23.11]

Needs QGIS's Python bindings and providers (Debian: apt-get install
python3-qgis qgis-providers). For every layer (default: every collection):

- the layer opens with the "OAPIF" provider (url=… typename=…);
- QGIS reads every feature: as many as the layer holds (tudi's numberMatched
  of the whole layer, which is the registry's row count, or --rows from the
  database), each id once;
- the fields QGIS learnt include every canonical field (the queryables but
  id and geometry) and area_m2;
- geometries are valid (GEOS) and inside the collection's extent;
- a request with a filter rectangle (QgsFeatureRequest.setFilterRect; the
  middle of the extent, or --bbox) returns the same ids as tudi's own bbox
  query, read here page by page through its next links.

QGIS talks to tudi through a recording proxy (unless --no-proxy), which
prints every request QGIS sent and, for items pages, how many features and
whether numberMatched was there. Exit status 1 when a check fails.
"""

import argparse
import gzip
import http.client
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse
import urllib.request


class Recorder:
    """A loopback HTTP proxy to tudi that records what QGIS asks."""

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.log = []
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                conn = http.client.HTTPConnection(rec.upstream.hostname, rec.upstream.port or 80, timeout=600)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                # The links tudi builds must point at the proxy.
                headers["Host"] = self.headers.get("Host", "")
                t = time.monotonic()
                conn.request("GET", self.path, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                ms = (time.monotonic() - t) * 1000
                entry = {"path": urllib.parse.unquote(self.path), "status": resp.status, "bytes": len(body),
                         "ms": round(ms, 1), "accept_encoding": self.headers.get("Accept-Encoding", "")}
                if self.path.split("?")[0].endswith("/items") and resp.status == 200:
                    raw = gzip.decompress(body) if resp.getheader("Content-Encoding") == "gzip" else body
                    doc = json.loads(raw)
                    entry["returned"] = doc.get("numberReturned")
                    entry["matched"] = doc.get("numberMatched")
                    entry["next"] = any(l.get("rel") == "next" for l in doc.get("links", []))
                with rec.lock:
                    rec.log.append(entry)
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                conn.close()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d%s" % (self.server.server_address[1], self.upstream.path)

    def take(self):
        with self.lock:
            out, self.log = self.log, []
        return out


def round_coords(c):
    if isinstance(c, (int, float)):
        return round(float(c), 7)
    return tuple(round_coords(x) for x in c)


def geojson_key(g):
    """A feature's identity for comparing QGIS's features with tudi's: QGIS
    numbers the features it reads itself (its feature ids are not the
    server's), so they are matched by geometry, to 1e-7 degrees, single and
    multi parts alike."""
    if not g:
        return None
    t = g["type"]
    if t == "GeometryCollection":
        return tuple(geojson_key(x) for x in g["geometries"])
    parts = g["coordinates"] if t.startswith("Multi") else [g["coordinates"]]
    return (t.replace("Multi", ""), round_coords(parts))


def qgis_key(geom):
    if geom is None or geom.isNull():
        return None
    return geojson_key(json.loads(geom.asJson(9)))


def get_json(url):
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.load(r)


def tudi_features(base, layer, bbox=None):
    """(id, key) of every feature of tudi's own query (the whole layer, or
    a bbox), read through its next links; and the number of pages."""
    url = "%s/collections/%s/items?limit=10000&properties=area_m2" % (base, urllib.parse.quote(layer))
    if bbox:
        url += "&bbox=" + ",".join(repr(x) for x in bbox)
    out, pages = [], 0
    while url:
        doc = get_json(url)
        pages += 1
        out.extend((f["id"], geojson_key(f["geometry"])) for f in doc["features"])
        url = next((l["href"] for l in doc.get("links", []) if l.get("rel") == "next"), None)
    return out, pages


def compare(qkeys, tudi):
    """Matches QGIS's features (their keys) with tudi's (id, key): returns
    the ids QGIS read, and the keys QGIS read that tudi did not answer."""
    by_key = {}
    for i, k in tudi:
        by_key.setdefault(k, []).append(i)
    ids, extra = [], []
    for k in qkeys:
        if by_key.get(k):
            ids.append(by_key[k].pop())
        else:
            extra.append(k)
    return ids, extra


def summarise(log):
    for e in log:
        extra = ""
        if "returned" in e:
            extra = "  returned %s, numberMatched %s, next %s" % (
                e["returned"], "absent" if e["matched"] is None else e["matched"], "yes" if e["next"] else "no")
        print("    GET %s -> %d, %d B, %.0f ms%s" % (e["path"], e["status"], e["bytes"], e["ms"], extra))


def short(log, limit):
    """The log with long runs of next pages elided."""
    if len(log) <= limit:
        return log, 0
    head, tail = log[: limit - 3], log[-3:]
    return head + tail, len(log) - limit


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True, help="tudi's OGC API Features root, e.g. http://127.0.0.1:8080/ogc")
    ap.add_argument("--layers", default="", help="comma-separated collections (default: all)")
    ap.add_argument("--bbox", default="", help="minlon,minlat,maxlon,maxlat of the filter rectangle (default: the middle quarter of each extent)")
    ap.add_argument("--rows", default="", help="layer=count,…: row counts from the database to expect (default: numberMatched of the whole layer)")
    ap.add_argument("--skip-full", default="", help="comma-separated layers whose every feature is not read (only the bbox), for very large layers")
    ap.add_argument("--uri-extra", default="", help="more QGIS data source parameters, e.g. \"pageSize='1000'\"")
    ap.add_argument("--compare-max", type=int, default=100000,
                    help="layers of at most this many features are read from tudi too, and QGIS's features matched with tudi's ids")
    ap.add_argument("--no-proxy", action="store_true", help="QGIS talks to tudi directly (no request log)")
    ap.add_argument("--show", type=int, default=12, help="requests shown per step")
    args = ap.parse_args()

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import (Qgis, QgsApplication, QgsFeatureRequest, QgsRectangle, QgsVectorLayer)

    app = QgsApplication([], False)
    app.initQgis()
    base = args.url.rstrip("/")
    rec = None if args.no_proxy else Recorder(base)
    qurl = rec.url if rec else base
    print("QGIS %s, OAPIF provider, %s%s" % (Qgis.QGIS_VERSION, base, " through a recording proxy" if rec else ""))

    collections = {c["id"]: c for c in get_json(base + "/collections")["collections"]}
    layers = [l for l in args.layers.split(",") if l] or sorted(collections)
    rows = dict(kv.split("=") for kv in args.rows.split(",") if kv)
    skip_full = set(l for l in args.skip_full.split(",") if l)
    failures = []

    def fail(layer, msg):
        failures.append("%s: %s" % (layer, msg))
        print("  FAIL " + msg)

    def open_layer(name):
        uri = "url='%s' typename='%s'%s" % (qurl, name, (" " + args.uri_extra) if args.uri_extra else "")
        return QgsVectorLayer(uri, name, "OAPIF")

    for name in layers:
        coll = collections.get(name)
        if coll is None:
            fail(name, "no such collection")
            continue
        print("\n== %s" % name)
        ext = (coll.get("extent") or {}).get("spatial", {}).get("bbox", [None])[0]
        whole = get_json("%s/collections/%s/items?limit=1" % (base, urllib.parse.quote(name)))
        matched = whole.get("numberMatched")
        want = int(rows[name]) if name in rows else matched
        queryables = get_json("%s/collections/%s/queryables" % (base, urllib.parse.quote(name)))
        canonical = [p for p in queryables.get("properties", {}) if p not in ("id", "geometry")]

        lyr = open_layer(name)
        if not lyr.isValid():
            fail(name, "QGIS cannot open the layer")
            if rec:
                summarise(rec.take())
            continue
        fields = [f.name() for f in lyr.fields()]
        print("  opened: featureCount %d (numberMatched %s, rows %s), extent %s, crs %s" % (
            lyr.featureCount(), "absent" if matched is None else matched, want, lyr.extent().toString(6), lyr.crs().authid()))
        print("  fields: %s" % ", ".join("%s:%s" % (f.name(), f.typeName()) for f in lyr.fields()))
        missing = [p for p in canonical if p not in fields]
        if missing:
            fail(name, "fields QGIS lacks: %s" % ", ".join(missing))
        if matched is not None and want is not None and matched != want:
            fail(name, "numberMatched %d, the layer holds %d" % (matched, want))
        if matched is not None and lyr.featureCount() != matched:
            # (Without numberMatched QGIS knows no count before reading.)
            fail(name, "QGIS's feature count %d, numberMatched %d" % (lyr.featureCount(), matched))

        if name not in skip_full:
            t = time.monotonic()
            keys, invalid, outside, nogeom = [], 0, 0, 0
            n = 0
            rect = QgsRectangle(*ext) if ext else None
            if rect:
                rect.grow(1e-6)
            for f in lyr.getFeatures():
                n += 1
                g = f.geometry()
                keys.append(qgis_key(g))
                if g is None or g.isNull():
                    nogeom += 1
                    continue
                if not g.isGeosValid():
                    invalid += 1
                if rect is not None and not rect.contains(g.boundingBox()):
                    outside += 1
            secs = time.monotonic() - t
            print("  read every feature: %d features in %.1f s; %d without geometry, %d invalid, %d outside the extent" % (
                n, secs, nogeom, invalid, outside))
            if want is not None and n != want:
                fail(name, "QGIS read %d features, the layer holds %d" % (n, want))
            if want is not None and want <= args.compare_max:
                ref, _ = tudi_features(base, name)
                ids, extra = compare(keys, ref)
                print("  matched with tudi's features: %d of %d ids, each once: %s" % (
                    len(set(ids)), len(ref), "yes" if len(set(ids)) == len(ids) == len(ref) and not extra else "NO"))
                if extra or len(set(ids)) != len(ref):
                    fail(name, "QGIS's features are not tudi's: %d unmatched, %d of %d ids read" % (len(extra), len(set(ids)), len(ref)))
            if invalid:
                fail(name, "%d invalid geometries" % invalid)
            if outside:
                fail(name, "%d geometries outside the extent %s" % (outside, ext))
            if rec:
                log, elided = short(rec.take(), args.show)
                print("  requests (%d not shown):" % elided if elided else "  requests:")
                summarise(log)

        if ext:
            if args.bbox:
                bbox = [float(x) for x in args.bbox.split(",")]
            else:
                w, h = ext[2] - ext[0], ext[3] - ext[1]
                bbox = [ext[0] + w / 4, ext[1] + h / 4, ext[2] - w / 4, ext[3] - h / 4]
            # A fresh layer: QGIS asks tudi for the rectangle rather than
            # filtering what it has cached.
            lyr = open_layer(name)
            t = time.monotonic()
            req = QgsFeatureRequest().setFilterRect(QgsRectangle(*bbox))
            qkeys = [qgis_key(f.geometry()) for f in lyr.getFeatures(req)]
            secs = time.monotonic() - t
            ref, pages = tudi_features(base, name, bbox)
            got, extra = compare(qkeys, ref)
            print("  bbox %s: QGIS %d features in %.1f s; tudi's own bbox query %d in %d pages; same ids: %s" % (
                ",".join("%.6f" % x for x in bbox), len(qkeys), secs, len(ref), pages,
                "yes" if sorted(got) == sorted(i for i, _ in ref) and not extra else "NO"))
            if extra or sorted(got) != sorted(i for i, _ in ref):
                missing = set(i for i, _ in ref) - set(got)
                fail(name, "bbox: %d of QGIS's features not in tudi's answer, %d of tudi's ids not read by QGIS (e.g. %s)" % (
                    len(extra), len(missing), sorted(missing)[:5]))
            if rec:
                full = rec.take()
                log, elided = short(full, args.show)
                print("  requests (%d not shown):" % elided if elided else "  requests:")
                summarise(log)
                pages = [e for e in full if "returned" in e and "bbox=" in e["path"]]
                absent = [e for e in pages if e["matched"] is None]
                print("  %d bbox pages, %d of them without numberMatched" % (len(pages), len(absent)))

    print()
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
    else:
        print("OK: %d layers" % len(layers))
    sys.stdout.flush()
    # Without QGIS's teardown, which can crash a headless process on exit.
    os._exit(1 if failures else 0)


if __name__ == "__main__":
    main()
