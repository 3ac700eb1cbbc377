package reports_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/reports"
	"tudi/reports/reportstest"
)

// Over boundaries kilometres wide, most features take their sub-district
// from the grid of boundary_cells, the rest from a lookup; either way each
// street's count and area equal those of a plain point-on-surface lookup
// of every parcel, written here on its own, with nested polygons (the
// smallest wins), a gap between polygons and parcels outside every one.
func TestStreetCellsAgreeWithAPlainLookup(t *testing.T) {
	t.Parallel()
	db := postgis.New(pgtest.NewDB(t).Pool, nil)
	mustLayer(t, db, "boundaries", land.Boundaries, []feature{
		{r: rect{-10000, 0, 10000, 20000}, vals: map[string]any{"name": "大区"}},
		{r: rect{-10000, 0, 0, 12000}, vals: map[string]any{"name": "西街"}},
		{r: rect{0, 0, 10000, 20000}, vals: map[string]any{"name": "东街"}},
		{r: rect{3000, 4000, 7500, 9000}, vals: map[string]any{"name": "东街里的镇"}},
		{r: rect{-10000, 26000, -4000, 31000}, vals: map[string]any{"name": "飞地"}},
	})
	var parcels []feature
	for x := -12000.0; x < 12000; x += 430 {
		for y := -1500.0; y < 32000; y += 370 {
			parcels = append(parcels, feature{r: rect{x, y, x + 120, y + 90},
				vals: map[string]any{"landuse_code": "0701", "landuse_name": "城镇住宅用地"}})
		}
	}
	mustLayer(t, db, "parcels", land.Parcels, parcels)
	ctx := context.Background()
	// The grid must name cells of each kind (else only the lookup is tested):
	// in the streets, in the nested town and outside every boundary.
	q, err := os.ReadFile("sql/boundary-cells.sql")
	if err != nil {
		t.Fatal(err)
	}
	var named []string
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Rolled back, as the report's transaction is: the temporary table goes.
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SET LOCAL search_path = layers, public;\n"+string(q)); err != nil {
		t.Fatal(err)
	}
	var all int
	if err := tx.QueryRow(ctx, `SELECT array_agg(DISTINCT name ORDER BY name), count(*) FROM boundary_cells`).Scan(&named, &all); err != nil {
		t.Fatal(err)
	}
	if want := []string{"东街", "东街里的镇", "大区", "未划分", "西街", "飞地"}; !slices.Equal(named, want) {
		t.Errorf("cells are named %v, want %v", named, want)
	}
	// With tudi.report_streets, the grid covers the extent of those
	// sub-districts only: 飞地, a 6 × 5 km rectangle, is some 40 cells of
	// ~1 km, those along its edges left out.
	var some int
	if _, err := tx.Exec(ctx, "DROP TABLE boundary_cells; SET LOCAL tudi.report_streets = '{飞地}';\n"+string(q)); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, `SELECT array_agg(DISTINCT name ORDER BY name), count(*) FROM boundary_cells`).Scan(&named, &some); err != nil {
		t.Fatal(err)
	}
	if want := []string{"飞地"}; !slices.Equal(named, want) || some >= all/4 {
		t.Errorf("cells of 飞地 alone: %d named %v, want fewer than %d named %v", some, named, all/4, want)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]float64{}
	rows, err := db.Pool.Query(ctx, `
		SELECT coalesce((SELECT b.name FROM layers.boundaries b
		                 WHERE ST_Contains(b.geom, ST_PointOnSurface(p.geom))
		                 ORDER BY b.area_m2 LIMIT 1), '未划分'),
		       count(*), sum(p.area_m2)
		FROM layers.parcels p GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var n, a float64
		if err := rows.Scan(&name, &n, &a); err != nil {
			t.Fatal(err)
		}
		want[name] = [2]float64{n, a}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) != 6 {
		t.Fatalf("the fixture should give 6 sub-districts, gives %v", want)
	}
	svc := reports.New(db, nil)
	res := reportstest.MustRun(t, svc, "land-use-summary", reports.Options{Group: []string{"street"}})
	if len(res.Rows) != len(want) {
		t.Errorf("%d streets, want %d: %v", len(res.Rows), len(want), res.Rows)
	}
	for _, row := range res.Rows {
		name := fmt.Sprint(row["street"])
		n, _ := reports.Figure(row["parcels"])
		a, _ := reports.Figure(row["area_m2"])
		if w, ok := want[name]; !ok || n != w[0] || math.Abs(a-w[1]) > 0.01 {
			t.Errorf("%s: %v parcels, %v m²; want %v", name, n, a, w)
		}
	}
	// Filtered by street, the grid covers the chosen sub-districts only and
	// parcels outside their extent are left out before any lookup: each
	// filter still selects exactly the parcels of the plain lookup.
	for _, filter := range [][]string{{"东街里的镇"}, {"大区"}, {"飞地", "西街"}, {"东街"}, {"未划分"}, {"东街", "未划分"}} {
		var w [2]float64
		for _, name := range filter {
			w[0] += want[name][0]
			w[1] += want[name][1]
		}
		res := reportstest.MustRun(t, svc, "land-use-summary", reports.Options{Street: filter})
		n, _ := reports.Figure(res.Totals["parcels"])
		a, _ := reports.Figure(res.Totals["area_m2"])
		if n != w[0] || math.Abs(a-w[1]) > 0.01 {
			t.Errorf("filtered to %v: %v parcels, %v m²; want %v", filter, n, a, w)
		}
	}
}
