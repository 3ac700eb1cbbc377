package sampledata

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
	"golang.org/x/text/encoding/simplifiedchinese"

	"tudi/geo"
	"tudi/land"
)

// mustWrite writes a sample into a temporary directory.
func mustWrite(tb testing.TB, opt Options) (string, *Manifest) {
	tb.Helper()
	dir := tb.TempDir()
	m, err := Write(context.Background(), dir, opt, nil)
	if err != nil {
		tb.Fatalf("Write(%+v): %v", opt, err)
	}
	return dir, m
}

func TestWriteGivesTheSameBytesEveryRun(t *testing.T) {
	t.Parallel()
	a, _ := mustWrite(t, Options{Scale: 1, Seed: 7})
	b, _ := mustWrite(t, Options{Scale: 1, Seed: 7})
	files, err := os.ReadDir(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 14 {
		t.Fatalf("only %d files written", len(files))
	}
	for _, f := range files {
		x, _ := os.ReadFile(filepath.Join(a, f.Name()))
		y, err := os.ReadFile(filepath.Join(b, f.Name()))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs (%v)", f.Name(), err)
		}
	}
	c, _ := mustWrite(t, Options{Scale: 1, Seed: 8})
	x, _ := os.ReadFile(filepath.Join(a, "parcels.shp"))
	y, _ := os.ReadFile(filepath.Join(c, "parcels.shp"))
	if bytes.Equal(x, y) {
		t.Error("seeds 7 and 8 gave the same parcels")
	}
}

func TestWriteReportsProgressAndStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	final := map[string]int{}
	m, err := Write(context.Background(), t.TempDir(), Options{Scale: 1, Seed: 1}, func(layer string, n int) {
		final[layer] = n
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		if final[l.Name] != l.Features {
			t.Errorf("last progress of %q: %d, manifest says %d", l.Name, final[l.Name], l.Features)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Write(ctx, t.TempDir(), Options{Scale: 1}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Write: %v, want context.Canceled", err)
	}
}

func TestCountsGrowWithScale(t *testing.T) {
	t.Parallel()
	_, m1 := mustWrite(t, Options{Scale: 1, Seed: 1})
	_, m3 := mustWrite(t, Options{Scale: 3, Seed: 1})
	n1, n3 := layerOf(t, m1, "parcels").Features, layerOf(t, m3, "parcels").Features
	if n1 < 2200 || n1 > 2900 {
		t.Errorf("scale 1: %d parcels, want about 2500", n1)
	}
	if r := float64(n3) / float64(n1); r < 2.6 || r > 3.4 {
		t.Errorf("scale 3: %d parcels, %.2f times scale 1, want about 3", n3, r)
	}
	units, idle := layerOf(t, m1, "renewal_units").Features, layerOf(t, m1, "idle_land").Features
	if units < 25 || units < n1/30 || units > n1/12 {
		t.Errorf("scale 1: %d renewal units for %d parcels, want about one per 20", units, n1)
	}
	if idle < 30 || idle > n1/25 {
		t.Errorf("scale 1: %d idle-land records for %d parcels, want about 2%%", idle, n1)
	}
	if _, err := Write(context.Background(), t.TempDir(), Options{Scale: 0}, nil); land.KindOf(err) != land.Invalid {
		t.Errorf("scale 0: error %v, want an invalid-kind error", err)
	}
}

func TestEveryLayerIsWrittenAndDescribed(t *testing.T) {
	t.Parallel()
	dir, m := mustWrite(t, Options{Scale: 1, Seed: 1})
	var onDisk Manifest
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &onDisk); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	wantKinds := map[string]land.Kind{
		"boundaries": land.Boundaries, "parcels": land.Parcels, "farmland": land.Farmland,
		"renewal_units": land.RenewalUnits, "idle_land": land.IdleLand, "stations": land.Generic,
		"inspection_patches": land.InspectionPatches, "inspection_problems": land.InspectionPatches, "permits": land.Permits,
		"acquisition": land.Acquisition, "households": land.Households, "renovation": land.Renovation,
		"land_approvals": "land_approvals", "renewal_projects": "renewal_projects",
	}
	if len(onDisk.Layers) != len(wantKinds) {
		t.Fatalf("manifest.json lists %d layers, want %d", len(onDisk.Layers), len(wantKinds))
	}
	for _, l := range m.Layers {
		if l.Kind != wantKinds[l.Name] {
			t.Errorf("layer %q has kind %q, want %q", l.Name, l.Kind, wantKinds[l.Name])
		}
		if l.Features == 0 {
			t.Errorf("layer %q is empty", l.Name)
		}
		if l.Encoding != "" || l.SRID != 0 {
			t.Errorf("layer %q needs --encoding %q --srid %d; the files should say it", l.Name, l.Encoding, l.SRID)
		}
		for _, f := range l.Files {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("layer %q: %v", l.Name, err)
			}
		}
	}
	if n := len(readGeoJSON(t, filepath.Join(dir, "boundaries.geojson")).Features); n < 5 || n > 8 {
		t.Errorf("%d sub-districts, want 5–8", n)
	}
	for _, f := range readGeoJSON(t, filepath.Join(dir, "stations.geojson")).Features {
		if f.Properties.MustString("name", "") == "" || !strings.HasSuffix(f.Properties.MustString("line", ""), "号线") {
			t.Errorf("station without name or line: %v", f.Properties)
		}
	}
}

