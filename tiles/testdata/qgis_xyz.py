"""Show a tudi layer through QGIS's own XYZ vector-tile provider, headless.

Usage (Debian: apt-get install --no-install-recommends python3-qgis qgis-providers):
    /usr/bin/python3 tiles/testdata/qgis_xyz.py http://127.0.0.1:8080 parcels out.png

Adds the layer the way a QGIS user does (Vector Tiles > New Generic
Connection, URL http://HOST/tiles/parcels/{z}/{x}/{y}.mvt), renders the
layer's extent with QGIS's default vector-tile style to out.png, and prints
what QGIS sees: validity, source zoom range, the MVT layer names of a tile
and how many pixels were drawn. Exits 1 when the layer is invalid or nothing
was drawn.
"""
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
    QgsVectorTileLayer,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402

base = sys.argv[1].rstrip("/")
layer = sys.argv[2] if len(sys.argv) > 2 else "parcels"
out = sys.argv[3] if len(sys.argv) > 3 else "qgis_xyz.png"
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()

url = f"{base}/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt"
style = f"{base}/styles/{layer}.json"
lyr = QgsVectorTileLayer(f"type=xyz&url={url}&zmin=0&zmax=18&styleUrl={style}", layer)
# PyQGIS 3.22 returns (message, ok).
msg, ok = lyr.loadDefaultStyle()
print("style from", style, "loaded" if ok else f"not loaded: {msg}")
print("valid", lyr.isValid())
if not lyr.isValid():
    os._exit(1)
print("source zooms", lyr.sourceMinZoom(), "-", lyr.sourceMaxZoom())

# The extent to draw: the layer's bounds from tudi's TileJSON, read the way a
# user would zoom to the data.
import json  # noqa: E402
import urllib.request  # noqa: E402

tj = json.load(urllib.request.urlopen(f"{base}/tiles/{layer}.json"))
w, s, e, n = tj["bounds"]
print("TileJSON vector_layers", [v["id"] for v in tj["vector_layers"]])
# A window a tenth of the layer's width around its centre: deep enough
# (about zoom 13-14) to draw single parcels.
cx, cy, dx, dy = (w + e) / 2, (s + n) / 2, (e - w) / 20, (n - s) / 20
wgs = QgsCoordinateReferenceSystem("EPSG:4326")
merc = QgsCoordinateReferenceSystem("EPSG:3857")
tr = QgsCoordinateTransform(wgs, merc, QgsProject.instance())
rect = tr.transformBoundingBox(QgsRectangle(cx - dx, cy - dy, cx + dx, cy + dy))

settings = QgsMapSettings()
settings.setLayers([lyr])
settings.setDestinationCrs(merc)
settings.setExtent(rect)
settings.setOutputSize(QSize(800, 600))
settings.setBackgroundColor(QColor(255, 255, 255))
job = QgsMapRendererParallelJob(settings)
job.start()
job.waitForFinished()
img = job.renderedImage()
img.save(out)
drawn = 0
for y in range(0, img.height(), 4):
    for x in range(0, img.width(), 4):
        if QColor(img.pixel(x, y)).name() != "#ffffff":
            drawn += 1
total = (img.height() // 4) * (img.width() // 4)
print(f"drawn pixels {drawn} of {total} sampled ({100 * drawn / total:.0f} %), image {out}")
sys.stdout.flush()
# QGIS 3.22's Python teardown can crash after the work is done: leave at once.
os._exit(0 if drawn > total // 20 else 1)
