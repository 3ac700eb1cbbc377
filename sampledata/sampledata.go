package sampledata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"tudi/geo"
	"tudi/land"
)

// MaxScale is the largest Options.Scale. The district grows with the square
// root of the scale, and beyond this its west edge would leave Gauss-Krüger
// zone 38 (112.5°E), in which the shapefiles are written.
const MaxScale = 600

// Options choose the size and the randomness of the sample.
type Options struct {
	// Scale multiplies the area: 1 is about 2 500 parcels, 400 about a
	// million. Parcels keep their size.
	Scale int
	// Seed selects the district; the same seed and scale give the same
	// bytes in every file.
	Seed uint64
}

// Manifest describes what Write wrote. It is also saved as manifest.json in
// the output directory.
type Manifest struct {
	District string     `json:"district"`
	Code     string     `json:"code"`
	Scale    int        `json:"scale"`
	Seed     uint64     `json:"seed"`
	BBox     [4]float64 `json:"bbox"` // lon/lat: west, south, east, north
	Layers   []Layer    `json:"layers"`
	Notes    []string   `json:"notes"`
}

// Layer is one layer of the sample: where its files are and what a loader
// needs to know to read them.
type Layer struct {
	Name   string    `json:"name"`
	Kind   land.Kind `json:"kind"`
	Format string    `json:"format"` // shapefile, geojson or gpkg
	// Files are relative to the manifest; the first is the one to import.
	Files []string `json:"files"`
	// Encoding and SRID are what a loader must be told (--encoding,
	// --srid); empty when the files themselves say it.
	Encoding string `json:"encoding,omitempty"`
	SRID     int    `json:"srid,omitempty"`
	// TextEncoding and SourceSRID are what the files hold, and
	// EncodingFrom and SRIDFrom where a reader finds them.
	TextEncoding string   `json:"text_encoding"`
	EncodingFrom string   `json:"encoding_from"`
	SourceSRID   int      `json:"source_srid"`
	SRIDFrom     string   `json:"srid_from"`
	Fields       []string `json:"fields"` // source field names, in file order
	Features     int      `json:"features"`
	Flaws        []Flaw   `json:"flaws,omitempty"`
	// Unlocated are the records without geometry on purpose (ledger rows
	// with no coordinates): an importer loads them with a null geometry.
	Unlocated int `json:"unlocated,omitempty"`
}

// Flaw is a deliberately broken feature that an importer has to cope with.
type Flaw struct {
	Record  int    `json:"record"` // 1-based record number in the file
	Code    string `json:"code"`
	Problem string `json:"problem"` // bowtie, duplicate_points or null_shape
}

