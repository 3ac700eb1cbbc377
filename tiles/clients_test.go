package tiles_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"tudi/land"
	"tudi/postgis"
	"tudi/tiles"
)

func TestTileJSONAndStyle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, tiles.Config{GeneraliseMin: 300})
	e.mustCreateParcels("parcels", 20, 20)
	e.mustCreateFarmland("farmland")
	e.mustCreateKind("boundaries", land.Boundaries)
	e.mustCreateKind("stations", land.Generic)

	t.Run("TileJSON 3.0.0 has absolute tile URLs from X-Forwarded headers, the data's bounds and typed fields", func(t *testing.T) {
		r := e.get("/tiles/parcels,farmland.json", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "gis.example.cn")
		var tj tiles.TileJSON
		if err := json.Unmarshal(r.body, &tj); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
		if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || tj.Tiles[0] != "https://gis.example.cn/tiles/parcels,farmland/{z}/{x}/{y}.mvt" {
			t.Fatalf("tilejson %q tiles %v", tj.TileJSON, tj.Tiles)
		}
		p, err := e.db.FindLayer(context.Background(), "parcels")
		if err != nil {
			t.Fatal(err)
		}
		f, err := e.db.FindLayer(context.Background(), "farmland")
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{min(p.Extent.Min[0], f.Extent.Min[0]), min(p.Extent.Min[1], f.Extent.Min[1]),
			max(p.Extent.Max[0], f.Extent.Max[0]), max(p.Extent.Max[1], f.Extent.Max[1])}
		for i := range want {
			if d := tj.Bounds[i] - want[i]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("bounds %v, want %v", tj.Bounds, want)
			}
		}
		if tj.Center[0] <= tj.Bounds[0] || tj.Center[0] >= tj.Bounds[2] || tj.Center[2] < 10 {
			t.Errorf("center %v", tj.Center)
		}
		if len(tj.VectorLayers) != 2 || tj.VectorLayers[0].ID != "parcels" || tj.VectorLayers[0].Fields["price_wan"] != "Number" ||
			tj.VectorLayers[0].Fields["code"] != "String" || tj.VectorLayers[0].Fields["id"] != "Number" || tj.VectorLayers[1].Fields["grade"] != "Number" {
			t.Fatalf("vector_layers %+v", tj.VectorLayers)
		}
		if !strings.Contains(tj.Description, "zooms 0–12 generalised") || !strings.Contains(tj.VectorLayers[0].Description, "from zoom 13") ||
			strings.Contains(tj.VectorLayers[1].Description, "generalised") ||
			tj.VectorLayers[0].FeaturesMinZoom != 13 || tj.VectorLayers[1].FeaturesMinZoom != 0 {
			t.Errorf("descriptions do not say which zooms are generalised: %q / %q", tj.Description, tj.VectorLayers[1].Description)
		}
	})

	t.Run("the default style draws every layer from tudi alone, land use below farmland redlines", func(t *testing.T) {
		r := e.get("/styles/default.json")
		body := string(r.body)
		if strings.Count(body, "http") != strings.Count(body, e.srv.URL) {
			t.Fatalf("the style references another host: %s", body)
		}
		if strings.Contains(body, "glyphs") || strings.Contains(body, "sprite") || strings.Contains(body, `"symbol"`) {
			t.Fatalf("the style needs glyphs or sprites")
		}
		var st tiles.Style
		if err := json.Unmarshal(r.body, &st); err != nil {
			t.Fatal(err)
		}
		src := st.Sources[tiles.SourceID]
		if st.Version != 8 || len(src.Tiles) != 1 || len(src.Bounds) != 4 {
			t.Fatalf("style version %d source %+v", st.Version, src)
		}
		ids := map[string]bool{}
		var order []string
		for _, l := range st.Layers {
			id := l["id"].(string)
			if ids[id] {
				t.Fatalf("layer id %q twice", id)
			}
			ids[id] = true
			if l["type"] == "circle" {
				continue // points go on top of everything
			}
			if sl, ok := l["source-layer"].(string); ok && (sl == "parcels" || sl == "farmland") && (len(order) == 0 || order[len(order)-1] != sl) {
				order = append(order, sl)
			}
		}
		if strings.Join(order, ",") != "parcels,farmland" {
			t.Fatalf("drawing order %v", order)
		}
		if last := st.Layers[len(st.Layers)-1]; last["type"] != "circle" {
			t.Fatalf("the top layer is %v, want points", last["id"])
		}
		// MapLibre rejects a whole style for one empty paint value.
		for _, l := range st.Layers {
			for k, v := range l["paint"].(map[string]any) {
				if v == "" || v == nil {
					t.Fatalf("layer %v: paint %s is empty", l["id"], k)
				}
			}
		}
		if !strings.Contains(body, `"#e60000"`) || !strings.Contains(body, `"0101"`) {
			t.Fatalf("no red farmland outline or land-use colours")
		}
	})

	t.Run("a style of a layer list keeps the given order; the legend names classes in Chinese and English", func(t *testing.T) {
		var st tiles.Style
		if err := json.Unmarshal(e.get("/styles/farmland,parcels.json").body, &st); err != nil {
			t.Fatal(err)
		}
		if st.Layers[1]["source-layer"] != "farmland" {
			t.Fatalf("first data layer %v", st.Layers[1])
		}
		var lg struct{ Kinds []tiles.KindLegend }
		if err := json.Unmarshal(e.get("/styles/legend.json").body, &lg); err != nil {
			t.Fatal(err)
		}
		if lg.Kinds[0].Kind != "parcels" || lg.Kinds[0].Classes[1].Value != "01" || lg.Kinds[0].Classes[1].Name != "耕地" ||
			lg.Kinds[0].Classes[1].NameEN != "Cropland" {
			t.Fatalf("legend %+v", lg.Kinds[0])
		}
	})

	t.Run("land use is coloured by a match on the code with a plain fallback (QGIS converts it), every standard code listed", func(t *testing.T) {
		var st struct {
			Layers []struct {
				ID     string         `json:"id"`
				Paint  map[string]any `json:"paint"`
				Filter any            `json:"filter"`
			} `json:"layers"`
		}
		if err := json.Unmarshal(e.get("/styles/parcels.json").body, &st); err != nil {
			t.Fatal(err)
		}
		var fill []any
		for _, l := range st.Layers {
			if l.ID == "parcels-fill" {
				fill, _ = l.Paint["fill-color"].([]any)
				// QGIS decodes only the attributes that filters name.
				if f := fmt.Sprint(l.Filter); !strings.Contains(f, "has landuse_code") {
					t.Errorf("the fill's filter %s does not name landuse_code", f)
				}
			}
		}
		if len(fill) < 4 || fill[0] != "match" || fmt.Sprint(fill[1]) != "[get landuse_code]" || fmt.Sprint(fill[len(fill)-1])[0] != '#' {
			t.Fatalf("fill-color %v", fill)
		}
		direct := map[string]bool{}
		for i := 2; i+1 < len(fill); i += 2 {
			labels, ok := fill[i].([]any)
			if !ok {
				t.Fatalf("label %v is not an array (QGIS 3.22 reads only arrays)", fill[i])
			}
			for _, l := range labels {
				if direct[l.(string)] {
					t.Fatalf("label %v twice", l)
				}
				direct[l.(string)] = true
			}
		}
		for code, want := range map[string]string{
			"0101":  "#f5f064", // its own colour
			"0905":  "#aa8caa", // 特殊用地's
			"1110":  "#8cc8f0", // 水域's
			"01":    "#ffff64",
			"0201K": "#f0c878", // 三调's 可调整 variant takes its code's colour
			"08H2":  "#ff82be", // a 三调 merged class takes its first-level class's
			"0199":  "#dddddd", // not a code: Other
			"":      "#dddddd", // no code: Other
		} {
			if got := evalMatch(fill, code); got != want {
				t.Errorf("%q is drawn %s, want %s", code, got, want)
			}
		}
		for _, code := range []string{"0303", "0402", "0906", "1002", "1009", "1207", "0810"} {
			if !direct[code] {
				t.Errorf("standard code %s is not listed in the match", code)
			}
		}
	})

	t.Run("the catalog links TileJSON, tiles and style of every layer", func(t *testing.T) {
		var c struct {
			Layers   []tiles.CatalogEntry
			TileJSON string
		}
		if err := json.Unmarshal(e.get("/tiles").body, &c); err != nil {
			t.Fatal(err)
		}
		if len(c.Layers) != 4 || c.Layers[2].Name != "parcels" || !c.Layers[2].Generalised || c.Layers[1].Generalised ||
			c.TileJSON != e.srv.URL+"/tiles/parcels,stations,farmland,boundaries.json" || c.Layers[2].Style != e.srv.URL+"/styles/parcels.json" {
			t.Fatalf("catalog %+v", c)
		}
	})
}

