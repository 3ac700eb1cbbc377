package importers

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/encoding/wkt"

	"tudi/geo"
	"tudi/land"
	"tudi/postgis"
)

// ledgerGeom makes the geometry of a ledger row: a point from lon/lat
// columns, a WKT column, or the feature of another layer with the row's
// code.
type ledgerGeom struct {
	lon, lat, wkt, code int            // key indexes, -1 when unused
	joined              []orb.Geometry // per data row, for a join
}

// Header names that hold coordinates, compared without regard to case and
// to a unit in brackets.
var (
	lonHeaders = []string{"经度", "东经", "lon", "lng", "long", "longitude", "x", "x坐标", "横坐标", "坐标x"}
	latHeaders = []string{"纬度", "北纬", "lat", "latitude", "y", "y坐标", "纵坐标", "坐标y"}
)

func (l *ledger) keyIndex(name string) int {
	for j, k := range l.keys {
		if strings.EqualFold(k, name) {
			return j
		}
	}
	for j, k := range l.keys {
		if strings.EqualFold(stripUnitSuffix(k), name) {
			return j
		}
	}
	return -1
}

func (l *ledger) needKey(flag, name string) (int, error) {
	j := l.keyIndex(name)
	if j < 0 {
		return -1, land.Errorf(land.Invalid, "%s %s: %s has no column %q (its columns: %s)", flag, name, l.file, name, strings.Join(l.keys, ", ")).WithDetail(map[string]any{"columns": l.keys})
	}
	return j, nil
}

// ledgerGeometry settles where the rows' geometry comes from; nil means
// none.
func (im *Importer) ledgerGeometry(ctx context.Context, l *ledger, req Request, info *sourceInfo) (*ledgerGeom, error) {
	o := req.Ledger
	g := &ledgerGeom{lon: -1, lat: -1, wkt: -1, code: -1}
	n := 0
	for _, s := range []string{o.Lon + o.Lat, o.WKT, o.GeometryFrom} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return nil, land.Errorf(land.Invalid, "give one source of geometry: --lon/--lat, --wkt or --geometry-from")
	}
	if (o.Lon == "") != (o.Lat == "") {
		return nil, land.Errorf(land.Invalid, "--lon and --lat go together")
	}
	var err error
	switch {
	case o.WKT != "":
		if g.wkt, err = l.needKey("--wkt", o.WKT); err != nil {
			return nil, err
		}
		if req.SRID != 0 {
			info.SRID, info.SRIDSource = req.SRID, "flag"
		}
		var b *orb.Bound
		for i := range l.data {
			if gm, _ := parseWKT(l.cellValue(i, g.wkt)); gm != nil {
				gb := gm.Bound()
				if b != nil {
					gb = b.Union(gb)
				}
				b = &gb
			}
		}
		info.Bound = b
		info.Notes = append(info.Notes, fmt.Sprintf("geometry from the WKT column %s", l.keys[g.wkt]))
		return g, nil
	case o.GeometryFrom != "":
		return im.joinGeometry(ctx, l, g, o.GeometryFrom, info)
	case o.Lon != "":
		if g.lon, err = l.needKey("--lon", o.Lon); err != nil {
			return nil, err
		}
		if g.lat, err = l.needKey("--lat", o.Lat); err != nil {
			return nil, err
		}
	default:
		for _, h := range lonHeaders {
			if j := l.keyIndex(h); j >= 0 {
				g.lon = j
				break
			}
		}
		for _, h := range latHeaders {
			if j := l.keyIndex(h); j >= 0 {
				g.lat = j
				break
			}
		}
		if g.lon < 0 || g.lat < 0 || g.lon == g.lat {
			info.SRID, info.SRIDSource = geo.CGCS2000, "none (records without geometry)"
			info.Notes = append(info.Notes, "no geometry: no coordinate columns (--lon/--lat), --wkt or --geometry-from; the records are loaded without one")
			return nil, nil
		}
	}
	// Surveyors' X is the northing and Y the easting: columns named x/y
	// whose values read the other way round are swapped.
	if req.SRID != 0 {
		info.SRID, info.SRIDSource = req.SRID, "flag"
	}
	var b orb.Bound
	first := true
	for i := range l.data {
		x, err1 := coordinate(l.cellValue(i, g.lon))
		y, err2 := coordinate(l.cellValue(i, g.lat))
		if err1 != nil || err2 != nil {
			continue
		}
		p := orb.Point{x, y}
		if first {
			b, first = p.Bound(), false
		} else {
			b = b.Extend(p)
		}
	}
	if !first && northingFirst(b) {
		g.lon, g.lat = g.lat, g.lon
		b = orb.Bound{Min: orb.Point{b.Min[1], b.Min[0]}, Max: orb.Point{b.Max[1], b.Max[0]}}
		info.Notes = append(info.Notes, fmt.Sprintf("the columns %s and %s read as northing and easting: swapped", l.keys[g.lat], l.keys[g.lon]))
	}
	if !first {
		info.Bound = &b
	}
	info.Notes = append(info.Notes, fmt.Sprintf("points from the columns %s (x) and %s (y)", l.keys[g.lon], l.keys[g.lat]))
	return g, nil
}

