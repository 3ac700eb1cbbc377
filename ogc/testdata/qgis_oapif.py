"""Load a tudi layer through QGIS's own OAPIF provider, headless.

Usage (Debian: apt-get install --no-install-recommends python3-qgis qgis-providers):
    /usr/bin/python3 ogc/testdata/qgis_oapif.py http://127.0.0.1:8080 parcels

Prints what QGIS sees: validity, feature count (from numberMatched), extent
(from the collection), fields, and the features it pages through by
following the next links. Exits 1 when the layer is invalid or the paged
features do not add up to the advertised count.
"""
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import QgsApplication, QgsFeatureRequest, QgsRectangle, QgsVectorLayer  # noqa: E402

base, layer = sys.argv[1].rstrip("/"), sys.argv[2] if len(sys.argv) > 2 else "parcels"
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
lyr = QgsVectorLayer(f"url='{base}/ogc' typename='{layer}'", layer, "OAPIF")
print("valid", lyr.isValid())
if not lyr.isValid():
    sys.exit(1)
count = lyr.featureCount()
print("feature count", count)
print("extent", lyr.extent().toString())
print("crs", lyr.crs().authid())
print("fields", ", ".join(f"{f.name()}:{f.typeName()}" for f in lyr.fields()))
ids = {f.id() for f in lyr.getFeatures()}
print("features paged", len(ids))
e = lyr.extent()
small = QgsRectangle(e.xMinimum(), e.yMinimum(), e.xMinimum() + e.width() / 5, e.yMinimum() + e.height() / 5)
print("features in a fifth of the extent", sum(1 for _ in lyr.getFeatures(QgsFeatureRequest().setFilterRect(small))))
ok = len(ids) == count
sys.stdout.flush()
# QGIS 3.22's Python teardown can crash after the work is done: leave at once.
os._exit(0 if ok else 1)
