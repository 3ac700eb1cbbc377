package tiles

import (
	"net/http"

	"tudi/land"
)

// LegendClass is one entry of a legend: a value of the class field, its
// names and its colour.
type LegendClass struct {
	Value  string `json:"value"`
	Name   string `json:"name"`
	NameEN string `json:"name_en"`
	Color  string `json:"color"`
	Level  int    `json:"level,omitempty"` // land use: 1 for a first-level class, 2 for a second-level code
}

// KindLegend is the legend of a kind: which field colours it and how.
type KindLegend struct {
	Kind    land.Kind     `json:"kind"`
	Name    string        `json:"name"`
	NameEN  string        `json:"name_en"`
	Field   string        `json:"field,omitempty"`
	Match   string        `json:"match,omitempty"` // "prefix2": a code takes its own colour, else its first-level class's (first two digits)
	Classes []LegendClass `json:"classes,omitempty"`
	Fill    string        `json:"fill,omitempty"`    // fill colour when not by class
	Outline string        `json:"outline,omitempty"` // outline colour
	Other   string        `json:"other"`             // colour of values not listed
	Note    string        `json:"note,omitempty"`
}

// Land-use colours after the national land-use map convention (GB/T
// 21010-2017 classes as coloured in the third national land survey, 三调):
// yellows for cropland, greens for forest and grass, oranges for housing,
// reds and pinks for commerce and public services, browns for industry,
// greys for transport, blues for water. Second-level codes are shades of
// their first-level class's colour.
var landUse = []LegendClass{
	{"00", "湿地", "Wetland", "#7fcdbb", 1},
	{"01", "耕地", "Cropland", "#ffff64", 1},
	{"0101", "水田", "Paddy field", "#f5f064", 2},
	{"0102", "水浇地", "Irrigated land", "#ffffa0", 2},
	{"0103", "旱地", "Dry land", "#f0e68c", 2},
	{"02", "园地", "Garden land", "#e6c864", 1},
	{"0201", "果园", "Orchard", "#f0c878", 2},
	{"0202", "茶园", "Tea garden", "#d2c35a", 2},
	{"0203", "橡胶园", "Rubber plantation", "#c8b464", 2},
	{"0204", "其他园地", "Other garden land", "#e6d296", 2},
	{"03", "林地", "Forest land", "#38a800", 1},
	{"0301", "乔木林地", "Arbor forest", "#2e8b3c", 2},
	{"0302", "竹林地", "Bamboo forest", "#5aaa46", 2},
	{"0305", "灌木林地", "Shrubland", "#78be5a", 2},
	{"0307", "其他林地", "Other forest land", "#96c878", 2},
	{"04", "草地", "Grassland", "#b4e178", 1},
	{"0401", "天然牧草地", "Natural pasture", "#a0d264", 2},
	{"0403", "人工牧草地", "Artificial pasture", "#b4dc82", 2},
	{"0404", "其他草地", "Other grassland", "#c8e696", 2},
	{"05", "商服用地", "Commercial land", "#ff6e6e", 1},
	{"0501", "零售商业用地", "Retail", "#ff6e6e", 2},
	{"0502", "批发市场用地", "Wholesale market", "#f07878", 2},
	{"0503", "餐饮用地", "Catering", "#ff8282", 2},
	{"0504", "旅馆用地", "Hotels", "#fa8c8c", 2},
	{"0505", "商务金融用地", "Business and finance", "#e65a5a", 2},
	{"0506", "娱乐用地", "Entertainment", "#ff9696", 2},
	{"0507", "其他商服用地", "Other commercial", "#f0a0a0", 2},
	{"06", "工矿仓储用地", "Industrial, mining and storage land", "#bb9674", 1},
	{"0601", "工业用地", "Industrial", "#bb9674", 2},
	{"0602", "采矿用地", "Mining", "#a07850", 2},
	{"0603", "盐田", "Salt pan", "#c8c8dc", 2},
	{"0604", "仓储用地", "Warehousing", "#c8a5dc", 2},
	{"07", "住宅用地", "Residential land", "#ffb45a", 1},
	{"0701", "城镇住宅用地", "Urban residential", "#ffbe64", 2},
	{"0702", "农村宅基地", "Rural homestead", "#f0a050", 2},
	{"08", "公共管理与公共服务用地", "Public administration and services", "#ff82be", 1},
	{"0801", "机关团体用地", "Government and organisations", "#ff8cc8", 2},
	{"0802", "新闻出版用地", "Press and publishing", "#f58cc8", 2},
	{"0803", "教育用地", "Education", "#ff9bd2", 2},
	{"0804", "科研用地", "Research", "#f07dbe", 2},
	{"0805", "医疗卫生用地", "Health care", "#ff6eaa", 2},
	{"0806", "社会福利用地", "Social welfare", "#f5a0c8", 2},
	{"0807", "文化设施用地", "Cultural facilities", "#e68cc8", 2},
	{"0808", "体育用地", "Sports", "#dc96d2", 2},
	{"0809", "公用设施用地", "Public utilities", "#c8a0d2", 2},
	{"0810", "公园与绿地", "Parks and green space", "#78c878", 2},
	{"09", "特殊用地", "Special-use land", "#aa8caa", 1},
	{"10", "交通运输用地", "Transport land", "#b4b4b4", 1},
	{"1001", "铁路用地", "Railway", "#969696", 2},
	{"1003", "公路用地", "Highway", "#a0a0a0", 2},
	{"1004", "城镇村道路用地", "Urban and village roads", "#bebebe", 2},
	{"1005", "交通服务场站用地", "Transport stations", "#aaaaaa", 2},
	{"1006", "农村道路", "Rural roads", "#c8c8b4", 2},
	{"11", "水域及水利设施用地", "Water and water facilities", "#8cc8f0", 1},
	{"1101", "河流水面", "River", "#78b4f0", 2},
	{"1104", "坑塘水面", "Pond", "#8cc8f0", 2},
	{"1107", "沟渠", "Ditch", "#a0d2f0", 2},
	{"1109", "水工建筑用地", "Hydraulic structures", "#96aac8", 2},
	{"12", "其他土地", "Other land", "#d7cdb9", 1},
	{"1201", "空闲地", "Vacant land", "#e6dcc8", 2},
	{"1202", "设施农用地", "Agricultural facilities", "#dcd296", 2},
	{"1203", "田坎", "Field ridges", "#d2c8aa", 2},
}

