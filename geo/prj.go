package geo

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/paulmach/orb"
)

// The .prj recogniser is written by hand: no pure-Go library maps WKT onto
// EPSG codes (PROJ does, through cgo and its database, and GDAL's Go
// bindings need GDAL at build time). What we need is small: parse WKT1 (the
// Esri and the OGC flavour) and WKT2 into a tree, then name the few systems
// Chinese land data uses — by EPSG authority, by name, and when the name is
// unfamiliar by datum and projection parameters.

// WKT is one node of a parsed well-known-text CRS: KEYWORD[arg, arg, …].
// Arguments are strings, numbers (float64) or nested nodes.
type WKT struct {
	Keyword string
	Args    []any
}

// ParseWKT parses a WKT CRS (WKT1 as Esri or OGC write it, or WKT2).
func ParseWKT(s string) (*WKT, error) {
	p := &wktParser{s: strings.TrimPrefix(strings.TrimSpace(s), "\ufeff")}
	n, err := p.node()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, fmt.Errorf("WKT: unexpected %q after the end at offset %d", p.rest(), p.i)
	}
	return n, nil
}

type wktParser struct {
	s     string
	i     int
	depth int
}

// maxWKTDepth bounds the nesting of WKT nodes (real ones nest six or seven
// deep), so that a crafted .prj of a million brackets is an error rather
// than a million-frame recursion.
const maxWKTDepth = 64

func (p *wktParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *wktParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20] + "…"
	}
	return r
}

func (p *wktParser) node() (*WKT, error) {
	if p.depth++; p.depth > maxWKTDepth {
		return nil, fmt.Errorf("WKT: nested deeper than %d levels at offset %d", maxWKTDepth, p.i)
	}
	defer func() { p.depth-- }()
	p.space()
	start := p.i
	for p.i < len(p.s) && (p.s[p.i] == '_' || unicode.IsLetter(rune(p.s[p.i])) || unicode.IsDigit(rune(p.s[p.i]))) {
		p.i++
	}
	if start == p.i {
		return nil, fmt.Errorf("WKT: expected a keyword at offset %d, found %q", p.i, p.rest())
	}
	n := &WKT{Keyword: strings.ToUpper(p.s[start:p.i])}
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '[' && p.s[p.i] != '(') {
		// A bare keyword such as an axis direction (NORTH, EAST).
		return n, nil
	}
	closer := byte(']')
	if p.s[p.i] == '(' {
		closer = ')'
	}
	p.i++
	for {
		p.space()
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("WKT: %s[ is not closed", n.Keyword)
		}
		switch c := p.s[p.i]; {
		case c == '"':
			end := p.i + 1
			var b strings.Builder
			for {
				k := strings.IndexByte(p.s[end:], '"')
				if k < 0 {
					return nil, fmt.Errorf("WKT: unterminated string at offset %d", p.i)
				}
				b.WriteString(p.s[end : end+k])
				end += k + 1
				if end < len(p.s) && p.s[end] == '"' { // "" is an escaped quote
					b.WriteByte('"')
					end++
					continue
				}
				break
			}
			n.Args = append(n.Args, b.String())
			p.i = end
		case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
			start := p.i
			for p.i < len(p.s) && strings.IndexByte("+-.0123456789eE", p.s[p.i]) >= 0 {
				p.i++
			}
			v, err := strconv.ParseFloat(p.s[start:p.i], 64)
			if err != nil {
				return nil, fmt.Errorf("WKT: bad number %q at offset %d", p.s[start:p.i], start)
			}
			n.Args = append(n.Args, v)
		default:
			child, err := p.node()
			if err != nil {
				return nil, err
			}
			n.Args = append(n.Args, child)
		}
		p.space()
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("WKT: %s[ is not closed", n.Keyword)
		}
		if p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.s[p.i] == closer || p.s[p.i] == ']' || p.s[p.i] == ')' {
			p.i++
			return n, nil
		}
		return nil, fmt.Errorf("WKT: expected , or %c at offset %d, found %q", closer, p.i, p.rest())
	}
}

// Name returns the first argument when it is a string.
func (n *WKT) Name() string {
	if len(n.Args) > 0 {
		if s, ok := n.Args[0].(string); ok {
			return s
		}
	}
	return ""
}

