package sampledata

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/xuri/excelize/v2"

	"tudi/geo"
	"tudi/land"
)

// The inspection and permit layers of the sample district: the 卫片
// (satellite change-detection) patches of the four quarterly batches of 2024 (and the last of 2023) with their
// verdicts and rectification, a 督察 problem list without geometry as an
// Excel ledger, and a year of planning permits. They are drawn over the
// parcels block by block, after every other layer of the block, from the
// block's own random stream, so that the other layers are the same bytes as
// without them.
const (
	inspectionRate = 0.12 // share of blocks outside the core with a 卫片 patch
	permitRate     = 0.05 // share of construction parcels with a 2024 permit
	problemEvery   = 4    // one 督察 problem per this many 卫片 patches
)

// The batches: the four of 2024 and the last of 2023 (whose open items are
// carried over into 2024), with the day their patches were handed down.
var inspectionBatches = []struct {
	name string
	day  time.Time
}{
	{"2023年第四季度", time.Date(2023, 12, 12, 0, 0, 0, 0, time.UTC)},
	{"2024年第一季度", time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)},
	{"2024年第二季度", time.Date(2024, 6, 14, 0, 0, 0, 0, time.UTC)},
	{"2024年第三季度", time.Date(2024, 9, 13, 0, 0, 0, 0, time.UTC)},
	{"2024年第四季度", time.Date(2024, 12, 10, 0, 0, 0, 0, time.UTC)},
}

// inspectionEnd is the last day the sample's records know of.
var inspectionEnd = time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)

// inspectionState is what the generator keeps for these layers.
type inspectionState struct {
	patches, permits *geojsonWriter
	problems         [][]any // the ledger's rows, written when the sample closes
	patchSeq         []int   // per sub-district
	permitSeq        int
}

func (g *generator) openInspection() error {
	var err error
	if g.insp.patches, err = newGeoJSONWriter(g.path("inspection_patches.geojson"), "inspection_patches"); err != nil {
		return err
	}
	g.insp.permits, err = newGeoJSONWriter(g.path("permits.geojson"), "permits")
	g.insp.patchSeq = make([]int, len(g.l.subs))
	return err
}

func (g *generator) abortInspection() {
	for _, w := range []*geojsonWriter{g.insp.patches, g.insp.permits} {
		if w != nil {
			w.Close()
		}
	}
}

// closeInspection finishes the GeoJSON files and writes the ledger.
func (g *generator) closeInspection() error {
	if err := g.insp.patches.Close(); err != nil {
		return err
	}
	if err := g.insp.permits.Close(); err != nil {
		return err
	}
	return g.writeProblems()
}