// northingFirst reports whether an extent of (x, y) pairs is really (y, x):
// latitudes with longitudes of China, or Gauss-Krüger northings with
// eastings.
func northingFirst(b orb.Bound) bool {
	in := func(v, lo, hi float64) bool { return v >= lo && v <= hi }
	if in(b.Min[0], 3, 54) && in(b.Max[0], 3, 54) && in(b.Min[1], 73, 136) && in(b.Max[1], 73, 136) {
		return true
	}
	northing := in(b.Min[0], 1e6, 6.5e6) && in(b.Max[0], 1e6, 6.5e6)
	easting := (in(b.Min[1], 1e5, 1e6) && in(b.Max[1], 1e5, 1e6)) || (in(b.Min[1], 1.3e7, 4.6e7) && in(b.Max[1], 1.3e7, 4.6e7))
	return northing && easting
}

func (l *ledger) cellValue(i, j int) any {
	row := l.sheet.Rows[l.data[i]]
	if c := l.cols[j]; c < len(row) {
		return row[c].Value
	}
	return nil
}

// dms reads degrees, minutes and seconds: 113°15′30.5″, 113°15'30", 113度15分30秒.
var dms = regexp.MustCompile(`^([+-]?\d+(?:\.\d+)?)\s*[°度]\s*(?:(\d+(?:\.\d+)?)\s*['′’分]\s*)?(?:(\d+(?:\.\d+)?)\s*(?:"|″|”|''|秒)\s*)?([NSEWnsew东西南北]?)$`)

// coordinate reads one coordinate: a number, or degrees-minutes-seconds.
func coordinate(v any) (float64, error) {
	switch v := v.(type) {
	case float64:
		return v, nil
	case int64:
		return float64(v), nil
	case string:
		s := strings.TrimSpace(v)
		if m := dms.FindStringSubmatch(s); m != nil {
			var p [3]float64
			for k := range p {
				if m[k+1] != "" {
					p[k], _ = strconv.ParseFloat(m[k+1], 64)
				}
			}
			x := math.Abs(p[0]) + p[1]/60 + p[2]/3600
			if strings.HasPrefix(m[1], "-") || strings.ContainsAny(m[4], "SWsw南西") {
				x = -x
			}
			return x, nil
		}
		return cleanNumber(s, "")
	}
	return 0, fmt.Errorf("%v is not a coordinate", v)
}

// parseWKT reads a WKT or EWKT (SRID=4490;POINT(…)) geometry.
func parseWKT(v any) (orb.Geometry, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("not WKT")
	}
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ";"); i > 0 && strings.HasPrefix(strings.ToUpper(s), "SRID=") {
		s = s[i+1:]
	}
	g, err := wkt.Unmarshal(s)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// of returns the geometry of data row i, adding a problem for a bad one.
func (g *ledgerGeom) of(l *ledger, i int, f *feature) orb.Geometry {
	line := int(f.Num)
	switch {
	case g.joined != nil:
		return g.joined[i]
	case g.wkt >= 0:
		v := l.cellValue(i, g.wkt)
		if v == nil {
			return nil
		}
		gm, err := parseWKT(v)
		if err != nil {
			f.Problems = append(f.Problems, l.problem(line, g.wkt, fmt.Sprintf("bad WKT %s: %v", quote(v), err), "loaded without geometry"))
			return nil
		}
		return gm
	case g.lon >= 0:
		xv, yv := l.cellValue(i, g.lon), l.cellValue(i, g.lat)
		if xv == nil && yv == nil {
			return nil
		}
		x, err := coordinate(xv)
		if err != nil || xv == nil {
			f.Problems = append(f.Problems, l.problem(line, g.lon, "bad coordinate "+quote(xv), "loaded without geometry"))
			return nil
		}
		y, err := coordinate(yv)
		if err != nil || yv == nil {
			f.Problems = append(f.Problems, l.problem(line, g.lat, "bad coordinate "+quote(yv), "loaded without geometry"))
			return nil
		}
		return orb.Point{x, y}
	}
	return nil
}

