package sampledata

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"tudi/geo"
	"tudi/land"
)

// The expropriation side of the district (征收、安置、三改), written after the
// land layers:
//   - acquisition.geojson: the plots of land-acquisition projects (征收范围),
//     one to four neighbouring blocks per project;
//   - households.xlsx: the households of those projects as an Excel ledger
//     (台账) with a title row, a caption row and two header rows of merged
//     cells, as expropriation offices keep them; most rows have the
//     coordinates of the house (a point in one of the project's plots), some
//     the project's (its first plot's centre), a few none (a ledger row: by
//     its street);
//   - renovation.geojson: 三改 projects (棚户区, 老旧小区, 城中村), supporting
//     works and resettlement housing (安置房) as block polygons, back lanes
//     (背街小巷) as lines along a road, planned 2019–2025.
//
// Dates run to the end of 2025: a project's events are drawn after its
// plan or task year and left out when they fall later.

// expropriationEnd is the date the sample's ledgers describe.
var expropriationEnd = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)

// expropriationProjects is the number of acquisition projects at scale s:
// six at scale 1, growing with the side of the district.
func expropriationProjects(s int) int { return 6 * int(math.Ceil(math.Sqrt(float64(s)))) }

// renovationProjects is the number of 三改 projects at scale s.
func renovationProjects(s int) int { return 24 * int(math.Ceil(math.Sqrt(float64(s)))) }

type acqPlot struct {
	ring   orb.Ring // lon/lat
	centre orb.Point
}

type acqProject struct {
	code, name, owner string
	sub               *subDistrict
	year              int
	redline           time.Time
	plots             []acqPlot
}

// writeExpropriation writes the three files and adds their layers to m.
func (g *generator) writeExpropriation(ctx context.Context, m *Manifest) error {
	rng := rand.New(rand.NewPCG(g.opt.Seed, 0x7a6873))
	projects, err := g.writeAcquisition(rng)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := g.writeHouseholds(ctx, rng, projects); err != nil {
		return err
	}
	if err := g.writeRenovation(rng); err != nil {
		return err
	}
	geojson := func(name string, kind land.Kind, fields []string) Layer {
		return Layer{
			Name: name, Kind: kind, Format: "geojson", Files: []string{name + ".geojson"},
			TextEncoding: "UTF-8", EncodingFrom: "RFC 7946", SourceSRID: 4326, SRIDFrom: "RFC 7946 lon/lat (no crs member: EPSG:4326, stored as CGCS2000)",
			Fields: fields, Features: g.counts[name],
		}
	}
	m.Layers = append(m.Layers,
		geojson("acquisition", land.Acquisition, acquisitionFields),
		Layer{
			Name: "households", Kind: land.Households, Format: "xlsx", Files: []string{"households.xlsx"},
			TextEncoding: "UTF-8", EncodingFrom: "Office Open XML", SourceSRID: geo.CGCS2000, SRIDFrom: "经度/纬度 columns in degrees (CGCS2000)",
			Fields: householdHeaders(), Features: g.counts["households"], Unlocated: g.counts["households_unlocated"],
		},
		geojson("renovation", land.Renovation, renovationFields),
	)
	m.Notes = append(m.Notes,
		"households.xlsx is a ledger (台账): a title row, a caption row and two header rows with merged cells; most rows have the house's coordinates, some the project's, and a few none (they belong to a sub-district by their 所属街道).",
		"Households belong to an acquisition project by its name (项目名称 = XMMC).",
	)
	for _, name := range []string{"acquisition", "households", "renovation"} {
		g.progress(name, g.counts[name])
	}
	return nil
}

// blockRing returns block (i, j) shrunk by inset metres on each side, as a
// lon/lat ring.
func (g *generator) blockRing(i, j int, inset float64) orb.Ring {
	l := g.l
	u0, u1 := l.colStart[i]+inset, l.colEnd[i]-inset
	v0, v1 := l.rowStart[j]+inset, l.rowEnd[j]-inset
	r := orb.Ring{{u0, v0}, {u1, v0}, {u1, v1}, {u0, v1}, {u0, v0}}
	out := make(orb.Ring, len(r))
	for k, p := range r {
		out[k] = l.lonLat(l.warp(p))
	}
	return out
}

