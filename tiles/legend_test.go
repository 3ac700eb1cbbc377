package tiles

import (
	"testing"

	"tudi/land"
)

// The legend is the catalogue's: every class is a value of the field the
// kind's style colours by, with the value's colour.
func TestLegendsComeFromTheCatalogue(t *testing.T) {
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
