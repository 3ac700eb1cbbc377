package reports_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/reports"
)

// permitsReport is a whole report of a bureau's own, as docs/catalogue.md shows.
const permitsReport = `-- @report name=permits-issued title=施工许可发放 title_en="Building permits issued"
-- @description "Building permits issued in the period, by sub-district."
-- @period "permits issued in the period (issued_date)"
-- @street "the street field of the permit"
-- @layer kind=generic name=permits
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @default_group street
-- @column key=permits type=integer title=许可证数 title_en=Permits unit=件 target
-- @column key=area_ha type=number title=面积 title_en=Area unit=公顷 decimals=4
SELECT CASE WHEN 'street' = ANY($1::text[]) THEN name END AS street,
       GROUPING(CASE WHEN 'street' = ANY($1::text[]) THEN name END) <> 0 AS is_total,
       count(*) AS permits,
       round((coalesce(sum(area_m2), 0) / 10000)::numeric, 4)::float8 AS area_ha
FROM generic
WHERE $2::date IS NULL OR $3::date IS NOT NULL
GROUP BY GROUPING SETS ((1), ())
`

func overlay(t *testing.T, files map[string]string) (*reports.Catalog, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys["cat/"+name] = &fstest.MapFile{Data: []byte(text)}
	}
	return reports.DefaultCatalog().Overlay(fsys, "cat", "cat")
}

func TestDefaultReportsDescribeAgainstTheDatabase(t *testing.T) {
	t.Parallel()
	db := postgis.New(pgtest.NewDB(t).Pool, nil)
	cat := reports.DefaultCatalog()
	var names []string
	for _, r := range cat.Reports() {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, ","); got != "land-supply,farmland-occupation,idle-land,renewal-progress,land-use-summary,rectification,permits,layer-summary,expropriation,resettlement,renovation-progress,approvals,renewal-pipeline,supply-plan" {
		t.Fatalf("reports = %s", got)
	}
	if err := cat.Check(context.Background(), db); err != nil {
		t.Fatal(err)
	}
}

func TestCatalogAddsAReport(t *testing.T) {
	t.Parallel()
	cat, err := overlay(t, map[string]string{"permits-issued.sql": permitsReport})
	if err != nil {
		t.Fatal(err)
	}
	rs := cat.Reports()
	last := rs[len(rs)-1]
	if len(rs) != len(reports.DefaultCatalog().Reports())+1 || last.Name != "permits-issued" || last.Targets[0] != "permits" || last.Groups[0].Key != "street" {
		t.Fatalf("reports = %+v", rs)
	}
	if err := cat.Check(context.Background(), postgis.New(pgtest.NewDB(t).Pool, nil)); err != nil {
		t.Fatal(err)
	}
}

func TestCatalogReportErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		sql  string
		want string
	}{
		{"a placeholder without a parameter", strings.Replace(permitsReport, "$3::date IS NOT NULL", "$4::date IS NOT NULL", 1),
			`cat/permits-issued.sql:19: placeholder $4 has no @param`},
		{"a duplicate column", strings.Replace(permitsReport, "key=area_ha", "key=permits", 1),
			`cat/permits-issued.sql:13: @column "permits": duplicate column`},
		{"a duplicate parameter", strings.Replace(permitsReport, "-- @param $3 to", "-- @param $2 to", 1),
			`cat/permits-issued.sql:8: @param $2: duplicate parameter`},
		{"an unknown parameter", strings.Replace(permitsReport, "-- @param $3 to", "-- @param $3 until", 1),
			`cat/permits-issued.sql:8: @param $3: unknown parameter "until" (allowed: group, from, to, as_of, current, street, holidays, workdays)`},
		{"a duplicate group", strings.Replace(permitsReport, "-- @default_group", "-- @group key=street title=街道 title_en=Street\n-- @default_group", 1),
			`cat/permits-issued.sql:11: @group "street": duplicate group`},
		{"an unknown column type", strings.Replace(permitsReport, "type=integer", "type=count", 1),
			`cat/permits-issued.sql:12: @column "permits": unknown type "count" (allowed: text, integer, number, percent)`},
		{"a default group that is not a group", strings.Replace(permitsReport, "@default_group street", "@default_group stage", 1),
			`cat/permits-issued.sql:11: @default_group: "stage" names no @group`},
		{"an unknown directive", strings.Replace(permitsReport, "-- @period", "-- @year", 1),
			`cat/permits-issued.sql:3: unknown directive @year`},
		{"a rate that does not say what it divides", strings.Replace(permitsReport, "type=integer", "type=percent", 1),
			`cat/permits-issued.sql:12: @column "permits": a percent column needs formula="numerator ÷ denominator"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := overlay(t, map[string]string{"permits-issued.sql": c.sql})
			if err == nil || land.KindOf(err) != land.Invalid || err.Error() != c.want {
				t.Fatalf("error = %v\nwant    %s", err, c.want)
			}
		})
	}
	t.Run("a duplicate report names both files", func(t *testing.T) {
		_, err := overlay(t, map[string]string{"a.sql": permitsReport, "b.sql": permitsReport})
		if want := `cat/b.sql:1: duplicate report "permits-issued" (also declared in cat/a.sql)`; err == nil || err.Error() != want {
			t.Fatalf("error = %v\nwant    %s", err, want)
		}
	})
	t.Run("a declared column the SQL does not return", func(t *testing.T) {
		cat, err := overlay(t, map[string]string{"permits-issued.sql": strings.Replace(permitsReport, "AS area_ha", "AS area_hectares", 1)})
		if err != nil {
			t.Fatal(err)
		}
		err = cat.Check(context.Background(), postgis.New(pgtest.NewDB(t).Pool, nil))
		if want := `cat/permits-issued.sql:13: column "area_ha": the SQL returns no such column`; err == nil || land.KindOf(err) != land.Invalid || err.Error() != want {
			t.Fatalf("error = %v\nwant    %s", err, want)
		}
	})
	t.Run("an overriding report replaces the embedded one in place", func(t *testing.T) {
		cat, err := overlay(t, map[string]string{"x.sql": strings.Replace(permitsReport, "name=permits-issued", "name=idle-land", 1)})
		if err != nil {
			t.Fatal(err)
		}
		if rs := cat.Reports(); len(rs) != len(reports.DefaultCatalog().Reports()) || rs[2].Name != "idle-land" || rs[2].Title != "施工许可发放" {
			t.Fatalf("reports = %+v", rs)
		}
	})
}

// The example of docs/catalogue.md is a valid catalogue directory: its kind
// loads, and its report's SQL returns its columns from a layer of that kind.
func TestTheDocumentedExampleCatalogue(t *testing.T) {
	t.Parallel()
	dir := os.DirFS("../docs/catalogue-example")
	kinds, err := land.DefaultCatalog().Overlay(dir, "kinds", "kinds")
	if err != nil {
		t.Fatal(err)
	}
	if sp := kinds.Kind("expropriation"); sp == nil || len(sp.Milestones) != 2 || sp.CodeField != "code" {
		t.Fatalf("expropriation = %+v", sp)
	}
	cat, err := reports.DefaultCatalog().Overlay(dir, "reports", "reports")
	if err != nil {
		t.Fatal(err)
	}
	db := postgis.New(pgtest.NewDB(t).Pool, nil)
	if err := cat.Check(context.Background(), db); err == nil {
		t.Fatal("the report checked against the embedded kinds, which lack expropriation's fields")
	}
	if err := cat.WithKinds(kinds).Check(context.Background(), db); err != nil {
		t.Fatal(err)
	}
}