// Write writes the sample district into dir (created if missing; files of
// the same names are replaced) and returns its manifest. progress, if not
// nil, is called now and then with a layer name and the number of its
// features written so far, and once per layer with the final count.
// Write returns a land.Invalid error for bad options and stops with ctx's
// error when ctx is done.
func Write(ctx context.Context, dir string, opt Options, progress func(layer string, n int)) (m *Manifest, err error) {
	if opt.Scale < 1 {
		return nil, land.Errorf(land.Invalid, "sample scale must be at least 1, not %d", opt.Scale)
	}
	if opt.Scale > MaxScale {
		return nil, land.Errorf(land.Invalid, "sample scale %d is too large (at most %d)", opt.Scale, MaxScale)
	}
	if progress == nil {
		progress = func(string, int) {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	g := newGenerator(opt, dir, progress)
	if err := g.open(ctx); err != nil {
		g.abort()
		return nil, fmt.Errorf("sample: %w", err)
	}
	if err := g.run(ctx); err != nil {
		g.abort()
		return nil, fmt.Errorf("sample: %w", err)
	}
	if err := g.close(ctx); err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	m = g.manifest()
	if err := g.writeExpropriation(ctx, m); err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	if err := writeSidecars(dir); err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sample manifest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("sample manifest: %w", err)
	}
	return m, nil
}

// writeSidecars writes the .prj and .cpg files of the shapefiles. The
// farmland shapefile has no .cpg on purpose: its encoding is only in the
// DBF language-driver byte.
func writeSidecars(dir string) error {
	parcels, err := geo.EsriWKT(zoneSRID)
	if err != nil {
		return err
	}
	farmland, err := geo.EsriWKT(plainSRID)
	if err != nil {
		return err
	}
	return errors.Join(
		os.WriteFile(filepath.Join(dir, "parcels.prj"), []byte(parcels), 0o644),
		os.WriteFile(filepath.Join(dir, "parcels.cpg"), []byte("GBK"), 0o644),
		os.WriteFile(filepath.Join(dir, "farmland.prj"), []byte(farmland), 0o644),
	)
}

// The source fields of each layer, as the bureaus name them.
func parcelFields() []dbfField {
	return append([]dbfField{
		{"DKBH", 'C', 20, 0}, {"DLBM", 'C', 5, 0}, {"DLMC", 'C', 30, 0}, {"QSXZ", 'C', 10, 0},
		{"JDMC", 'C', 30, 0}, {"ZT", 'C', 12, 0}, {"GYFS", 'C', 10, 0}, {"GYRQ", 'C', 8, 0},
		{"CJJK", 'N', 14, 2}, {"TBMJ", 'N', 14, 2},
	}, parcelPlanFields()...)
}

func farmlandFields() []dbfField {
	return []dbfField{{"TBBH", 'C', 16, 0}, {"DLBM", 'C', 5, 0}, {"DLMC", 'C', 20, 0}, {"GDDB", 'N', 2, 0}}
}

func idleColumns() []gpkgColumn {
	return []gpkgColumn{
		{"XZBH", "TEXT"}, {"LX", "TEXT"}, {"YY", "TEXT"}, {"CZZT", "TEXT"}, {"CZFS", "TEXT"},
		{"XH", "TEXT"}, {"RDRQ", "DATE"}, {"CZRQ", "DATE"},
	}
}

// manifest describes the files just written.
func (g *generator) manifest() *Manifest {
	names := func(fs []dbfField) []string {
		out := make([]string, len(fs))
		for i, f := range fs {
			out[i] = f.Name
		}
		return out
	}
	var idle []string
	for _, c := range idleColumns() {
		idle = append(idle, c.Name)
	}
	parcelFlaws := g.flaws
	m := &Manifest{
		District: districtName,
		Code:     districtCode,
		Scale:    g.opt.Scale,
		Seed:     g.opt.Seed,
		BBox:     [4]float64{g.bbox.Min[0], g.bbox.Min[1], g.bbox.Max[0], g.bbox.Max[1]},
		Layers: []Layer{
			{
				Name: "boundaries", Kind: land.Boundaries, Format: "geojson", Files: []string{"boundaries.geojson"},
				TextEncoding: "UTF-8", EncodingFrom: "RFC 7946", SourceSRID: 4326, SRIDFrom: "RFC 7946 lon/lat (no crs member: EPSG:4326, stored as CGCS2000)",
				Fields: []string{"JDMC", "JDDM", "JB", "SSQX"}, Features: g.counts["boundaries"],
			},
			{
				Name: "parcels", Kind: land.Parcels, Format: "shapefile",
				Files:        []string{"parcels.shp", "parcels.shx", "parcels.dbf", "parcels.prj", "parcels.cpg"},
				TextEncoding: "GBK", EncodingFrom: ".cpg", SourceSRID: zoneSRID, SRIDFrom: ".prj (Esri WKT, CGCS2000_3_Degree_GK_Zone_38)",
				Fields: names(parcelFields()), Features: g.counts["parcels"], Flaws: parcelFlaws,
			},
			{
				Name: "farmland", Kind: land.Farmland, Format: "shapefile",
				Files:        []string{"farmland.shp", "farmland.shx", "farmland.dbf", "farmland.prj"},
				TextEncoding: "GBK", EncodingFrom: "DBF language driver 0x4D (no .cpg)", SourceSRID: plainSRID, SRIDFrom: ".prj (Esri WKT, CGCS2000_3_Degree_GK_CM_114E)",
				Fields: names(farmlandFields()), Features: g.counts["farmland"],
			},
			{
				Name: "renewal_units", Kind: land.RenewalUnits, Format: "geojson", Files: []string{"renewal_units.geojson"},
				TextEncoding: "UTF-8", EncodingFrom: "RFC 7946", SourceSRID: 4326, SRIDFrom: "RFC 7946 lon/lat (no crs member: EPSG:4326, stored as CGCS2000)",
				Fields: append(append([]string{"DYBH", "DYMC", "GXLB", "GXFX", "JD", "GYMJ"}, renewalMilestoneFields...), renewalPlanFields...), Features: g.counts["renewal_units"],
			},
			{
				Name: "idle_land", Kind: land.IdleLand, Format: "gpkg", Files: []string{"idle_land.gpkg"},
				TextEncoding: "UTF-8", EncodingFrom: "GeoPackage (SQLite text)", SourceSRID: geo.CGCS2000, SRIDFrom: "gpkg_geometry_columns",
				Fields: idle, Features: g.counts["idle_land"],
			},
			{
				Name: "stations", Kind: land.Generic, Format: "geojson", Files: []string{"stations.geojson"},
				TextEncoding: "UTF-8", EncodingFrom: "RFC 7946", SourceSRID: 4326, SRIDFrom: "RFC 7946 lon/lat (no crs member: EPSG:4326, stored as CGCS2000)",
				Fields: []string{"name", "line", "code"}, Features: g.counts["stations"],
			},
		},
		Notes: []string{
			"Every layer describes itself: no --encoding or --srid is needed.",
			"GeoJSON and GeoPackage coordinates are CGCS2000 lon/lat; RFC 7946 names WGS 84, which differs from CGCS2000 by centimetres.",
			"farmland overlaps construction parcels on purpose (construction occupying farmland), and every 150th patch is digitised twice, a few metres off, so some patches overlap each other.",
			"Roads are the gaps between blocks; the river is a row of 河流水面 (1101) parcels.",
		},
	}
	m.Layers = append(m.Layers, g.inspectionLayers()...)
	m.Layers = append(m.Layers, g.rs.layers(g)...)
	for _, f := range parcelFlaws {
		m.Notes = append(m.Notes, fmt.Sprintf("parcels record %d (%s) is broken on purpose: %s", f.Record, f.Code, f.Problem))
	}
	return m
}
