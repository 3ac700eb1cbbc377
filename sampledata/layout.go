package sampledata

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"tudi/geo"
)

// The district is laid out in a "uv" plane in metres: a grid of blocks
// separated by road gaps, with one wider gap for a river. The uv plane is
// bent (two gentle sine waves) and rotated onto Gauss-Krüger zone 38, so the
// arterials curve slightly. Blocks are warped at their four corners only and
// subdivided afterwards in the projected plane, where cuts are straight: that
// keeps the parcels of a block an exact tessellation even though the warp is
// not affine.

// District position: near lon 113.3, lat 23.1 (Guangzhou), in the CGCS2000
// 3° Gauss-Krüger zone 38 (central meridian 114°E).
const (
	districtLon  = 113.3
	districtLat  = 23.1
	zoneSRID     = 4526 // CGCS2000 / 3-degree Gauss-Kruger zone 38, prefixed
	plainSRID    = 4547 // the same zone without the prefix (CM 114E)
	districtName = "样例区"
	districtCode = "440199"
)

// Grid dimensions in metres.
const (
	blockMinW, blockVarW = 110.0, 150.0 // block width: 110–260 m
	blockMinH, blockVarH = 90.0, 120.0  // block height: 90–210 m
	roadMin, roadVar     = 14.0, 6.0    // ordinary road gap
	arterialMin, artVar  = 36.0, 10.0   // arterial road gap
	riverMin, riverVar   = 110.0, 50.0  // river gap, including 12 m embankment roads
	embankment           = 12.0
	outerMargin          = 10.0 // blocks to district edge
	meanParcelsPerBlock  = 3.55 // calibrated: blocks needed for 2 500 parcels per scale unit
)

// subDistrict is a 街道 or 镇: a rectangle of grid cells.
type subDistrict struct {
	No             int // 1-based
	Name, Level    string
	Code           string // 12-digit township code
	C0, C1, R0, R1 int    // cell columns and rows, inclusive
	centre         orb.Point
}

// centre of a town, with its radius and intensity.
type townCentre struct {
	P         orb.Point // uv
	R, Weight float64
}

// layout is the fixed geometry of the district: the grid, the warp, the
// sub-districts and the town centres. It is small (a few floats per grid
// row and column) at any scale.
type layout struct {
	seed                uint64
	zone                geo.GKZone
	origin              orb.Point // GK (prefixed) easting/northing of the uv centre
	W, H                float64
	colStart, colEnd    []float64 // block extents along u
	rowStart, rowEnd    []float64 // block extents along v
	uLine, vLine        []float64 // cell boundaries: gap middles and outer edges, n+1 each
	colArterial, rowArt []bool    // the gap before column/row i is an arterial
	riverRow            int       // the river runs in the gap before this row
	riverV0, riverV1    float64   // water extent along v
	theta, amp, wave    float64   // rotation; bend of v along u
	ampU, waveU         float64   // bend of u along v
	subs                []*subDistrict
	centres             []townCentre
	hillSide            float64 // which edge is hilly: angle in radians
}

