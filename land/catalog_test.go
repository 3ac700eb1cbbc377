package land

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestDefaultCatalog(t *testing.T) {
	t.Parallel()
	c := DefaultCatalog()
	// The canonical kinds first, then the other embedded ones by name.
	all := append(slices.Clone(Kinds), "land_approvals", "renewal_projects")
	if got := c.Kinds(); !slices.Equal(got, all) {
		t.Fatalf("kinds = %v, want %v", got, all)
	}
	for _, k := range all {
		t.Run(string(k)+" has titled, typed fields", func(t *testing.T) {
			s := c.Kind(k)
			if s.Title == "" || s.TitleEN == "" || len(s.Fields) == 0 {
				t.Fatalf("spec = %+v", s)
			}
			for _, f := range s.Fields {
				if f.Title == "" || f.TitleEN == "" || len(f.Presets) == 0 {
					t.Errorf("field %+v lacks a title or presets", f)
				}
			}
		})
	}
	t.Run("renewal units keep their six milestones in order", func(t *testing.T) {
		var got []string
		for _, m := range RenewalUnits.Milestones() {
			got = append(got, m.Field+"="+m.Title)
		}
		want := []string{"listed_date=计划立项", "approved_date=规划批准", "entity_date=实施主体确认",
			"contract_date=土地出让", "start_date=开工", "completed_date=竣工"}
		if !slices.Equal(got, want) {
			t.Fatalf("milestones = %v, want %v", got, want)
		}
	})
	t.Run("value lists come from the catalogue", func(t *testing.T) {
		for _, c := range []struct {
			got, want []string
		}{
			{SupplyMethods, []string{"招拍挂", "协议", "划拨"}},
			{RenewalStages, []string{"计划立项", "规划批准", "实施主体确认", "土地出让", "建设", "竣工"}},
			{DisposalStates, []string{"未处置", "已处置"}},
			{IdleKinds, []string{"闲置", "批而未供"}},
		} {
			if !slices.Equal(c.got, c.want) {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		}
	})
	t.Run("cropland is #ffff64", func(t *testing.T) {
		f, _ := Parcels.Field("landuse_code")
		i := slices.IndexFunc(f.Values, func(v FieldValue) bool { return v.Value == "01" })
		if i < 0 || f.Values[i].Color != "#ffff64" || f.Values[i].Title != "耕地" || f.Values[i].Level != 1 {
			t.Fatalf("01 = %+v", f.Values)
		}
	})
	t.Run("an unknown kind reads as generic", func(t *testing.T) {
		if zh, en := Kind("stations").Title(); zh != "图层" || en != "Layer" {
			t.Fatalf("title = %s %s", zh, en)
		}
		if f := Kind("stations").Fields(); len(f) != 1 || f[0].Name != "name" {
			t.Fatalf("fields = %+v", f)
		}
	})
}

const goodKind = `kind: works_permits
title: 施工许可
title_en: Building permits
code_field: code
fields:
  - {name: code, type: text, title: 许可证号, title_en: Permit number, presets: [XKZH]}
  - name: status
    type: text
    title: 状态
    title_en: Status
    presets: [ZT]
    values:
      - {value: 有效, title_en: Valid, color: "#33a02c"}
  - {name: issued_date, type: date, title: 发证日期, title_en: Issue date, presets: [FZRQ]}
milestones:
  - {field: issued_date, title: 发证, title_en: Issued}
style:
  field: status
  outline: "#333333"
  other: "#cccccc"
`

func TestReadKindsErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"an unknown type names the file, line and field",
			map[string]string{"permits.yaml": strings.Replace(goodKind, "type: date", "type: datetime", 1)},
			`cat/permits.yaml:14: kind "works_permits": field "issued_date": unknown type "datetime" (allowed: text, int, float, date, bool)`},
		{"a duplicate field",
			map[string]string{"permits.yaml": strings.Replace(goodKind, "{name: issued_date", "{name: code", 1)},
			`cat/permits.yaml:14: kind "works_permits": field "code": duplicate field`},
		{"a field named like a column every layer has",
			map[string]string{"permits.yaml": strings.Replace(goodKind, "{name: issued_date", "{name: area_m2", 1)},
			`cat/permits.yaml:14: kind "works_permits": field "area_m2": reserved column name (every layer has id, props, geom, geom_3857, area_m2, valid_from, valid_to)`},
		{"a bad colour of a value",
			map[string]string{"permits.yaml": strings.Replace(goodKind, `"#33a02c"`, `"green"`, 1)},
			`cat/permits.yaml:13: kind "works_permits": field "status": value "有效": bad colour "green" (want #rrggbb)`},
		{"a bad colour of the style",
			map[string]string{"permits.yaml": strings.Replace(goodKind, `outline: "#333333"`, `outline: "#33"`, 1)},
			`cat/permits.yaml:19: kind "works_permits": style: outline: bad colour "#33" (want #rrggbb)`},
		{"a milestone naming a non-date field",
			map[string]string{"permits.yaml": strings.Replace(goodKind, "{field: issued_date", "{field: status", 1)},
			`cat/permits.yaml:16: kind "works_permits": milestone "发证": field "status" is of type text, not date`},
		{"a milestone naming no field",
			map[string]string{"permits.yaml": strings.Replace(goodKind, "{field: issued_date", "{field: issue_date", 1)},
			`cat/permits.yaml:16: kind "works_permits": milestone "发证": field "issue_date" is not a field`},
		{"a duplicate kind names both files",
			map[string]string{"a.yaml": goodKind, "b.yaml": goodKind},
			`cat/b.yaml:1: duplicate kind "works_permits" (also declared in cat/a.yaml)`},
		{"a misspelt key",
			map[string]string{"permits.yaml": strings.Replace(goodKind, "title_en: Status", "titel_en: Status", 1)},
			`cat/permits.yaml:10: field titel_en not found in type land.fieldFile`},
		{"broken YAML",
			map[string]string{"permits.yaml": goodKind + "  - {field: x\n"},
			`cat/permits.yaml:`},
		{"too many indexed fields",
			map[string]string{"permits.yaml": strings.Replace(goodKind, "  - {name: issued_date", manyIndexed(9)+"  - {name: issued_date", 1)},
			`cat/permits.yaml:22: kind "works_permits": field "f8": more than 8 fields with index: true (each index slows every import)`},
		{"a style field without values",
			map[string]string{"permits.yaml": strings.Replace(goodKind, "field: status\n  outline", "field: code\n  outline", 1)},
			`cat/permits.yaml:18: kind "works_permits": style: field "code" has no values to colour by`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, text := range c.files {
				fsys["cat/"+name] = &fstest.MapFile{Data: []byte(text)}
			}
			_, err := ReadKinds(fsys, "cat", "cat")
			if err == nil {
				t.Fatal("no error")
			}
			if KindOf(err) != Invalid || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("error = %q (%s)\nwant   %q", err, KindOf(err), c.want)
			}
		})
	}
}