// writeInspection draws the block's 卫片 patch, 督察 problem and permits.
func (g *generator) writeInspection(rng *rand.Rand, s *subDistrict, ps []parcel, z zone) error {
	if z != zoneCore && len(ps) > 0 && rng.Float64() < inspectionRate {
		if err := g.writeInspectionPatch(rng, s, &ps[rng.IntN(len(ps))]); err != nil {
			return err
		}
	}
	for k := range ps {
		p := &ps[k]
		if p.construction() && p.use != "0702" && rng.Float64() < permitRate {
			if err := g.writePermit(rng, s, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeInspectionPatch writes a 卫片 patch over parcel p (a change the
// satellite saw there): a verdict, and for an unlawful one its
// rectification. Every other patch leaves its farmland figures empty, for
// tudi to compute from the parcels and the redlines.
func (g *generator) writeInspectionPatch(rng *rand.Rand, s *subDistrict, p *parcel) error {
	g.insp.patchSeq[s.No-1]++
	seq := g.insp.patchSeq[s.No-1]
	batch := inspectionBatches[rng.IntN(len(inspectionBatches))]
	area := math.Round(p.area*100) / 100
	verdict := pick([]weighted{{"合法", 55}, {"违法", 35}, {"其他", 10}}, rng.Float64())
	category := pick([]weighted{{"新增建设用地", 50}, {"设施农业用地", 20}, {"推堆土", 15}, {"其他", 15}}, rng.Float64())
	source := "卫片执法"
	if rng.Float64() < 0.15 {
		source = "乱占耕地建房" // a special campaign's patches, drawn like the satellite's
	}
	props := []prop{
		{"TBBH", fmt.Sprintf("WP%s%s%04d", s.Code[6:9], batch.name[:4], seq)}, {"JDMC", s.Name}, {"LY", source},
		{"JCPC", batch.name}, {"ND", batch.day.Year()}, {"WTLB", category}, {"JCMJ", area}, {"PDJG", verdict},
	}
	var illegal, needs, status, deadline, rectified, penalty any = nil, "否", nil, nil, nil, nil
	if verdict == "违法" {
		share := 0.5 + 0.5*rng.Float64()
		illegal = math.Round(area*share*100) / 100
		needs = "是"
		st, dl, rd := rectification(rng, batch.day)
		status, deadline, rectified = st, dl, rd
		if rng.Float64() < 0.4 {
			penalty = math.Round(area*share*(10+20*rng.Float64())/1e4*100) / 100 // 10–30 元/m², in 万元
		}
	}
	var farmland, basic any
	if seq%2 == 0 {
		// Recorded by the surveyor: cropland when the parcel is a field.
		if isField(p.use) {
			farmland = area
		} else {
			farmland = 0.0
		}
		basic = 0.0
	}
	props = append(props, prop{"WFMJ", illegal}, prop{"ZYGD", farmland}, prop{"ZYYJJBNT", basic}, prop{"SFXZG", needs},
		prop{"ZGZT", status}, prop{"ZGQX", deadline}, prop{"ZGRQ", rectified}, prop{"FK", penalty})
	if err := g.insp.patches.Write(g.lonLatRing(p.ring), props); err != nil {
		return err
	}
	g.count("inspection_patches")
	if g.counts["inspection_patches"]%problemEvery == 1 {
		g.addProblem(rng, s)
	}
	return nil
}

// rectification draws the state of an unlawful item found on day found:
// its deadline (three months on), and whether and when it was rectified by
// the end of the sample (sometimes after the deadline).
func rectification(rng *rand.Rand, found time.Time) (status, deadline, rectified any) {
	dl := found.AddDate(0, 3, 0)
	deadline = dl.Format(time.DateOnly)
	r := rng.Float64()
	done := found.AddDate(0, 0, 20+rng.IntN(150))
	switch {
	case r < 0.7 && !done.After(inspectionEnd):
		status, rectified = "已整改", done.Format(time.DateOnly)
		if rng.Float64() < 0.3 {
			status = "已销号"
		}
	case r < 0.85:
		status = "整改中"
	default:
		status = "未整改"
	}
	return status, deadline, rectified
}

// problemHeaders are the ledger's columns: the Chinese titles of the kind's
// fields (as a bureau's spreadsheet heads them).
var problemHeaders = []string{"问题编号", "街道", "来源", "年度", "问题类别", "违法面积", "占用耕地", "占用永久基本农田", "是否需整改", "整改状态", "整改期限", "整改完成日期", "罚款"}

// addProblem adds a problem of an inspection to the ledger: no place but
// its sub-district; of 2023 (carried over into 2024) or of 2024.
func (g *generator) addProblem(rng *rand.Rand, s *subDistrict) {
	n := len(g.insp.problems) + 1
	year := 2024
	if rng.Float64() < 0.3 {
		year = 2023
	}
	found := time.Date(year, time.Month(1+rng.IntN(11)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
	if year == 2023 {
		found = time.Date(2023, 9, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(120)) // the autumn inspection
	}
	source := pick([]weighted{{"耕地保护督察", 50}, {"土地例行督察", 20}, {"乱占耕地建房", 15}, {"审计", 10}, {"巡察", 5}}, rng.Float64())
	category := pick([]weighted{{"违法占用耕地", 45}, {"违法建设", 30}, {"耕地“非粮化”", 15}, {"其他", 10}}, rng.Float64())
	illegal := math.Round((200+3000*rng.Float64())*100) / 100
	farmland := math.Round(illegal*rng.Float64()*100) / 100
	basic := math.Round(farmland*rng.Float64()*0.5*100) / 100
	needs, status, deadline, rectified := "是", any(nil), any(nil), any(nil)
	if rng.Float64() < 0.1 {
		needs = "否"
	} else {
		status, deadline, rectified = rectification(rng, found)
	}
	g.insp.problems = append(g.insp.problems, []any{
		fmt.Sprintf("DC%d-%03d", year, n), s.Name, source, year, category, illegal, farmland, basic, needs, status, deadline, rectified, nil,
	})
}

// writeProblems writes the 督察 problem list as a ledger: a title row, the
// header, one row per problem (dates as text, as such sheets often hold
// them).
func (g *generator) writeProblems() error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	if err := f.SetSheetRow(sheet, "A1", &[]any{districtName + "土地督察及巡察审计问题整改台账"}); err != nil {
		return err
	}
	hdr := make([]any, len(problemHeaders))
	for i, h := range problemHeaders {
		hdr[i] = h
	}
	if err := f.SetSheetRow(sheet, "A2", &hdr); err != nil {
		return err
	}
	for i, row := range g.insp.problems {
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", i+3), &row); err != nil {
			return err
		}
	}
	g.counts["inspection_problems"] = len(g.insp.problems)
	if err := f.SaveAs(g.path("inspection_problems.xlsx")); err != nil {
		return fmt.Errorf("write the problem ledger: %w", err)
	}
	return nil
}

// writePermit writes a planning permit of 2024 (or December 2023) for parcel p: accepted on a
// working day, issued a number of working days later (by the holiday
// calendar), sometimes beyond the promised limit.
func (g *generator) writePermit(rng *rand.Rand, s *subDistrict, p *parcel) error {
	g.insp.permitSeq++
	cal := land.DefaultHolidays()
	typ := pick([]weighted{{"建设用地规划许可证", 25}, {"建设工程规划许可证", 35}, {"规划验收合格证", 15}, {"建设用地方案图", 10},
		{"方案设计核查意见书", 10}, {"设施农用地备案", 5}}, rng.Float64())
	limit := map[string]int{"建设用地规划许可证": 20, "建设工程规划许可证": 20, "规划验收合格证": 15, "建设用地方案图": 10,
		"方案设计核查意见书": 15, "设施农用地备案": 5}[typ]
	var accepted time.Time
	for {
		accepted = time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(380))
		if cal.IsWorkday(accepted) {
			break
		}
	}
	took := 1 + rng.IntN(limit)
	if rng.Float64() < 0.12 {
		took = limit + 1 + rng.IntN(10) // late
	}
	issued := accepted
	for n := 0; n < took; {
		issued = issued.AddDate(0, 0, 1)
		if cal.IsWorkday(issued) {
			n++
		}
	}
	if issued.After(inspectionEnd) {
		return nil // not issued yet
	}
	category := map[string]string{"05": "商业", "06": "工业", "07": "住宅", "08": "公共服务", "09": "其他", "10": "交通"}[p.use[:2]]
	if p.use == "0803" {
		category = "教育"
	} else if p.use == "0805" {
		category = "医疗"
	}
	source := "一般"
	if rng.Float64() < 0.3 {
		source = "城市更新"
	}
	area := math.Round(p.area*100) / 100
	var floor any
	if typ == "建设工程规划许可证" || typ == "规划验收合格证" {
		floor = math.Round(area*(1.5+3*rng.Float64())*100) / 100
	}
	props := []prop{
		{"ZH", fmt.Sprintf("%s%s%05d", map[bool]string{true: "地字第", false: "建字第"}[typ == "建设用地规划许可证"], issued.Format("2006"), g.insp.permitSeq)},
		{"XMMC", fmt.Sprintf("%s%s项目", s.Name, category)}, {"JDMC", s.Name}, {"LX", typ}, {"HY", category}, {"LY", source},
		{"SLRQ", accepted.Format(time.DateOnly)}, {"FZRQ", issued.Format(time.DateOnly)}, {"CNSX", limit},
		{"YDMJ", area}, {"JZMJ", floor},
	}
	if err := g.insp.permits.Write(g.lonLatRing(p.ring), props); err != nil {
		return err
	}
	g.count("permits")
	return nil
}

// inspectionLayers are the manifest's entries for these layers.
func (g *generator) inspectionLayers() []Layer {
	geojson := func(name string, kind land.Kind, fields []string) Layer {
		return Layer{Name: name, Kind: kind, Format: "geojson", Files: []string{name + ".geojson"},
			TextEncoding: "UTF-8", EncodingFrom: "RFC 7946", SourceSRID: 4326, SRIDFrom: "RFC 7946 lon/lat (no crs member: EPSG:4326, stored as CGCS2000)",
			Fields: fields, Features: g.counts[name]}
	}
	return []Layer{
		geojson("inspection_patches", land.InspectionPatches, []string{"TBBH", "JDMC", "LY", "JCPC", "ND", "WTLB", "JCMJ", "PDJG", "WFMJ", "ZYGD", "ZYYJJBNT", "SFXZG", "ZGZT", "ZGQX", "ZGRQ", "FK"}),
		{Name: "inspection_problems", Kind: land.InspectionPatches, Format: "xlsx", Files: []string{"inspection_problems.xlsx"},
			TextEncoding: "UTF-8", EncodingFrom: "XLSX (Unicode)", SourceSRID: geo.CGCS2000, SRIDFrom: "no geometry: a ledger, placed by its street column (recorded as CGCS2000)",
			Fields: problemHeaders, Features: g.counts["inspection_problems"], Unlocated: g.counts["inspection_problems"]},
		geojson("permits", land.Permits, []string{"ZH", "XMMC", "JDMC", "LX", "HY", "LY", "SLRQ", "FZRQ", "CNSX", "YDMJ", "JZMJ"}),
	}
}
