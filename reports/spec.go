package reports

import (
	"embed"
	"fmt"

	"tudi/land"
)

// The SQL of every report, one file each, so that an analyst can read them
// and run them in psql (SET search_path = layers, public; then PREPARE with
// the parameters each file documents).
//
//go:embed sql/*.sql
var sqlFiles embed.FS

// spec is a report: what the API lists (land.Report), its SQL, the columns
// each grouping dimension adds and the figures it computes.
type spec struct {
	land.Report
	street string // what the street filter selects by, as the list says it
	// params are the parameters the SQL takes, in order ($1, $2, …): group,
	// from, to, as_of, current (whether as_of is today or later), street.
	params   []string
	sql      string
	dims     []dim
	measures []measure
}

// dim is a grouping dimension: the SQL returns its columns in every row
// (NULL unless grouped by it); the result shows them only when grouped.
// A report's dims are in the order its SQL sorts the rows by.
type dim struct {
	key     string
	title   string
	titleEN string
	columns []land.Column
}

// measure is a figure of each row. Measures with a needs only make sense
// when the rows are grouped by that dimension.
type measure struct {
	land.Column
	needs  string
	period bool // a flow in the period: shown only when a period is given
	target bool // takes a yearly target (see targets.go)
}

// flow marks m as a figure of the period.
func flow(m measure) measure { m.period = true; return m }

// targeted marks m as taking a yearly target.
func targeted(m measure) measure { m.target = true; return m }

// The parameter lists of the SQL files.
var (
	paramsAll   = []string{"group", "from", "to", "as_of", "current", "street"}
	paramsRange = []string{"group", "from", "to", "street"}
	paramsNone  = []string{"group", "street"}
)

// Stations are not a canonical kind: any point layer will do.
const stationsKind = "stations"

func text(key, title, titleEN string) land.Column {
	return land.Column{Key: key, Title: title, TitleEN: titleEN, Type: land.ColumnText}
}

func integer(key, title, titleEN string) land.Column {
	return land.Column{Key: key, Title: title, TitleEN: titleEN, Type: land.ColumnInteger}
}

func count(key, title, titleEN, unit string) measure {
	return measure{Column: land.Column{Key: key, Title: title, TitleEN: titleEN, Unit: unit, Type: land.ColumnInteger}}
}

func number(key, title, titleEN, unit string, decimals int) measure {
	return measure{Column: land.Column{Key: key, Title: title, TitleEN: titleEN, Unit: unit, Type: land.ColumnNumber, Decimals: decimals}}
}

func percent(key, title, titleEN string) measure {
	return measure{Column: land.Column{Key: key, Title: title, TitleEN: titleEN, Unit: "%", Type: land.ColumnPercent, Decimals: 2}}
}

// streetDim, classDim and codeDim are dimensions shared by several reports.
func streetDim() dim {
	return dim{key: "street", title: "街道/镇", titleEN: "Sub-district",
		columns: []land.Column{text("street", "街道/镇", "Sub-district")}}
}

func classDim() dim {
	return dim{key: "class", title: "地类(一级类)", titleEN: "Land-use class", columns: []land.Column{
		text("class_code", "一级类编码", "Class code"), text("class_name", "一级类名称", "Class name")}}
}

func codeDim() dim {
	return dim{key: "code", title: "地类编码", titleEN: "Land-use code", columns: []land.Column{
		text("landuse_code", "地类编码", "Land-use code"), text("landuse_name", "地类名称", "Land-use name")}}
}

func areaMeasures(m2 bool) []measure {
	var ms []measure
	if m2 {
		ms = append(ms, number("area_m2", "面积", "Area", "m²", 2))
	}
	return append(ms, number("area_ha", "面积", "Area", "公顷", 4), number("area_mu", "面积", "Area", "亩", 2))
}

// targetAreas marks the area measures in 公顷 and 亩 as taking a target.
func targetAreas(ms []measure) []measure {
	for i := range ms {
		if ms[i].Unit == "公顷" || ms[i].Unit == "亩" {
			ms[i].target = true
		}
	}
	return ms
}

// onSurface says which sub-district a feature is in, for the list.
func onSurface(feature string) string {
	return "sub-district of the " + feature + " (the smallest boundaries polygon holding its point on surface, else 未划分)"
}

