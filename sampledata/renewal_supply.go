package sampledata

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"tudi/geo"
	"tudi/land"
)

// The land reserve, the supply plan, construction-land approvals (报批) and
// the phases of the urban-renewal units: the fields and layers of the
// bureau's yearly report on urban renewal and land supply. Every value
// here comes from random generators of its own, seeded by the feature, so
// that the rest of the district is the same bytes as without them.

// approvalRate is the share of the blocks holding approved construction
// land (supplied or 批而未供 parcels) that make an approval batch.
const approvalRate = 0.3

// sampleEnd is the last day of the sample's history.
var sampleEnd = time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)

// renewalSupply writes the approvals shapefile and the phase ledger.
type renewalSupply struct {
	approvals *shpWriter
	book      *excelize.File
	sheet     *excelize.StreamWriter
	xlsxPath  string
	rows      int // ledger rows written, the header included
	batchSeq  []int
}

const (
	approvalsFile = "land_approvals"
	projectsFile  = "renewal_projects.xlsx"
	projectsSheet = "更新项目台账"
)

// The source fields of the approvals, as the bureaus name them.
func approvalFields() []dbfField {
	return []dbfField{
		{"PCBH", 'C', 20, 0}, {"PCMC", 'C', 60, 0}, {"PCLX", 'C', 10, 0}, {"ZT", 'C', 10, 0},
		{"SBRQ", 'C', 8, 0}, {"PFRQ", 'C', 8, 0}, {"PFWH", 'C', 40, 0}, {"PZMJ", 'N', 14, 2},
		{"ZYGD", 'N', 14, 2}, {"BCGD", 'N', 14, 2}, {"ZBLY", 'C', 14, 0}, {"HJMJ", 'N', 14, 2},
		{"JDMC", 'C', 30, 0},
	}
}

// parcelPlanFields are the parcels' fields of the reserve, the supply plan,
// the contract and the start of construction, after parcelFields'.
func parcelPlanFields() []dbfField {
	return []dbfField{
		{"LY", 'C', 10, 0}, {"RKRQ", 'C', 8, 0}, {"RKLX", 'C', 14, 0}, {"JHND", 'N', 4, 0},
		{"HTRQ", 'C', 8, 0}, {"YJJK", 'N', 14, 2}, {"JKRQ", 'C', 8, 0}, {"YDKGRQ", 'C', 8, 0},
		{"SJKGRQ", 'C', 8, 0}, {"BZD", 'C', 2, 0},
	}
}

// renewalPlanFields are the renewal units' fields of the plan, after the
// milestone dates.
var renewalPlanFields = []string{"PFJG", "DYLX", "JHYDMJ", "CCMJ", "GHYDMJ", "KFJSMJ", "GYYDMJ", "JZMJ", "JZMJ_JZ", "JZMJ_SY",
	"JZMJ_CY", "JZMJ_GG", "XZCYMJ", "BZFMJ", "CXCYMJ", "YEY", "XX", "SKZX", "ZHZZMJ", "XHWJMJ"}

// projectHeader is the header of the phase ledger: the Chinese column
// titles of the bureau's 台账, with units.
var projectHeader = []any{"项目编号", "单元编号", "期数", "项目名称", "实施主体", "实施主体确认日期", "出让合同编号", "土地出让日期",
	"土地出让价款（万元）", "缴款日期", "移交入库面积（平方米）", "移交入库日期", "固定资产投资（万元）", "街道", "经度", "纬度"}

func openRenewalSupply(g *generator) (*renewalSupply, error) {
	w, err := newShpWriter(g.path(approvalsFile), approvalFields(), simplifiedchinese.GBK, 0)
	if err != nil {
		return nil, err
	}
	rs := &renewalSupply{approvals: w, book: excelize.NewFile(), xlsxPath: g.path(projectsFile), batchSeq: make([]int, len(g.l.subs))}
	if err := rs.book.SetSheetName("Sheet1", projectsSheet); err != nil {
		rs.abort()
		return nil, fmt.Errorf("ledger %s: %w", rs.xlsxPath, err)
	}
	if rs.sheet, err = rs.book.NewStreamWriter(projectsSheet); err != nil {
		rs.abort()
		return nil, fmt.Errorf("ledger %s: %w", rs.xlsxPath, err)
	}
	// A title row above the header, as the bureaus' ledgers have.
	if err := rs.row([]any{districtName + "城市更新项目（分期）台账"}); err != nil {
		rs.abort()
		return nil, err
	}
	if err := rs.row(projectHeader); err != nil {
		rs.abort()
		return nil, err
	}
	return rs, nil
}