// inBlock returns a lon/lat point at fractions (a, b) across block (i, j),
// inset as blockRing.
func (g *generator) inBlock(i, j int, inset, a, b float64) orb.Point {
	l := g.l
	u := l.colStart[i] + inset + a*(l.colEnd[i]-l.colStart[i]-2*inset)
	v := l.rowStart[j] + inset + b*(l.rowEnd[j]-l.rowStart[j]-2*inset)
	return l.lonLat(l.warp(orb.Point{u, v}))
}

func dateOf(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format("2006-01-02")
}

func oneOf[T any](rng *rand.Rand, xs ...T) T { return xs[rng.IntN(len(xs))] }

// day returns a random day of year y.
func randomDay(rng *rand.Rand, y int) time.Time {
	return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365))
}

// within returns t unless it lies after the sample's end (then zero).
func within(t time.Time) time.Time {
	if t.After(expropriationEnd) {
		return time.Time{}
	}
	return t
}

var acquisitionFields = []string{"DKBH", "XMMC", "RWLY", "RWND", "QS", "ZT", "HXRQ", "JDRQ", "ND", "LYD", "LYDRQ", "JDMC"}

func (g *generator) writeAcquisition(rng *rand.Rand) ([]*acqProject, error) {
	w, err := newGeoJSONWriter(g.path("acquisition.geojson"), "acquisition")
	if err != nil {
		return nil, err
	}
	l := g.l
	var out []*acqProject
	for k := range expropriationProjects(g.opt.Scale) {
		i, j := rng.IntN(len(l.colStart)), rng.IntN(len(l.rowStart))
		s := l.subAt(i, j)
		p := &acqProject{
			sub:   s,
			year:  2019 + rng.IntN(7),
			owner: oneOf(rng, "集体", "集体", "集体", "国有", "国有农场", "公建单位", "军事用地"),
		}
		p.code = fmt.Sprintf("ZS%d-%03d", p.year, k+1)
		p.name = g.t.placeName(hash(g.opt.Seed, 0x7a73, uint64(k))) + oneOf(rng, "片区", "村", "组团", "安置区配套") + "征收项目" + fmt.Sprint(k+1)
		p.redline = randomDay(rng, p.year)
		source := oneOf(rng, "市下达", "区统筹", "重点项目")
		for n := range 1 + rng.IntN(4) {
			bi, bj := min(i+n%2, len(l.colStart)-1), min(j+n/2, len(l.rowStart)-1)
			if n > 0 && bi == i && bj == j {
				break
			}
			ring := g.blockRing(bi, bj, 6)
			plot := acqPlot{ring: ring, centre: g.inBlock(bi, bj, 6, 0.5, 0.5)}
			p.plots = append(p.plots, plot)
			var handed, retainedDate time.Time
			obstacle := ""
			if rng.Float64() < 0.7 {
				handed = within(p.redline.AddDate(0, 3+rng.IntN(18), rng.IntN(28)))
			}
			if handed.IsZero() {
				obstacle = oneOf(rng, "坟墓迁移", "青苗补偿争议", "权属争议", "群众诉求", "规划调整")
			}
			status := "待征"
			switch {
			case !handed.IsZero():
				status = "已交地"
			case rng.Float64() < 0.5:
				status = "已签约"
			}
			area := ringArea(g.ringUV(bi, bj, 6))
			var retained any
			if p.owner == "集体" {
				mu := math.Round(area*15/10000*0.1*100) / 100
				retained = mu
				if !handed.IsZero() && rng.Float64() < 0.5 {
					retainedDate = within(handed.AddDate(0, 2+rng.IntN(20), 0))
				}
			}
			if err := w.Write(orb.Polygon{ring}, []prop{
				{"DKBH", fmt.Sprintf("%s-%d", p.code, n+1)}, {"XMMC", p.name}, {"RWLY", source}, {"RWND", p.year},
				{"QS", p.owner}, {"ZT", status}, {"HXRQ", dateOf(p.redline)}, {"JDRQ", dateOf(handed)},
				{"ND", obstacle}, {"LYD", retained}, {"LYDRQ", dateOf(retainedDate)}, {"JDMC", s.Name},
			}); err != nil {
				w.Close()
				return nil, err
			}
			g.count("acquisition")
		}
		out = append(out, p)
	}
	return out, w.Close()
}

