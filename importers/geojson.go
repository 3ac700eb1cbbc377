package importers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb/geojson"

	"tudi/land"
)

// geojsonSource streams a FeatureCollection, or newline-delimited features
// (GeoJSONSeq, with or without RS separators), one feature at a time with
// encoding/json's token reader: a 1 GB file needs the memory of one
// feature, not of the file.
type geojsonSource struct {
	name    string
	f       io.ReadCloser
	dec     *json.Decoder
	seq     bool // newline-delimited: top-level features follow each other
	n       int64
	feat    feature
	keys    []string
	values  []any
	pending *rawFeature // a feature read while settling the CRS
	done    bool
}

type rawFeature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

// rsFilter drops the RS (0x1E) record separators of RFC 8142 GeoJSON text
// sequences, which encoding/json does not accept.
type rsFilter struct{ r io.Reader }

func (f rsFilter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	return copy(p, bytes.ReplaceAll(p[:n], []byte{0x1E}, []byte{' '})), err
}

// epsgURN matches the EPSG code at the end of a crs name: EPSG:4490,
// urn:ogc:def:crs:EPSG::4490, urn:ogc:def:crs:EPSG:6.6:4490,
// http://www.opengis.net/def/crs/EPSG/0/4490.
var epsgURN = regexp.MustCompile(`(?i)EPSG(?::[\d.]*:|:|/[\d.]+/|/)(\d+)$`)

func openGeoJSON(path string, req Request, info *sourceInfo) (*geojsonSource, error) {
	name := filepath.Base(path)
	info.Format, info.File = "geojson", name
	info.Encoding, info.EncodingSource = "UTF-8", "geojson"
	f, err := os.Open(path)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: %w", name, err)
	}
	return newGeoJSON(f, name, req, info)
}

// newGeoJSON reads the GeoJSON in f (named name in messages) up to its
// first feature; f is closed on error.
func newGeoJSON(f io.ReadCloser, name string, req Request, info *sourceInfo) (*geojsonSource, error) {
	s := &geojsonSource{name: name, f: f}
	s.dec = json.NewDecoder(rsFilter{bufio.NewReaderSize(f, 1<<20)})
	s.dec.UseNumber()
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	crs, crsName, err := s.start()
	if err != nil {
		return nil, err
	}
	switch {
	case req.SRID != 0:
		info.SRID, info.SRIDSource = req.SRID, "flag"
	case crs != 0:
		info.SRID, info.SRIDSource = crs, "geojson crs member"
	case crsName != "":
		return nil, land.Errorf(land.Invalid, "%s: the crs member %s names no EPSG code (want e.g. \"urn:ogc:def:crs:EPSG::4490\"): give --srid", name, crsName)
	}
	ok = true
	return s, nil
}

func (s *geojsonSource) syntaxError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return land.Errorf(land.Invalid, "%s: feature %d: JSON syntax error at byte %d: %v", s.name, s.n+1, se.Offset, se)
	case errors.As(err, &te):
		return land.Errorf(land.Invalid, "%s: feature %d: %v at byte %d", s.name, s.n+1, te, te.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return land.Errorf(land.Invalid, "%s: feature %d: the file ends in the middle of the JSON (truncated)", s.name, s.n+1)
	}
	return land.Errorf(land.Invalid, "%s: feature %d: %v", s.name, s.n+1, err)
}