func (rs *renewalSupply) row(vals []any) error {
	rs.rows++
	cell, err := excelize.CoordinatesToCellName(1, rs.rows)
	if err == nil {
		err = rs.sheet.SetRow(cell, vals)
	}
	if err != nil {
		return fmt.Errorf("ledger %s row %d: %w", rs.xlsxPath, rs.rows, err)
	}
	return nil
}

func (rs *renewalSupply) abort() {
	if rs == nil {
		return
	}
	if rs.approvals != nil {
		rs.approvals.abort()
	}
	if rs.book != nil {
		_ = rs.book.Close()
	}
}

// close finishes both files and the approvals' sidecars.
func (rs *renewalSupply) close(g *generator) error {
	err := rs.approvals.Close()
	if e := rs.sheet.Flush(); e != nil {
		err = errors.Join(err, fmt.Errorf("ledger %s: %w", rs.xlsxPath, e))
	} else if e := rs.book.SaveAs(rs.xlsxPath); e != nil {
		err = errors.Join(err, fmt.Errorf("ledger %s: %w", rs.xlsxPath, e))
	}
	err = errors.Join(err, rs.book.Close(), os.Chmod(rs.xlsxPath, 0o644))
	prj, e := geo.EsriWKT(zoneSRID)
	err = errors.Join(err, e)
	if e == nil {
		err = errors.Join(err,
			os.WriteFile(g.path(approvalsFile+".prj"), []byte(prj), 0o644),
			os.WriteFile(g.path(approvalsFile+".cpg"), []byte("GBK"), 0o644))
	}
	for _, name := range []string{"land_approvals", "renewal_projects"} {
		g.progress(name, g.counts[name])
	}
	return err
}

// layers describes the two files for the manifest.
func (rs *renewalSupply) layers(g *generator) []Layer {
	var fields []string
	for _, f := range approvalFields() {
		fields = append(fields, f.Name)
	}
	var header []string
	for _, h := range projectHeader {
		header = append(header, h.(string))
	}
	return []Layer{
		{
			Name: "land_approvals", Kind: land.Kind("land_approvals"), Format: "shapefile",
			Files:        []string{approvalsFile + ".shp", approvalsFile + ".shx", approvalsFile + ".dbf", approvalsFile + ".prj", approvalsFile + ".cpg"},
			TextEncoding: "GBK", EncodingFrom: ".cpg", SourceSRID: zoneSRID, SRIDFrom: ".prj (Esri WKT, CGCS2000_3_Degree_GK_Zone_38)",
			Fields: fields, Features: g.counts["land_approvals"],
		},
		{
			Name: "renewal_projects", Kind: land.Kind("renewal_projects"), Format: "xlsx", Files: []string{projectsFile},
			TextEncoding: "UTF-8", EncodingFrom: "xlsx", SourceSRID: geo.CGCS2000, SRIDFrom: "the 经度/纬度 columns (CGCS2000 lon/lat of the unit)",
			Fields: header, Features: g.counts["renewal_projects"],
		},
	}
}

// day formats t as the shapefiles' dates (20060102), nil for none.
func day(t time.Time) any {
	if t.IsZero() || t.After(sampleEnd) {
		return nil
	}
	return t.Format("20060102")
}

// isoDay formats t as the ledger's dates, nil for none.
func isoDay(t time.Time) any {
	if t.IsZero() || t.After(sampleEnd) {
		return nil
	}
	return t.Format(time.DateOnly)
}

