package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGDALReadsTheSampleOverOGCAPI runs GDAL's OAPIF driver, untouched,
// against tudi serve with the sample district: ogrinfo must report the
// layer's fields and its count, and ogr2ogr must download every feature by
// following the next links. CI installs gdal-bin; a missing ogrinfo fails.
func TestGDALReadsTheSampleOverOGCAPI(t *testing.T) {
	base := sharedServer(t)
	for _, tool := range []string{"ogrinfo", "ogr2ogr"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install GDAL's command-line tools (Debian: apt-get install gdal-bin)", tool)
		}
	}
	var page struct {
		NumberMatched int `json:"numberMatched"`
	}
	getJSON(t, base+"/ogc/collections/parcels/items?limit=1", 200, &page)
	if page.NumberMatched < 1000 {
		t.Fatalf("the sample has %d parcels", page.NumberMatched)
	}
	src := "OAPIF:" + base + "/ogc"
	// props=all (which GDAL appends to every request) adds the source
	// attributes as a JSON field.
	out, err := exec.Command("ogrinfo", "-so", src+"?props=all", "parcels").CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	for _, want := range []string{fmt.Sprintf("Feature Count: %d", page.NumberMatched), "code: String", "landuse_code: String", "street: String", "area_m2: Real", "props: String(JSON)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("ogrinfo lacks %q:\n%s", want, out)
		}
	}
	gpkg := filepath.Join(t.TempDir(), "parcels.gpkg")
	if out, err := exec.Command("ogr2ogr", "-f", "GPKG", gpkg, src, "parcels").CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	out, err = exec.Command("ogrinfo", "-so", gpkg, "parcels").CombinedOutput()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("Feature Count: %d", page.NumberMatched)) {
		t.Fatalf("the GeoPackage does not hold every parcel (%v):\n%s", err, out)
	}
}

// TestIdentifyAndQueryOnTheSample clicks inside a sample parcel and asks
// what the parcel touches.
func TestIdentifyAndQueryOnTheSample(t *testing.T) {
	base := sharedServer(t)
	var one struct {
		ID         int64 `json:"id"`
		Properties struct {
			Area float64 `json:"area_m2"`
		} `json:"properties"`
	}
	getJSON(t, base+"/ogc/collections/parcels/items/7", 200, &one)
	// A point inside parcel 7, from the database's point on surface.
	var pt struct {
		Features []struct {
			Geometry struct {
				Coordinates [][][]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	getJSON(t, base+"/ogc/collections/parcels/items?filter=id=7", 200, &pt)
	ring := pt.Features[0].Geometry.Coordinates[0]
	// The centroid of the ring's vertices lies inside the sample's convex parcels.
	var lon, lat float64
	for _, p := range ring[:len(ring)-1] {
		lon += p[0] / float64(len(ring)-1)
		lat += p[1] / float64(len(ring)-1)
	}
	var id struct {
		Layers []struct {
			Layer    string `json:"layer"`
			Features []struct {
				ID   int64 `json:"id"`
				Area struct {
					M2 float64 `json:"m2"`
				} `json:"area"`
			} `json:"features"`
		} `json:"layers"`
	}
	getJSON(t, fmt.Sprintf("%s/api/identify?lon=%.8f&lat=%.8f&layers=parcels", base, lon, lat), 200, &id)
	found := false
	for _, l := range id.Layers {
		for _, f := range l.Features {
			if l.Layer == "parcels" && f.ID == 7 && f.Area.M2 == one.Properties.Area {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("identify inside parcel 7 answered %+v", id)
	}
	b, _ := json.Marshal(map[string]any{"feature": map[string]any{"layer": "parcels", "id": 7}, "layers": []string{"parcels"}})
	resp, err := http.Post(base+"/api/query", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var q struct {
		Layers []struct {
			Features []struct {
				ID           int64 `json:"id"`
				Intersection struct {
					M2 float64 `json:"m2"`
				} `json:"intersection"`
			} `json:"features"`
		} `json:"layers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&q); err != nil || resp.StatusCode != 200 {
		t.Fatalf("query: %d %v", resp.StatusCode, err)
	}
	for _, f := range q.Layers[0].Features {
		if f.ID == 7 {
			if d := f.Intersection.M2 - one.Properties.Area; d > 1e-3*one.Properties.Area || d < -1e-3*one.Properties.Area {
				t.Fatalf("parcel 7 meets itself over %v m², its area is %v", f.Intersection.M2, one.Properties.Area)
			}
			return
		}
	}
	t.Fatalf("query of parcel 7 did not list it: %+v", q)
}
