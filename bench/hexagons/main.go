// Command hexagons writes the tile benchmark's large parcels layer: a
// GeoJSON file of jittered hexagons that tile the plane (neighbours share
// their edges), COLS × ROWS of them over WIDTH × HEIGHT metres, each with
// the canonical parcel fields. The default is the layer of the scaling
// measurements: 1110 × 902 = 1 001 220 hexagons of ~2 500 m² over 57 × 44 km;
// -scale k multiplies the count by k (the area by k, the hexagons keep
// their size). Import it with tudi, so that the registry knows it:
//
//	go run ./bench/hexagons -out /tmp/hex.geojson
//	tudi import --layer hexagons --kind parcels /tmp/hex.geojson
//
// The output depends only on the flags (a fixed seed): two runs give the
// same bytes. Land uses come in patches of about 20 × 20 hexagons, so the
// generalised low zooms merge neighbours of one class as they would over a
// real district.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"strconv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "hexagons:", err)
		os.Exit(1)
	}
}

// landUses are GB/T 21010-2017 second-level classes, with their names.
var landUses = [][2]string{
	{"0701", "城镇住宅用地"}, {"0702", "农村宅基地"}, {"0501", "零售商业用地"}, {"0601", "工业用地"},
	{"0809", "公用设施用地"}, {"0810", "公园与绿地"}, {"1001", "铁路用地"}, {"0103", "旱地"},
	{"0101", "水田"}, {"0301", "乔木林地"}, {"1101", "河流水面"}, {"0803", "教育用地"},
}

var streets = []string{"北岸街道", "南湖街道", "东城街道", "西山镇", "太平镇", "新桥街道"}

func run() error {
	out := flag.String("out", "", "the GeoJSON file to write (required)")
	cols := flag.Int("cols", 1110, "hexagons per row")
	rows := flag.Int("rows", 902, "rows of hexagons")
	width := flag.Float64("width", 57000, "width of the area, metres")
	height := flag.Float64("height", 44000, "height of the area, metres")
	scale := flag.Int("scale", 1, "multiply the area (and the count) by this, keeping the hexagons' size")
	lon0 := flag.Float64("lon", 113.70, "longitude of the south-west corner (CGCS2000)")
	lat0 := flag.Float64("lat", 22.45, "latitude of the south-west corner (CGCS2000)")
	flag.Parse()
	if *out == "" || *cols < 1 || *rows < 1 || *scale < 1 {
		flag.Usage()
		return errors.New("-out is required; -cols, -rows and -scale must be positive")
	}
	// A scale of k grows both sides by √k, rounded to whole hexagons.
	f := math.Sqrt(float64(*scale))
	dx, dy := *width/float64(*cols), *height/float64(*rows)
	nc, nr := int(math.Round(float64(*cols)*f)), int(math.Round(float64(*rows)*f))

	file, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(file, 1<<20)
	// Metres to degrees by a local equirectangular approximation: good
	// enough for a benchmark layer over tens of kilometres.
	mLat := 1 / 110574.0
	mLon := 1 / (111320 * math.Cos(*lat0*math.Pi/180))
	// The hexagon of centre (x, y): vertices at (0, ±2a), (±w, ±a) with
	// w = dx/2, a = dy/3, area dx·dy. Each vertex is jittered by up to 15 %
	// of the spacing, by a hash of its lattice position, so the three
	// hexagons that share a vertex move it alike.
	vx := [6]float64{0, -1, -1, 0, 1, 1}  // × dx/2 (counter-clockwise)
	vy := [6]float64{2, 1, -1, -2, -1, 1} // × dy/3
	jitter := func(ix, iy int64) (float64, float64) {
		h := fnv.New64a()
		var b [16]byte
		for i := range 8 {
			b[i] = byte(ix >> (8 * i))
			b[8+i] = byte(iy >> (8 * i))
		}
		_, _ = h.Write(b[:])
		s := h.Sum64()
		jx := (float64(s&0xffff)/65535 - 0.5) * 0.3 * dx / 2
		jy := (float64((s>>16)&0xffff)/65535 - 0.5) * 0.3 * dy / 3
		return jx, jy
	}
	patch := func(c, r int, salt uint64) uint64 {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%d/%d", c/20, r/20, salt)
		return h.Sum64()
	}
	if _, err := w.WriteString(`{"type":"FeatureCollection","features":[` + "\n"); err != nil {
		return err
	}
	n := 0
	buf := make([]byte, 0, 1024)
	for r := range nr {
		for c := range nc {
			// Lattice units: x in dx/2, y in dy/3; odd rows shift by dx/2.
			cx := int64(2*c + r%2)
			cy := int64(3 * r)
			buf = buf[:0]
			if n > 0 {
				buf = append(buf, ",\n"...)
			}
			u := landUses[patch(c, r, 1)%uint64(len(landUses))]
			// One hexagon in seven within a patch takes another class.
			if (c*7+r*3)%7 == 0 {
				u = landUses[patch(c, r, 2)%uint64(len(landUses))]
			}
			st := streets[(c*len(streets))/nc]
			year := 2005 + int(patch(c, r, 3)%20)
			buf = fmt.Appendf(buf, `{"type":"Feature","properties":{"code":"H%08d","landuse_code":%q,"landuse_name":%q,"ownership":%q,"street":%q,"status":%q`,
				n+1, u[0], u[1], []string{"国有", "集体"}[(c+r)%2], st, []string{"已供应", "储备", "已建成"}[(c+2*r)%3])
			if (c+r)%3 == 0 {
				buf = fmt.Appendf(buf, `,"supply_method":%q,"supply_date":"%d-%02d-%02d","price_wan":%s`,
					[]string{"招拍挂", "协议", "划拨"}[(c/3+r)%3], year, 1+(c%12), 1+(r%28), strconv.FormatFloat(float64(100+(c*31+r*17)%5000), 'f', 2, 64))
			}
			buf = append(buf, `},"geometry":{"type":"Polygon","coordinates":[[`...)
			for i := 0; i <= 6; i++ {
				k := i % 6
				ix, iy := cx+int64(vx[k]), cy+int64(vy[k])
				jx, jy := jitter(ix, iy)
				x := float64(ix)*dx/2 + jx
				y := float64(iy)*dy/3 + jy
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, '[')
				buf = strconv.AppendFloat(buf, *lon0+x*mLon, 'f', 7, 64)
				buf = append(buf, ',')
				buf = strconv.AppendFloat(buf, *lat0+y*mLat, 'f', 7, 64)
				buf = append(buf, ']')
			}
			buf = append(buf, "]]}}"...)
			if _, err := w.Write(buf); err != nil {
				return err
			}
			n++
		}
	}
	if _, err := w.WriteString("\n]}\n"); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := file.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d hexagons (%d × %d) of %.0f m² over %.1f × %.1f km\n", n, nc, nr, dx*dy, float64(nc)*dx/1000, float64(nr)*dy/1000)
	return nil
}
