package importers

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
)

// squareRing is a closed square ring of side d with its lower left corner
// at (x, y), as GeoJSON coordinates.
func squareRing(x, y, d float64) string {
	return fmt.Sprintf("[[%[1]g,%[2]g],[%[3]g,%[2]g],[%[3]g,%[4]g],[%[1]g,%[4]g],[%[1]g,%[2]g]]", x, y, x+d, y+d)
}

// lakeCountry is the shape that ST_MakeValid repairs slowly: a shell of
// 4 000 vertices with 2 500 small lakes, and, what makes it invalid, a lake
// across the coast, a lake whose ring crosses itself, two overlapping
// lakes, an island drawn on the land (a part overlapping the mainland); an
// island in a large lake is valid and stays. A second large island has a
// lake drawn outside its own shell, on the mainland: by the even-odd rule
// that is a lake of the mainland.
func lakeCountry() string {
	var shell []string
	for i := range 4000 {
		a := 2 * math.Pi * float64(i) / 4000
		shell = append(shell, fmt.Sprintf("[%.9f,%.9f]", 114+0.5*math.Cos(a), 22.5+0.5*math.Sin(a)))
	}
	shell = append(shell, shell[0])
	rings := []string{"[" + strings.Join(shell, ",") + "]"}
	for i := range 50 {
		for j := range 50 {
			rings = append(rings, squareRing(113.75+0.01*float64(i), 22.25+0.01*float64(j), 0.004))
		}
	}
	rings = append(rings,
		squareRing(114.49, 22.49, 0.02),                                          // across the coast
		"[[113.6,22.3],[113.61,22.31],[113.61,22.3],[113.6,22.31],[113.6,22.3]]", // a bow-tie
		squareRing(113.6, 22.7, 0.02), squareRing(113.61, 22.71, 0.02),           // overlapping
		squareRing(114.325, 22.475, 0.05), // a large lake, with an island
	)
	mainland := "[" + strings.Join(rings, ",") + "]"
	onLand := "[" + squareRing(113.59, 22.49, 0.02) + "]"
	inLake := "[" + squareRing(114.34, 22.49, 0.01) + "]"
	var island []string
	for i := range 10000 {
		a := 2 * math.Pi * float64(i) / 10000
		island = append(island, fmt.Sprintf("[%.9f,%.9f]", 115.3+0.2*math.Cos(a), 22.5+0.2*math.Sin(a)))
	}
	island = append(island, island[0])
	strayLake := "[[" + strings.Join(island, ",") + "]," + squareRing(113.65, 22.6, 0.005) + "]"
	return `{"type":"MultiPolygon","coordinates":[` + mainland + "," + onLand + "," + inLake + "," + strayLake + "]}"
}

func TestRepairRingByRing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	country := lakeCountry()
	file := writeFeatures(t, t.TempDir(), "lakes.geojson", country, squareAndBowtie)

	var valid bool
	var reason string
	if err := e.db.Pool.QueryRow(ctx, `SELECT (d).valid, (d).reason FROM (SELECT ST_IsValidDetail(ST_GeomFromGeoJSON($1)) AS d) s`, country).Scan(&valid, &reason); err != nil {
		t.Fatal(err)
	}
	if valid {
		t.Fatal("the test feature is valid")
	}
	imp := e.MustImport(t, Request{Layer: "lakes", Kind: "generic", Files: []string{file}})
	// What ST_MakeValid (linework, as ogr2ogr -makevalid) makes of it.
	var want, got float64
	var wantHoles, wantParts, holes, parts int
	if err := e.db.Pool.QueryRow(ctx, `SELECT ST_Area(g), ST_NRings(g) - ST_NumGeometries(g), ST_NumGeometries(g)
		FROM (SELECT ST_CollectionExtract(ST_MakeValid(ST_GeomFromGeoJSON($1)), 3) AS g) s`, country).Scan(&want, &wantHoles, &wantParts); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Pool.QueryRow(ctx, `SELECT ST_IsValid(geom), ST_Area(geom), ST_NRings(geom) - ST_NumGeometries(geom), ST_NumGeometries(geom) FROM layers.lakes WHERE id = 1`).
		Scan(&valid, &got, &holes, &parts); err != nil {
		t.Fatal(err)
	}
	if !valid || math.Abs(got-want) > 1e-9*want {
		t.Errorf("repaired: valid %v, area %.12f; want valid with ST_MakeValid's %.12f", valid, got, want)
	}
	// The 2 500 lakes, the bow-tie's halves, the overlapping lakes (their
	// overlap land again), the large lake and the island on land as holes;
	// the mainland and the island in the lake as parts.
	if holes != wantHoles || parts != wantParts || holes < 2505 {
		t.Errorf("%d holes in %d parts, want ST_MakeValid's %d in %d", holes, parts, wantHoles, wantParts)
	}
	for _, p := range imp.Summary.Problems {
		if p.Record == 1 && (p.Action != "repaired" || strings.Contains(p.Reason, "with method")) {
			t.Errorf("feature 1: %s: %s; want repaired by the first method (parts)", p.Action, p.Reason)
		}
	}
	v, _ := imp.Extra["validation"].(map[string]any)
	if m, _ := v["methods"].(map[string]int64); m["parts"] != 2 {
		t.Errorf("validation %v, want both features repaired by parts", v)
	}
}