func TestEverySubDistrictHasEveryLayer(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3} {
		dir, _ := mustWrite(t, Options{Scale: 1, Seed: seed})
		subs := readGeoJSON(t, filepath.Join(dir, "boundaries.geojson"))
		z := mustZone(t, 4526)
		plain := mustZone(t, 4547)
		count := func(layer string, pts []orb.Point) {
			t.Helper()
			got := make([]int, len(subs.Features))
			for _, p := range pts {
				for i, s := range subs.Features {
					if planar.PolygonContains(s.Geometry.(orb.Polygon), p) {
						got[i]++
						break
					}
				}
			}
			for i, n := range got {
				if n == 0 {
					t.Errorf("seed %d: %s has no %s", seed, subs.Features[i].Properties.MustString("JDMC", ""), layer)
				}
			}
		}
		var pts []orb.Point
		for _, r := range readShp(t, filepath.Join(dir, "parcels.shp")) {
			if r != nil {
				pts = append(pts, z.Inverse(interior(r)))
			}
		}
		count("parcels", pts)
		pts = pts[:0]
		for _, r := range readShp(t, filepath.Join(dir, "farmland.shp")) {
			pts = append(pts, plain.Inverse(interior(r)))
		}
		count("farmland", pts)
		pts = pts[:0]
		for _, f := range readGeoJSON(t, filepath.Join(dir, "renewal_units.geojson")).Features {
			pts = append(pts, interior(f.Geometry.(orb.Polygon)[0]))
		}
		count("renewal units", pts)
		pts = pts[:0]
		for _, p := range readGPKG(t, filepath.Join(dir, "idle_land.gpkg")) {
			pts = append(pts, interior(p[0]))
		}
		count("idle land", pts)
	}
}

func TestShapefileTextIsGBK(t *testing.T) {
	t.Parallel()
	dir, _ := mustWrite(t, Options{Scale: 1, Seed: 1})
	cpg, err := os.ReadFile(filepath.Join(dir, "parcels.cpg"))
	if err != nil || string(cpg) != "GBK" {
		t.Errorf("parcels.cpg = %q, %v; want GBK", cpg, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "farmland.cpg")); err == nil {
		t.Error("farmland.cpg exists; the farmland encoding should only be in the language-driver byte")
	}
	for _, c := range []struct {
		file  string
		ldid  byte
		field string
	}{{"parcels.dbf", 0, "DLMC"}, {"farmland.dbf", 0x4D, "DLMC"}} {
		raw, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		if raw[29] != c.ldid {
			t.Errorf("%s: language driver 0x%02X, want 0x%02X", c.file, raw[29], c.ldid)
		}
		rows := readDBF(t, raw)
		if len(rows) == 0 {
			t.Fatalf("%s: no records", c.file)
		}
		seen := map[string]bool{}
		for _, r := range rows {
			name, err := simplifiedchinese.GBK.NewDecoder().String(r[c.field])
			if err != nil {
				t.Fatalf("%s: %s %q is not GBK: %v", c.file, c.field, r[c.field], err)
			}
			if want := landUseName(r["DLBM"]); name != want {
				t.Fatalf("%s: DLBM %s has DLMC %q, want %q", c.file, r["DLBM"], name, want)
			}
			seen[name] = true
		}
		if !seen["水田"] {
			t.Errorf("%s: no 水田 among %v", c.file, seen)
		}
		if c.file == "parcels.dbf" {
			street, _ := simplifiedchinese.GBK.NewDecoder().String(rows[0]["JDMC"])
			if !strings.HasSuffix(street, "街") && !strings.HasSuffix(street, "街道") && !strings.HasSuffix(street, "镇") {
				t.Errorf("parcels.dbf: JDMC %q is not a 街道 or 镇", street)
			}
		}
	}
}