func newLayout(t *tables, opt Options) *layout {
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6c61796f7574))
	zone, _ := geo.CGCS2000GK(zoneSRID)
	l := &layout{seed: opt.Seed, zone: zone}
	l.origin = zone.Forward(orb.Point{districtLon, districtLat})

	blocks := 2500 * float64(opt.Scale) / meanParcelsPerBlock
	meanW := blockMinW + blockVarW/2 + 20
	meanH := blockMinH + blockVarH/2 + 20
	// A district a little wider than tall.
	nCols := max(8, int(math.Round(math.Sqrt(blocks*1.15*meanH/meanW))))
	nRows := max(8, int(math.Round(blocks/float64(nCols))))

	nextArt := 3 + rng.IntN(3)
	u := outerMargin
	l.uLine = append(l.uLine, 0)
	for i := range nCols {
		if i > 0 {
			gap := roadMin + rng.Float64()*roadVar
			art := i == nextArt
			if art {
				gap = arterialMin + rng.Float64()*artVar
				nextArt = i + 4 + rng.IntN(3)
			}
			l.uLine = append(l.uLine, u+gap/2)
			l.colArterial = append(l.colArterial, art)
			u += gap
		} else {
			l.colArterial = append(l.colArterial, false)
		}
		w := blockMinW + rng.Float64()*blockVarW
		l.colStart = append(l.colStart, u)
		l.colEnd = append(l.colEnd, u+w)
		u += w
	}
	l.W = u + outerMargin
	l.uLine = append(l.uLine, l.W)

	l.riverRow = max(2, int(math.Round(float64(nRows)*0.38)))
	nextArt = 3 + rng.IntN(3)
	v := outerMargin
	l.vLine = append(l.vLine, 0)
	for j := range nRows {
		if j > 0 {
			gap := roadMin + rng.Float64()*roadVar
			art := j == nextArt
			switch {
			case j == l.riverRow:
				gap = riverMin + rng.Float64()*riverVar
				l.riverV0, l.riverV1 = v+embankment, v+gap-embankment
				art = false
				nextArt = j + 3 + rng.IntN(3)
			case art:
				gap = arterialMin + rng.Float64()*artVar
				nextArt = j + 4 + rng.IntN(3)
			}
			l.vLine = append(l.vLine, v+gap/2)
			l.rowArt = append(l.rowArt, art)
			v += gap
		} else {
			l.rowArt = append(l.rowArt, false)
		}
		h := blockMinH + rng.Float64()*blockVarH
		l.rowStart = append(l.rowStart, v)
		l.rowEnd = append(l.rowEnd, v+h)
		v += h
	}
	l.H = v + outerMargin
	l.vLine = append(l.vLine, l.H)

	l.theta = (6 + 6*rng.Float64()) * math.Pi / 180
	l.amp, l.wave = 0.022*l.W, 0.9*l.W
	l.ampU, l.waveU = 0.015*l.H, 1.1*l.H
	l.hillSide = rng.Float64() * 2 * math.Pi

	l.subdivide(t, rng)
	side := math.Min(l.W, l.H)
	l.centres = append(l.centres, townCentre{
		P: orb.Point{l.W * (0.42 + 0.12*rng.Float64()), l.H * (0.45 + 0.12*rng.Float64())},
		R: 0.44 * side, Weight: 1,
	})
	for _, s := range l.subs {
		r, w := 0.18*side, 0.8
		if s.Level == "镇" {
			r, w = 0.15*side, 0.75
		}
		l.centres = append(l.centres, townCentre{P: s.centre, R: r, Weight: w})
	}
	return l
}

// subdivide cuts the grid into 5–8 sub-districts along roads: 3 or 4
// column bands, most of them cut once across. The ones nearest the main
// centre are 街道, the outer ones 镇.
func (l *layout) subdivide(t *tables, rng *rand.Rand) {
	nCols, nRows := len(l.colStart), len(l.rowStart)
	nc := 3 + rng.IntN(2)
	cuts := []int{0}
	for k := 1; k < nc; k++ {
		c := int(math.Round((float64(k)/float64(nc) + (rng.Float64()-0.5)*0.08) * float64(nCols)))
		cuts = append(cuts, max(c, cuts[len(cuts)-1]+2))
	}
	cuts = append(cuts, nCols)
	split := make([]bool, nc)
	total := nc
	for k := range split {
		if rng.Float64() < 0.7 {
			split[k] = true
			total++
		}
	}
	for k := 0; total < 5; k++ {
		if !split[k] {
			split[k] = true
			total++
		}
	}
	for k := range nc {
		c0, c1 := cuts[k], cuts[k+1]-1
		if !split[k] {
			l.subs = append(l.subs, &subDistrict{C0: c0, C1: c1, R0: 0, R1: nRows - 1})
			continue
		}
		r := int(math.Round(float64(nRows) * (0.38 + 0.24*rng.Float64())))
		l.subs = append(l.subs,
			&subDistrict{C0: c0, C1: c1, R0: 0, R1: r - 1},
			&subDistrict{C0: c0, C1: c1, R0: r, R1: nRows - 1})
	}
	mid := orb.Point{l.W / 2, l.H / 2}
	for _, s := range l.subs {
		s.centre = orb.Point{(l.uLine[s.C0] + l.uLine[s.C1+1]) / 2, (l.vLine[s.R0] + l.vLine[s.R1+1]) / 2}
	}
	// The half nearest the middle are 街道.
	order := make([]int, len(l.subs))
	for i := range order {
		order[i] = i
	}
	dist := func(i int) float64 {
		c := l.subs[i].centre
		return math.Hypot(c[0]-mid[0], c[1]-mid[1])
	}
	for i := 1; i < len(order); i++ { // insertion sort: at most 8
		for k := i; k > 0 && dist(order[k]) < dist(order[k-1]); k-- {
			order[k], order[k-1] = order[k-1], order[k]
		}
	}
	streets := rng.Perm(len(t.streetNames))
	towns := rng.Perm(len(t.townNames))
	nStreets := (len(l.subs) + 1) / 2
	for rank, i := range order {
		s := l.subs[i]
		if rank < nStreets {
			s.Name, s.Level = t.streetNames[streets[rank]], "街道"
		} else {
			s.Name, s.Level = t.townNames[towns[rank-nStreets]], "镇"
		}
	}
	// Codes: 街道 001–099, 镇 100–199, numbered from the west.
	nS, nT := 0, 0
	for i, s := range l.subs {
		s.No = i + 1
		if s.Level == "街道" {
			nS++
			s.Code = districtCode + threeDigits(nS) + "000"
		} else {
			nT++
			s.Code = districtCode + threeDigits(100+nT) + "000"
		}
	}
}

