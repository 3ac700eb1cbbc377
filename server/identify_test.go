package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"tudi/geo"
	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/server"
)

// The geometries are drawn in the CGCS2000 Gauss-Krüger zone with central
// meridian 114°E (EPSG:4547), next to the meridian, where the projection's
// scale is 1 to better than 1e-9: a 100 m × 100 m square there is 10 000 m²
// on the ellipsoid, which is how the expected areas are known without
// asking PostGIS.
//
//	fl (farmland): A = E 500000–500100, N 2550000–2550100 (id 1)
//	               B = E 500050–500150, same N (id 2): overlaps A by 5 000 m²
//	               D = E 500200–500400, N 2549950–2550150 (id 3): 40 000 m²
//	roads (generic): a line along N 2550200 from E 500000 to 500400
//	wells (generic): a point at E 500500, N 2550500
const gk = 4547

func gkSquare(e0, n0, e1, n1 float64) string {
	return fmt.Sprintf("POLYGON((%[1]g %[2]g,%[3]g %[2]g,%[3]g %[4]g,%[1]g %[4]g,%[1]g %[2]g))", e0, n0, e1, n1)
}

func newSpatialServer(t *testing.T, cfg ...server.Config) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		for _, l := range []*land.Layer{{Name: "fl", Kind: land.Farmland}, {Name: "roads", Kind: land.Generic}, {Name: "wells", Kind: land.Generic}} {
			if err := postgis.CreateLayer(ctx, tx, l); err != nil {
				return err
			}
		}
		ins := func(layer, attrs, wkt string) error {
			_, err := tx.Exec(ctx, `INSERT INTO `+postgis.Table(layer)+` (props, geom)
				VALUES ($1::jsonb, ST_Transform(ST_GeomFromText($2, $3), 4490))`, attrs, wkt, gk)
			return err
		}
		for _, f := range [][3]string{
			{"fl", `{"TBBH":"A"}`, gkSquare(500000, 2550000, 500100, 2550100)},
			{"fl", `{"TBBH":"B"}`, gkSquare(500050, 2550000, 500150, 2550100)},
			{"fl", `{"TBBH":"D"}`, gkSquare(500200, 2549950, 500400, 2550150)},
			{"roads", `{"NAME":"横店路"}`, "LINESTRING(500000 2550200, 500400 2550200)"},
			{"wells", `{"NAME":"井"}`, "POINT(500500 2550500)"},
		} {
			if err := ins(f[0], f[1], f[2]); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE layers.fl SET code = props->>'TBBH', grade = 2`); err != nil {
			return err
		}
		for _, l := range []string{"fl", "roads", "wells"} {
			if _, err := postgis.RefreshLayer(ctx, tx, l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var c server.Config
	if len(cfg) > 0 {
		c = cfg[0]
	}
	srv, err := server.New(c, db, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// lonLat converts GK easting/northing to lon/lat with tudi's own projection
// code, independent of PostGIS.
func lonLat(e, n float64) (float64, float64) {
	z, _ := geo.CGCS2000GK(gk)
	p := z.Inverse(orb.Point{e, n})
	return p[0], p[1]
}

type identifyAnswer struct {
	Layers []struct {
		Layer    string `json:"layer"`
		Features []struct {
			ID     int64          `json:"id"`
			Fields map[string]any `json:"fields"`
			Props  map[string]any `json:"props"`
			Area   *geo.Areas     `json:"area"`
		} `json:"features"`
	} `json:"layers"`
}

func (a identifyAnswer) ids() map[string][]int64 {
	out := map[string][]int64{}
	for _, l := range a.Layers {
		for _, f := range l.Features {
			out[l.Layer] = append(out[l.Layer], f.ID)
		}
	}
	return out
}

func getJSON(t *testing.T, u string, want int, v any) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d: %s", u, resp.StatusCode, want, buf.String())
	}
	if v != nil {
		if err := json.Unmarshal(buf.Bytes(), v); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Abs(b) }

func TestIdentify(t *testing.T) {
	t.Parallel()
	ts := newSpatialServer(t)
	at := func(t *testing.T, e, n float64, extra string) identifyAnswer {
		lon, lat := lonLat(e, n)
		var a identifyAnswer
		getJSON(t, fmt.Sprintf("%s/api/identify?lon=%.10f&lat=%.10f%s", ts.URL, lon, lat, extra), 200, &a)
		return a
	}
	t.Run("a point in A only finds A with its areas in m², ha and mu", func(t *testing.T) {
		a := at(t, 500025, 2550050, "")
		ids := a.ids()
		if len(ids) != 1 || len(ids["fl"]) != 1 || ids["fl"][0] != 1 {
			t.Fatalf("found %v", ids)
		}
		f := a.Layers[0].Features[0]
		if !near(f.Area.M2, 10000, 1e-5) || !near(f.Area.Ha, 1, 1e-5) || !near(f.Area.Mu, 15, 1e-5) {
			t.Fatalf("area = %+v, want 10 000 m² = 1 ha = 15 mu", f.Area)
		}
		if f.Fields["code"] != "A" || f.Fields["grade"] != 2.0 || f.Props["TBBH"] != "A" {
			t.Fatalf("fields %v props %v", f.Fields, f.Props)
		}
		if _, ok := f.Fields["landuse_name"]; !ok {
			t.Fatalf("a null field is missing: %v", f.Fields)
		}
	})
	t.Run("a point where A and B overlap finds both", func(t *testing.T) {
		if ids := at(t, 500075, 2550050, "").ids(); len(ids["fl"]) != 2 {
			t.Fatalf("found %v", ids)
		}
	})
	t.Run("a point 3 m from a line finds it within the default 5 m", func(t *testing.T) {
		if ids := at(t, 500200, 2550203, ""); len(ids.ids()["roads"]) != 1 {
			t.Fatalf("found %v", ids.ids())
		}
	})
	t.Run("a point 8 m from a line does not, unless the tolerance is 10 m", func(t *testing.T) {
		if ids := at(t, 500200, 2550208, "").ids(); len(ids) != 0 {
			t.Fatalf("found %v", ids)
		}
		if ids := at(t, 500200, 2550208, "&tolerance=10").ids(); len(ids["roads"]) != 1 {
			t.Fatalf("found %v", ids)
		}
	})
	t.Run("the tolerance grows with a small zoom", func(t *testing.T) {
		// At zoom 14, 5 pixels are ≈ 44 m at 23°N.
		if ids := at(t, 500200, 2550230, "&zoom=14").ids(); len(ids["roads"]) != 1 {
			t.Fatalf("found %v", ids)
		}
	})
	t.Run("a point 4 m from a well finds it", func(t *testing.T) {
		if ids := at(t, 500504, 2550500, "").ids(); len(ids["wells"]) != 1 {
			t.Fatalf("found %v", ids)
		}
	})
	t.Run("layers limits the answer", func(t *testing.T) {
		if ids := at(t, 500075, 2550050, "&layers=roads,wells").ids(); len(ids) != 0 {
			t.Fatalf("found %v", ids)
		}
	})
	t.Run("geometry=false leaves the geometries out", func(t *testing.T) {
		lon, lat := lonLat(500075, 2550050)
		body := getJSON(t, fmt.Sprintf("%s/api/identify?lon=%.10f&lat=%.10f&geometry=false", ts.URL, lon, lat), 200, nil)
		if strings.Contains(body, `"geometry"`) || !strings.Contains(body, `"id":2`) {
			t.Fatalf("%s", body)
		}
	})
	t.Run("crs takes Gauss-Krüger coordinates", func(t *testing.T) {
		var a identifyAnswer
		getJSON(t, ts.URL+"/api/identify?lon=500025&lat=2550050&crs=EPSG:4547", 200, &a)
		if ids := a.ids(); len(ids["fl"]) != 1 || ids["fl"][0] != 1 {
			t.Fatalf("found %v", ids)
		}
	})
	for _, c := range []struct{ query, names string }{
		{"lat=23", "lon"}, {"lon=x&lat=23", "lon"}, {"lon=113&lat=95", "lat"}, {"lon=113&lat=23&crs=EPSG:1234", "crs"},
		{"lon=113&lat=23&layers=nope", "layers"}, {"lon=113&lat=23&tolerance=-1", "tolerance"}, {"lon=113&lat=23&foo=1", "foo"},
	} {
		t.Run("bad: "+c.query, func(t *testing.T) {
			body := getJSON(t, ts.URL+"/api/identify?"+c.query, 400, nil)
			if !strings.Contains(body, c.names) {
				t.Fatalf("%s does not name %s", body, c.names)
			}
		})
	}
}

type queryAnswer struct {
	Area   geo.Areas `json:"area"`
	Layers []struct {
		Layer     string    `json:"layer"`
		Count     int       `json:"count"`
		Truncated bool      `json:"truncated"`
		Total     geo.Areas `json:"total"`
		Union     geo.Areas `json:"union"`
		Features  []struct {
			ID           int64           `json:"id"`
			Intersection geo.Areas       `json:"intersection"`
			Geometry     json.RawMessage `json:"intersection_geometry"`
		} `json:"features"`
	} `json:"layers"`
}

func post(t *testing.T, u string, body any, want int, v any) string {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(u, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d: %s", b, resp.StatusCode, want, buf.String())
	}
	if v != nil {
		if err := json.Unmarshal(buf.Bytes(), v); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

func gkPolygon(e0, n0, e1, n1 float64) map[string]any {
	ring := [][]float64{}
	for _, p := range [][2]float64{{e0, n0}, {e1, n0}, {e1, n1}, {e0, n1}, {e0, n0}} {
		lon, lat := lonLat(p[0], p[1])
		ring = append(ring, []float64{lon, lat})
	}
	return map[string]any{"type": "Polygon", "coordinates": [][][]float64{ring}}
}

func TestQuery(t *testing.T) {
	t.Parallel()
	ts := newSpatialServer(t)
	u := ts.URL + "/api/query"
	t.Run("a strip over A and B: 5 000 m² each, 10 000 in total, 7 500 covered", func(t *testing.T) {
		var a queryAnswer
		post(t, u, map[string]any{"geometry": gkPolygon(500000, 2550050, 500200, 2550100), "layers": []string{"fl"}}, 200, &a)
		if !near(a.Area.M2, 10000, 1e-5) {
			t.Errorf("query area %v", a.Area.M2)
		}
		l := a.Layers[0]
		if l.Count != 2 || len(l.Features) != 2 || l.Truncated {
			t.Fatalf("layer answer %+v", l)
		}
		for _, f := range l.Features {
			if !near(f.Intersection.M2, 5000, 1e-5) || !near(f.Intersection.Mu, 7.5, 1e-5) || len(f.Geometry) == 0 {
				t.Errorf("feature %d: intersection %+v", f.ID, f.Intersection)
			}
		}
		if !near(l.Total.M2, 10000, 1e-5) || !near(l.Union.M2, 7500, 1e-5) || !near(l.Union.Ha, 0.75, 1e-5) {
			t.Errorf("total %v, union %v", l.Total.M2, l.Union.M2)
		}
	})
	t.Run("the same strip in Gauss-Krüger coordinates with crs", func(t *testing.T) {
		var a queryAnswer
		g := map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{500000, 2550050}, {500200, 2550050}, {500200, 2550100}, {500000, 2550100}, {500000, 2550050}}}}
		post(t, u, map[string]any{"geometry": g, "crs": "EPSG:4547", "layers": []string{"fl"}}, 200, &a)
		if !near(a.Layers[0].Union.M2, 7500, 1e-5) {
			t.Errorf("union %v", a.Layers[0].Union.M2)
		}
	})
	t.Run("feature A touches all of itself and half of B", func(t *testing.T) {
		var a queryAnswer
		post(t, u, map[string]any{"feature": map[string]any{"layer": "fl", "id": 1}, "layers": []string{"fl"}}, 200, &a)
		got := map[int64]float64{}
		for _, f := range a.Layers[0].Features {
			got[f.ID] = f.Intersection.M2
		}
		if len(got) != 2 || !near(got[1], 10000, 1e-5) || !near(got[2], 5000, 1e-5) {
			t.Fatalf("intersections %v", got)
		}
		// The web map sends layer and id at the top level.
		post(t, u, map[string]any{"layer": "fl", "id": 1, "layers": []string{"fl"}}, 200, &a)
		if a.Layers[0].Count != 2 {
			t.Fatalf("top-level layer/id: %+v", a.Layers[0])
		}
	})
	t.Run("100 m around a point inside D: a disc of about π·100² m², all inside D", func(t *testing.T) {
		lon, lat := lonLat(500300, 2550050)
		var a queryAnswer
		post(t, u, map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}, "distance": 100, "layers": []string{"fl", "roads"}}, 200, &a)
		// The buffer is a 32-gon: its area is 16·r²·sin(π/16), 0.6 % under π r².
		want := 16 * 100 * 100 * math.Sin(math.Pi/16)
		if !near(a.Area.M2, want, 2e-3) {
			t.Errorf("disc area %v, want ≈ %v", a.Area.M2, want)
		}
		fl := a.Layers[0]
		if fl.Count != 1 || fl.Features[0].ID != 3 || !near(fl.Features[0].Intersection.M2, a.Area.M2, 1e-6) {
			t.Errorf("farmland answer %+v", fl)
		}
		// The road at N 2550200 is 150 m away: outside.
		if a.Layers[1].Count != 0 {
			t.Errorf("roads answer %+v", a.Layers[1])
		}
	})
	t.Run("limit lists fewer features but counts and totals cover all", func(t *testing.T) {
		var a queryAnswer
		post(t, u, map[string]any{"geometry": gkPolygon(500000, 2550050, 500200, 2550100), "layers": []string{"fl"}, "limit": 1}, 200, &a)
		l := a.Layers[0]
		if l.Count != 2 || len(l.Features) != 1 || !l.Truncated || !near(l.Total.M2, 10000, 1e-5) {
			t.Fatalf("%+v", l)
		}
	})
	big := make([][]float64, 0, 60001)
	for i := range 60000 {
		a := 2 * math.Pi * float64(i) / 60000
		big = append(big, []float64{113.3 + 0.01*math.Cos(a), 23.1 + 0.01*math.Sin(a)})
	}
	big = append(big, big[0])
	for _, c := range []struct {
		name  string
		body  any
		code  int
		names string
	}{
		{"no geometry", map[string]any{"layers": []string{"fl"}}, 400, "geometry"},
		{"both geometry and feature", map[string]any{"geometry": gkPolygon(0, 0, 1, 1), "feature": map[string]any{"layer": "fl", "id": 1}}, 400, "feature"},
		{"bad GeoJSON", map[string]any{"geometry": map[string]any{"type": "Polygon", "coordinates": "x"}}, 400, "geometry"},
		{"a negative distance", map[string]any{"geometry": gkPolygon(0, 0, 1, 1), "distance": -5}, 400, "distance"},
		{"an unknown layer", map[string]any{"geometry": gkPolygon(0, 0, 1, 1), "layers": []string{"nope"}}, 400, "layers"},
		{"an unknown crs", map[string]any{"geometry": gkPolygon(0, 0, 1, 1), "crs": "EPSG:2"}, 400, "crs"},
		{"a missing feature", map[string]any{"feature": map[string]any{"layer": "fl", "id": 99}}, 400, "feature"},
		{"an unknown field", map[string]any{"geometry": gkPolygon(0, 0, 1, 1), "buffer": 5}, 400, "buffer"},
		{"a geometry too large", map[string]any{"geometry": map[string]any{"type": "Polygon", "coordinates": [][][]float64{big}}}, 413, "vertices"},
	} {
		t.Run("bad: "+c.name, func(t *testing.T) {
			body := post(t, u, c.body, c.code, nil)
			if !strings.Contains(body, c.names) {
				t.Fatalf("%s does not name %s", body, c.names)
			}
		})
	}
}

// A layer named many times is asked once: the answer does not grow with the
// repetitions (it grew with their square), and too many distinct layers are
// refused naming the parameter.
func TestIdentifyRepeatedLayers(t *testing.T) {
	t.Parallel()
	ts := newSpatialServer(t)
	lon, lat := lonLat(500075, 2550050)
	base := fmt.Sprintf("%s/api/identify?lon=%.10f&lat=%.10f", ts.URL, lon, lat)
	once := getJSON(t, base+"&layers=fl", 200, nil)
	var a identifyAnswer
	many := getJSON(t, base+"&layers="+strings.Repeat("fl,", 199)+"fl", 200, &a)
	if len(many) != len(once) || len(a.Layers) != 1 || len(a.Layers[0].Features) != 2 {
		t.Fatalf("200 × fl: %d bytes, %d groups (once: %d bytes)", len(many), len(a.Layers), len(once))
	}
	names := make([]string, 40)
	for i := range names {
		names[i] = fmt.Sprintf("l%d", i)
	}
	body := getJSON(t, base+"&layers="+strings.Join(names, ","), 400, nil)
	if !strings.Contains(body, "layers") || !strings.Contains(body, "32") {
		t.Fatalf("40 layers: %s", body)
	}
	var q queryAnswer
	post(t, ts.URL+"/api/query", map[string]any{"geometry": gkPolygon(500000, 2550050, 500200, 2550100),
		"layers": []string{"fl", "fl", "fl", " fl"}}, 200, &q)
	if len(q.Layers) != 1 || q.Layers[0].Count != 2 {
		t.Fatalf("query with fl × 4: %+v", q.Layers)
	}
	body = post(t, ts.URL+"/api/query", map[string]any{"geometry": gkPolygon(500000, 2550050, 500200, 2550100), "layers": names}, 400, nil)
	if !strings.Contains(body, "layers") {
		t.Fatalf("query with 40 layers: %s", body)
	}
}
