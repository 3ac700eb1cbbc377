package sampledata

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// node is a piece of a block in its guillotine subdivision: the block
// itself, a part cut off it, or a parcel (a leaf). The leaves of a node are
// the contiguous range [first, last) of the block's parcels, so any node is a
// group of whole parcels (used for renewal units and farmland patches).
type node struct {
	quad        [4]orb.Point // GK, counter-clockwise, bottom edge first
	kids        [2]int       // child nodes, -1 for a leaf
	first, last int          // leaf range
}

// block is one grid cell's subdivision.
type block struct {
	nodes    []node
	chamfers [][2]orb.Point // half-planes cutting the corners: keep the left of a→b
}

// subdivide fills b with a guillotine subdivision of quad into n parcels:
// each cut joins two points on opposite edges, placed near a share of the
// count and slanted a little, so the parts stay convex quadrilaterals and
// tile their parent exactly.
func (b *block) subdivide(rng *rand.Rand, quad [4]orb.Point, n int, leaves *int) int {
	idx := len(b.nodes)
	b.nodes = append(b.nodes, node{quad: quad, kids: [2]int{-1, -1}, first: *leaves})
	if n == 1 {
		*leaves++
		b.nodes[idx].last = *leaves
		return idx
	}
	n1 := 1 + rng.IntN(n-1)
	t := float64(n1)/float64(n) + (rng.Float64()-0.5)*0.18
	t = min(max(t, 0.2), 0.8)
	t2 := min(max(t+(rng.Float64()-0.5)*0.12, 0.15), 0.85)
	q := quad
	across := dist(q[0], q[1])+dist(q[3], q[2]) > dist(q[0], q[3])+dist(q[1], q[2])
	if rng.Float64() < 0.15 {
		across = !across
	}
	var a, c [4]orb.Point
	if across { // cut from the bottom edge to the top edge
		p, r := lerp(q[0], q[1], t), lerp(q[3], q[2], t2)
		a = [4]orb.Point{q[0], p, r, q[3]}
		c = [4]orb.Point{p, q[1], q[2], r}
	} else { // cut from the left edge to the right edge
		p, r := lerp(q[0], q[3], t), lerp(q[1], q[2], t2)
		a = [4]orb.Point{q[0], q[1], r, p}
		c = [4]orb.Point{p, r, q[2], q[3]}
	}
	k0 := b.subdivide(rng, a, n1, leaves)
	k1 := b.subdivide(rng, c, n-n1, leaves)
	b.nodes[idx].kids = [2]int{k0, k1}
	b.nodes[idx].last = *leaves
	return idx
}

// chamfer cuts the four corners of the block by size metres, as road
// intersections do.
func (b *block) chamfer(size float64) {
	q := b.nodes[0].quad
	for k := range 4 {
		prev, next := q[(k+3)%4], q[(k+1)%4]
		a := toward(q[k], prev, size)
		c := toward(q[k], next, size)
		// Counter-clockwise ring: the inside is on the left of a→c.
		b.chamfers = append(b.chamfers, [2]orb.Point{a, c})
	}
}

// polygon returns node k as a closed counter-clockwise ring, corners cut.
func (b *block) polygon(k int) orb.Ring {
	q := b.nodes[k].quad
	r := orb.Ring{q[0], q[1], q[2], q[3]}
	for _, h := range b.chamfers {
		r = clipLeft(r, h[0], h[1])
	}
	return append(r, r[0])
}

// leafNodes lists the leaf nodes in parcel order.
func (b *block) leafNodes() []int {
	var out []int
	for i, n := range b.nodes {
		if n.kids[0] < 0 {
			out = append(out, i)
		}
	}
	return out
}

// clipLeft clips the open convex ring r to the half-plane left of a→b
// (Sutherland–Hodgman with one edge).
func clipLeft(r orb.Ring, a, b orb.Point) orb.Ring {
	side := func(p orb.Point) float64 { return (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0]) }
	out := make(orb.Ring, 0, len(r)+1)
	for i, p := range r {
		q := r[(i+1)%len(r)]
		sp, sq := side(p), side(q)
		if sp >= 0 {
			out = append(out, p)
		}
		if (sp >= 0) != (sq >= 0) {
			out = append(out, lerp(p, q, sp/(sp-sq)))
		}
	}
	return out
}

func lerp(a, b orb.Point, t float64) orb.Point {
	return orb.Point{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t}
}

func dist(a, b orb.Point) float64 { return math.Hypot(b[0]-a[0], b[1]-a[1]) }

// toward returns the point d metres from a towards b.
func toward(a, b orb.Point, d float64) orb.Point { return lerp(a, b, d/dist(a, b)) }

// ringArea is the planar area of a closed ring, m².
func ringArea(r orb.Ring) float64 { return math.Abs(planar.Area(r)) }

// reversed returns r in the opposite orientation: shapefiles want outer
// rings clockwise, RFC 7946 counter-clockwise.
func reversed(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[len(r)-1-i] = p
	}
	return out
}
