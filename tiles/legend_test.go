package tiles

import (
	"strings"
	"testing"
	"testing/fstest"

	"tudi/land"
)

// The legend is the catalogue's: every class is a value of the field the
// kind's style colours by, with the value's colour.
func TestLegendsComeFromTheCatalogue(t *testing.T) {
	t.Parallel()
	for _, l := range Legends() {
		t.Run(string(l.Kind), func(t *testing.T) {
			s := l.Kind.Spec()
			if l.Name != s.Title || l.Outline != s.Style.Outline || l.Other != s.Style.Other || l.Field != s.Style.Field {
				t.Fatalf("legend %+v does not follow the catalogue's style %+v", l, s.Style)
			}
			f, _ := s.Field(l.Field)
			if len(l.Classes) != len(f.Values) {
				t.Fatalf("%d classes, the catalogue has %d values", len(l.Classes), len(f.Values))
			}
			for i, c := range l.Classes {
				if v := f.Values[i]; c.Value != v.Value || c.Color != v.Color || c.Name != v.Title || c.Level != v.Level {
					t.Errorf("class %+v, catalogue value %+v", c, v)
				}
			}
		})
	}
	t.Run("cropland keeps the server's colour", func(t *testing.T) {
		l := kindLegend(land.Parcels)
		for _, c := range l.Classes {
			if c.Value == "01" && c.Color != "#ffff64" {
				t.Fatalf("01 = %s", c.Color)
			}
		}
	})
}

// A kind added by a catalogue directory gets its legend after the canonical
// ones, and a replaced kind takes its new colours.
func TestLegendsOfACatalogueDirectory(t *testing.T) {
	t.Parallel()
	generic := `kind: generic
title: 图层
title_en: Layer
fields:
  - {name: name, type: text, title: 名称, title_en: Name, presets: [NAME]}
style:
  fill: "#010203"
  outline: "#040506"
  other: "#010203"
`
	permits := strings.Replace(generic, "kind: generic", "kind: works_permits", 1)
	fsys := fstest.MapFS{"c/generic.yaml": {Data: []byte(generic)}, "c/permits.yaml": {Data: []byte(permits)}}
	cat, err := land.DefaultCatalog().Overlay(fsys, "c", "c")
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{cfg: Config{Kinds: cat}}
	ls := s.legends()
	if last := ls[len(ls)-1]; last.Kind != "works_permits" || last.Fill != "#010203" {
		t.Fatalf("last legend = %+v", last)
	}
	if g := s.legendOf(land.Generic); g.Outline != "#040506" {
		t.Fatalf("generic = %+v", g)
	}
	if lg := styleLayers(&land.Layer{Name: "p", Kind: "permits", GeomType: "MultiPolygon"}, s.legendOf("permits")); len(lg) == 0 {
		t.Fatal("no style layers for an added kind")
	}
}

// Lines of a kind coloured by class are drawn in their class's colour (the
// back lanes among 三改 projects), as the legend shows them; lines of a kind
// without classes keep the outline colour.
func TestLinesTakeTheirClassColour(t *testing.T) {
	t.Parallel()
	s := &Service{cfg: Config{Kinds: land.DefaultCatalog()}}
	lineOf := func(k land.Kind) map[string]any {
		for _, l := range styleLayers(&land.Layer{Name: "x", Kind: k, GeomType: "Geometry"}, s.legendOf(k)) {
			if l["id"] == "x-line" {
				return l["paint"].(map[string]any)
			}
		}
		t.Fatalf("%s: no line layer", k)
		return nil
	}
	lg := s.legendOf(land.Renovation)
	if lg.Field == "" || len(lg.Classes) == 0 {
		t.Fatalf("renovation has no classes: %+v", lg)
	}
	expr, ok := lineOf(land.Renovation)["line-color"].([]any)
	if !ok || expr[0] != "match" {
		t.Fatalf("renovation lines: %v", lineOf(land.Renovation)["line-color"])
	}
	found := false
	for _, c := range lg.Classes {
		for _, v := range expr {
			found = found || v == c.Color
		}
	}
	if !found {
		t.Fatalf("no class colour in %v", expr)
	}
	if got := lineOf(land.Boundaries)["line-color"]; got != s.legendOf(land.Boundaries).Outline {
		t.Fatalf("boundary lines: %v", got)
	}
}