// Child returns the first direct child node with one of the keywords.
func (n *WKT) Child(keywords ...string) *WKT {
	for _, a := range n.Args {
		if c, ok := a.(*WKT); ok {
			for _, k := range keywords {
				if c.Keyword == k {
					return c
				}
			}
		}
	}
	return nil
}

// Number returns the i-th argument as a number.
func (n *WKT) Number(i int) (float64, bool) {
	if n == nil || i >= len(n.Args) {
		return 0, false
	}
	switch v := n.Args[i].(type) {
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

// authority returns the EPSG code of an AUTHORITY["EPSG","n"] or ID["EPSG",n]
// child, or 0.
func (n *WKT) authority() int {
	a := n.Child("AUTHORITY", "ID")
	if a == nil || len(a.Args) < 2 || !strings.EqualFold(a.Name(), "EPSG") {
		return 0
	}
	v, ok := a.Number(1)
	if !ok || v != math.Trunc(v) {
		return 0
	}
	return int(v)
}

// CRSMatch is what RecognisePRJ found: the EPSG code and how.
type CRSMatch struct {
	SRID int
	By   string // "authority", "name" or "parameters"
	Name string // the CRS name written in the file
}

// Geodetic datums tudi knows, by their geographic EPSG code.
type datum struct {
	geog          int
	a, invf       float64
	names         []string // normalised names of the datum, spheroid or GEOGCS
	gk3, gk3cm    int      // first EPSG code of 3° zones 25.. with prefix, and of 3° CM 75E..
	gk6, gk6cm    int      // first EPSG code of 6° zones 13.. with prefix, and of 6° CM 75E..
	display       string
	projectedName []string // normalised prefixes of projected CRS names
}

var datums = []datum{
	{geog: CGCS2000, a: 6378137, invf: 298.257222101, gk3: 4513, gk3cm: 4534, gk6: 4491, gk6cm: 4502, display: "CGCS2000",
		names:         []string{"cgcs2000", "gcscgcs2000", "chinageodeticcoordinatesystem2000", "gcschinageodeticcoordinatesystem2000", "dchina2000", "china2000", "gcschina2000", "dcgcs2000"},
		projectedName: []string{"cgcs2000", "chinageodeticcoordinatesystem2000"}},
	{geog: Xian80, a: 6378140, invf: 298.257, gk3: 2349, gk3cm: 2370, gk6: 2327, gk6cm: 2338, display: "Xian 1980",
		names:         []string{"xian1980", "gcsxian1980", "dxian1980"},
		projectedName: []string{"xian1980"}},
	{geog: Beijing54, a: 6378245, invf: 298.3, gk3: 2401, gk3cm: 2422, gk6: 21413, gk6cm: 21453, display: "Beijing 1954",
		names:         []string{"beijing1954", "gcsbeijing1954", "dbeijing1954"},
		projectedName: []string{"beijing1954"}},
	{geog: WGS84, a: 6378137, invf: 298.257223563, display: "WGS 84",
		names: []string{"wgs84", "wgs1984", "gcswgs1984", "dwgs1984", "worldgeodeticsystem1984"}},
}

// normName lower-cases s and keeps letters and digits only, so that
// "GCS_Xian_1980", "Xian 1980" and "Xi'an 1980" compare equal.
func normName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// RecognisePRJ returns the EPSG code of the CRS a .prj (or any WKT) describes:
// CGCS2000 (4490) and its Gauss-Krüger zones (4491–4554), Xi'an 1980 (4610,
// 2327–2390), Beijing 1954 (4214, 2401–2442, 21413–21423, 21453–21463), WGS 84
// (4326) and Web Mercator (3857). It tries an EPSG authority first, then the
// names ArcGIS and EPSG give these systems, then the datum's ellipsoid and the
// projection's parameters, so an unfamiliar name still maps onto the known
// code; it never invents one. A CRS outside that set is an error naming it.
func RecognisePRJ(wkt string) (CRSMatch, error) {
	root, err := ParseWKT(wkt)
	if err != nil {
		return CRSMatch{}, err
	}
	// WKT2 wraps some CRSs (BOUNDCRS[SOURCECRS[…]]): look inside.
	if root.Keyword == "BOUNDCRS" {
		if s := root.Child("SOURCECRS"); s != nil && len(s.Args) > 0 {
			if c, ok := s.Args[0].(*WKT); ok {
				root = c
			}
		}
	}
	m := CRSMatch{Name: root.Name()}
	switch root.Keyword {
	case "GEOGCS", "GEOGCRS", "GEODCRS", "GEOGRAPHICCRS", "GEODETICCRS":
		return recogniseGeographic(root, m)
	case "PROJCS", "PROJCRS", "PROJECTEDCRS":
		return recogniseProjected(root, m)
	}
	return m, fmt.Errorf("unsupported CRS type %s[%q]", root.Keyword, m.Name)
}

func recogniseGeographic(n *WKT, m CRSMatch) (CRSMatch, error) {
	if code := n.authority(); code != 0 {
		m.SRID, m.By = code, "authority"
		return m, nil
	}
	if d, ok := datumByName(n); ok {
		m.SRID, m.By = d.geog, "name"
		return m, nil
	}
	if d, ok := datumByEllipsoid(n); ok {
		m.SRID, m.By = d.geog, "parameters"
		return m, nil
	}
	return m, fmt.Errorf("unknown geographic CRS %q: only CGCS2000, Xian 1980, Beijing 1954 and WGS 84 are recognised", m.Name)
}

func datumByName(geog *WKT) (datum, bool) {
	cands := []string{normName(geog.Name())}
	if d := geog.Child("DATUM", "GEODETICDATUM", "TRF"); d != nil {
		cands = append(cands, normName(d.Name()))
	}
	for _, c := range cands {
		for _, d := range datums {
			for _, n := range d.names {
				if c == n {
					return d, true
				}
			}
		}
	}
	return datum{}, false
}

func datumByEllipsoid(geog *WKT) (datum, bool) {
	d := geog.Child("DATUM", "GEODETICDATUM", "TRF")
	if d == nil {
		return datum{}, false
	}
	sph := d.Child("SPHEROID", "ELLIPSOID")
	a, ok1 := sph.Number(1)
	invf, ok2 := sph.Number(2)
	if !ok1 || !ok2 {
		return datum{}, false
	}
	for _, d := range datums {
		if math.Abs(a-d.a) < 0.5 && math.Abs(invf-d.invf) < 1e-6 {
			return d, true
		}
	}
	return datum{}, false
}

// geographicOf returns the GEOGCS (or WKT2 base CRS) of a projected CRS.
func geographicOf(n *WKT) *WKT {
	return n.Child("GEOGCS", "BASEGEOGCRS", "BASEGEODCRS", "GEOGCRS")
}

func recogniseProjected(n *WKT, m CRSMatch) (CRSMatch, error) {
	if code := n.authority(); code != 0 {
		m.SRID, m.By = code, "authority"
		return m, nil
	}
	name := normName(m.Name)
	if name == "wgs84pseudomercator" || name == "wgs1984webmercatorauxiliarysphere" || name == "wgs1984webmercator" ||
		name == "popularvisualisationcrsmercator" || name == "googlemapsglobalmercator" {
		m.SRID, m.By = WebMercator, "name"
		return m, nil
	}
	if code, ok := gkByName(name); ok {
		m.SRID, m.By = code, "name"
		return m, nil
	}
	code, err := projectedByParameters(n)
	if err != nil {
		return m, fmt.Errorf("projected CRS %q: %w", m.Name, err)
	}
	m.SRID, m.By = code, "parameters"
	return m, nil
}

// gkByName reads the names ArcGIS and EPSG give Gauss-Krüger zones, once
// normalised: cgcs20003degreegkzone38 (Esri), cgcs20003degreegausskrugerzone38
// (EPSG), …gkcm114e / …gausskrugercm114e, and the 6° forms without "3degree".
func gkByName(name string) (int, bool) {
	for _, d := range datums {
		if d.gk3 == 0 {
			continue
		}
		for _, prefix := range d.projectedName {
			rest, ok := strings.CutPrefix(name, prefix)
			if !ok {
				continue
			}
			width := 6
			if r, ok := strings.CutPrefix(rest, "3degree"); ok {
				width, rest = 3, r
			} else if r, ok := strings.CutPrefix(rest, "6degree"); ok {
				rest = r
			}
			for _, gk := range []string{"gausskruger", "gausskrueger", "gk"} {
				r, ok := strings.CutPrefix(rest, gk)
				if !ok {
					continue
				}
				if z, ok := strings.CutPrefix(r, "zone"); ok {
					zone, err := strconv.Atoi(z)
					if err != nil {
						return 0, false
					}
					return d.zoneCode(width, zone)
				}
				if c, ok := strings.CutPrefix(r, "cm"); ok {
					cm, err := strconv.Atoi(strings.TrimSuffix(c, "e"))
					if err != nil {
						return 0, false
					}
					return d.cmCode(width, cm)
				}
			}
		}
	}
	return 0, false
}

// zoneCode returns the EPSG code of a zone numbered with the prefix.
func (d datum) zoneCode(width, zone int) (int, bool) {
	switch {
	case width == 3 && zone >= 25 && zone <= 45:
		return d.gk3 + zone - 25, true
	case width == 6 && zone >= 13 && zone <= 23:
		return d.gk6 + zone - 13, true
	}
	return 0, false
}

// cmCode returns the EPSG code of a zone without the prefix, by its central
// meridian.
func (d datum) cmCode(width, cm int) (int, bool) {
	switch {
	case width == 3 && cm >= 75 && cm <= 135 && cm%3 == 0:
		return d.gk3cm + (cm-75)/3, true
	case width == 6 && cm >= 75 && cm <= 135 && (cm-75)%6 == 0:
		return d.gk6cm + (cm-75)/6, true
	}
	return 0, false
}

// projectedByParameters recognises a transverse Mercator (Gauss-Krüger) zone
// or Web Mercator from the projection, its parameters, the datum and the
// unit.
func projectedByParameters(n *WKT) (int, error) {
	params := map[string]float64{}
	method := ""
	if p := n.Child("PROJECTION", "METHOD"); p != nil {
		method = normName(p.Name())
	}
	conv := n
	if c := n.Child("CONVERSION"); c != nil { // WKT2
		conv = c
		if p := c.Child("METHOD"); p != nil {
			method = normName(p.Name())
		}
	}
	for _, a := range conv.Args {
		if c, ok := a.(*WKT); ok && (c.Keyword == "PARAMETER") {
			if v, ok := c.Number(1); ok {
				params[normName(c.Name())] = v
			}
		}
	}
	if u := n.Child("UNIT", "LENGTHUNIT"); u != nil {
		if f, ok := u.Number(1); ok && math.Abs(f-1) > 1e-9 {
			return 0, fmt.Errorf("unit %q is not the metre", u.Name())
		}
	}
	get := func(names ...string) (float64, bool) {
		for _, k := range names {
			if v, ok := params[k]; ok {
				return v, true
			}
		}
		return 0, false
	}
	geog := geographicOf(n)
	if geog == nil {
		return 0, fmt.Errorf("no geographic CRS inside")
	}
	d, ok := datumByName(geog)
	if !ok {
		if d, ok = datumByEllipsoid(geog); !ok {
			return 0, fmt.Errorf("unknown datum %q", geog.Name())
		}
	}
	switch {
	case strings.Contains(method, "mercatorauxiliarysphere") || strings.Contains(method, "pseudomercator") ||
		strings.Contains(method, "popularvisualisation"):
		return WebMercator, nil
	case (method == "mercator1sp" || method == "mercator") && d.geog == WGS84 && sphericalExtension(n):
		// GDAL writes EPSG:3857 as Mercator_1SP on WGS 84 plus a PROJ
		// extension that makes the ellipsoid a sphere; without that
		// extension it would be the ellipsoidal World Mercator (3395).
		return WebMercator, nil
	case strings.Contains(method, "transversemercator") || strings.Contains(method, "gausskruger") || strings.Contains(method, "gausskrueger"):
	default:
		return 0, fmt.Errorf("projection %q is not Gauss-Krüger", method)
	}
	if d.gk3 == 0 {
		return 0, fmt.Errorf("transverse Mercator on %s is not a Gauss-Krüger zone tudi knows", d.display)
	}
	cm, ok := get("centralmeridian", "longitudeofnaturalorigin", "longitudeoforigin")
	if !ok || cm != math.Trunc(cm) {
		return 0, fmt.Errorf("no whole-degree central meridian")
	}
	fe, _ := get("falseeasting")
	fn, _ := get("falsenorthing")
	k, ok := get("scalefactor", "scalefactoratnaturalorigin")
	if !ok {
		k = 1
	}
	lat0, _ := get("latitudeoforigin", "latitudeofnaturalorigin")
	if math.Abs(k-1) > 1e-9 || fn != 0 || lat0 != 0 {
		return 0, fmt.Errorf("scale factor %v, false northing %v, latitude of origin %v are not those of a Gauss-Krüger zone", k, fn, lat0)
	}
	c := int(cm)
	switch {
	case fe == 500000:
		// Without the zone prefix a central meridian such as 117°E belongs to
		// both a 3° and a 6° zone. Cadastral and planning data use 3° zones
		// (1:500–1:10 000 maps), so 3° wins where both exist.
		if code, ok := d.cmCode(3, c); ok {
			return code, nil
		}
		if code, ok := d.cmCode(6, c); ok {
			return code, nil
		}
	case fe > 1e6 && math.Mod(fe, 1e6) == 500000:
		zone := int(fe / 1e6)
		if zone*3 == c {
			if code, ok := d.zoneCode(3, zone); ok {
				return code, nil
			}
		}
		if zone*6-3 == c {
			if code, ok := d.zoneCode(6, zone); ok {
				return code, nil
			}
		}
	}
	return 0, fmt.Errorf("central meridian %v°E with false easting %v is not a Gauss-Krüger zone of %s", cm, fe, d.display)
}

// sphericalExtension reports whether n has GDAL's EXTENSION["PROJ4", …]
// with the sphere of radius 6378137 m that Web Mercator uses.
func sphericalExtension(n *WKT) bool {
	e := n.Child("EXTENSION")
	if e == nil || len(e.Args) < 2 {
		return false
	}
	s, _ := e.Args[1].(string)
	return strings.Contains(s, "+a=6378137") && strings.Contains(s, "+b=6378137")
}

// GuessSRID guesses the CRS of coordinates without a .prj from their extent:
// degrees within China's longitudes and latitudes are CGCS2000 (4490); an
// easting whose millions give a 3° zone number (25–45) consistent with a
// Gauss-Krüger northing is that CGCS2000 3° zone with the prefix (4513–4533),
// and likewise for 6° zones 16–23 (4494–4501). Anything else — notably
// eastings without the zone prefix, whose zone cannot be known — is an
// error asking for the SRID. why says what the guess was based on.
func GuessSRID(b orb.Bound) (srid int, why string, err error) {
	minx, miny, maxx, maxy := b.Min[0], b.Min[1], b.Max[0], b.Max[1]
	switch {
	case minx >= 60 && maxx <= 150 && miny >= 0 && maxy <= 60:
		return CGCS2000, fmt.Sprintf("coordinates %.4f..%.4f, %.4f..%.4f look like degrees in China: assumed CGCS2000 (EPSG:4490)", minx, maxx, miny, maxy), nil
	case miny < 1e6 || maxy > 7e6:
		// Not a Gauss-Krüger northing for China (18°N–54°N ≈ 2 000 000–6 000 000 m).
	case math.Floor(minx/1e6) == math.Floor(maxx/1e6):
		zone := int(minx / 1e6)
		off := minx - float64(zone)*1e6
		if off < 0 || maxx-float64(zone)*1e6 > 1e6 {
			break
		}
		if zone >= 25 && zone <= 45 {
			srid := 4513 + zone - 25
			return srid, fmt.Sprintf("eastings %.0f..%.0f carry 3° zone number %d: assumed CGCS2000 3-degree Gauss-Kruger zone %d (EPSG:%d)", minx, maxx, zone, zone, srid), nil
		}
		// 6° zones 13–15 overlap Web Mercator eastings of eastern China, so
		// only 16–23 are guessed.
		if zone >= 16 && zone <= 23 {
			srid := 4491 + zone - 13
			return srid, fmt.Sprintf("eastings %.0f..%.0f carry 6° zone number %d: assumed CGCS2000 Gauss-Kruger zone %d (EPSG:%d)", minx, maxx, zone, zone, srid), nil
		}
	}
	return 0, "", fmt.Errorf("cannot guess the coordinate system from the extent %.3f,%.3f,%.3f,%.3f (a Gauss-Krüger easting without the zone number, or an unknown system): give the SRID (for example 4547 for CGCS2000 3° CM 114E)", minx, miny, maxx, maxy)
}
