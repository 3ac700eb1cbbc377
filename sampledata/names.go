package sampledata

// landUseName returns the GB/T 21010-2017 (土地利用现状分类) name of a
// second-level class the sample uses.
func landUseName(code string) string {
	switch code {
	case "0101":
		return "水田"
	case "0102":
		return "水浇地"
	case "0103":
		return "旱地"
	case "0201":
		return "果园"
	case "0202":
		return "茶园"
	case "0301":
		return "乔木林地"
	case "0305":
		return "灌木林地"
	case "0404":
		return "其他草地"
	case "0501":
		return "零售商业用地"
	case "0502":
		return "批发市场用地"
	case "0503":
		return "餐饮用地"
	case "0504":
		return "旅馆用地"
	case "0505":
		return "商务金融用地"
	case "0601":
		return "工业用地"
	case "0604":
		return "仓储用地"
	case "0701":
		return "城镇住宅用地"
	case "0702":
		return "农村宅基地"
	case "0801":
		return "机关团体用地"
	case "0803":
		return "教育用地"
	case "0805":
		return "医疗卫生用地"
	case "0807":
		return "文化设施用地"
	case "0808":
		return "体育用地"
	case "0809":
		return "公用设施用地"
	case "0810":
		return "公园与绿地"
	case "1005":
		return "交通服务场站用地"
	case "1101":
		return "河流水面"
	case "1104":
		return "坑塘水面"
	case "1202":
		return "设施农用地"
	}
	return ""
}

// weighted is a value with a relative weight.
type weighted struct {
	Value  string
	Weight int
}

// zone is the character of a block, which decides its land-use mix.
type zone int

// The zones, from the town centre outwards.
const (
	zoneCore zone = iota
	zoneUrban
	zoneIndustrial
	zonePeriUrban
	zoneRural
	zoneHills
	nZones
)

// tables holds the read-only lookup tables of the generator. They are built
// once per Write rather than kept in package variables.
type tables struct {
	mixes       [nZones][]weighted
	streetNames []string // 街道
	townNames   []string // 镇
	placeFirst  []string // first syllables of place names
	placeSecond []string // second syllables
}

// newTables returns the land-use mixes by zone, the way a Pearl River Delta
// district looks (a commercial and residential core, residential rings with
// schools and parks, industrial belts, and paddy fields, orchards and woods
// towards the edge), and the name parts.
func newTables() *tables {
	t := &tables{}
	t.mixes[zoneCore] = []weighted{
		{"0505", 16}, {"0501", 14}, {"0503", 4}, {"0504", 5}, {"0701", 30},
		{"0801", 5}, {"0805", 4}, {"0807", 4}, {"0803", 5}, {"0810", 8}, {"1005", 2},
	}
	t.mixes[zoneUrban] = []weighted{
		{"0701", 46}, {"0501", 8}, {"0502", 2}, {"0803", 8}, {"0805", 3}, {"0808", 2},
		{"0809", 3}, {"0810", 9}, {"0601", 8}, {"0604", 3},
	}
	t.mixes[zoneIndustrial] = []weighted{
		{"0601", 62}, {"0604", 16}, {"0809", 4}, {"0701", 6}, {"0502", 4}, {"0810", 4}, {"0702", 4},
	}
	t.mixes[zonePeriUrban] = []weighted{
		{"0702", 26}, {"0601", 14}, {"0101", 22}, {"0102", 8}, {"0103", 6}, {"0201", 8},
		{"1104", 6}, {"1202", 4}, {"0701", 6},
	}
	t.mixes[zoneRural] = []weighted{
		{"0101", 44}, {"0102", 12}, {"0103", 10}, {"0201", 10}, {"0202", 2}, {"1104", 7},
		{"0702", 9}, {"1202", 3}, {"0404", 3},
	}
	t.mixes[zoneHills] = []weighted{
		{"0301", 46}, {"0305", 10}, {"0201", 18}, {"0103", 12}, {"0404", 6}, {"0702", 4}, {"0101", 4},
	}
	t.streetNames = []string{"横店街", "东湖街道", "西华街道", "新港街", "北岸街道", "龙津街道", "沙园街道", "瑞宝街"}
	t.townNames = []string{"石岭镇", "沙湾镇", "太平镇", "良田镇", "大岗镇", "钟落潭镇", "人和镇", "南村镇"}
	t.placeFirst = []string{"龙", "石", "沙", "新", "大", "东", "西", "南", "北", "上", "下", "黄", "白", "田", "岗", "塘", "湖", "桥", "高", "仁", "鹤", "凤", "金", "水", "罗", "云", "长", "江", "松", "竹"}
	t.placeSecond = []string{"头", "尾", "塘", "岗", "围", "村", "坑", "田", "湾", "边", "岭", "涌", "洲", "基", "埔", "口", "园", "庄", "坊", "滘", "溪", "山", "岸", "洞", "冲", "厦", "墩", "洋", "陂", "浦"}
	return t
}

// placeName returns a two-character place name chosen by h.
func (t *tables) placeName(h uint64) string {
	return t.placeFirst[h%uint64(len(t.placeFirst))] + t.placeSecond[(h/64)%uint64(len(t.placeSecond))]
}

// pick returns a value of ws chosen with probability proportional to its
// weight, using r in [0, 1).
func pick(ws []weighted, r float64) string {
	total := 0
	for _, w := range ws {
		total += w.Weight
	}
	x := int(r * float64(total))
	for _, w := range ws {
		if x < w.Weight {
			return w.Value
		}
		x -= w.Weight
	}
	return ws[len(ws)-1].Value
}

// pickIndex returns an index of weights chosen with probability
// proportional to its weight, using r in [0, 1).
func pickIndex(weights []int, r float64) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := int(r * float64(total))
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}