func TestCatalogOverlay(t *testing.T) {
	t.Parallel()
	override := strings.Replace(DefaultCatalogFile(t, "generic.yaml"), "title_en: Layer", "title_en: Other layer", 1)
	fsys := fstest.MapFS{"cat/permits.yaml": {Data: []byte(goodKind)}, "cat/generic.yaml": {Data: []byte(override)}}
	c, err := DefaultCatalog().Overlay(fsys, "cat", "cat")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Kinds(); !slices.Equal(got, append(slices.Clone(Kinds), "land_approvals", "renewal_projects", "works_permits")) {
		t.Fatalf("kinds = %v", got)
	}
	if c.Kind(Generic).TitleEN != "Other layer" || DefaultCatalog().Kind(Generic).TitleEN != "Layer" {
		t.Fatal("the overlay did not replace generic, or changed the default catalogue")
	}
	if k, err := c.ParseKind("works_permits"); err != nil || c.Kind(k).Milestones[0].Field != "issued_date" {
		t.Fatalf("ParseKind = %v, %v", k, err)
	}
	if _, err := DefaultCatalog().ParseKind("works_permits"); err == nil {
		t.Fatal("the default catalogue knows permits")
	}
}

func DefaultCatalogFile(t *testing.T, name string) string {
	t.Helper()
	b, err := embeddedKinds.ReadFile("catalog/kinds/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// manyIndexed returns n indexed text fields f0…, one a line.
func manyIndexed(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  - {name: f%d, type: text, title: F, title_en: F, presets: [F%d], index: true}\n", i, i)
	}
	return b.String()
}

func TestIndexedFields(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"cat/permits.yaml": &fstest.MapFile{Data: []byte(strings.Replace(goodKind, "presets: [FZRQ]}", "presets: [FZRQ], index: true}", 1))}}
	kinds, err := ReadKinds(fsys, "cat", "cat")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range kinds[0].Fields {
		if f.Index != (f.Name == "issued_date") {
			t.Errorf("field %s: index = %v", f.Name, f.Index)
		}
	}
	// The embedded parcels index what filters and the reports select on.
	for _, name := range []string{"landuse_code", "street", "status", "supply_method", "supply_date"} {
		if f, ok := Parcels.Field(name); !ok || !f.Index {
			t.Errorf("parcels field %s: index: true expected", name)
		}
	}
	if f, _ := Parcels.Field("price_wan"); f.Index {
		t.Error("parcels price_wan indexed")
	}
}
