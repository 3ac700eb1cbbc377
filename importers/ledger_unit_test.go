package importers

import (
	"math"
	"strings"
	"testing"
	"time"

	"tudi/land"
	"tudi/sheet"
)

func csvGrid(t *testing.T, text string) *grid {
	t.Helper()
	sh, err := sheet.ParseCSV([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	g := &grid{rows: sh.Texts()}
	return g
}

func TestFindHeader(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name        string
		text        string
		merges      []sheet.Range
		top, bottom int
		names       string
	}{
		{"a plain header on the first row", "编号,名称,日期\n1,甲,2023-01-01\n", nil, 0, 0, "编号|名称|日期"},
		{"below a title and a caption row", "某区闲置土地台账,,,\n填报单位：某局,,,单位：亩\n编号,类型,认定日期,面积\nXZ-1,闲置,2023-01-01,2\n", nil, 2, 2, "编号|类型|认定日期|面积"},
		{"a group heading over its columns, as a CSV export leaves it", "台账,,,\n序号,姓名,签约情况,\n,,签约日期,签约金额\n1,张三,2023-05-01,10\n", nil, 1, 2, "序号|姓名|签约日期|签约金额"},
		{"merged cells of a workbook", "台账,,,\n序号,姓名,签约情况,\n,,签约日期,签约金额\n1,张三,2023-05-01,10\n",
			[]sheet.Range{{R0: 0, C0: 0, R1: 0, C1: 3}, {R0: 1, C0: 0, R1: 2, C1: 0}, {R0: 1, C0: 1, R1: 2, C1: 1}, {R0: 1, C0: 2, R1: 1, C1: 3}}, 1, 2, "序号|姓名|签约日期|签约金额"},
		{"a group heading over a complete row of names is left out", ",签约情况,\n序号,签约日期,签约金额\n1,2023-05-01,10\n", []sheet.Range{{R0: 0, C0: 1, R1: 0, C1: 2}}, 1, 1, "序号|签约日期|签约金额"},
		{"the same name under two groups", "名称,签约情况,,拆除情况,\n,日期,金额,日期,金额\n甲,2023-01-01,1,2023-02-02,2\n", nil, 0, 1, "名称|日期|金额|拆除情况/日期|拆除情况/金额"},
		{"a wrapped header cell and a column without a name", "编号,\"签约\n日期\",\n1,2023-01-01,x\n", nil, 0, 0, "编号|签约日期|column_C"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := csvGrid(t, c.text)
			g.merges = c.merges
			h, err := findHeader(g)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, n := range h.names {
				if n != "" {
					names = append(names, n)
				}
			}
			if h.top != c.top || h.bottom != c.bottom || strings.Join(names, "|") != c.names {
				t.Errorf("rows %d–%d, names %s; want %d–%d, %s", h.top, h.bottom, strings.Join(names, "|"), c.top, c.bottom, c.names)
			}
		})
	}
	t.Run("total, signature and note lines are not records", func(t *testing.T) {
		for _, row := range [][]string{{"合计", "", "12"}, {"", "小 计", "3"}, {"填表人：张三", "", "审核人：李四"}, {"说明：面积单位为亩"}, {"注:1.…"}} {
			if !footerRow(row) {
				t.Errorf("%q taken for a record", row)
			}
		}
		for _, row := range [][]string{{"1", "合计"}, {"", "GX-1"}, {"注册地块"}} {
			if footerRow(row) {
				t.Errorf("%q taken for a footer", row)
			}
		}
	})
	t.Run("a sheet of numbers has no header", func(t *testing.T) {
		if _, err := findHeader(csvGrid(t, "1,2\n3,4\n")); err == nil || !strings.Contains(err.Error(), "no header row") {
			t.Errorf("error %v", err)
		}
	})
}

func TestLedgerValues(t *testing.T) {
	t.Parallel()
	area := land.Field{Name: "contributed_area_m2", Type: land.Float, Unit: "m²"}
	price := land.Field{Name: "price_wan", Type: land.Float, Unit: "万元"}
	date := land.Field{Name: "d", Type: land.Date}
	may1 := time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		fd   land.Field
		in   any
		want any
		bad  string
	}{
		{area, "1,234.5 平方米", 1234.5, ""},
		{area, "1，234.5㎡", 1234.5, ""},
		{area, "3亩", 2000.0, ""},
		{area, "1.5 公顷", 15000.0, ""},
		{area, "120（平方米）", 120.0, ""},
		{area, "5 户", nil, `bad number "5 户" ("5 户" is in 户, the field in m²)`},
		{area, "大约100", nil, `bad number "大约100"`},
		{price, "¥1.2亿元", 12000.0, ""},
		{price, "350000元", 35.0, ""},
		{land.Field{Type: land.Float}, "12 公顷", 12.0, ""},
		{date, "2023-05-01", may1, ""},
		{date, "2023/5/1", may1, ""},
		{date, "2023年5月1日", may1, ""},
		{date, "20230501", may1, ""},
		{date, int64(20230501), may1, ""},
		{date, "2023-13-45", nil, `bad date "2023-13-45"`},
	} {
		got, err := normaliseField(c.fd, c.in)
		if c.bad != "" {
			if err == nil || badValue(c.fd, c.in, err) != c.bad {
				t.Errorf("%v: %v, %v; want %s", c.in, got, err, c.bad)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", c.in, err)
			continue
		}
		if x, ok := c.want.(float64); ok {
			if g, ok := got.(float64); !ok || math.Abs(g-x) > 1e-9 {
				t.Errorf("%v: %v, want %v", c.in, got, x)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%v: %v, want %v", c.in, got, c.want)
		}
	}
	for in, want := range map[string]float64{"113°57′0″": 113.95, "22°30'": 22.5, "113度57分36秒": 113.96, "-1.5": -1.5, "22°30'S": -22.5} {
		if got, err := coordinate(in); err != nil || math.Abs(got-want) > 1e-9 {
			t.Errorf("coordinate %q: %v %v, want %v", in, got, err, want)
		}
	}
}