var renewalStages = []LegendClass{
	{"计划立项", "计划立项", "Planned", "#fee08b", 0},
	{"规划批准", "规划批准", "Plan approved", "#fdae61", 0},
	{"实施主体确认", "实施主体确认", "Implementer confirmed", "#f46d43", 0},
	{"土地出让", "土地出让", "Land transferred", "#d73027", 0},
	{"建设", "建设", "Under construction", "#8073ac", 0},
	{"竣工", "竣工", "Completed", "#1a9850", 0},
}

var disposalStates = []LegendClass{
	{"未处置", "未处置", "Not disposed", "#e31a1c", 0},
	{"已处置", "已处置", "Disposed", "#33a02c", 0},
}

// Legends returns the legend of every kind, in drawing order.
func Legends() []KindLegend {
	out := make([]KindLegend, 0, len(kindOrder))
	for _, k := range kindOrder {
		out = append(out, kindLegend(k))
	}
	return out
}

func kindLegend(k land.Kind) KindLegend {
	zh, en := k.Title()
	l := KindLegend{Kind: k, Name: zh, NameEN: en}
	switch k {
	case land.Parcels:
		l.Field, l.Match, l.Classes, l.Outline, l.Other = "landuse_code", "prefix2", landUse, "#7a6a50", "#dddddd"
		l.Note = "zooms up to 11 of large layers show the majority land use of grid cells (120 m at z11 to 955 m at z8); single parcels from zoom 12"
	case land.Farmland:
		l.Outline, l.Fill, l.Other = "#e60000", "#ffff64", "#ffff64"
		l.Note = "permanent basic farmland redlines: red outline, faint fill"
	case land.RenewalUnits:
		l.Field, l.Classes, l.Outline, l.Other = "stage", renewalStages, "#542788", "#bababa"
	case land.IdleLand:
		l.Field, l.Classes, l.Outline, l.Other = "disposal_status", disposalStates, "#67000d", "#fd8d3c"
	case land.Boundaries:
		l.Outline, l.Other = "#6a3d9a", "#6a3d9a"
	default:
		l.Fill, l.Outline, l.Other = "#9ecae1", "#3182bd", "#9ecae1"
	}
	return l
}

func (s *Service) legend(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, struct {
		Kinds []KindLegend `json:"kinds"`
	}{Legends()})
}