func quote(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	if v == nil {
		return "(empty)"
	}
	return fmt.Sprint(v)
}

// joinGeometry reads --geometry-from LAYER:FIELD=COLUMN: each row takes the
// geometry of the first feature (by id) of LAYER whose FIELD (a canonical
// column, id, or a source attribute in props) equals the row's COLUMN,
// both compared as trimmed text. The counts of rows matched and unmatched
// go to the summary.
func (im *Importer) joinGeometry(ctx context.Context, l *ledger, g *ledgerGeom, spec string, info *sourceInfo) (*ledgerGeom, error) {
	layer, rest, ok1 := strings.Cut(spec, ":")
	field, column, ok2 := strings.Cut(rest, "=")
	layer, field, column = strings.TrimSpace(layer), strings.TrimSpace(field), strings.TrimSpace(column)
	if !ok1 || !ok2 || layer == "" || field == "" || column == "" {
		return nil, land.Errorf(land.Invalid, "--geometry-from %q: want LAYER:FIELD=COLUMN, e.g. parcels:code=DKBH", spec)
	}
	j, err := l.needKey("--geometry-from", column)
	if err != nil {
		return nil, err
	}
	g.code = j
	kind, exists, err := postgis.LayerKind(ctx, im.db.Pool, layer)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, land.Errorf(land.NotFound, "--geometry-from %s: no layer %q", spec, layer)
	}
	// A canonical column (or id) by its sanitized name; anything else is a
	// source attribute, its key bound as $2.
	key, args := "props->>$2", []any{nil, field}
	if _, ok := im.db.Spec(kind).Field(field); ok || field == "id" {
		key, args = postgis.Ident(field)+"::text", []any{nil}
	}
	codes := make([]string, len(l.data))
	var want []string
	seen := map[string]bool{}
	for i := range l.data {
		v := l.cellValue(i, j)
		if v == nil {
			continue
		}
		s, err := normalise(land.Text, v)
		if err != nil || s == nil {
			continue
		}
		codes[i] = s.(string)
		if !seen[codes[i]] {
			seen[codes[i]] = true
			want = append(want, codes[i])
		}
	}
	rows, err := im.db.Pool.Query(ctx, fmt.Sprintf(`SELECT DISTINCT ON (k) k, ST_AsBinary(geom)
		FROM (SELECT btrim(%s) AS k, geom, id FROM %s WHERE btrim(%s) = ANY($1) AND geom IS NOT NULL) s
		ORDER BY k, id`, key, postgis.Table(layer), key), append([]any{want}, args[1:]...)...)
	if err != nil {
		return nil, fmt.Errorf("--geometry-from %s: %w", spec, postgis.Err(err))
	}
	found := map[string]orb.Geometry{}
	for rows.Next() {
		var (
			k string
			b []byte
		)
		if err := rows.Scan(&k, &b); err != nil {
			rows.Close()
			return nil, fmt.Errorf("--geometry-from %s: %w", spec, postgis.Err(err))
		}
		gm, err := wkb.Unmarshal(b)
		if err != nil {
			continue
		}
		found[k] = gm
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("--geometry-from %s: %w", spec, postgis.Err(err))
	}
	g.joined = make([]orb.Geometry, len(l.data))
	var matched, unmatched int64
	var missing []string
	for i, c := range codes {
		if gm, ok := found[c]; ok && c != "" {
			g.joined[i] = orb.Clone(gm)
			matched++
			continue
		}
		unmatched++
		if len(missing) < 10 {
			if c == "" {
				c = fmt.Sprintf("row %d: empty", l.sheet.Lines[l.data[i]])
			}
			missing = append(missing, c)
		}
	}
	info.SRID, info.SRIDSource = geo.CGCS2000, "layer "+layer
	note := fmt.Sprintf("geometry from layer %s by %s = %s: %d row(s) matched, %d unmatched (loaded without geometry)", layer, field, l.keys[j], matched, unmatched)
	if unmatched > 0 {
		note += " — unmatched: " + strings.Join(missing, ", ")
		if unmatched > int64(len(missing)) {
			note += ", …"
		}
	}
	info.Notes = append(info.Notes, note)
	info.Extra = map[string]any{"geometry_from": map[string]any{"layer": layer, "field": field, "column": l.keys[j], "matched": matched, "unmatched": unmatched}}
	return g, nil
}
