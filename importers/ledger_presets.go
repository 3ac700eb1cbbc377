package importers

import (
	"strings"

	"tudi/land"
)

// chineseHeaders are the column headers bureau ledgers (台账) use for the
// canonical fields, besides each field's own Chinese title, which is always
// a preset. They come after the pinyin presets and the canonical name, so a
// sheet that has both DKBH and 地块编号 reads DKBH.
var chineseHeaders = map[land.Kind]map[string][]string{
	land.Parcels: {
		"code":          {"宗地编号", "宗地代码", "地块代码", "编号"},
		"landuse_code":  {"地类代码", "用地代码"},
		"landuse_name":  {"用地性质", "土地用途", "用途"},
		"ownership":     {"土地权属", "权属"},
		"street":        {"街道", "镇街", "街镇", "所属街道", "所在街道", "乡镇", "街道（镇）", "街道(镇)"},
		"status":        {"地块状态"},
		"supply_method": {"出让方式"},
		"supply_date":   {"出让日期", "成交日期"},
		"price_wan":     {"成交价格", "成交金额", "成交价款", "出让金"},
	},
	land.Farmland: {
		"grade": {"等别"},
	},
	land.RenewalUnits: {
		"code":                {"项目编号", "编号"},
		"name":                {"项目名称", "名称"},
		"category":            {"更新类型"},
		"stage":               {"项目阶段", "进展阶段"},
		"approved_date":       {"批准日期"},
		"contributed_area_m2": {"贡献用地", "贡献面积"},
	},
	land.IdleLand: {
		"code":          {"地块编号", "宗地编号"},
		"cause":         {"原因"},
		"digested":      {"消化"},
		"kind":          {"闲置类型"},
		"disposed_date": {"处置完成日期"},
	},
	land.Boundaries: {
		"name": {"街道名称", "街道", "镇街"},
		"code": {"街道代码"},
	},
	land.Generic: {
		"name": {"项目名称"},
	},
}

// headerPresets are the Chinese headers that name fd of kind: its title,
// then the common variants.
func headerPresets(kind land.Kind, fd land.Field) []string {
	var out []string
	if fd.Title != "" {
		out = append(out, fd.Title)
	}
	return append(out, chineseHeaders[kind][fd.Name]...)
}

// stripUnitSuffix drops a unit in brackets after a header: "成交价（万元）"
// names the same column as "成交价".
func stripUnitSuffix(h string) string {
	h = strings.TrimSpace(h)
	for _, p := range [][2]string{{"(", ")"}, {"（", "）"}} {
		if strings.HasSuffix(h, p[1]) {
			if i := strings.LastIndex(h, p[0]); i > 0 {
				return strings.TrimSpace(h[:i])
			}
		}
	}
	return h
}