func threeDigits(n int) string {
	return string([]byte{byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}

// subAt returns the sub-district of cell (i, j).
func (l *layout) subAt(i, j int) *subDistrict {
	for _, s := range l.subs {
		if i >= s.C0 && i <= s.C1 && j >= s.R0 && j <= s.R1 {
			return s
		}
	}
	return l.subs[len(l.subs)-1]
}

// warp maps a uv point to GK zone 38 (prefixed) easting/northing.
func (l *layout) warp(p orb.Point) orb.Point {
	u := p[0] - l.W/2 + l.ampU*math.Sin(2*math.Pi*p[1]/l.waveU)
	v := p[1] - l.H/2 + l.amp*math.Sin(2*math.Pi*p[0]/l.wave)
	s, c := math.Sincos(l.theta)
	return orb.Point{l.origin[0] + u*c - v*s, l.origin[1] + u*s + v*c}
}

// lonLat maps a GK point to CGCS2000 lon/lat.
func (l *layout) lonLat(p orb.Point) orb.Point { return l.zone.Inverse(p) }

// urbanity is 1 at the main centre and falls to 0 in the countryside.
func (l *layout) urbanity(p orb.Point) float64 {
	best := 0.0
	for _, c := range l.centres {
		d := math.Hypot(p[0]-c.P[0], p[1]-c.P[1])
		best = max(best, c.Weight*(1-d/c.R))
	}
	return best + 0.22*(l.noise(p, 650, 1)-0.5)
}

// zoneAt classifies the block centred at uv point p.
func (l *layout) zoneAt(p orb.Point) zone {
	u := l.urbanity(p)
	ind := l.noise(p, 900, 2)
	riverMid := (l.riverV0 + l.riverV1) / 2
	belt := math.Abs(p[1]-riverMid) < 0.07*l.H
	// Distance to the hilly edge of the district, as a fraction of its size.
	dx, dy := math.Cos(l.hillSide), math.Sin(l.hillSide)
	edge := 0.5 - ((p[0]/l.W-0.5)*dx + (p[1]/l.H-0.5)*dy)
	switch {
	case u > 0.62:
		return zoneCore
	case u > 0.34:
		if ind > 0.68 || (belt && ind > 0.45) {
			return zoneIndustrial
		}
		return zoneUrban
	case u > 0.12:
		if ind > 0.6 || (belt && ind > 0.35) {
			return zoneIndustrial
		}
		return zonePeriUrban
	case edge < 0.2 && l.noise(p, 1200, 3) > 0.35:
		return zoneHills
	case ind > 0.82:
		return zoneIndustrial
	}
	return zoneRural
}

// noise is smooth value noise in [0, 1) with the given cell size in metres;
// salt selects an independent field.
func (l *layout) noise(p orb.Point, cell float64, salt uint64) float64 {
	x, y := p[0]/cell, p[1]/cell
	ix, iy := math.Floor(x), math.Floor(y)
	fx, fy := x-ix, y-iy
	fx, fy = fx*fx*(3-2*fx), fy*fy*(3-2*fy)
	at := func(dx, dy float64) float64 {
		h := hash(l.seed, salt, uint64(int64(ix+dx)), uint64(int64(iy+dy)))
		return float64(h>>11) / (1 << 53)
	}
	a := at(0, 0) + (at(1, 0)-at(0, 0))*fx
	b := at(0, 1) + (at(1, 1)-at(0, 1))*fx
	return a + (b-a)*fy
}

// hash mixes its arguments with SplitMix64 steps.
func hash(vs ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, v := range vs {
		h ^= v + 0x9e3779b97f4a7c15 + h<<6 + h>>2
		h += 0x9e3779b97f4a7c15
		z := h
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		h = z ^ z>>31
	}
	return h
}
