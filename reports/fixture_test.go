package reports_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
	"tudi/reports"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The fixtures are rectangles drawn in EPSG:4547 (CGCS2000 3-degree
// Gauss-Krüger, central meridian 114°E) around (500000, 2500000), that is
// near 114°E 22.6°N, and stored in EPSG:4490 through ST_Transform, as an
// import would. Every shape lies within 1 km of the central meridian, where
// the GK scale factor is 1 + x²/2R² < 1 + 1.3e-8, so a rectangle's area on
// the ellipsoid equals its planar area to better than 1e-7 (the edges,
// straight in lon/lat after the transform, deviate from the projected
// straight lines by far less over a few hundred metres). The expected
// figures below are therefore computed from the planar sizes alone, with a
// relative tolerance of 1e-5 (ten times that margin and then some) plus the
// rounding of each figure: independent of PostGIS's geography code.
const gkX, gkY = 500000.0, 2500000.0

// rect is an axis-aligned rectangle in metres from (gkX, gkY).
type rect struct{ x1, y1, x2, y2 float64 }

func (r rect) area() float64 { return (r.x2 - r.x1) * (r.y2 - r.y1) }

// feature is a fixture feature: a rectangle, or a point when pt is set, and
// its canonical field values by column name.
type feature struct {
	r    rect
	pt   *[2]float64
	vals map[string]any
}

// mustLayer creates a layer of the kind and loads the features.
func mustLayer(tb testing.TB, db *postgis.DB, name string, kind land.Kind, feats []feature) {
	tb.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if err := postgis.CreateLayer(ctx, tx, &land.Layer{Name: name, Kind: kind, Title: name}); err != nil {
			return err
		}
		for i, f := range feats {
			var cols, ph []string
			var args []any
			for k, v := range f.vals {
				cols = append(cols, postgis.Ident(k))
				args = append(args, v)
				ph = append(ph, fmt.Sprintf("$%d", len(args)))
			}
			n := len(args)
			geom := fmt.Sprintf("ST_Transform(ST_MakeEnvelope($%d, $%d, $%d, $%d, 4547), 4490)", n+1, n+2, n+3, n+4)
			if f.pt != nil {
				geom = fmt.Sprintf("ST_Transform(ST_SetSRID(ST_MakePoint($%d, $%d), 4547), 4490)", n+1, n+2)
				args = append(args, gkX+f.pt[0], gkY+f.pt[1])
			} else {
				args = append(args, gkX+f.r.x1, gkY+f.r.y1, gkX+f.r.x2, gkY+f.r.y2)
			}
			cols = append(cols, "geom")
			ph = append(ph, geom)
			q := "INSERT INTO " + postgis.Table(name) + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(ph, ", ") + ")"
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return fmt.Errorf("feature %d of %s: %w", i, name, err)
			}
		}
		_, err := postgis.RefreshLayer(ctx, tx, name)
		return err
	})
	if err != nil {
		tb.Fatalf("layer %s: %v", name, err)
	}
}

func pt(x, y float64) *[2]float64 { return &[2]float64{x, y} }

// The district: 东街道 (x 0…1000) and 西街道 (x −1000…0), both y 0…1000,
// inside the district polygon 示例区 that covers both (so the smaller
// polygon must win); anything at y ≥ 2000 lies in no boundary (未划分).
var (
	east     = rect{0, 0, 1000, 1000}
	west     = rect{-1000, 0, 0, 1000}
	district = rect{-1000, 0, 1000, 1000}

	// Parcels.
	p1 = rect{100, 100, 300, 200}   // east, 0601, 招拍挂 2023, 5000 万元
	p2 = rect{400, 100, 500, 300}   // east, 0701, 招拍挂 2024, 12000 万元
	p3 = rect{-300, 100, -100, 400} // west, 0701, 协议 2023, 3000 万元
	p4 = rect{-600, 500, -500, 600} // west, 0801, 划拨 2024, no price
	p5 = rect{0, 2000, 100, 2100}   // nowhere, 0101 (farmland, not construction)
	p6 = rect{600, 600, 800, 800}   // east, 1003 (construction), not supplied
	p7 = rect{-50, 700, 150, 800}   // straddles the streets; its point on surface (x = 50) is east; 0201

	// Farmland patches. f1 and f2 overlap each other inside p1.
	f1 = rect{150, 50, 350, 150}
	f2 = rect{200, 120, 400, 180} // also shares the edge x = 400 with p2: touching is not occupying
	f3 = rect{-250, 350, -150, 450}
	f4 = rect{700, 700, 900, 900}
	f5 = rect{0, 2000, 100, 2100} // under p5, which is not construction land
)

func inter(a, b rect) rect {
	r := rect{math.Max(a.x1, b.x1), math.Max(a.y1, b.y1), math.Min(a.x2, b.x2), math.Min(a.y2, b.y2)}
	if r.x2 <= r.x1 || r.y2 <= r.y1 {
		return rect{}
	}
	return r
}

// boundariesLayer loads the streets and the district.
func boundariesLayer(tb testing.TB, db *postgis.DB) {
	mustLayer(tb, db, "boundaries", land.Boundaries, []feature{
		{r: district, vals: map[string]any{"name": "示例区", "level": "区"}},
		{r: east, vals: map[string]any{"name": "东街道", "level": "街道"}},
		{r: west, vals: map[string]any{"name": "西街道", "level": "街道"}},
	})
}

func date(s string) any { return s } // the column is a date; text input is cast by PostgreSQL

