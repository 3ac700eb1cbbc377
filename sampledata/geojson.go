package sampledata

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/paulmach/orb"
)

// prop is one property of a GeoJSON feature; properties keep their order so
// that the output is the same bytes every run.
type prop struct {
	Key   string
	Value any // string, float64, int, or nil for null
}

// geojsonWriter streams an RFC 7946 FeatureCollection, one feature per line.
// orb/geojson would need the whole collection in memory (or a map per
// feature, with random key order), so features are written by hand.
type geojsonWriter struct {
	f   *os.File
	w   *bufio.Writer
	n   int
	buf []byte
}

func newGeoJSONWriter(path, name string) (*geojsonWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create geojson: %w", err)
	}
	w := &geojsonWriter{f: f, w: bufio.NewWriterSize(f, 1<<16)}
	w.w.WriteString(`{"type":"FeatureCollection","name":` + strconv.Quote(name) + `,"features":[` + "\n")
	return w, nil
}

// Write appends a feature whose geometry is a lon/lat orb.Point or
// orb.Polygon (exterior ring counter-clockwise, as RFC 7946 asks).
func (w *geojsonWriter) Write(g orb.Geometry, props []prop) error {
	b := w.buf[:0]
	if w.n > 0 {
		b = append(b, ",\n"...)
	}
	w.n++
	b = append(b, `{"type":"Feature","geometry":`...)
	switch g := g.(type) {
	case orb.Point:
		b = append(b, `{"type":"Point","coordinates":`...)
		b = appendLonLat(b, g)
		b = append(b, '}')
	case orb.Polygon:
		b = append(b, `{"type":"Polygon","coordinates":[`...)
		for i, r := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			for j, p := range r {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendLonLat(b, p)
			}
			b = append(b, ']')
		}
		b = append(b, "]}"...)
	case orb.LineString:
		b = append(b, `{"type":"LineString","coordinates":[`...)
		for j, p := range g {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendLonLat(b, p)
		}
		b = append(b, "]}"...)
	default:
		return fmt.Errorf("geojson: unsupported geometry %T", g)
	}
	b = append(b, `,"properties":{`...)
	for i, p := range props {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, p.Key)
		b = append(b, ':')
		switch v := p.Value.(type) {
		case nil:
			b = append(b, "null"...)
		case string:
			s, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("geojson property %s: %w", p.Key, err)
			}
			b = append(b, s...)
		case float64:
			b = strconv.AppendFloat(b, v, 'f', -1, 64)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		default:
			return fmt.Errorf("geojson property %s: unsupported value %T", p.Key, v)
		}
	}
	b = append(b, "}}"...)
	w.buf = b
	_, err := w.w.Write(b)
	return err
}

// appendLonLat appends [lon,lat] with 8 decimals (about a millimetre), so
// that neighbouring polygons keep their shared vertices.
func appendLonLat(b []byte, p orb.Point) []byte {
	b = append(b, '[')
	b = strconv.AppendFloat(b, p[0], 'f', 8, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p[1], 'f', 8, 64)
	return append(b, ']')
}

// Close ends the collection and closes the file.
func (w *geojsonWriter) Close() error {
	w.w.WriteString("\n]}\n")
	err := errors.Join(w.w.Flush(), w.f.Close())
	if err != nil {
		return fmt.Errorf("write geojson %s: %w", w.f.Name(), err)
	}
	return nil
}
