package sampledata

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"

	"tudi/land"
)

// progressEvery is how many features of a layer pass between progress calls.
const progressEvery = 10000

// The parcel records that are broken on purpose (1-based record numbers).
// They all exist at scale 1.
const (
	bowtie1, bowtie2, bowtie3 = 137, 911, 1733
	duplicatePoints           = 1402
	nullShape                 = 2011
)

// Rates of the derived layers, calibrated so that at any scale about 12 %
// of construction parcels have a supply record, one renewal unit stands for
// about 20 parcels and idle land covers about 2 % of the parcels.
const (
	supplyRate  = 0.15
	renewalRate = 0.45
	idleRate    = 0.35
	patchRate   = 0.85
	occupyRate  = 0.3
	dupPatchGap = 150 // every 150th farmland patch is digitised twice
)

// generator writes every layer in one pass over the grid, block by block,
// so memory stays bounded whatever the scale.
type generator struct {
	opt      Options
	dir      string
	t        *tables
	l        *layout
	progress func(string, int)
	rng      *rand.Rand
	pcg      *rand.PCG

	boundaries, stations, renewal *geojsonWriter
	parcels, farmland             *shpWriter
	idle                          *gpkgWriter
	rs                            *renewalSupply // renewal_supply.go

	counts     map[string]int
	parcelSeq  []int // per sub-district
	patchSeq   []int
	unitSeq    []int
	idleSeq    []int
	hasPatch   []bool
	hasUnit    []bool
	hasIdle    []bool
	flaws      []Flaw
	bbox       orb.Bound
	hasBBox    bool
	patchCount int
	insp       inspectionState // inspection.go
}

func newGenerator(opt Options, dir string, progress func(string, int)) *generator {
	t := newTables()
	l := newLayout(t, opt)
	n := len(l.subs)
	pcg := rand.NewPCG(opt.Seed, 0)
	return &generator{
		opt: opt, dir: dir, t: t, l: l, progress: progress, pcg: pcg, rng: rand.New(pcg),
		counts:    map[string]int{},
		parcelSeq: make([]int, n), patchSeq: make([]int, n), unitSeq: make([]int, n), idleSeq: make([]int, n),
		hasPatch: make([]bool, n), hasUnit: make([]bool, n), hasIdle: make([]bool, n),
	}
}

func (g *generator) path(name string) string { return filepath.Join(g.dir, name) }

// open creates every output file.
func (g *generator) open(ctx context.Context) error {
	var err error
	if g.boundaries, err = newGeoJSONWriter(g.path("boundaries.geojson"), "boundaries"); err != nil {
		return err
	}
	if g.stations, err = newGeoJSONWriter(g.path("stations.geojson"), "stations"); err != nil {
		return err
	}
	if g.renewal, err = newGeoJSONWriter(g.path("renewal_units.geojson"), "renewal_units"); err != nil {
		return err
	}
	if g.parcels, err = newShpWriter(g.path("parcels"), parcelFields(), simplifiedchinese.GBK, 0); err != nil {
		return err
	}
	if g.farmland, err = newShpWriter(g.path("farmland"), farmlandFields(), simplifiedchinese.GBK, 0x4D); err != nil {
		return err
	}
	if g.idle, err = newGPKGWriter(ctx, g.path("idle_land.gpkg"), "idle_land", "闲置土地与批而未供土地", idleColumns()); err != nil {
		return err
	}
	if g.rs, err = openRenewalSupply(g); err != nil {
		return err
	}
	return g.openInspection()
}

// abort closes whatever is open after an error; the files left are partial.
func (g *generator) abort() {
	for _, w := range []*geojsonWriter{g.boundaries, g.stations, g.renewal} {
		if w != nil {
			w.Close()
		}
	}
	for _, w := range []*shpWriter{g.parcels, g.farmland} {
		if w != nil {
			w.Close()
		}
	}
	if g.idle != nil {
		g.idle.abort()
	}
	g.abortInspection()
	g.rs.abort()
}

// close finishes every file.
func (g *generator) close(ctx context.Context) error {
	err := errors.Join(
		g.boundaries.Close(), g.stations.Close(), g.renewal.Close(),
		g.parcels.Close(), g.farmland.Close(), g.idle.Close(ctx), g.closeInspection(), g.rs.close(g),
	)
	for _, name := range []string{"boundaries", "stations", "parcels", "farmland", "renewal_units", "idle_land", "inspection_patches", "inspection_problems", "permits"} {
		g.progress(name, g.counts[name])
	}
	return err
}