// start reads up to the first feature: through the collection's members
// before "features" (picking up a "crs"), or detects a feature sequence.
// It returns the EPSG code of a crs member, if any, and the member as
// written when it has one (to name a crs it could not read).
func (s *geojsonSource) start() (crs int, crsName string, _ error) {
	tok, err := s.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return 0, "", land.Errorf(land.Invalid, "%s: the file is empty", s.name)
		}
		return 0, "", s.syntaxError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return 0, "", land.Errorf(land.Invalid, "%s: not GeoJSON (it does not start with an object)", s.name)
	}
	var typ string
	for s.dec.More() {
		kt, err := s.dec.Token()
		if err != nil {
			return 0, "", s.syntaxError(err)
		}
		key, _ := kt.(string)
		switch key {
		case "type":
			if err := s.dec.Decode(&typ); err != nil {
				return 0, "", s.syntaxError(err)
			}
			if typ == "Feature" {
				// A sequence of features: read the rest of this one here.
				return 0, "", s.firstOfSequence()
			}
		case "crs":
			var raw json.RawMessage
			if err := s.dec.Decode(&raw); err != nil {
				return 0, "", s.syntaxError(err)
			}
			crs, crsName = parseCRSMember(raw)
		case "features":
			t, err := s.dec.Token()
			if err != nil {
				return 0, "", s.syntaxError(err)
			}
			if d, ok := t.(json.Delim); !ok || d != '[' {
				return 0, "", land.Errorf(land.Invalid, "%s: \"features\" is not an array", s.name)
			}
			return crs, crsName, nil
		default:
			var skip json.RawMessage
			if err := s.dec.Decode(&skip); err != nil {
				return 0, "", s.syntaxError(err)
			}
		}
	}
	if typ != "" && typ != "FeatureCollection" {
		return 0, "", land.Errorf(land.Invalid, "%s: a GeoJSON %s is not a layer (want a FeatureCollection or features)", s.name, typ)
	}
	return 0, "", land.Errorf(land.Invalid, "%s: no \"features\" array", s.name)
}

// firstOfSequence finishes reading the first feature of a sequence, whose
// "type" member was just consumed.
func (s *geojsonSource) firstOfSequence() error {
	s.seq = true
	rf := &rawFeature{Type: "Feature"}
	for s.dec.More() {
		kt, err := s.dec.Token()
		if err != nil {
			return s.syntaxError(err)
		}
		var raw json.RawMessage
		if err := s.dec.Decode(&raw); err != nil {
			return s.syntaxError(err)
		}
		switch kt {
		case "geometry":
			rf.Geometry = raw
		case "properties":
			rf.Properties = raw
		}
	}
	if _, err := s.dec.Token(); err != nil { // the closing }
		return s.syntaxError(err)
	}
	s.pending = rf
	return nil
}

// Next decodes the next feature.
func (s *geojsonSource) Next() (*feature, error) {
	if s.done {
		return nil, io.EOF
	}
	var rf *rawFeature
	switch {
	case s.pending != nil:
		rf, s.pending = s.pending, nil
	case s.seq:
		rf = &rawFeature{}
		if err := s.dec.Decode(rf); err != nil {
			if errors.Is(err, io.EOF) {
				s.done = true
				return nil, io.EOF
			}
			return nil, s.syntaxError(err)
		}
	default:
		if !s.dec.More() {
			if _, err := s.dec.Token(); err != nil { // the closing ]
				return nil, s.syntaxError(err)
			}
			if err := s.finish(); err != nil {
				return nil, err
			}
			s.done = true
			return nil, io.EOF
		}
		rf = &rawFeature{}
		if err := s.dec.Decode(rf); err != nil {
			return nil, s.syntaxError(err)
		}
	}
	s.n++
	if rf.Type != "Feature" {
		return nil, land.Errorf(land.Invalid, "%s: feature %d has type %q, not \"Feature\"", s.name, s.n, rf.Type)
	}
	f := &s.feat
	f.Num, f.Geom, f.Problems = s.n, nil, f.Problems[:0]
	if len(rf.Geometry) > 0 && !bytes.Equal(rf.Geometry, []byte("null")) {
		g, err := geojson.UnmarshalGeometry(rf.Geometry)
		if err != nil {
			return nil, land.Errorf(land.Invalid, "%s: feature %d: bad geometry: %v", s.name, s.n, err)
		}
		f.Geom = g.Geometry()
	}
	s.keys, s.values = s.keys[:0], s.values[:0]
	if len(rf.Properties) > 0 && !bytes.Equal(rf.Properties, []byte("null")) {
		if err := s.properties(rf.Properties); err != nil {
			return nil, err
		}
	}
	f.Keys, f.Values = s.keys, s.values
	return f, nil
}