func layer(kind, name string) land.ReportLayer { return land.ReportLayer{Kind: kind, Name: name} }

// specs returns the five reports, in the order the API lists them. It
// panics if a report's .sql file is not embedded: a build mistake, which
// every test run catches.
func specs() []*spec {
	all := []*spec{
		{
			Report: land.Report{
				Name: "land-supply", Title: "土地供应情况", TitleEN: "Land supply",
				Description: "Parcels with a supply method (招拍挂/协议/划拨): count, area and price, by supply method, supply year and sub-district.",
				Layers:      []land.ReportLayer{layer(string(land.Parcels), "parcels"), layer(string(land.Boundaries), "boundaries")},
				Group:       []string{"year", "method"},
				Year:        "supplied in the period (parcels.supply_date); without one, supplied on or before the as-of date",
			},
			street: onSurface("parcel"),
			params: paramsAll,
			dims: []dim{
				{key: "year", title: "供应年度", titleEN: "Supply year", columns: []land.Column{integer("year", "供应年度", "Supply year")}},
				streetDim(),
				{key: "method", title: "供应方式", titleEN: "Supply method", columns: []land.Column{text("method", "供应方式", "Supply method")}},
			},
			measures: append(append([]measure{targeted(count("parcels", "宗数", "Parcels", "宗"))}, targetAreas(areaMeasures(true))...),
				targeted(number("price_wan", "成交价", "Price", "万元", 2)), targeted(number("price_yi", "成交价", "Price", "亿元", 4))),
		},
		{
			Report: land.Report{
				Name: "farmland-occupation", Title: "建设占用永久基本农田", TitleEN: "Farmland occupied by construction",
				Description: "Area where construction parcels (land-use classes 05–10) overlap permanent basic farmland, overlapping patches counted once; parcels and patches touched.",
				Layers: []land.ReportLayer{layer(string(land.Parcels), "parcels"), layer(string(land.Farmland), "farmland"),
					layer(string(land.Boundaries), "boundaries")},
				Group: []string{"street", "class"},
				Year:  "parcels supplied in the period (parcels.supply_date)",
			},
			street: onSurface("construction parcel"),
			params: paramsRange,
			dims:   []dim{streetDim(), classDim(), codeDim()},
			measures: append([]measure{count("parcels", "占用地块数", "Parcels", "宗"), count("patches", "涉及图斑数", "Farmland patches", "块")},
				areaMeasures(true)...),
		},
		{
			Report: land.Report{
				Name: "idle-land", Title: "闲置土地处置情况", TitleEN: "Idle land disposal",
				Description: "Idle (闲置) and approved-but-unsupplied (批而未供) land: count, area, disposed area and disposal rate, digested area and digestion rate.",
				Layers:      []land.ReportLayer{layer(string(land.IdleLand), "idle_land"), layer(string(land.Boundaries), "boundaries")},
				Group:       []string{"kind"},
				Year:        "land identified (identified_date) and disposed (disposed_date) in the period; the rest as of the as-of date",
			},
			street: onSurface("item"),
			params: paramsAll,
			dims: []dim{
				{key: "kind", title: "类型", titleEN: "Kind", columns: []land.Column{text("kind", "类型", "Kind")}},
				{key: "cause", title: "闲置原因", titleEN: "Cause", columns: []land.Column{text("cause", "闲置原因", "Cause")}},
				{key: "method", title: "处置方式", titleEN: "Disposal method", columns: []land.Column{text("method", "处置方式", "Disposal method")}},
				streetDim(),
				{key: "year", title: "认定年度", titleEN: "Identified year", columns: []land.Column{integer("year", "认定年度", "Identified year")}},
			},
			measures: append(append([]measure{count("items", "宗数", "Items", "宗")}, areaMeasures(true)...),
				number("disposed_mu", "已处置面积", "Disposed area", "亩", 2), percent("disposal_rate", "处置率", "Disposal rate"),
				number("digested_mu", "已消化面积", "Digested area", "亩", 2), percent("digestion_rate", "消化率", "Digestion rate"),
				flow(count("identified_items", "期内认定宗数", "Identified in the period", "宗")),
				flow(number("identified_mu", "期内认定面积", "Area identified in the period", "亩", 2)),
				flow(targeted(number("disposed_in_mu", "期内处置面积", "Area disposed of in the period", "亩", 2)))),
		},
		{
			Report: land.Report{
				Name: "renewal-progress", Title: "城市更新推进情况", TitleEN: "Urban-renewal progress",
				Description: "Renewal units and area by stage and at or past each stage, implementation rate (at or past 土地出让), land contribution rate, units within 500 m of a station (TOD).",
				Layers: []land.ReportLayer{layer(string(land.RenewalUnits), "renewal_units"), layer(string(land.Boundaries), "boundaries"),
					{Kind: stationsKind, Name: "stations", Optional: true}},
				Group: []string{"stage"},
				Year:  "units reaching each milestone in the period (its date field); stages as of the as-of date",
			},
			street: onSurface("unit"),
			params: paramsAll,
			dims: []dim{
				{key: "stage", title: "阶段", titleEN: "Stage", columns: []land.Column{text("stage", "阶段", "Stage")}},
				{key: "category", title: "更新类别", titleEN: "Category", columns: []land.Column{text("category", "更新类别", "Category")}},
				{key: "direction", title: "更新方向", titleEN: "Direction", columns: []land.Column{text("direction", "更新方向", "Direction")}},
				streetDim(),
			},
			measures: append(append([]measure{count("units", "单元数", "Units", "个")}, areaMeasures(false)...),
				measure{Column: count("at_or_past_units", "达到该阶段及以后单元数", "Units at or past the stage", "个").Column, needs: "stage"},
				measure{Column: number("at_or_past_ha", "达到该阶段及以后面积", "Area at or past the stage", "公顷", 4).Column, needs: "stage"},
				count("approved_units", "规划已批单元数", "Plans approved", "个"),
				count("confirmed_units", "实施主体已确认单元数", "Implementing entity confirmed", "个"),
				count("transferred_units", "已出让单元数", "Land transferred", "个"),
				count("started_units", "已开工单元数", "Construction started", "个"),
				count("completed_units", "已竣工单元数", "Completed", "个"),
				percent("implementation_rate", "实施率", "Implementation rate"),
				number("contributed_m2", "贡献用地面积", "Contributed land", "m²", 2),
				percent("contribution_rate", "用地贡献率", "Land contribution rate"),
				count("tod_units", "TOD单元数(站点500米内)", "TOD units (within 500 m of a station)", "个"),
				number("tod_ha", "TOD单元面积", "TOD unit area", "公顷", 4),
				flow(targeted(count("planned_in", "期内计划立项单元数", "Planned in the period", "个"))),
				flow(targeted(count("approved_in", "期内规划批准单元数", "Plans approved in the period", "个"))),
				flow(targeted(count("confirmed_in", "期内实施主体确认单元数", "Entities confirmed in the period", "个"))),
				flow(targeted(count("transferred_in", "期内土地出让单元数", "Land transferred in the period", "个"))),
				flow(targeted(count("started_in", "期内开工单元数", "Started in the period", "个"))),
				flow(targeted(count("completed_in", "期内竣工单元数", "Completed in the period", "个")))),
		},
		{
			Report: land.Report{
				Name: "land-use-summary", Title: "地类面积汇总", TitleEN: "Land-use summary",
				Description: "Parcel count and area per land-use first-level class and code, by sub-district; the total is the layer's total area.",
				Layers:      []land.ReportLayer{layer(string(land.Parcels), "parcels"), layer(string(land.Boundaries), "boundaries")},
				Group:       []string{"class"},
				Year:        "no flows: a period only sets the as-of date (its end)",
			},
			street: onSurface("parcel"),
			params: paramsNone,
			dims:   []dim{classDim(), codeDim(), streetDim()},
			measures: append(append([]measure{count("parcels", "宗数", "Parcels", "宗")}, areaMeasures(true)...),
				percent("share", "占比", "Share")),
		},
	}
	for _, s := range all {
		b, err := sqlFiles.ReadFile("sql/" + s.Name + ".sql")
		if err != nil {
			panic(fmt.Sprintf("report %q: %v", s.Name, err))
		}
		s.sql = string(b)
		for _, d := range s.dims {
			s.Groups = append(s.Groups, land.ReportGroup{Key: d.key, Title: d.title, TitleEN: d.titleEN})
		}
		for _, m := range s.measures {
			if m.target {
				s.Targets = append(s.Targets, m.Key)
			}
		}
	}
	return all
}