// parcelPlanValues returns the values of parcelPlanFields for p: the
// reserve for parcels 储备 and the supplied ones that came from it, the plan
// year, contract, payment and start of the supplied ones.
func (g *generator) parcelPlanValues(s *subDistrict, p *parcel) []any {
	vals := make([]any, len(parcelPlanFields()))
	rng := rand.New(rand.NewPCG(hash(g.opt.Seed, 11, uint64(s.No), uint64(g.parcelSeq[s.No-1])), 0))
	switch {
	case p.status == "储备":
		vals[0] = "储备"
		vals[1] = day(time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(11*365)))
		vals[2] = pick([]weighted{{"征收", 40}, {"收回", 25}, {"收购", 15}, {"土地整备", 20}}, rng.Float64())
		if rng.Float64() < 0.35 {
			vals[3] = 2024 + rng.IntN(2)
		}
	case p.method != "":
		supplied, err := time.Parse("20060102", p.date)
		if err != nil {
			return vals
		}
		src := pick([]weighted{{"储备", 60}, {"城市更新", 15}, {"其他", 25}}, rng.Float64())
		vals[0] = src
		if src != "其他" {
			vals[1] = day(supplied.AddDate(0, 0, -(90 + rng.IntN(3*365))))
			vals[2] = pick([]weighted{{"征收", 40}, {"收回", 25}, {"收购", 15}, {"土地整备", 20}}, rng.Float64())
			if src == "城市更新" {
				vals[2] = "城市更新移交"
			}
		}
		switch r := rng.Float64(); {
		case r < 0.8:
			vals[3] = supplied.Year()
		case r < 0.88:
			vals[3] = supplied.Year() - 1
		}
		contract := supplied.AddDate(0, 0, rng.IntN(21))
		vals[4] = day(contract)
		if p.price > 0 && (p.method == "招拍挂" || p.method == "协议") {
			paid := contract.AddDate(0, 0, 30+rng.IntN(60))
			if !paid.After(sampleEnd) {
				share := 1.0
				if rng.Float64() < 0.15 {
					share = 0.5
				}
				vals[5] = math.Round(p.price*share*100) / 100
				vals[6] = day(paid)
			}
		}
		agreed := contract.AddDate(0, 0, 180+rng.IntN(186))
		vals[7] = day(agreed)
		if rng.Float64() < 0.85 {
			vals[8] = day(agreed.AddDate(0, 0, -60+rng.IntN(181)))
		}
		if p.use >= "06" && p.use < "07" && rng.Float64() < 0.3 {
			vals[9] = "是"
		} else {
			vals[9] = "否"
		}
	}
	return vals
}

// writeApprovals makes an approval batch of some blocks that hold approved
// construction land: the block's outline, or its two halves as two batches
// (so that parcels across the middle lie in both), approved before the
// first supply of the block.
func (g *generator) writeApprovals(s *subDistrict, quad [4]orb.Point, ps []parcel) error {
	first := time.Time{}
	approved := false
	for _, p := range ps {
		if p.status == "批而未供" {
			approved = true
		}
		if p.method != "" {
			approved = true
			if d, err := time.Parse("20060102", p.date); err == nil && (first.IsZero() || d.Before(first)) {
				first = d
			}
		}
	}
	if !approved {
		return nil
	}
	rng := rand.New(rand.NewPCG(hash(g.opt.Seed, 12, math.Float64bits(quad[0][0]), math.Float64bits(quad[0][1])), 0))
	if rng.Float64() >= approvalRate {
		return nil
	}
	rings := []orb.Ring{{quad[0], quad[1], quad[2], quad[3], quad[0]}}
	if rng.Float64() < 0.25 {
		m01 := orb.Point{(quad[0][0] + quad[1][0]) / 2, (quad[0][1] + quad[1][1]) / 2}
		m32 := orb.Point{(quad[3][0] + quad[2][0]) / 2, (quad[3][1] + quad[2][1]) / 2}
		rings = []orb.Ring{{quad[0], m01, m32, quad[3], quad[0]}, {m01, quad[1], quad[2], m32, m01}}
	}
	for _, ring := range rings {
		if err := g.writeBatch(rng, s, ring, first); err != nil {
			return err
		}
	}
	return nil
}