// ringUV returns block (i, j) shrunk by inset in the GK plane, for its area.
func (g *generator) ringUV(i, j int, inset float64) orb.Ring {
	l := g.l
	u0, u1 := l.colStart[i]+inset, l.colEnd[i]-inset
	v0, v1 := l.rowStart[j]+inset, l.rowEnd[j]-inset
	r := orb.Ring{{u0, v0}, {u1, v0}, {u1, v1}, {u0, v1}, {u0, v0}}
	for k, p := range r {
		r[k] = l.warp(p)
	}
	return r
}

// The ledger's columns: a group heading (merged over its columns) or none,
// and the bottom header.
var householdColumns = []struct{ group, name string }{
	{"", "序号"}, {"", "户编号"}, {"", "项目名称"}, {"", "所属街道"}, {"", "征收类型"},
	{"房屋情况", "房屋面积（㎡）"}, {"房屋情况", "栋数"},
	{"签约情况", "签约日期"}, {"签约情况", "签约方式"}, {"", "拆除日期"},
	{"补偿情况", "应付补偿款（万元）"}, {"补偿情况", "已付补偿款（万元）"},
	{"安置情况", "安置方式"}, {"安置情况", "安置区"}, {"安置情况", "投资类型"}, {"安置情况", "交房日期"},
	{"过渡情况", "过渡起始日期"}, {"过渡情况", "约定过渡期（月）"}, {"过渡情况", "过渡费（元/月）"},
	{"", "状态"}, {"", "经度"}, {"", "纬度"},
}

func householdHeaders() []string {
	out := make([]string, len(householdColumns))
	for i, c := range householdColumns {
		out[i] = c.name
	}
	return out
}