func parcelsLayer(tb testing.TB, db *postgis.DB, name string) {
	mustLayer(tb, db, name, land.Parcels, []feature{
		{r: p1, vals: map[string]any{"code": "P1", "landuse_code": "0601", "landuse_name": "工业用地", "supply_method": "招拍挂", "supply_date": date("2023-05-01"), "price_wan": 5000.0}},
		{r: p2, vals: map[string]any{"code": "P2", "landuse_code": "0701", "landuse_name": "城镇住宅用地", "supply_method": "招拍挂", "supply_date": date("2024-03-01"), "price_wan": 12000.0}},
		{r: p3, vals: map[string]any{"code": "P3", "landuse_code": "0701", "landuse_name": "城镇住宅用地", "supply_method": "协议", "supply_date": date("2023-07-01"), "price_wan": 3000.0}},
		{r: p4, vals: map[string]any{"code": "P4", "landuse_code": "0801", "landuse_name": "机关团体用地", "supply_method": "划拨", "supply_date": date("2024-01-15")}},
		{r: p5, vals: map[string]any{"code": "P5", "landuse_code": "0101", "landuse_name": "水田"}},
		{r: p6, vals: map[string]any{"code": "P6", "landuse_code": "1003", "landuse_name": "公路用地"}},
		{r: p7, vals: map[string]any{"code": "P7", "landuse_code": "0201", "landuse_name": "果园"}},
	})
}

func farmlandLayer(tb testing.TB, db *postgis.DB) {
	var feats []feature
	for i, r := range []rect{f1, f2, f3, f4, f5} {
		feats = append(feats, feature{r: r, vals: map[string]any{"code": fmt.Sprintf("F%d", i+1), "landuse_code": "0101"}})
	}
	mustLayer(tb, db, "farmland", land.Farmland, feats)
}

// Idle land.
var (
	i1 = rect{100, 500, 200, 600}   // east, 闲置, 企业原因, 已处置 (延期动工), digested, 2022
	i2 = rect{300, 500, 400, 550}   // east, 闲置, 政府原因, 未处置, digested, 2023
	i3 = rect{-400, 600, -200, 700} // west, 批而未供, 政府原因, 已处置 (协议收回), digested, 2023
	i4 = rect{-900, 100, -800, 130} // west, 批而未供, no cause, 未处置, not digested, 2023
)

func idleLayer(tb testing.TB, db *postgis.DB) {
	mustLayer(tb, db, "idle_land", land.IdleLand, []feature{
		{r: i1, vals: map[string]any{"code": "I1", "kind": "闲置", "cause": "企业原因", "disposal_status": "已处置", "disposal_method": "延期动工", "digested": true, "identified_date": date("2022-03-01")}},
		{r: i2, vals: map[string]any{"code": "I2", "kind": "闲置", "cause": "政府原因", "disposal_status": "未处置", "digested": true, "identified_date": date("2023-04-01")}},
		{r: i3, vals: map[string]any{"code": "I3", "kind": "批而未供", "cause": "政府原因", "disposal_status": "已处置", "disposal_method": "协议收回", "digested": true, "identified_date": date("2023-06-01")}},
		{r: i4, vals: map[string]any{"code": "I4", "kind": "批而未供", "disposal_status": "未处置", "digested": false, "identified_date": date("2023-09-01")}},
	})
}

// Renewal units and stations.
var (
	r1 = rect{100, 300, 300, 400}   // east, 竣工, 拆除重建, 工改商住, 3000 m² contributed, 50 m from s1
	r2 = rect{500, 300, 600, 400}   // east, 土地出让, 拆除重建, 工改工, 1000 m², 150 m from s1
	r3 = rect{-500, 300, -300, 350} // west, 规划批准, 综合整治, 居改居, 0 m², > 600 m from any station
	r4 = rect{-800, 800, -700, 900} // west, 计划立项, 功能改变, 工改商住, none, 400 m from s2
	r5 = rect{200, 2000, 300, 2050} // nowhere, 实施主体确认, 拆除重建, 工改工, 500 m², far from stations
	s1 = pt(350, 350)
	s2 = pt(-750, 1300)
)

func renewalLayers(tb testing.TB, db *postgis.DB) {
	mustLayer(tb, db, "renewal_units", land.RenewalUnits, []feature{
		{r: r1, vals: map[string]any{"code": "R1", "stage": "竣工", "category": "拆除重建", "direction": "工改商住", "contributed_area_m2": 3000.0}},
		{r: r2, vals: map[string]any{"code": "R2", "stage": "土地出让", "category": "拆除重建", "direction": "工改工", "contributed_area_m2": 1000.0}},
		{r: r3, vals: map[string]any{"code": "R3", "stage": "规划批准", "category": "综合整治", "direction": "居改居", "contributed_area_m2": 0.0}},
		{r: r4, vals: map[string]any{"code": "R4", "stage": "计划立项", "category": "功能改变", "direction": "工改商住"}},
		{r: r5, vals: map[string]any{"code": "R5", "stage": "实施主体确认", "category": "拆除重建", "direction": "工改工", "contributed_area_m2": 500.0}},
	})
	mustLayer(tb, db, "stations", land.Generic, []feature{
		{pt: s1, vals: map[string]any{"name": "东站"}},
		{pt: s2, vals: map[string]any{"name": "西站"}},
	})
}

// fixture returns a service over a fresh database holding every fixture layer.
func fixture(tb testing.TB) (*reports.Service, *postgis.DB) {
	tb.Helper()
	return fixtureOn(tb, postgis.New(pgtest.NewDB(tb).Pool, nil))
}

// fixtureOn loads the fixture layers into db.
func fixtureOn(tb testing.TB, db *postgis.DB) (*reports.Service, *postgis.DB) {
	tb.Helper()
	boundariesLayer(tb, db)
	parcelsLayer(tb, db, "parcels")
	farmlandLayer(tb, db)
	idleLayer(tb, db)
	renewalLayers(tb, db)
	approvalLayers(tb, db) // renewal_supply_test.go
	return reports.New(db, nil), db
}
