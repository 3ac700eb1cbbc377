package importers

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"

	"tudi/geo"
	"tudi/land"
)

func gbk(tb testing.TB, s string) string {
	tb.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// A CGCS2000 3° zone 38 polygon near the sample district, with the prefix.
const gkX, gkY = 38430000.0, 2555000.0

func esriPRJ(tb testing.TB, srid int) string {
	tb.Helper()
	s, err := geo.EsriWKT(srid)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestShapefileTraits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	dir := t.TempDir()
	q := func(t *testing.T, sql string, args ...any) []any {
		t.Helper()
		rows, err := e.db.Pool.Query(ctx, sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		if !rows.Next() {
			t.Fatalf("no row from %s", sql)
		}
		v, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	t.Run("GBK field names and values are detected without .cpg or language driver", func(t *testing.T) {
		p := MustWriteShapefile(t, dir, "gbk", shpSpec{ShapeType: 5, PRJ: esriPRJ(t, 4526),
			Shapes:  []orb.Geometry{orb.Polygon{square(gkX, gkY, 50)}, orb.Polygon{square(gkX+100, gkY, 50)}},
			Fields:  []testField{{[]byte(gbk(t, "地块编号")), 'C', 20, 0}, {[]byte(gbk(t, "街道")), 'C', 20, 0}, {[]byte("CJJK"), 'N', 10, 2}},
			Records: [][]string{{"A1", gbk(t, "沙河街道"), "**********"}, {"A2", gbk(t, "石牌街道"), "12x.5"}},
		})
		imp := e.MustImport(t, Request{Layer: "gbk", Kind: land.Parcels, Files: []string{p},
			Map: map[string]string{"code": "地块编号", "street": "街道"}})
		s := imp.Summary
		if s.Encoding != "GB18030" || s.EncodingSource != "detected" {
			t.Errorf("encoding %s from %s", s.Encoding, s.EncodingSource)
		}
		v := q(t, `SELECT code, street, props->>'街道', props ? 'CJJK', price_wan FROM layers.gbk ORDER BY id LIMIT 1`)
		if v[0] != "A1" || v[1] != "沙河街道" || v[2] != "沙河街道" || v[3] != false || v[4] != nil {
			t.Errorf("row = %v", v)
		}
		if s.Warnings != 2 || !strings.Contains(s.Problems[0].Reason, "overflow") || s.Problems[0].Field != "CJJK" ||
			s.Problems[1].Record != 2 || !strings.Contains(s.Problems[1].Reason, "garbage") {
			t.Errorf("warnings %d: %+v", s.Warnings, s.Problems)
		}
	})

	for _, c := range []struct {
		cpg  string
		ldid byte
		want string
		from string
	}{
		{"936", 0, "GBK", "cpg"}, {"CP936", 0, "GBK", "cpg"}, {"GB2312", 0, "GBK", "cpg"}, {"ANSI 936", 0, "GBK", "cpg"},
		{"GB18030", 0, "GB18030", "cpg"}, {"", 0x4D, "GBK", "ldid"}, {"", 0x7A, "GBK", "ldid"}, {"utf-8\n", 0x4D, "UTF-8", "cpg"},
	} {
		t.Run(fmt.Sprintf("encoding from cpg %q and language driver %#x is %s", c.cpg, c.ldid, c.want), func(t *testing.T) {
			text := gbk(t, "水田")
			if c.want == "UTF-8" {
				text = "水田"
			}
			p := MustWriteShapefile(t, t.TempDir(), "enc", shpSpec{ShapeType: 5, PRJ: esriPRJ(t, 4526), CPG: c.cpg, LDID: c.ldid,
				Shapes: []orb.Geometry{orb.Polygon{square(gkX, gkY, 50)}},
				Fields: []testField{{[]byte("DLMC"), 'C', 20, 0}}, Records: [][]string{{text}}})
			imp := e.MustImport(t, Request{Layer: "enc", Kind: land.Farmland, Files: []string{p}})
			if imp.Summary.Encoding != c.want || imp.Summary.EncodingSource != c.from {
				t.Errorf("encoding %s from %s", imp.Summary.Encoding, imp.Summary.EncodingSource)
			}
			if v := q(t, `SELECT landuse_name FROM layers.enc`); v[0] != "水田" {
				t.Errorf("landuse_name = %v", v[0])
			}
		})
	}

	t.Run("rings are grouped into polygons with holes by orientation and containment", func(t *testing.T) {
		outer1 := square(gkX, gkY, 100)
		hole := reversed(square(gkX+25, gkY+25, 50))
		outer2 := square(gkX+300, gkY, 100)
		// Wrongly oriented: every ring counter-clockwise; containment decides.
		ccwOuter, ccwHole := reversed(square(gkX, gkY+500, 100)), reversed(square(gkX+25, gkY+525, 50))
		p := MustWriteShapefile(t, dir, "rings", shpSpec{ShapeType: 5, PRJ: esriPRJ(t, 4526),
			Shapes: []orb.Geometry{orb.MultiPolygon{{outer1, hole}, {outer2}}, orb.Polygon{ccwOuter, ccwHole}},
			Fields: []testField{{[]byte("BSM"), 'N', 5, 0}}, Records: [][]string{{"1"}, {"2"}}})
		e.MustImport(t, Request{Layer: "rings", Files: []string{p}})
		v := q(t, `SELECT string_agg(GeometryType(geom) || ST_NumGeometries(geom) || '/' || ST_NRings(geom), ' ' ORDER BY id),
			bool_and(ST_IsValid(geom)), round(sum(area_m2)) FROM layers.rings`)
		if v[0] != "MULTIPOLYGON2/3 POLYGON1/2" || v[1] != true {
			t.Errorf("geometries %v valid %v", v[0], v[1])
		}
		if a := v[2]; a == nil {
			t.Errorf("no area")
		}
	})

	t.Run("Z values are dropped with a note; points and lines load", func(t *testing.T) {
		pz := MustWriteShapefile(t, dir, "zpoly", shpSpec{ShapeType: 15, PRJ: esriPRJ(t, 4526),
			Shapes: []orb.Geometry{orb.Polygon{square(gkX, gkY, 50)}}, Fields: []testField{{[]byte("A"), 'C', 1, 0}}, Records: [][]string{{"a"}}})
		imp := e.MustImport(t, Request{Layer: "zpoly", Files: []string{pz}})
		if !strings.Contains(strings.Join(imp.Summary.Notes, " "), "Z values") {
			t.Errorf("notes %q", imp.Summary.Notes)
		}
		if v := q(t, `SELECT ST_NDims(geom) FROM layers.zpoly`); fmt.Sprint(v[0]) != "2" {
			t.Errorf("dims %v", v[0])
		}
		pts := MustWriteShapefile(t, dir, "pts", shpSpec{ShapeType: 1, PRJ: esriPRJ(t, 4526),
			Shapes: []orb.Geometry{orb.Point{gkX, gkY}, nil, orb.Point{gkX + 10, gkY}}, Fields: []testField{{[]byte("A"), 'C', 1, 0}}, Records: [][]string{{"a"}, {"b"}, {"c"}}})
		imp = e.MustImport(t, Request{Layer: "pts", Files: []string{pts}})
		if imp.Summary.Loaded != 3 || imp.Summary.NullShapes != 1 {
			t.Errorf("points: %+v", imp.Summary)
		}
		lines := MustWriteShapefile(t, dir, "lines", shpSpec{ShapeType: 3, PRJ: esriPRJ(t, 4526),
			Shapes: []orb.Geometry{orb.LineString{{gkX, gkY}, {gkX + 10, gkY + 10}}}, Fields: []testField{{[]byte("A"), 'C', 1, 0}}, Records: [][]string{{"a"}}})
		e.MustImport(t, Request{Layer: "lines", Files: []string{lines}})
		if v := q(t, `SELECT GeometryType(geom), round(ST_X(ST_StartPoint(geom))::numeric, 3)::text FROM layers.lines`); v[0] != "LINESTRING" || v[1] != "113.317" {
			t.Errorf("line %v", v)
		}
	})

	t.Run("without a .prj a zone-prefixed easting is guessed loudly", func(t *testing.T) {
		p := MustWriteShapefile(t, dir, "noprj", shpSpec{ShapeType: 5,
			Shapes: []orb.Geometry{orb.Polygon{square(gkX, gkY, 50)}}, Fields: []testField{{[]byte("A"), 'C', 1, 0}}, Records: [][]string{{"a"}}})
		imp := e.MustImport(t, Request{Layer: "noprj", Files: []string{p}})
		if imp.Summary.SRID != 4526 || imp.Summary.SRIDSource != "guessed" || !strings.Contains(strings.Join(imp.Summary.Notes, " "), "WARNING") {
			t.Errorf("summary %+v", imp.Summary)
		}
	})
	t.Run("without a .prj an easting without zone prefix needs --srid", func(t *testing.T) {
		p := MustWriteShapefile(t, dir, "noprj2", shpSpec{ShapeType: 5,
			Shapes: []orb.Geometry{orb.Polygon{square(430000, gkY, 50)}}, Fields: []testField{{[]byte("A"), 'C', 1, 0}}, Records: [][]string{{"a"}}})
		_, err := e.im.Import(ctx, Request{Layer: "noprj2", Files: []string{p}})
		if land.KindOf(err) != land.Invalid || !strings.Contains(err.Error(), "noprj2.shp") || !strings.Contains(err.Error(), "--srid") {
			t.Fatalf("err = %v", err)
		}
		imp := e.MustImport(t, Request{Layer: "noprj2", Files: []string{p}, SRID: 4547})
		if imp.Summary.SRIDSource != "flag" {
			t.Errorf("summary %+v", imp.Summary)
		}
		if v := q(t, `SELECT round(ST_X(ST_Centroid(geom))::numeric, 2)::text FROM layers.noprj2`); v[0] != "113.32" {
			t.Errorf("CM 114E zone without prefix: centroid x %v", v[0])
		}
	})

	t.Run("broken rings are closed or dropped, invalid polygons repaired, empty ones rejected", func(t *testing.T) {
		open := orb.Ring{{gkX, gkY}, {gkX, gkY + 50}, {gkX + 50, gkY + 50}, {gkX + 50, gkY}}
		bowtie := orb.Ring{{gkX, gkY}, {gkX + 50, gkY + 50}, {gkX + 50, gkY}, {gkX, gkY + 50}, {gkX, gkY}}
		line := orb.Ring{{gkX, gkY}, {gkX + 50, gkY}, {gkX, gkY}}
		flat := orb.Ring{{gkX, gkY}, {gkX + 10, gkY}, {gkX + 20, gkY}, {gkX, gkY}}
		p := MustWriteShapefile(t, dir, "broken", shpSpec{ShapeType: 5, PRJ: esriPRJ(t, 4526),
			Shapes: []orb.Geometry{orb.Polygon{open}, orb.Polygon{bowtie}, orb.Polygon{line}, orb.Polygon{flat}, orb.Polygon{square(gkX, gkY, 5)}},
			Fields: []testField{{[]byte("A"), 'C', 1, 0}}, Records: [][]string{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}}})
		imp := e.MustImport(t, Request{Layer: "broken", Files: []string{p}})
		s := imp.Summary
		if s.Read != 5 || s.Loaded != 3 || s.Rejected != 2 || s.Repaired != 2 {
			t.Fatalf("summary %+v", s)
		}
		for rec, action := range map[int64]string{1: "repaired", 2: "repaired", 3: "rejected", 4: "rejected"} {
			if !hasProblem(s.Problems, rec, action) {
				t.Errorf("record %d not reported %s: %+v", rec, action, s.Problems)
			}
		}
		if v := q(t, `SELECT bool_and(ST_IsValid(geom)), count(*) FILTER (WHERE GeometryType(geom) LIKE '%POLYGON') FROM layers.broken`); v[0] != true || fmt.Sprint(v[1]) != "3" {
			t.Errorf("stored %v", v)
		}
	})
}

func TestMappingAndNormalisation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	dir := t.TempDir()
	dates := []string{"2023-06-30", "20230630", "2023/6/30", "2023年6月30日", "2023-06-30T00:00:00Z", "30.6.2023x"}
	var features []string
	for i, d := range dates {
		features = append(features, fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[113.3,23.1]},
			"properties":{"XZBH":" X%d ","RDRQ":%q,"XH":%q,"MY_CODE":"M%d","nested":{"a":[1,2]}}}`, i, d, []string{"是", "否", "Y", "N", "1", "maybe"}[i], i))
	}
	p := filepath.Join(dir, "idle.geojsonl")
	if err := os.WriteFile(p, []byte("\x1e"+strings.Join(features, "\n\x1e")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	imp := e.MustImport(t, Request{Layer: "idle", Kind: land.IdleLand, Files: []string{p}})
	s := imp.Summary
	if s.Read != 6 || s.Warnings != 2 {
		t.Fatalf("summary %+v", s)
	}
	for _, pr := range s.Problems {
		if pr.Record != 6 || pr.Action != "warning" || (pr.Field != "RDRQ" && pr.Field != "XH") {
			t.Errorf("problem %+v", pr)
		}
	}
	rows, err := e.db.Pool.Query(ctx, `SELECT code, identified_date, digested, props->>'RDRQ', props->'nested'->'a'->>1 FROM layers.idle ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := []bool{true, false, true, false, true}
	i := 0
	for rows.Next() {
		var (
			code     string
			date     *time.Time
			digested *bool
			raw      string
			nested   *string
		)
		if err := rows.Scan(&code, &date, &digested, &raw, &nested); err != nil {
			t.Fatal(err)
		}
		if code != fmt.Sprintf("X%d", i) || raw != dates[i] || nested == nil || *nested != "2" {
			t.Errorf("row %d: code %q raw %q nested %v", i, code, raw, nested)
		}
		if i < 5 {
			if date == nil || date.Format("2006-01-02") != "2023-06-30" || digested == nil || *digested != want[i] {
				t.Errorf("row %d: %q → %v, digested %v", i, dates[i], date, digested)
			}
		} else if date != nil || digested != nil {
			t.Errorf("unparsable values stored: %v %v", date, digested)
		}
		i++
	}

	t.Run("--map overrides the preset", func(t *testing.T) {
		e.MustImport(t, Request{Layer: "idle", Files: []string{p}, Map: map[string]string{"code": "my_code"}})
		var code string
		if err := e.db.Pool.QueryRow(ctx, `SELECT code FROM layers.idle ORDER BY id LIMIT 1`).Scan(&code); err != nil || code != "M0" {
			t.Fatalf("code %q %v", code, err)
		}
	})
}

func TestGeoJSONAndGeoPackage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	dir := t.TempDir()

	t.Run("a crs member names a Gauss-Krüger zone", func(t *testing.T) {
		p := filepath.Join(dir, "gk.geojson")
		os.WriteFile(p, []byte(`{"type":"FeatureCollection","name":"x","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4526"}},
			"features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[38430000,2555000]},"properties":null},
			{"type":"Feature","geometry":null,"properties":{"a":1}},
			{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[]},"properties":{"a":2}}]}`), 0o644)
		imp := e.MustImport(t, Request{Layer: "gk", Files: []string{p}})
		if imp.Summary.SRID != 4526 || imp.Summary.Loaded != 2 || imp.Summary.Rejected != 1 || imp.Summary.NullShapes != 1 {
			t.Fatalf("summary %+v", imp.Summary)
		}
		var x float64
		if err := e.db.Pool.QueryRow(ctx, `SELECT ST_X(geom) FROM layers.gk WHERE geom IS NOT NULL`).Scan(&x); err != nil || x < 113.316 || x > 113.318 {
			t.Fatalf("x = %v %v", x, err)
		}
	})

	t.Run("a GeoPackage with two tables needs the source layer", func(t *testing.T) {
		sdir, m := MustSample(t)
		src := filepath.Join(sdir, "idle_land.gpkg")
		p := filepath.Join(dir, "two.gpkg")
		os.WriteFile(p, mustRead(t, src), 0o644)
		db, err := sql.Open("sqlite", p)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{
			`CREATE TABLE "copy" AS SELECT * FROM "idle_land" LIMIT 3`,
			`INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('copy', 'features', 'copy', 4490)`,
			`INSERT INTO gpkg_geometry_columns VALUES ('copy', 'geom', 'POLYGON', 4490, 0, 0)`,
		} {
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		db.Close()
		_, err = e.im.Import(ctx, Request{Layer: "idle", Files: []string{p}})
		if land.KindOf(err) != land.Invalid || !strings.Contains(err.Error(), "copy, idle_land") {
			t.Fatalf("err = %v", err)
		}
		imp := e.MustImport(t, Request{Layer: "idle", Kind: land.IdleLand, Files: []string{p}, SourceLayer: "idle_land"})
		if imp.Summary.Loaded != int64(m.Layers[4].Features) || imp.Summary.SRIDSource != "gpkg_spatial_ref_sys" {
			t.Fatalf("summary %+v", imp.Summary)
		}
		imp = e.MustImport(t, Request{Layer: "idle_copy", Files: []string{p}, SourceLayer: "copy"})
		if imp.Summary.Loaded != 3 {
			t.Fatalf("copy: %+v", imp.Summary)
		}
		l, err := e.db.FindLayer(ctx, "idle_copy")
		if err != nil || l.Kind != land.Generic || len(l.SourceFields) != 9 { // CREATE TABLE AS made fid a plain column
			t.Fatalf("layer %+v %v", l, err)
		}
	})
}
