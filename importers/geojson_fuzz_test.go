package importers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"tudi/land"
)

// readAllGeoJSON reads every feature of b; it returns the count, whether
// the input was a feature sequence, and the error that stopped it (nil at
// the clean end).
func readAllGeoJSON(b []byte) (n int, seq bool, err error) {
	s, err := newGeoJSON(io.NopCloser(bytes.NewReader(b)), "f.geojson", Request{}, &sourceInfo{})
	if err != nil {
		return 0, false, err
	}
	defer s.Close()
	for {
		feat, err := s.Next()
		if errors.Is(err, io.EOF) {
			return n, s.seq, nil
		}
		if err != nil {
			return n, s.seq, err
		}
		if len(feat.Keys) != len(feat.Values) {
			panic("keys and values differ in length")
		}
		n++
	}
}

// FuzzGeoJSON reads a FeatureCollection or a feature sequence to its end.
// A collection read without error must be one valid JSON document.
func FuzzGeoJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		_, seq, err := readAllGeoJSON(b)
		if err != nil {
			if land.KindOf(err) != land.Invalid {
				t.Fatalf("error of kind %v: %v", land.KindOf(err), err)
			}
			return
		}
		if !seq && !json.Valid(bytes.ReplaceAll(b, []byte{0x1E}, []byte{' '})) {
			t.Fatalf("accepted a FeatureCollection that is not one JSON document")
		}
	})
}

func TestGeoJSONTrailingDataIsRefused(t *testing.T) {
	t.Parallel()
	const doc = `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[113.3,23.1]},"properties":{"a":1}}]`
	for _, c := range []struct {
		name, text, want string
	}{
		{"a second document after the collection", doc + "}\n" + doc + "}", "after the end"},
		{"garbage after the collection", doc + "} xyz", "after the end"},
		{"a stray bracket after the collection", doc + "}]", "after the end"},
		{"no closing brace", doc, "truncated"},
		{"garbage in place of the closing brace", doc + " 12", "syntax error"},
		{"a bracket in place of the closing brace", doc + "]", "after the features"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, _, err := readAllGeoJSON([]byte(c.text))
			if err == nil || land.KindOf(err) != land.Invalid || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "f.geojson") {
				t.Fatalf("read %d features, error %v; want an invalid-input error saying %q", n, err, c.want)
			}
		})
	}
	t.Run("members after the features and white space are fine", func(t *testing.T) {
		n, _, err := readAllGeoJSON([]byte(doc + `,"bbox":[1,2,3,4],"name":"x"}` + "\n\n"))
		if err != nil || n != 1 {
			t.Fatalf("read %d features, error %v", n, err)
		}
	})
}

func writeGeoJSONSeeds(t *testing.T) {
	dir, _ := MustSample(t)
	for _, layer := range []string{"boundaries", "renewal_units", "stations"} {
		lines := strings.Split(string(mustRead(t, filepath.Join(dir, layer+".geojson"))), "\n")
		var feats []string
		for _, l := range lines[1:min(len(lines), 4)] {
			feats = append(feats, strings.TrimSuffix(l, ","))
		}
		writeSeed(t, "FuzzGeoJSON", "sample-"+layer, []byte(lines[0]+"\n"+strings.Join(feats, ",\n")+"\n]}\n"))
		if layer == "stations" {
			writeSeed(t, "FuzzGeoJSON", "sequence", []byte(strings.Join(feats, "\n")))
			writeSeed(t, "FuzzGeoJSON", "rs-sequence", []byte("\x1e"+strings.Join(feats, "\n\x1e")+"\n"))
		}
	}
	const pt = `{"type":"Feature","geometry":{"type":"Point","coordinates":[113.3,23.1]},"properties":{"a":1}}`
	for name, text := range map[string]string{
		"crs":              `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4526"}},"features":[` + pt + `]}`,
		"crs84":            `{"crs":{"properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[]}`,
		"properties":       `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"a":1,"a":2.5,"b":"文字","c":[1,{"d":null}],"e":true,"f":123456789012345678901234567890}}]}`,
		"geometries":       `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]],[[0.1,0.1],[0.2,0.1],[0.2,0.2],[0.1,0.1]]]]},"properties":null},{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[{"type":"LineString","coordinates":[[0,0],[1,1]]}]},"properties":{}}]}`,
		"bad-trailing":     `{"type":"FeatureCollection","features":[` + pt + `]} {"x":1}`,
		"bad-truncated":    `{"type":"FeatureCollection","features":[` + pt[:40],
		"bad-not-object":   `[` + pt + `]`,
		"bad-geometry":     `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[1]]]}}]}`,
		"bad-type":         `{"type":"Point","coordinates":[1,2]}`,
		"bad-features":     `{"type":"FeatureCollection","features":{"a":1}}`,
		"bad-feature-type": `{"features":[{"type":"Point","coordinates":[1,2]}]}`,
	} {
		writeSeed(t, "FuzzGeoJSON", name, []byte(text))
	}
}