func TestPrjLeadsBackToTheDistrict(t *testing.T) {
	t.Parallel()
	dir, _ := mustWrite(t, Options{Scale: 1, Seed: 1})
	num := func(wkt, name string) float64 {
		m := regexp.MustCompile(`PARAMETER\["` + name + `",([0-9.]+)\]`).FindStringSubmatch(wkt)
		if m == nil {
			t.Fatalf("no %s in %s", name, wkt)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	for _, c := range []struct{ base, name string }{
		{"parcels", "CGCS2000_3_Degree_GK_Zone_38"},
		{"farmland", "CGCS2000_3_Degree_GK_CM_114E"},
	} {
		b, err := os.ReadFile(filepath.Join(dir, c.base+".prj"))
		if err != nil {
			t.Fatal(err)
		}
		wkt := string(b)
		if !strings.HasPrefix(wkt, `PROJCS["`+c.name+`"`) || !strings.Contains(wkt, `PROJECTION["Gauss_Kruger"]`) {
			t.Errorf("%s.prj = %s", c.base, wkt)
		}
		z := geo.GKZone{CentralMeridian: num(wkt, "Central_Meridian"), FalseEasting: num(wkt, "False_Easting")}
		shp, _ := os.ReadFile(filepath.Join(dir, c.base+".shp"))
		var box [4]float64
		for i := range box {
			box[i] = math.Float64frombits(binary.LittleEndian.Uint64(shp[36+8*i:]))
		}
		for _, p := range []orb.Point{{box[0], box[1]}, {box[2], box[3]}} {
			ll := z.Inverse(p)
			if math.Abs(ll[0]-districtLon) > 0.1 || math.Abs(ll[1]-districtLat) > 0.1 {
				t.Errorf("%s: corner %v is at %v, not near %g, %g", c.base, p, ll, districtLon, districtLat)
			}
		}
	}
}

func TestParcelsDoNotOverlap(t *testing.T) {
	t.Parallel()
	dir, m := mustWrite(t, Options{Scale: 1, Seed: 1})
	flawed := map[int]bool{}
	for _, f := range layerOf(t, m, "parcels").Flaws {
		flawed[f.Record] = true
	}
	problems := map[string]int{}
	for _, f := range layerOf(t, m, "parcels").Flaws {
		problems[f.Problem]++
	}
	if problems["bowtie"] != 3 || problems["duplicate_points"] != 1 || problems["null_shape"] != 1 {
		t.Errorf("flaws in the manifest: %v", problems)
	}
	recs := readShp(t, filepath.Join(dir, "parcels.shp"))
	if recs[nullShape-1] != nil {
		t.Errorf("record %d is not a null shape", nullShape)
	}
	var polys []orb.Polygon
	var bounds []orb.Bound
	var index []int
	for i, r := range recs {
		if r == nil || flawed[i+1] {
			continue
		}
		if planar.Area(r) > 0 {
			t.Errorf("record %d: outer ring is counter-clockwise", i+1)
		}
		polys = append(polys, orb.Polygon{r})
		bounds = append(bounds, r.Bound())
		index = append(index, i+1)
	}
	checked := 0
	for a := 0; a < len(polys); a += 5 {
		p := interior(polys[a][0])
		// The corners pulled a little towards the inside as well.
		probes := []orb.Point{p}
		for _, c := range polys[a][0][:len(polys[a][0])-1] {
			probes = append(probes, lerp(c, p, 0.02))
		}
		for b := range polys {
			if a == b || !bounds[b].Intersects(bounds[a]) {
				continue
			}
			for _, q := range probes {
				if planar.PolygonContains(polys[b], q) {
					t.Errorf("parcel %d overlaps parcel %d at %v", index[a], index[b], q)
				}
			}
		}
		checked++
	}
	if checked < 400 {
		t.Errorf("only %d parcels checked", checked)
	}
}

func TestAttributesCoverReportYearsAndStages(t *testing.T) {
	t.Parallel()
	dir, _ := mustWrite(t, Options{Scale: 1, Seed: 1})
	raw, _ := os.ReadFile(filepath.Join(dir, "parcels.dbf"))
	dec := simplifiedchinese.GBK.NewDecoder()
	years := map[string]int{}
	construction, supplied := 0, 0
	for _, r := range readDBF(t, raw) {
		method, _ := dec.String(r["GYFS"])
		if isConstruction(r["DLBM"]) {
			construction++
		}
		if method == "" {
			if r["GYRQ"] != "" || r["CJJK"] != "" {
				t.Errorf("%s: supply date or price without a supply method", r["DKBH"])
			}
			continue
		}
		supplied++
		if !slices.Contains(land.SupplyMethods, method) {
			t.Errorf("%s: supply method %q", r["DKBH"], method)
		}
		if len(r["GYRQ"]) != 8 {
			t.Errorf("%s: supply date %q is not yyyymmdd", r["DKBH"], r["GYRQ"])
		}
		years[r["GYRQ"][:4]]++
		if hasPrice := r["CJJK"] != ""; hasPrice != (method != "划拨") {
			t.Errorf("%s: %s with price %q", r["DKBH"], method, r["CJJK"])
		}
	}
	for y := 2019; y <= 2024; y++ {
		if years[strconv.Itoa(y)] == 0 {
			t.Errorf("no parcel supplied in %d", y)
		}
	}
	if share := float64(supplied) / float64(construction); share < 0.10 || share > 0.15 {
		t.Errorf("%d of %d construction parcels (%.1f%%) have a supply record, want 10–15%%", supplied, construction, 100*share)
	}

	stages := map[string]bool{}
	cats := map[string]bool{}
	for _, f := range readGeoJSON(t, filepath.Join(dir, "renewal_units.geojson")).Features {
		stages[f.Properties.MustString("JD", "")] = true
		cats[f.Properties.MustString("GXLB", "")] = true
		area := planar.Area(projectRing(mustZone(t, 4526), f.Geometry.(orb.Polygon)[0]))
		if c := f.Properties.MustFloat64("GYMJ", 0); c < 0.09*area || c > 0.31*area {
			t.Errorf("%s: contributed %.0f m² of %.0f m²", f.Properties.MustString("DYBH", ""), c, area)
		}
		// The milestone dates agree with the stage: every milestone up to
		// the stage dated, in order, and none after 2024; no date for the
		// milestones not reached.
		code, si := f.Properties.MustString("DYBH", ""), slices.Index(land.RenewalStages, f.Properties.MustString("JD", ""))
		prev := ""
		for j, m := range []string{"LXRQ", "PZRQ", "ZTQRRQ", "CRRQ", "KGRQ", "JGRQ"} {
			d, dated := f.Properties[m].(string)
			switch {
			case j <= si && (!dated || d <= prev || d > "2024-12-31"):
				t.Errorf("%s at stage %d: %s = %v after %q", code, si, m, f.Properties[m], prev)
			case j > si && f.Properties[m] != nil:
				t.Errorf("%s at stage %d: %s = %v, want none", code, si, m, f.Properties[m])
			}
			prev = d
		}
	}
	for _, s := range land.RenewalStages {
		if !stages[s] {
			t.Errorf("no renewal unit at stage %s", s)
		}
	}
	if len(cats) != 3 {
		t.Errorf("renewal categories %v, want 3", cats)
	}

	db, err := sql.Open("sqlite", filepath.Join(dir, "idle_land.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var total, disposed, kinds, methods int
	var srs string
	err = db.QueryRow(`SELECT count(*), sum(CZZT = '已处置'), count(DISTINCT LX), count(DISTINCT CZFS) FROM idle_land`).Scan(&total, &disposed, &kinds, &methods)
	if err == nil {
		err = db.QueryRow(`SELECT definition FROM gpkg_spatial_ref_sys JOIN gpkg_geometry_columns USING (srs_id) WHERE table_name = 'idle_land'`).Scan(&srs)
	}
	if err != nil {
		t.Fatal(err)
	}
	if disposed*2 < total || kinds != 2 || methods != 5 {
		t.Errorf("idle land: %d disposed of %d, %d kinds, %d methods", disposed, total, kinds, methods)
	}
	if !strings.Contains(srs, `AUTHORITY["EPSG","4490"]`) {
		t.Errorf("idle_land srs = %s", srs)
	}
}

func TestFarmlandOverlapsConstruction(t *testing.T) {
	t.Parallel()
	dir, _ := mustWrite(t, Options{Scale: 1, Seed: 1})
	plain := mustZone(t, 4547)
	off := mustZone(t, 4526).FalseEasting - plain.FalseEasting
	raw, _ := os.ReadFile(filepath.Join(dir, "parcels.dbf"))
	rows := readDBF(t, raw)
	recs := readShp(t, filepath.Join(dir, "parcels.shp"))
	var patches []orb.Polygon
	for _, r := range readShp(t, filepath.Join(dir, "farmland.shp")) {
		moved := make(orb.Ring, len(r))
		for i, p := range r {
			moved[i] = orb.Point{p[0] + off, p[1]}
		}
		patches = append(patches, orb.Polygon{moved})
	}
	occupied := 0
	for i, r := range recs {
		if r == nil || !isConstruction(rows[i]["DLBM"]) {
			continue
		}
		p := interior(r)
		for _, f := range patches {
			if f.Bound().Contains(p) && planar.PolygonContains(f, p) {
				occupied++
				break
			}
		}
	}
	if occupied == 0 {
		t.Error("no construction parcel lies in a farmland patch")
	}
	overlapping := 0
	for a := range patches {
		p := interior(patches[a][0])
		for b := range patches {
			if a != b && patches[b].Bound().Contains(p) && planar.PolygonContains(patches[b], p) {
				overlapping++
				break
			}
		}
	}
	if overlapping == 0 {
		t.Error("no farmland patches overlap each other")
	}
}

func layerOf(tb testing.TB, m *Manifest, name string) Layer {
	tb.Helper()
	for _, l := range m.Layers {
		if l.Name == name {
			return l
		}
	}
	tb.Fatalf("no layer %q in the manifest", name)
	return Layer{}
}

func mustZone(tb testing.TB, srid int) geo.GKZone {
	tb.Helper()
	z, ok := geo.CGCS2000GK(srid)
	if !ok {
		tb.Fatalf("no zone %d", srid)
	}
	return z
}

func projectRing(z geo.GKZone, r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[i] = z.Forward(p)
	}
	return out
}

// interior returns the centroid of a convex ring, which lies inside it.
func interior(r orb.Ring) orb.Point {
	c, _ := planar.CentroidArea(r)
	return c
}

func readGeoJSON(tb testing.TB, path string) *geojson.FeatureCollection {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return fc
}

// readShp returns the outer ring of every polygon record, nil for a null
// shape.
func readShp(tb testing.TB, path string) []orb.Ring {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if binary.BigEndian.Uint32(b) != 9994 || int(binary.BigEndian.Uint32(b[24:]))*2 != len(b) {
		tb.Fatalf("%s: bad header", path)
	}
	var out []orb.Ring
	le := binary.LittleEndian
	for off := 100; off < len(b); {
		n := int(binary.BigEndian.Uint32(b[off+4:])) * 2
		c := b[off+8 : off+8+n]
		off += 8 + n
		if le.Uint32(c) == 0 {
			out = append(out, nil)
			continue
		}
		nParts, nPts := int(le.Uint32(c[36:])), int(le.Uint32(c[40:]))
		end := nPts
		if nParts > 1 {
			end = int(le.Uint32(c[48:]))
		}
		pts := c[44+4*nParts:]
		r := make(orb.Ring, end)
		for i := range r {
			r[i] = orb.Point{math.Float64frombits(le.Uint64(pts[16*i:])), math.Float64frombits(le.Uint64(pts[16*i+8:]))}
		}
		out = append(out, r)
	}
	return out
}

// readDBF returns the records of a dBASE table, raw bytes trimmed.
func readDBF(tb testing.TB, b []byte) []map[string]string {
	tb.Helper()
	n := int(binary.LittleEndian.Uint32(b[4:]))
	hdr, recLen := int(binary.LittleEndian.Uint16(b[8:])), int(binary.LittleEndian.Uint16(b[10:]))
	type field struct {
		name string
		len  int
	}
	var fields []field
	for off := 32; b[off] != 0x0D; off += 32 {
		fields = append(fields, field{string(bytes.TrimRight(b[off:off+11], "\x00")), int(b[off+16])})
	}
	if len(b) != hdr+n*recLen+1 {
		tb.Fatalf("dbf: %d bytes, want %d", len(b), hdr+n*recLen+1)
	}
	out := make([]map[string]string, n)
	for i := range out {
		rec := b[hdr+i*recLen+1:]
		row := map[string]string{}
		for _, f := range fields {
			row[f.name] = strings.TrimSpace(string(rec[:f.len]))
			rec = rec[f.len:]
		}
		out[i] = row
	}
	return out
}

// readGPKG returns the polygons of idle_land, decoding the GeoPackage
// geometry header.
func readGPKG(tb testing.TB, path string) []orb.Polygon {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT geom FROM idle_land`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []orb.Polygon
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			tb.Fatal(err)
		}
		if string(b[:2]) != "GP" || int32(binary.LittleEndian.Uint32(b[4:])) != 4490 {
			tb.Fatalf("bad GeoPackage geometry header % x", b[:8])
		}
		g, err := wkb.Unmarshal(b[8+32:])
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, g.(orb.Polygon))
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