// writeBatch writes one approval batch over ring (GK, counter-clockwise).
func (g *generator) writeBatch(rng *rand.Rand, s *subDistrict, ring orb.Ring, firstSupply time.Time) error {
	rs := g.rs
	rs.batchSeq[s.No-1]++
	seq := rs.batchSeq[s.No-1]
	area := ringArea(ring)
	status := pick([]weighted{{"已批准", 75}, {"审查中", 8}, {"已上报", 7}, {"组卷", 5}, {"已撤回", 5}}, rng.Float64())
	if !firstSupply.IsZero() && status != "已撤回" {
		status = "已批准" // land was supplied from it
	}
	var submitted, approvedOn time.Time
	switch status {
	case "已批准", "已撤回":
		if firstSupply.IsZero() {
			approvedOn = time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(14*365))
		} else {
			approvedOn = firstSupply.AddDate(0, 0, -(30 + rng.IntN(700)))
		}
		submitted = approvedOn.AddDate(0, 0, -(60 + rng.IntN(240)))
	case "审查中", "已上报":
		submitted = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(730))
	}
	kind := pick([]weighted{{"城市批次", 60}, {"单独选址", 25}, {"城市更新", 15}}, rng.Float64())
	year := submitted.Year()
	if submitted.IsZero() {
		year = 2025
	}
	name := fmt.Sprintf("%s%d年度第%d批次%s建设用地", s.Name, year, seq, map[string]string{"城市批次": "城镇", "单独选址": "单独选址", "城市更新": "城市更新"}[kind])
	var no, approvedArea, farmland, offset, withdrawn any
	if !approvedOn.IsZero() {
		no = fmt.Sprintf("粤府土审（%d）%d号", approvedOn.Year(), 1+rng.IntN(400))
		// The approval document's figure, a little off the outline.
		a := area * (0.97 + 0.03*rng.Float64())
		approvedArea = math.Round(a*100) / 100
		if rng.Float64() < 0.7 {
			f := a * (0.05 + 0.35*rng.Float64())
			farmland = math.Round(f*100) / 100
			o := f
			if rng.Float64() < 0.15 {
				o = f * (0.8 + 0.2*rng.Float64())
			}
			offset = math.Round(o*100) / 100
		} else {
			farmland, offset = 0.0, 0.0
		}
		if rng.Float64() < 0.1 {
			withdrawn = math.Round(a*(0.05+0.15*rng.Float64())*100) / 100
		}
	}
	code := fmt.Sprintf("PC%s%04d", s.Code[6:9], seq)
	quota := pick([]weighted{{"年度计划指标", 60}, {"增减挂钩", 25}, {"增存挂钩", 15}}, rng.Float64())
	if err := rs.approvals.Write(orb.Polygon{reversed(ring)}, code, name, kind, status, day(submitted), day(approvedOn), no,
		approvedArea, farmland, offset, quota, withdrawn, s.Name); err != nil {
		return err
	}
	g.count("land_approvals")
	return nil
}