// finish reads what follows the features array: the collection's other
// members, its closing brace, then nothing but white space. Trailing data
// (a second document, a cut-and-paste accident) is an error rather than
// silently ignored.
func (s *geojsonSource) finish() error {
	for s.dec.More() {
		if _, err := s.dec.Token(); err != nil { // a member name
			return s.syntaxError(err)
		}
		var skip json.RawMessage
		if err := s.dec.Decode(&skip); err != nil {
			return s.syntaxError(err)
		}
	}
	t, err := s.dec.Token()
	if errors.Is(err, io.EOF) {
		return land.Errorf(land.Invalid, "%s: the file ends before the FeatureCollection's closing } (truncated)", s.name)
	}
	if err != nil {
		return land.Errorf(land.Invalid, "%s: after the features: %v", s.name, err)
	}
	if d, ok := t.(json.Delim); !ok || d != '}' {
		return land.Errorf(land.Invalid, "%s: after the features: unexpected %v", s.name, t)
	}
	off := s.dec.InputOffset()
	if _, err := s.dec.Token(); !errors.Is(err, io.EOF) {
		return land.Errorf(land.Invalid, "%s: unexpected data after the end of the GeoJSON document (byte %d): one file holds one FeatureCollection", s.name, off)
	}
	return nil
}

// properties decodes an object's members in order, numbers as int64 when
// whole and float64 otherwise, nested values as JSON.
func (s *geojsonSource) properties(raw json.RawMessage) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	t, err := d.Token()
	if err != nil {
		return s.syntaxError(err)
	}
	if dl, ok := t.(json.Delim); !ok || dl != '{' {
		return land.Errorf(land.Invalid, "%s: feature %d: \"properties\" is not an object", s.name, s.n)
	}
	for d.More() {
		kt, err := d.Token()
		if err != nil {
			return s.syntaxError(err)
		}
		var v any
		if err := d.Decode(&v); err != nil {
			return s.syntaxError(err)
		}
		key := kt.(string)
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				v = i
			} else if x, err := n.Float64(); err == nil {
				v = x
			} else {
				v = n.String()
			}
		}
		if i := slices.Index(s.keys, key); i >= 0 { // a duplicate key: the last one wins, as in JSON objects
			s.values[i] = v
			continue
		}
		s.keys = append(s.keys, key)
		s.values = append(s.values, v)
	}
	return nil
}

// parseCRSMember reads a GeoJSON 2008 crs member: a named crs (an EPSG URN
// or OGC CRS84), or the older {"type": "EPSG", "properties": {"code": N}}.
// It returns the EPSG code (0 when none can be read) and the member as
// written, for messages; null means the default, as no member.
func parseCRSMember(raw json.RawMessage) (int, string) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return 0, ""
	}
	var c struct {
		Type       string `json:"type"`
		Properties struct {
			Name string          `json:"name"`
			Code json.RawMessage `json:"code"`
		} `json:"properties"`
	}
	shown := string(raw)
	if len(shown) > 200 {
		shown = shown[:200] + "…"
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return 0, shown
	}
	name := strings.TrimSpace(c.Properties.Name)
	if m := epsgURN.FindStringSubmatch(name); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			return n, shown
		}
	}
	if strings.HasSuffix(strings.ToUpper(name), "CRS84") {
		return WGS84, shown
	}
	if strings.EqualFold(c.Type, "EPSG") && len(c.Properties.Code) > 0 {
		if n, err := strconv.Atoi(strings.Trim(string(c.Properties.Code), `"`)); err == nil && n > 0 {
			return n, shown
		}
	}
	return 0, shown
}

// Close closes the file.
func (s *geojsonSource) Close() error { return s.f.Close() }