// writeHouseholds writes the ledger, streaming its rows.
func (g *generator) writeHouseholds(ctx context.Context, rng *rand.Rand, projects []*acqProject) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	const sheet = "征收台账"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy/m/d")})
	if err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(householdColumns))
	row := func(n int, vals []any) error {
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, vals)
	}
	if err := row(1, []any{districtName + "房屋征收补偿安置台账（截至2025年12月31日）"}); err != nil {
		return err
	}
	if err := row(2, []any{"填报单位：" + districtName + "房屋征收与补偿中心"}); err != nil {
		return err
	}
	top, bottom := make([]any, len(householdColumns)), make([]any, len(householdColumns))
	for i, c := range householdColumns {
		if c.group == "" {
			top[i] = c.name
		} else {
			top[i], bottom[i] = c.group, c.name
		}
	}
	if err := row(3, top); err != nil {
		return err
	}
	if err := row(4, bottom); err != nil {
		return err
	}
	merges := [][2]string{{"A1", last + "1"}, {"A2", last + "2"}}
	for i := 0; i < len(householdColumns); {
		c := householdColumns[i]
		a, _ := excelize.ColumnNumberToName(i + 1)
		if c.group == "" {
			merges = append(merges, [2]string{a + "3", a + "4"})
			i++
			continue
		}
		k := i
		for k+1 < len(householdColumns) && householdColumns[k+1].group == c.group {
			k++
		}
		b, _ := excelize.ColumnNumberToName(k + 1)
		merges = append(merges, [2]string{a + "3", b + "3"})
		i = k + 1
	}
	for _, mc := range merges {
		if err := sw.MergeCell(mc[0], mc[1]); err != nil {
			return err
		}
	}
	date := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return excelize.Cell{StyleID: dateStyle, Value: t}
	}
	sites := []string{g.t.placeName(hash(g.opt.Seed, 0x617a, 1)) + "安置区", g.t.placeName(hash(g.opt.Seed, 0x617a, 2)) + "安置区", g.t.placeName(hash(g.opt.Seed, 0x617a, 3)) + "安置小区"}
	n := 0
	var totalArea float64
	for _, p := range projects {
		if err := ctx.Err(); err != nil {
			return err
		}
		exproType := "集体土地征收"
		if p.owner != "集体" {
			exproType = "国有土地上房屋征收"
		}
		for h := range 250 + rng.IntN(400) {
			n++
			area := math.Round((60+rng.Float64()*240)*100) / 100
			totalArea += area
			var signed, demolished, delivered, tstart time.Time
			signMode := ""
			if rng.Float64() < 0.88 {
				signed = within(p.redline.AddDate(0, rng.IntN(20), rng.IntN(28)))
			}
			var owed, paid any
			mode, site, investor := "", "", ""
			var months, fee any
			if !signed.IsZero() {
				signMode = "协议征收"
				if rng.Float64() < 0.04 {
					signMode = "司法征收"
				}
				o := math.Round(area*(0.5+rng.Float64()*0.7)*100) / 100
				owed = o
				switch r := rng.Float64(); {
				case r < 0.7:
					paid = o
				case r < 0.9:
					paid = math.Round(o*rng.Float64()*100) / 100
				default:
					paid = 0.0
				}
				if rng.Float64() < 0.8 {
					demolished = within(signed.AddDate(0, 1+rng.IntN(6), 0))
				}
				mode = oneOf(rng, "货币补偿", "货币补偿", "产权调换", "产权调换", "产权调换", "购房凭证改选", "调安")
				investor = "政府投资"
				if rng.Float64() < 0.2 {
					investor = "企业"
				}
				if mode != "货币补偿" {
					site = sites[rng.IntN(len(sites))]
					tstart = demolished
					if tstart.IsZero() {
						tstart = within(signed.AddDate(0, 1, 0))
					}
					if !tstart.IsZero() {
						months = oneOf(rng, 18, 24, 24, 36)
						fee = math.Round(area * (10 + rng.Float64()*10))
						if rng.Float64() < 0.5 {
							delivered = within(tstart.AddDate(0, 12+rng.IntN(48), 0))
						}
					}
				}
			}
			status := "未签约"
			switch {
			case !delivered.IsZero():
				status = "已安置"
			case !demolished.IsZero():
				status = "已拆除"
			case !signed.IsZero():
				status = "已签约"
			}
			var lon, lat any
			switch r := rng.Float64(); {
			case r < 0.55: // the house, in one of the project's plots
				pl := p.plots[rng.IntN(len(p.plots))]
				b := pl.ring.Bound()
				pt := orb.Point{b.Min[0] + (0.15+0.7*rng.Float64())*(b.Max[0]-b.Min[0]), b.Min[1] + (0.15+0.7*rng.Float64())*(b.Max[1]-b.Min[1])}
				lon, lat = round7(pt[0]), round7(pt[1])
			case r < 0.92: // the project
				lon, lat = round7(p.plots[0].centre[0]), round7(p.plots[0].centre[1])
			default: // a ledger row only
				g.counts["households_unlocated"]++
			}
			if err := row(4+n, []any{
				n, fmt.Sprintf("%s-%04d", p.code, h+1), p.name, p.sub.Name, exproType,
				area, 1 + rng.IntN(3), date(signed), signMode, date(demolished),
				owed, paid, mode, site, investor, date(delivered),
				date(tstart), months, fee, status, lon, lat,
			}); err != nil {
				return err
			}
			g.count("households")
		}
	}
	// A total row, as ledgers end: the importer skips it.
	if err := row(5+n, []any{"合计", nil, nil, nil, nil, math.Round(totalArea*100) / 100}); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	out, err := os.Create(g.path("households.xlsx"))
	if err != nil {
		return err
	}
	if _, err := f.WriteTo(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func ptr[T any](v T) *T { return &v }

func round7(x float64) float64 { return math.Round(x*1e7) / 1e7 }

var renovationFields = []string{"XMBH", "XMMC", "JDMC", "TZLX", "LX", "GZFS", "JHND", "PC", "HS", "TS", "JZMJ", "ZTZ", "ZJ", "ZXZ", "ZTXQ",
	"ZBRQ", "KGRQ", "JHJGRQ", "JGRQ", "JFRQ"}

func (g *generator) writeRenovation(rng *rand.Rand) error {
	w, err := newGeoJSONWriter(g.path("renovation.geojson"), "renovation")
	if err != nil {
		return err
	}
	l := g.l
	yesNo := func(b bool) string {
		if b {
			return "是"
		}
		return "否"
	}
	for k := range renovationProjects(g.opt.Scale) {
		i, j := rng.IntN(len(l.colStart)), rng.IntN(len(l.rowStart))
		s := l.subAt(i, j)
		typ := oneOf(rng, "棚户区改造", "老旧小区改造", "老旧小区改造", "老旧小区改造", "城中村改造", "背街小巷", "背街小巷", "配套基础设施", "安置房", "安置房")
		year := 2019 + rng.IntN(7)
		name := g.t.placeName(hash(g.opt.Seed, 0x7367, uint64(k)))
		mode := "整治提升"
		var households, dwellings int
		var floor float64
		switch typ {
		case "棚户区改造":
			mode, households = "拆除新建", 80+rng.IntN(400)
			name += "棚户区改造项目"
		case "老旧小区改造":
			households = 100 + rng.IntN(900)
			name += "小区老旧小区改造项目"
		case "城中村改造":
			mode, households = oneOf(rng, "拆整结合", "拆除新建"), 150+rng.IntN(600)
			name += "城中村改造项目"
		case "背街小巷":
			name += "街背街小巷改造"
		case "配套基础设施":
			mode = "拆整结合"
			name += "片区配套基础设施项目"
		case "安置房":
			mode, dwellings = "拆除新建", 200+rng.IntN(1200)
			name += "安置房项目"
			if year > 2022 && rng.Float64() < 0.5 {
				year -= 3 // resettlement housing is older: some of it late
			}
		}
		if households > 0 {
			dwellings = households + rng.IntN(households/5+1)
			floor = float64(households) * (60 + rng.Float64()*40)
		} else if dwellings > 0 {
			floor = float64(dwellings) * (70 + rng.Float64()*30)
		}
		invest := math.Round((floor*0.15+500+rng.Float64()*3000)*100) / 100
		tender := within(randomDay(rng, year))
		var start, planned, completed, delivered time.Time
		if !tender.IsZero() && rng.Float64() < 0.8 {
			start = within(tender.AddDate(0, 1+rng.IntN(5), 0))
		}
		if !start.IsZero() {
			dur := 6 + rng.IntN(30)
			if typ == "安置房" {
				dur = 24 + rng.IntN(30)
			}
			planned = start.AddDate(0, dur, 0)
			if rng.Float64() < 0.7 {
				completed = within(planned.AddDate(0, rng.IntN(9), 0))
			}
			if typ == "安置房" && !completed.IsZero() && rng.Float64() < 0.7 {
				delivered = within(completed.AddDate(0, 1+rng.IntN(6), 0))
			}
		}
		var geom orb.Geometry
		if typ == "背街小巷" {
			v := l.rowStart[j] - 4 // along the road below the block
			geom = orb.LineString{l.lonLat(l.warp(orb.Point{l.colStart[i], v})), l.lonLat(l.warp(orb.Point{(l.colStart[i] + l.colEnd[i]) / 2, v})),
				l.lonLat(l.warp(orb.Point{l.colEnd[i], v}))}
		} else {
			geom = orb.Polygon{g.blockRing(i, j, 10)}
		}
		num := func(n int) any {
			if n == 0 {
				return nil
			}
			return n
		}
		var floorV any
		if floor > 0 {
			floorV = math.Round(floor*100) / 100
		}
		if err := w.Write(geom, []prop{
			{"XMBH", fmt.Sprintf("SG%d%03d", year, k+1)}, {"XMMC", name}, {"JDMC", s.Name}, {"TZLX", oneOf(rng, "政府投资", "政府投资", "企业")},
			{"LX", typ}, {"GZFS", mode}, {"JHND", year}, {"PC", oneOf(rng, "第一批", "第二批", "第三批")},
			{"HS", num(households)}, {"TS", num(dwellings)}, {"JZMJ", floorV}, {"ZTZ", invest},
			{"ZJ", math.Round(invest*rng.Float64()*0.4*100) / 100}, {"ZXZ", yesNo(rng.Float64() < 0.3)},
			{"ZTXQ", yesNo(typ == "老旧小区改造" && rng.Float64() < 0.25)},
			{"ZBRQ", dateOf(tender)}, {"KGRQ", dateOf(start)}, {"JHJGRQ", dateOf(planned)}, {"JGRQ", dateOf(completed)}, {"JFRQ", dateOf(delivered)},
		}); err != nil {
			w.Close()
			return err
		}
		g.count("renovation")
	}
	return w.Close()
}