// count records one more feature of layer and reports progress.
func (g *generator) count(layer string) {
	g.counts[layer]++
	if g.counts[layer]%progressEvery == 0 {
		g.progress(layer, g.counts[layer])
	}
}

// run writes the boundaries and stations, then every block row by row.
func (g *generator) run(ctx context.Context) error {
	if err := g.writeBoundaries(); err != nil {
		return err
	}
	if err := g.writeStations(); err != nil {
		return err
	}
	l := g.l
	for j := range l.rowStart {
		if err := ctx.Err(); err != nil {
			return err
		}
		if j == l.riverRow {
			if err := g.writeRiver(); err != nil {
				return err
			}
		}
		for i := range l.colStart {
			if err := g.writeBlock(ctx, i, j); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeBoundaries writes the sub-districts. Each is a rectangle of cells
// whose edges are given a vertex at every road crossing, so neighbours share
// exactly the same vertices and the polygons tile the district.
func (g *generator) writeBoundaries() error {
	l := g.l
	for _, s := range l.subs {
		var ring orb.Ring
		for c := s.C0; c <= s.C1; c++ {
			ring = append(ring, orb.Point{l.uLine[c], l.vLine[s.R0]})
		}
		for r := s.R0; r <= s.R1; r++ {
			ring = append(ring, orb.Point{l.uLine[s.C1+1], l.vLine[r]})
		}
		for c := s.C1 + 1; c > s.C0; c-- {
			ring = append(ring, orb.Point{l.uLine[c], l.vLine[s.R1+1]})
		}
		for r := s.R1 + 1; r > s.R0; r-- {
			ring = append(ring, orb.Point{l.uLine[s.C0], l.vLine[r]})
		}
		ring = append(ring, ring[0])
		ll := make(orb.Ring, len(ring))
		for k, p := range ring {
			ll[k] = l.lonLat(l.warp(p))
			g.extend(ll[k])
		}
		if err := g.boundaries.Write(orb.Polygon{ll}, []prop{
			{"JDMC", s.Name}, {"JDDM", s.Code}, {"JB", s.Level}, {"SSQX", districtName},
		}); err != nil {
			return err
		}
		g.count("boundaries")
	}
	return nil
}

// extend grows the district's lon/lat bounding box to hold p.
func (g *generator) extend(p orb.Point) {
	if !g.hasBBox {
		g.bbox, g.hasBBox = orb.Bound{Min: p, Max: p}, true
		return
	}
	g.bbox = g.bbox.Extend(p)
}

// writeStations lays metro lines along arterials through the district, one
// per ~3.5 km of width or height (at most 10 each way), with a station every 1–1.5 km and at
// every crossing with another line (an interchange keeps one name).
func (g *generator) writeStations() error {
	l := g.l
	pickGaps := func(art []bool, lines []float64, extent float64) []int {
		n := min(10, max(1, int(math.Round(extent/3500))))
		var out []int
		for k := range n {
			target := (float64(k) + 0.5) / float64(n) * extent
			best := -1
			for i, a := range art {
				if a && (best < 0 || math.Abs(lines[i]-target) < math.Abs(lines[best]-target)) && !containsInt(out, i) {
					best = i
				}
			}
			if best >= 0 {
				out = append(out, best)
			}
		}
		return out
	}
	rows := pickGaps(l.rowArt, l.vLine, l.H)
	cols := pickGaps(l.colArterial, l.uLine, l.W)
	names := map[[2]int]string{}
	used := map[string]bool{}
	nameAt := func(c, r int) string {
		if s, ok := names[[2]int{c, r}]; ok {
			return s
		}
		// Two-syllable names run out after 900, so later tries add a
		// third part, and the last resort a number: the loop always ends.
		h := hash(g.opt.Seed, 7, uint64(c), uint64(r))
		tails := []string{"", "东", "西", "南", "北", "公园", "广场", "路", "桥", "中心", "新村", "大道"}
		s := g.t.placeName(h) + "站"
		for k := uint64(1); used[s]; k++ {
			h = hash(h, k)
			tail := tails[min(k/8, uint64(len(tails)-1))]
			if k > 200 {
				tail += strconv.FormatUint(k, 10)
			}
			s = g.t.placeName(h) + tail + "站"
		}
		used[s] = true
		names[[2]int{c, r}] = s
		return s
	}
	lineNo := 0
	emit := func(along []float64, fixed int, horizontal bool, crossing []int) error {
		lineNo++
		line := strconv.Itoa(lineNo) + "号线"
		last := math.Inf(-1)
		n := 0
		for k := 1; k < len(along)-1; k++ {
			spacing := 1000 + 500*float64(hash(g.opt.Seed, 8, uint64(lineNo), uint64(k))%100)/100
			if !containsInt(crossing, k) && along[k]-last < spacing {
				continue
			}
			last = along[k]
			n++
			var p orb.Point
			var c, r int
			if horizontal {
				p, c, r = orb.Point{along[k], l.vLine[fixed]}, k, fixed
			} else {
				p, c, r = orb.Point{l.uLine[fixed], along[k]}, fixed, k
			}
			ll := l.lonLat(l.warp(p))
			if err := g.stations.Write(ll, []prop{
				{"name", nameAt(c, r)}, {"line", line}, {"code", fmt.Sprintf("L%d-%02d", lineNo, n)},
			}); err != nil {
				return err
			}
			g.count("stations")
		}
		return nil
	}
	for _, r := range rows {
		if err := emit(l.uLine, r, true, cols); err != nil {
			return err
		}
	}
	for _, c := range cols {
		if err := emit(l.vLine, c, false, rows); err != nil {
			return err
		}
	}
	return nil
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// writeRiver writes the river as 河流水面 parcels, one per column span, in the
// wide gap before the river row.
func (g *generator) writeRiver() error {
	l := g.l
	for c := range l.colStart {
		u0, u1 := l.uLine[c], l.uLine[c+1]
		r := orb.Ring{
			l.warp(orb.Point{u0, l.riverV0}), l.warp(orb.Point{u1, l.riverV0}),
			l.warp(orb.Point{u1, l.riverV1}), l.warp(orb.Point{u0, l.riverV1}),
		}
		r = append(r, r[0])
		s := l.subAt(c, l.riverRow)
		p := parcel{use: "1101", owner: "国有", ring: r, area: ringArea(r)}
		if err := g.writeParcel(s, &p); err != nil {
			return err
		}
	}
	return nil
}

// parcel is one parcel while its block is being written.
type parcel struct {
	use, owner, status string
	method, date       string // supply record, date as 20060102
	price              float64
	ring               orb.Ring // GK, closed, counter-clockwise
	area               float64
}

func (p *parcel) construction() bool { return isConstruction(p.use) }

// isConstruction reports whether a GB/T 21010 code is construction land
// (建设用地: first-level classes 05–10).
func isConstruction(code string) bool { return code >= "05" && code < "11" }

func isField(code string) bool { return code == "0101" || code == "0102" || code == "0103" }

// writeBlock subdivides cell (i, j) into parcels and writes them with the
// farmland patches, renewal units and idle land that fall on them.
func (g *generator) writeBlock(ctx context.Context, i, j int) error {
	l := g.l
	g.pcg.Seed(g.opt.Seed^0x626c6f636b, uint64(j)<<32|uint64(i))
	rng := g.rng
	s := l.subAt(i, j)
	u0, u1, v0, v1 := l.colStart[i], l.colEnd[i], l.rowStart[j], l.rowEnd[j]
	centre := orb.Point{(u0 + u1) / 2, (v0 + v1) / 2}
	z := l.zoneAt(centre)
	quad := [4]orb.Point{
		l.warp(orb.Point{u0, v0}), l.warp(orb.Point{u1, v0}),
		l.warp(orb.Point{u1, v1}), l.warp(orb.Point{u0, v1}),
	}
	n := []int{1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6}[rng.IntN(12)]
	var b block
	leaves := 0
	b.subdivide(rng, quad, n, &leaves)
	if z <= zoneIndustrial {
		b.chamfer(6 + 4*rng.Float64())
	}
	urb := l.urbanity(centre)
	mix := g.t.mixes[z]
	primary := pick(mix, rng.Float64())
	leafIdx := b.leafNodes()
	ps := make([]parcel, len(leafIdx))
	for k, ni := range leafIdx {
		p := &ps[k]
		p.use = primary
		if rng.Float64() > 0.6 {
			p.use = pick(mix, rng.Float64())
		}
		p.ring = b.polygon(ni)
		p.area = ringArea(p.ring)
		g.attributes(rng, p, z, urb)
		if err := g.writeParcel(s, p); err != nil {
			return err
		}
	}
	if err := g.writeFarmland(rng, s, &b, ps, z); err != nil {
		return err
	}
	if err := g.writeRenewal(rng, s, &b, ps, z); err != nil {
		return err
	}
	if err := g.writeApprovals(s, quad, ps); err != nil {
		return err
	}
	if err := g.writeIdle(ctx, rng, s, ps); err != nil {
		return err
	}
	return g.writeInspection(rng, s, ps, z)
}

// attributes fills ownership, status and the supply record of p.
func (g *generator) attributes(rng *rand.Rand, p *parcel, z zone, urb float64) {
	switch {
	case p.use == "0702":
		p.owner = "集体"
	case p.construction() && z <= zoneIndustrial:
		p.owner = "国有"
	case p.construction():
		p.owner = []string{"国有", "集体"}[rng.IntN(2)]
	case p.use == "1101" || (p.use == "0301" && rng.Float64() < 0.2):
		p.owner = "国有"
	default:
		p.owner = "集体"
	}
	if !p.construction() {
		return
	}
	if p.use == "0702" {
		p.status = "已建成"
		return
	}
	if rng.Float64() >= supplyRate {
		r := rng.Float64()
		switch {
		case r < 0.76:
			p.status = "已建成"
		case r < 0.88:
			p.status = "批而未供"
		default:
			p.status = "储备"
		}
		return
	}
	p.status = []string{"已供应", "已建成"}[rng.IntN(2)]
	day := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(6*365+1))
	p.date = day.Format("20060102")
	var unit float64 // 元/m²
	switch {
	case strings.HasPrefix(p.use, "08") || p.use == "1005" || p.use == "0809":
		p.method = "划拨"
		return
	case strings.HasPrefix(p.use, "06"):
		p.method = "招拍挂"
		if rng.Float64() < 0.35 {
			p.method = "协议"
		}
		unit = 550 + 700*rng.Float64()
	case p.use == "0502":
		p.method = "招拍挂"
		unit = 4000 + 5000*rng.Float64()
	default: // commercial and housing
		p.method = "招拍挂"
		if rng.Float64() < 0.12 {
			p.method = "协议"
		}
		unit = (9000 + 13000*rng.Float64()) * (0.6 + 0.6*max(0, urb))
	}
	if p.method == "协议" {
		unit *= 0.75
	}
	p.price = math.Round(p.area*unit/1e4*100) / 100
}

// writeParcel writes p to the parcel shapefile, breaking it on purpose when
// its record number is one of the flaws.
func (g *generator) writeParcel(s *subDistrict, p *parcel) error {
	g.parcelSeq[s.No-1]++
	code := s.Code[:9] + fmt.Sprintf("%06d", g.parcelSeq[s.No-1])
	rec := g.counts["parcels"] + 1
	poly := orb.Polygon{reversed(p.ring)} // shapefile outer rings are clockwise
	switch rec {
	case bowtie1, bowtie2, bowtie3:
		r := poly[0]
		r[1], r[2] = r[2], r[1]
		g.flaws = append(g.flaws, Flaw{rec, code, "bowtie"})
	case duplicatePoints:
		r := poly[0]
		poly[0] = append(r[:2:2], append(orb.Ring{r[1]}, r[2:]...)...)
		g.flaws = append(g.flaws, Flaw{rec, code, "duplicate_points"})
	case nullShape:
		poly = nil
		g.flaws = append(g.flaws, Flaw{rec, code, "null_shape"})
	}
	var price any
	if p.method == "招拍挂" || p.method == "协议" {
		price = p.price
	}
	if err := g.parcels.Write(poly, append([]any{code, p.use, landUseName(p.use), p.owner, s.Name, p.status,
		p.method, p.date, price, math.Round(p.area*100) / 100}, g.parcelPlanValues(s, p)...)...); err != nil {
		return err
	}
	g.count("parcels")
	return nil
}

// writeFarmland draws permanent basic farmland over the block's fields: the
// largest groups of field parcels, mostly, and sometimes the whole block of a
// mixed village block, so that construction parcels sit inside a redline.
func (g *generator) writeFarmland(rng *rand.Rand, s *subDistrict, b *block, ps []parcel, z zone) error {
	fields, built := 0, 0
	for _, p := range ps {
		if isField(p.use) {
			fields++
		} else if p.construction() {
			built++
		}
	}
	if fields == 0 {
		return nil
	}
	var patches []int
	if built > 0 && (z == zonePeriUrban || z == zoneRural) && rng.Float64() < occupyRate {
		patches = append(patches, 0)
	} else {
		var walk func(k int)
		walk = func(k int) {
			nd := b.nodes[k]
			all := true
			for _, p := range ps[nd.first:nd.last] {
				all = all && isField(p.use)
			}
			if all {
				patches = append(patches, k)
				return
			}
			if nd.kids[0] >= 0 {
				walk(nd.kids[0])
				walk(nd.kids[1])
			}
		}
		walk(0)
	}
	for _, k := range patches {
		if g.hasPatch[s.No-1] && rng.Float64() > patchRate {
			continue
		}
		nd := b.nodes[k]
		use := ""
		for _, p := range ps[nd.first:nd.last] {
			if isField(p.use) {
				use = p.use
				break
			}
		}
		c := nd.quad[0]
		grade := 3 + int(9*g.l.noise(orb.Point{c[0] - g.l.origin[0], c[1] - g.l.origin[1]}, 1500, 4)) + rng.IntN(3) - 1
		grade = min(max(grade, 1), 15)
		ring := b.polygon(k)
		if err := g.writePatch(s, ring, use, grade); err != nil {
			return err
		}
		if g.patchCount%dupPatchGap == 0 {
			// Digitised twice, a few metres off: the copy overlaps the
			// original and its neighbours.
			dx, dy := 6+6*rng.Float64(), 4+6*rng.Float64()
			shifted := make(orb.Ring, len(ring))
			for i, p := range ring {
				shifted[i] = orb.Point{p[0] + dx, p[1] + dy}
			}
			if err := g.writePatch(s, shifted, use, grade); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *generator) writePatch(s *subDistrict, ring orb.Ring, use string, grade int) error {
	g.hasPatch[s.No-1] = true
	g.patchSeq[s.No-1]++
	g.patchCount++
	// The farmland file is in the zone without the prefix: take the zone
	// number off the easting.
	off := g.l.zone.FalseEasting - 500000
	r := make(orb.Ring, len(ring))
	for i, p := range ring {
		r[len(ring)-1-i] = orb.Point{p[0] - off, p[1]}
	}
	code := s.Code[:9] + fmt.Sprintf("%07d", g.patchSeq[s.No-1])
	if err := g.farmland.Write(orb.Polygon{r}, code, use, landUseName(use), grade); err != nil {
		return err
	}
	g.count("farmland")
	return nil
}

// writeRenewal makes the block, or one part of it, an urban-renewal unit now
// and then in the built-up zones.
func (g *generator) writeRenewal(rng *rand.Rand, s *subDistrict, b *block, ps []parcel, z zone) error {
	if z > zonePeriUrban {
		return nil
	}
	if g.hasUnit[s.No-1] && rng.Float64() >= renewalRate {
		return nil
	}
	k := 0
	if root := b.nodes[0]; root.kids[0] >= 0 && rng.Float64() < 0.5 {
		k = root.kids[rng.IntN(2)]
	}
	nd := b.nodes[k]
	var counts [4]int // industry, urban housing, village, commerce
	for _, p := range ps[nd.first:nd.last] {
		switch {
		case strings.HasPrefix(p.use, "06"):
			counts[0]++
		case p.use == "0701":
			counts[1]++
		case p.use == "0702":
			counts[2]++
		case strings.HasPrefix(p.use, "05"):
			counts[3]++
		}
	}
	dom := 0
	for i := range counts {
		if counts[i] > counts[dom] {
			dom = i
		}
	}
	if counts[dom] == 0 {
		return nil
	}
	cat := pick([]weighted{{"拆除重建", 55}, {"综合整治", 30}, {"功能改变", 15}}, rng.Float64())
	var dir, suffix string
	switch dom {
	case 0:
		suffix = "工业区"
		switch cat {
		case "拆除重建":
			dir = pick([]weighted{{"工改工", 40}, {"工改商住", 45}, {"工改商", 15}}, rng.Float64())
		case "综合整治":
			dir = "工改工"
		default:
			dir = pick([]weighted{{"工改商", 50}, {"工改研发", 50}}, rng.Float64())
		}
	case 1:
		suffix, dir = "片区", "居改居"
		if cat == "功能改变" {
			dir = "居改商"
		}
	case 2:
		suffix, dir = "村", "村改居"
	default:
		suffix, dir = "商圈", "商改商"
	}
	// Stage index into land.RenewalStages, fewer units the further along.
	si := pickIndex([]int{22, 22, 15, 12, 17, 12}, rng.Float64())
	lo := time.Date(2016+si, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	days := min(3*365, int(end.Sub(lo).Hours()/24))
	approved := lo.AddDate(0, 0, rng.IntN(days+1))
	ring := b.polygon(k)
	area := ringArea(ring)
	g.hasUnit[s.No-1] = true
	g.unitSeq[s.No-1]++
	name := s.Name + g.t.placeName(hash(g.opt.Seed, 9, uint64(s.No), uint64(g.unitSeq[s.No-1]))) + suffix + "更新单元"
	props := []prop{
		{"DYBH", fmt.Sprintf("GX%02d-%04d", s.No, g.unitSeq[s.No-1])},
		{"DYMC", name},
		{"GXLB", cat},
		{"GXFX", dir},
		{"JD", land.RenewalStages[si]},
		{"GYMJ", math.Round(area*(0.1+0.2*rng.Float64())*100) / 100},
	}
	// The milestone dates, consistent with the stage: the stage's own
	// milestone on the approval date, each earlier one 4 to 16 months
	// before the next, the later ones not reached (null). They come from
	// a generator of their own, so that the rest of the district is the
	// same as without them.
	mrng := rand.New(rand.NewPCG(hash(g.opt.Seed, 10, uint64(s.No), uint64(g.unitSeq[s.No-1])), 0))
	dates := make([]any, len(renewalMilestoneFields))
	d := approved
	for j := si; j >= 0; j-- {
		dates[j] = d.Format("2006-01-02")
		d = d.AddDate(0, 0, -(120 + mrng.IntN(360)))
	}
	for j, f := range renewalMilestoneFields {
		props = append(props, prop{f, dates[j]})
	}
	plan, err := g.renewalPlanProps(s, props[0].Value.(string), name, cat, dir, si, ring, dates)
	if err != nil {
		return err
	}
	props = append(props, plan...)
	if err := g.renewal.Write(g.lonLatRing(ring), props); err != nil {
		return err
	}
	g.count("renewal_units")
	return nil
}

// renewalMilestoneFields are the source names of the renewal units'
// milestone dates, in the order of land.RenewalUnits.Milestones():
// 计划立项, 规划批准, 实施主体确认, 土地出让, 开工, 竣工.
var renewalMilestoneFields = []string{"LXRQ", "PZRQ", "ZTQRRQ", "CRRQ", "KGRQ", "JGRQ"}

// writeIdle records some approved-but-unsupplied and supplied parcels as
// idle land, with their disposal.
func (g *generator) writeIdle(ctx context.Context, rng *rand.Rand, s *subDistrict, ps []parcel) error {
	for _, p := range ps {
		var kind string
		switch {
		case p.status == "批而未供":
			kind = "批而未供"
		case p.status == "已供应":
			kind = "闲置"
		default:
			continue
		}
		if g.hasIdle[s.No-1] && rng.Float64() >= idleRate {
			continue
		}
		g.hasIdle[s.No-1] = true
		g.idleSeq[s.No-1]++
		cause := "政府原因"
		if rng.Float64() < 0.4 {
			cause = "企业原因"
		}
		identified := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(6*365))
		var status, method, digested string
		var disposed any
		if rng.Float64() < 0.8 {
			status = "已处置"
			if cause == "企业原因" {
				method = pick([]weighted{{"征缴闲置费", 35}, {"无偿收回", 15}, {"延期动工", 30}, {"协议收回", 10}, {"调整用途", 10}}, rng.Float64())
			} else {
				method = pick([]weighted{{"延期动工", 45}, {"调整用途", 25}, {"协议收回", 30}}, rng.Float64())
			}
			digested = "是"
			if rng.Float64() < 0.08 {
				digested = "否"
			}
			d := identified.AddDate(0, 0, 60+rng.IntN(840))
			if last := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC); d.After(last) {
				d = last
			}
			disposed = d.Format("2006-01-02")
		} else {
			status, digested = "未处置", "否"
		}
		var methodV any
		if method != "" {
			methodV = method
		}
		code := fmt.Sprintf("XZ%s%05d", s.Code[6:9], g.idleSeq[s.No-1])
		if err := g.idle.Write(ctx, g.lonLatRing(p.ring), code, kind, cause, status, methodV, digested,
			identified.Format("2006-01-02"), disposed); err != nil {
			return err
		}
		g.count("idle_land")
	}
	return nil
}

// lonLatRing converts a GK ring to a lon/lat polygon.
func (g *generator) lonLatRing(r orb.Ring) orb.Polygon {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[i] = g.l.lonLat(p)
	}
	return orb.Polygon{out}
}