// TestGDALReadsATile runs GDAL's MVT driver on a tile URL, as
// `ogrinfo MVT:http://HOST/tiles/LAYER/z/x/y.mvt` does (HEAD first).
func TestGDALReadsATile(t *testing.T) {
	t.Parallel()
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Fatal("ogrinfo not found: install GDAL (Debian: apt-get install gdal-bin)")
	}
	e := newEnv(t, tiles.Config{})
	e.mustCreateParcels("parcels", 10, 10)
	tile := tileAt(originLon+0.002, originLat+0.002, 15)
	var want int
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM `+postgis.Table("parcels")+`
		WHERE ST_Intersects(geom_3857, ST_TileEnvelope($1::int, $2::int, $3::int, margin => 64.0 / 4096))`, tile.Z, tile.X, tile.Y).Scan(&want); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ogrinfo, "-ro", "-so", "MVT:"+e.srv.URL+tilePath("parcels", tile), "parcels").CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "Layer name: parcels") || !strings.Contains(s, "Feature Count: ") || !strings.Contains(s, "landuse_name") {
		t.Fatalf("ogrinfo output:\n%s", s)
	}
	if !strings.Contains(s, "Feature Count: "+itoa(want)) {
		t.Errorf("ogrinfo counts other than %d features:\n%s", want, s)
	}
}

// evalMatch evaluates a MapLibre match expression on ["get", field] for a
// field value v.
func evalMatch(expr []any, v string) string {
	for i := 2; i+1 < len(expr); i += 2 {
		for _, l := range expr[i].([]any) {
			if l == v {
				return expr[i+1].(string)
			}
		}
	}
	return fmt.Sprint(expr[len(expr)-1])
}
