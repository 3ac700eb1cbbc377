package land

import (
	"regexp"
	"slices"
)

// Kind is the kind of a layer. Five kinds have a canonical schema that the
// reports rely on; anything else is Generic.
type Kind string

// The layer kinds.
const (
	Parcels      Kind = "parcels"
	Farmland     Kind = "farmland"
	RenewalUnits Kind = "renewal_units"
	IdleLand     Kind = "idle_land"
	Boundaries   Kind = "boundaries"
	Generic      Kind = "generic"
)

// Kinds lists every kind, canonical ones first.
var Kinds = []Kind{Parcels, Farmland, RenewalUnits, IdleLand, Boundaries, Generic}

// FieldType is the type of a canonical field, which decides its column type
// and how source values are normalised.
type FieldType string

// The field types.
const (
	Text  FieldType = "text"
	Int   FieldType = "int"
	Float FieldType = "float"
	Date  FieldType = "date"
	Bool  FieldType = "bool"
)

// SQLType returns the PostgreSQL column type of t.
func (t FieldType) SQLType() string {
	switch t {
	case Int:
		return "integer"
	case Float:
		return "double precision"
	case Date:
		return "date"
	case Bool:
		return "boolean"
	}
	return "text"
}

// Field is a canonical field of a kind.
type Field struct {
	Name    string    // column name, lower_snake ASCII
	Type    FieldType // column type
	Title   string    // Chinese label
	TitleEN string    // English label
	Unit    string    // unit of a number, if any
	Presets []string  // common source field names, upper case, in order of preference
}

// Valid values of some canonical fields, for reports, styles and legends.
var (
	SupplyMethods  = []string{"招拍挂", "协议", "划拨"}
	RenewalStages  = []string{"计划立项", "规划批准", "实施主体确认", "土地出让", "建设", "竣工"}
	DisposalStates = []string{"未处置", "已处置"}
	IdleKinds      = []string{"闲置", "批而未供"}
)

var kindFields = map[Kind][]Field{
	Parcels: {
		{Name: "code", Type: Text, Title: "地块编号", TitleEN: "Parcel code", Presets: []string{"DKBH", "ZDDM", "ZDBH", "BSM"}},
		{Name: "landuse_code", Type: Text, Title: "地类编码", TitleEN: "Land-use code", Presets: []string{"DLBM"}},
		{Name: "landuse_name", Type: Text, Title: "地类名称", TitleEN: "Land-use name", Presets: []string{"DLMC"}},
		{Name: "ownership", Type: Text, Title: "权属性质", TitleEN: "Ownership", Presets: []string{"QSXZ"}},
		{Name: "street", Type: Text, Title: "街道/镇", TitleEN: "Sub-district", Presets: []string{"JDMC", "XZMC", "ZLDWMC"}},
		{Name: "status", Type: Text, Title: "状态", TitleEN: "Status", Presets: []string{"ZT", "DKZT"}},
		{Name: "supply_method", Type: Text, Title: "供应方式", TitleEN: "Supply method", Presets: []string{"GYFS"}},
		{Name: "supply_date", Type: Date, Title: "供应日期", TitleEN: "Supply date", Presets: []string{"GYRQ"}},
		{Name: "price_wan", Type: Float, Title: "成交价", TitleEN: "Price", Unit: "万元", Presets: []string{"CJJK", "CJJ"}},
	},
	Farmland: {
		{Name: "code", Type: Text, Title: "图斑编号", TitleEN: "Patch code", Presets: []string{"TBBH", "BSM"}},
		{Name: "landuse_code", Type: Text, Title: "地类编码", TitleEN: "Land-use code", Presets: []string{"DLBM"}},
		{Name: "landuse_name", Type: Text, Title: "地类名称", TitleEN: "Land-use name", Presets: []string{"DLMC"}},
		{Name: "grade", Type: Int, Title: "耕地等别", TitleEN: "Farmland grade", Presets: []string{"GDDB", "ZLDJ"}},
	},
	RenewalUnits: {
		{Name: "code", Type: Text, Title: "单元编号", TitleEN: "Unit code", Presets: []string{"DYBH"}},
		{Name: "name", Type: Text, Title: "单元名称", TitleEN: "Unit name", Presets: []string{"DYMC", "XMMC"}},
		{Name: "category", Type: Text, Title: "更新类别", TitleEN: "Category", Presets: []string{"GXLB"}},
		{Name: "direction", Type: Text, Title: "更新方向", TitleEN: "Direction", Presets: []string{"GXFX"}},
		{Name: "stage", Type: Text, Title: "阶段", TitleEN: "Stage", Presets: []string{"JD", "XMJD"}},
		{Name: "approved_date", Type: Date, Title: "批准日期", TitleEN: "Approval date", Presets: []string{"PZRQ", "LXRQ"}},
		{Name: "contributed_area_m2", Type: Float, Title: "贡献用地面积", TitleEN: "Contributed land area", Unit: "m²", Presets: []string{"GYMJ", "GXYDMJ"}},
		// The milestone dates (see Milestones).
		{Name: "planned_date", Type: Date, Title: "计划立项日期", TitleEN: "Planned (listed) date", Presets: []string{"JHLXRQ", "LXSJ", "立项日期"}},
		{Name: "plan_approved_date", Type: Date, Title: "规划批准日期", TitleEN: "Plan approval date", Presets: []string{"GHPZRQ", "GHPFRQ", "规划批准日期"}},
		{Name: "entity_confirmed_date", Type: Date, Title: "实施主体确认日期", TitleEN: "Entity confirmation date", Presets: []string{"ZTQRRQ", "SSZTQRRQ", "实施主体确认日期"}},
		{Name: "land_transferred_date", Type: Date, Title: "土地出让日期", TitleEN: "Land transfer date", Presets: []string{"TDCRRQ", "CRRQ", "土地出让日期"}},
		{Name: "started_date", Type: Date, Title: "开工日期", TitleEN: "Construction start date", Presets: []string{"KGRQ", "开工日期"}},
		{Name: "completed_date", Type: Date, Title: "竣工日期", TitleEN: "Completion date", Presets: []string{"JGRQ", "竣工日期"}},
		{Name: "street", Type: Text, Title: "街道/镇", TitleEN: "Sub-district", Presets: []string{"JDMC", "XZMC", "街道"}},
	},
	IdleLand: {
		{Name: "code", Type: Text, Title: "编号", TitleEN: "Code", Presets: []string{"XZBH", "BH"}},
		{Name: "kind", Type: Text, Title: "类型", TitleEN: "Kind", Presets: []string{"LX"}},
		{Name: "cause", Type: Text, Title: "闲置原因", TitleEN: "Cause", Presets: []string{"YY", "XZYY"}},
		{Name: "disposal_status", Type: Text, Title: "处置状态", TitleEN: "Disposal status", Presets: []string{"CZZT"}},
		{Name: "disposal_method", Type: Text, Title: "处置方式", TitleEN: "Disposal method", Presets: []string{"CZFS"}},
		{Name: "digested", Type: Bool, Title: "是否消化", TitleEN: "Digested", Presets: []string{"XH", "SFXH"}},
		{Name: "identified_date", Type: Date, Title: "认定日期", TitleEN: "Identified date", Presets: []string{"RDRQ"}},
		{Name: "disposed_date", Type: Date, Title: "处置日期", TitleEN: "Disposal date", Presets: []string{"CZRQ"}},
		{Name: "street", Type: Text, Title: "街道/镇", TitleEN: "Sub-district", Presets: []string{"JDMC", "XZMC", "街道"}},
	},
	Boundaries: {
		{Name: "name", Type: Text, Title: "名称", TitleEN: "Name", Presets: []string{"JDMC", "XZQMC", "XZMC", "NAME"}},
		{Name: "code", Type: Text, Title: "代码", TitleEN: "Code", Presets: []string{"JDDM", "XZQDM", "XZDM", "CODE"}},
		{Name: "level", Type: Text, Title: "级别", TitleEN: "Level", Presets: []string{"JB", "LEVEL"}},
	},
	Generic: {
		{Name: "name", Type: Text, Title: "名称", TitleEN: "Name", Presets: []string{"NAME", "MC", "名称", "ZDMC"}},
	},
}