// The ring-by-ring repair of one large feature as a sequence of statements
// on temporary tables gives what the single statement gives, and leaves
// no table behind.
func TestRepairRingsTemp(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var ewkb []byte
	if err := e.db.Pool.QueryRow(ctx, `SELECT ST_AsEWKB(ST_SetSRID(ST_GeomFromGeoJSON($1), 4490))`, lakeCountry()).Scan(&ewkb); err != nil {
		t.Fatal(err)
	}
	if !ringsPolygonal(ewkb) {
		t.Fatal("a multipolygon not taken for one")
	}
	pc, err := e.db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Release()
	g, r, ok, err := stepRings(ctx, ctx, pc.Conn(), invalid{key: 1, ewkb: ewkb})
	if err != nil || !ok || r.empty {
		t.Fatalf("ring repair: ok %v, empty %v, err %v", ok, r.empty, err)
	}
	var same, valid, left bool
	if err := pc.Conn().QueryRow(ctx, `SELECT ST_Equals(ST_GeomFromEWKB($1), s.r) AND ST_NRings(s.r) = ST_NRings(ST_GeomFromEWKB($1)), ST_IsValid(ST_GeomFromEWKB($1)),
		to_regclass('pg_temp.parts') IS NOT NULL OR to_regclass('pg_temp.ring_src') IS NOT NULL
		FROM (SELECT `+ringsSQL+` AS r FROM (SELECT ST_GeomFromEWKB($2) AS geom) AS x) AS s`, g, ewkb).Scan(&same, &valid, &left); err != nil {
		t.Fatal(err)
	}
	if !same || !valid || left {
		t.Errorf("ring repair on temporary tables: same as the single statement %v, valid %v, tables left %v", same, valid, left)
	}
}

// A large invalid feature that is one Polygon, not a MultiPolygon, is
// repaired ring by ring too (ST_Dump gives its one part an empty path).
func TestRepairRingByRingOnePolygon(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	poly := bigInvalidRing(12000)
	file := writeFeatures(t, t.TempDir(), "one.geojson", poly)
	imp := e.MustImport(t, Request{Layer: "one", Kind: "generic", Files: []string{file}})
	var want, got float64
	var valid bool
	if err := e.db.Pool.QueryRow(ctx, `SELECT ST_Area(ST_CollectionExtract(ST_MakeValid(ST_GeomFromGeoJSON($1)), 3))`, poly).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Pool.QueryRow(ctx, `SELECT ST_IsValid(geom), ST_Area(geom) FROM layers.one WHERE id = 1`).Scan(&valid, &got); err != nil {
		t.Fatal(err)
	}
	if !valid || math.Abs(got-want) > 1e-9*want {
		t.Errorf("repaired: valid %v, area %.12f; want valid with ST_MakeValid's %.12f", valid, got, want)
	}
	v, _ := imp.Extra["validation"].(map[string]any)
	if m, _ := v["methods"].(map[string]int64); m["parts"] != 1 {
		t.Errorf("validation %v, want the polygon repaired by parts", v)
	}
}