// renewalPlanProps returns the plan figures of a renewal unit of area m² at
// stage index si (into land.RenewalStages) and writes its phases to the
// ledger: a unit whose plan is approved has one to three phases (the plan
// divides it), confirmed from the unit's entity date on, the first
// contracted on the unit's contract date, the others later or not yet.
// dates are the unit's milestone dates (2006-01-02 or nil); ring its
// outline (GK), whose centre gives the ledger's 经度/纬度.
func (g *generator) renewalPlanProps(s *subDistrict, code, name, cat, dir string, si int, ring orb.Ring, dates []any) ([]prop, error) {
	area := ringArea(ring)
	rng := rand.New(rand.NewPCG(hash(g.opt.Seed, 13, uint64(s.No), uint64(g.unitSeq[s.No-1])), 0))
	r2 := func(v float64) float64 { return math.Round(v*100) / 100 }
	vals := map[string]any{}
	vals["PFJG"] = pick([]weighted{{"市", 35}, {"区", 65}}, rng.Float64())
	vals["DYLX"] = "计划单元"
	if rng.Float64() < 0.12 {
		vals["DYLX"] = "统筹单元"
	}
	plan := area * (0.9 + 0.2*rng.Float64())
	vals["JHYDMJ"] = r2(plan)
	switch cat {
	case "拆除重建":
		vals["CCMJ"] = r2(plan * (0.6 + 0.4*rng.Float64()))
	case "综合整治":
		vals["ZHZZMJ"] = r2(plan * (0.5 + 0.5*rng.Float64()))
		vals["XHWJMJ"] = r2(plan * 0.3 * rng.Float64())
	}
	industrial := dir == "工改工" || dir == "工改研发"
	if si >= 1 { // the plan is approved
		approved := plan * (0.95 + 0.05*rng.Float64())
		dev := approved * (0.55 + 0.25*rng.Float64())
		vals["GHYDMJ"], vals["KFJSMJ"], vals["GYYDMJ"] = r2(approved), r2(dev), r2(approved-dev)
		gfa := dev * (2.5 + 3*rng.Float64())
		var res, com, ind float64
		switch {
		case industrial:
			ind = gfa * (0.7 + 0.2*rng.Float64())
			com = gfa * 0.1
		case dir == "工改商" || dir == "商改商" || dir == "居改商":
			com = gfa * (0.6 + 0.2*rng.Float64())
			res = gfa * 0.1
		default:
			res = gfa * (0.6 + 0.2*rng.Float64())
			com = gfa * 0.15
		}
		pub := gfa - res - com - ind
		vals["JZMJ"], vals["JZMJ_JZ"], vals["JZMJ_SY"], vals["JZMJ_CY"], vals["JZMJ_GG"] = r2(gfa), r2(res), r2(com), r2(ind), r2(pub)
		if res > 0 {
			vals["BZFMJ"] = r2(res * (0.1 + 0.1*rng.Float64()))
		}
		if ind > 0 {
			vals["CXCYMJ"] = r2(ind * (0.1 + 0.1*rng.Float64()))
		}
		vals["YEY"] = int(dev / 40000)
		vals["XX"] = int(dev / 90000)
		vals["SKZX"] = int(dev / 60000)
	}
	if strings.HasPrefix(dir, "工改") {
		vals["XZCYMJ"] = r2(area * (0.6 + 0.6*rng.Float64()))
	}
	props := make([]prop, len(renewalPlanFields))
	for i, f := range renewalPlanFields {
		props[i] = prop{f, vals[f]}
	}
	if si < 1 {
		return props, nil
	}
	parse := func(v any) time.Time {
		if s, ok := v.(string); ok {
			if t, err := time.Parse(time.DateOnly, s); err == nil {
				return t
			}
		}
		return time.Time{}
	}
	entity, contract := parse(dates[2]), parse(dates[3])
	n := 1 + rng.IntN(3)
	switch {
	case area < 10000:
		n = 1
	case area > 60000:
		n = max(n, 2)
	}
	company := g.t.placeName(hash(g.opt.Seed, 14, uint64(s.No), uint64(g.unitSeq[s.No-1]))) + pick([]weighted{{"置业", 40}, {"实业", 30}, {"投资发展", 30}}, rng.Float64()) + "有限公司"
	dev, _ := vals["KFJSMJ"].(float64)
	pub, _ := vals["GYYDMJ"].(float64)
	c, _ := planar.CentroidArea(ring)
	ll := g.l.lonLat(c)
	lon, lat := math.Round(ll[0]*1e7)/1e7, math.Round(ll[1]*1e7)/1e7
	for k := 1; k <= n; k++ {
		ent := entity
		if k > 1 && !entity.IsZero() {
			ent = entity.AddDate(0, 0, 30+rng.IntN(400)*(k-1))
		}
		var con time.Time
		switch {
		case k == 1:
			con = contract
		case !contract.IsZero() && rng.Float64() < 0.6:
			con = contract.AddDate(0, 0, 60+rng.IntN(500))
			if con.Before(ent) {
				con = ent.AddDate(0, 0, 30)
			}
		}
		entV := isoDay(ent)
		var entityName any
		if entV != nil {
			entityName = company
		}
		var no, price, paid, handArea, handDay, invest any
		if c := isoDay(con); c != nil {
			no = fmt.Sprintf("深地合字（%d）%04d号", con.Year(), 1+rng.IntN(9999))
			price = r2(dev / float64(n) * (0.3 + 0.5*rng.Float64())) // 万元: 3 000–8 000 元/m²
			paid = isoDay(con.AddDate(0, 0, 30+rng.IntN(90)))
			invest = r2(price.(float64) * (1.5 + rng.Float64()))
		}
		// The public-interest land is handed into the reserve before the
		// land contract of the phase.
		if entV != nil && pub > 0 && rng.Float64() < 0.7 {
			hd := ent.AddDate(0, 0, 30+rng.IntN(200))
			if !con.IsZero() && hd.After(con) {
				hd = con.AddDate(0, 0, -10)
			}
			if handDay = isoDay(hd); handDay != nil {
				handArea = r2(pub / float64(n))
			}
		}
		if err := g.rs.row([]any{fmt.Sprintf("%s-%d", code, k), code, k, fmt.Sprintf("%s第%d期", name, k), entityName, entV, no, isoDay(con),
			price, paid, handArea, handDay, invest, s.Name, lon, lat}); err != nil {
			return nil, err
		}
		g.count("renewal_projects")
	}
	return props, nil
}