// Milestone is a step of a kind's progress, dated by a date field: a
// feature has reached it on that date.
type Milestone struct {
	Field   string // the date field
	Title   string // the stage reached, in Chinese
	TitleEN string // the stage reached, in English
}

var kindMilestones = map[Kind][]Milestone{
	RenewalUnits: {
		{Field: "planned_date", Title: "计划立项", TitleEN: "Planned"},
		{Field: "plan_approved_date", Title: "规划批准", TitleEN: "Plan approved"},
		{Field: "entity_confirmed_date", Title: "实施主体确认", TitleEN: "Entity confirmed"},
		{Field: "land_transferred_date", Title: "土地出让", TitleEN: "Land transferred"},
		{Field: "started_date", Title: "开工", TitleEN: "Construction started"},
		{Field: "completed_date", Title: "竣工", TitleEN: "Completed"},
	},
}

// Milestones returns the ordered milestones of k (none for most kinds). The
// stage of a feature as of a date D is the last milestone whose date is on
// or before D. The slice is shared: do not modify it.
func (k Kind) Milestones() []Milestone { return kindMilestones[k] }

// Fields returns the canonical fields of k (Generic's for an unknown kind).
// The slice is shared: do not modify it.
func (k Kind) Fields() []Field {
	if f, ok := kindFields[k]; ok {
		return f
	}
	return kindFields[Generic]
}

// Field returns the canonical field of k with the given name.
func (k Kind) Field(name string) (Field, bool) {
	for _, f := range k.Fields() {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Title returns the Chinese and English names of the kind.
func (k Kind) Title() (zh, en string) {
	switch k {
	case Parcels:
		return "地块", "Parcels"
	case Farmland:
		return "永久基本农田", "Permanent basic farmland"
	case RenewalUnits:
		return "城市更新单元", "Urban-renewal units"
	case IdleLand:
		return "闲置土地", "Idle land"
	case Boundaries:
		return "行政区划", "Administrative boundaries"
	}
	return "图层", "Layer"
}

// ParseKind returns the kind named s, or an Invalid error listing the kinds.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if slices.Contains(Kinds, k) {
		return k, nil
	}
	return "", Errorf(Invalid, "unknown kind %q (allowed: parcels, farmland, renewal_units, idle_land, boundaries, generic)", s)
}

var layerNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,47}$`)

// ValidateLayerName returns an Invalid error unless name is a valid layer
// name: lower-case ASCII letters, digits and underscores, starting with a
// letter, at most 48 characters. Layer names are also MVT layer names and
// table names, so they must be stable ASCII.
func ValidateLayerName(name string) error {
	if !layerNameRE.MatchString(name) {
		return Errorf(Invalid, "invalid layer name %q: use lower-case letters, digits and _ (starting with a letter, at most 48)", name)
	}
	return nil
}
