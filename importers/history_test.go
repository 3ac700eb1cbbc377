package importers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/postgis"
)

// parcel is one feature of a hand-made parcels GeoJSON file.
type parcel struct {
	code, landuse string
	x, y          float64 // south-west corner, lon/lat
	extra         string  // a source attribute only kept in props
}

// mustParcels writes parcels as a GeoJSON file (lon/lat, CGCS2000) and
// returns its path.
func mustParcels(tb testing.TB, dir, name string, ps []parcel) string {
	tb.Helper()
	var feats []string
	for _, p := range ps {
		d := 0.001
		ring := fmt.Sprintf("[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]", p.x, p.y, p.x+d, p.y, p.x+d, p.y+d, p.x, p.y+d, p.x, p.y)
		props := map[string]any{"DKBH": p.code, "DLBM": p.landuse, "JDMC": "东街街道"}
		if p.extra != "" {
			props["BZ"] = p.extra
		}
		b, _ := json.Marshal(props)
		feats = append(feats, `{"type":"Feature","properties":`+string(b)+`,"geometry":{"type":"Polygon","coordinates":[`+ring+`]}}`)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(`{"type":"FeatureCollection","features":[`+strings.Join(feats, ",")+`]}`), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func date(s string) time.Time {
	d, err := time.Parse(postgis.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return d
}

// historyState is a checksum of a layer's current and history tables and
// its registry version: what a failed import must leave as it was.
func (e *testEnv) historyState(tb testing.TB, layer string) [3]string {
	tb.Helper()
	s := e.MustState(tb, layer)
	var h string
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY id, valid_from)), '') FROM `+postgis.HistoryTable(layer)+` t`).Scan(&h); err != nil {
		tb.Fatal(err)
	}
	return [3]string{s.Checksum, h, fmt.Sprint(s.Version, s.Rows)}
}

// asOf returns code → landuse_code|BZ|x of the layer as of d, read through
// postgis.ShadowAsOf by plain SQL on the layer's name.
func (e *testEnv) asOf(tb testing.TB, layer string, d time.Time) map[string]string {
	tb.Helper()
	ctx := context.Background()
	out := map[string]string{}
	err := pgx.BeginFunc(ctx, e.db.Pool, func(tx pgx.Tx) error {
		if err := postgis.ShadowAsOf(ctx, tx, nil, d, layer); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SET LOCAL search_path = layers, public`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT code, landuse_code || '|' || coalesce(props->>'BZ', '') || '|' || round(ST_XMin(geom)::numeric, 4) || '|' || (area_m2 > 0) || '|' || (geom_3857 IS NOT NULL)
			FROM `+postgis.Ident(layer)+` ORDER BY code`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c, v string
			if err := rows.Scan(&c, &v); err != nil {
				return err
			}
			out[c] = v
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		tb.Fatal(err)
	}
	return out
}

var errRollback = fmt.Errorf("rollback")

func TestHistoryThreeEffectiveDates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	dir := t.TempDir()
	f1 := mustParcels(t, dir, "2016.geojson", []parcel{
		{code: "A", landuse: "0101", x: 113.30, y: 23.10},
		{code: "B", landuse: "0201", x: 113.31, y: 23.10},
		{code: "C", landuse: "0301", x: 113.32, y: 23.10},
	})
	f2 := mustParcels(t, dir, "2017.geojson", []parcel{
		{code: "D", landuse: "0701", x: 113.33, y: 23.10}, // added (first in the file: ids must not follow the order)
		{code: "A", landuse: "0101", x: 113.30, y: 23.10}, // unchanged
		{code: "B", landuse: "0702", x: 113.31, y: 23.10}, // land use changed; C removed
	})
	f3 := mustParcels(t, dir, "2018.geojson", []parcel{
		{code: "A", landuse: "0101", x: 113.35, y: 23.10},             // moved
		{code: "B", landuse: "0702", x: 113.31, y: 23.10},             // unchanged
		{code: "D", landuse: "0701", x: 113.33, y: 23.10, extra: "注"}, // a source attribute added
		{code: "E", landuse: "0801", x: 113.36, y: 23.10},             // added
	})

	heard := make(chan postgis.Change, 16)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan struct{})
	readyOnce := sync.OnceFunc(func() { close(ready) }) // Synced comes again after a reconnect
	go e.db.Listen(lctx, postgis.Listener{Changed: func(c postgis.Change) { heard <- c }, Synced: func(postgis.Querier, map[string][]string) { readyOnce() }})
	<-ready
	lastChange := func(t *testing.T) postgis.Change {
		t.Helper()
		select {
		case c := <-heard:
			return c
		case <-time.After(5 * time.Second):
			t.Fatal("no change notification")
		}
		return postgis.Change{}
	}

	counts := func(imp *land.Import) string {
		c := imp.Summary.Changes
		if c == nil {
			return "no changes recorded"
		}
		return fmt.Sprintf("%s +%d ~%d -%d =%d", c.EffectiveDate, c.Added, c.Changed, c.Removed, c.Unchanged)
	}
	var idB int64
	t.Run("the first import of a new parcels layer starts its history", func(t *testing.T) {
		imp := e.MustImport(t, Request{Layer: "parcels", AsOf: date("2016-01-01"), Files: []string{f1}})
		if imp.Mode != "history" || counts(imp) != "2016-01-01 +3 ~0 -0 =0" {
			t.Fatalf("mode %s, changes %s", imp.Mode, counts(imp))
		}
		lastChange(t)
		got, err := e.db.FindImport(ctx, imp.ID)
		if err != nil || counts(got) != counts(imp) {
			t.Fatalf("import record: %v %v", got, err)
		}
		e.db.Pool.QueryRow(ctx, `SELECT id FROM layers.parcels WHERE code = 'B'`).Scan(&idB)
	})
	t.Run("the second compares by code and writes only what changed", func(t *testing.T) {
		before := e.MustState(t, "parcels")
		imp := e.MustImport(t, Request{Layer: "parcels", AsOf: date("2017-06-30"), Files: []string{f2}})
		if counts(imp) != "2017-06-30 +1 ~1 -1 =1" {
			t.Fatalf("changes %s", counts(imp))
		}
		var id int64
		e.db.Pool.QueryRow(ctx, `SELECT id FROM layers.parcels WHERE code = 'B'`).Scan(&id)
		if id != idB {
			t.Errorf("the changed feature's id went from %d to %d", idB, id)
		}
		if after := e.MustState(t, "parcels"); after.Version != before.Version+1 || after.Rows != 3 {
			t.Errorf("state %+v → %+v", before, after)
		}
		// The change covers B, C (old) and D (new), not A.
		c := lastChange(t)
		if len(c.BBox) != 4 || c.BBox[0] < 113.309 || c.BBox[2] > 113.3311 {
			t.Errorf("change extent %v, want B..D (113.31–113.331)", c.BBox)
		}
	})
	t.Run("the third too", func(t *testing.T) {
		imp := e.MustImport(t, Request{Layer: "parcels", AsOf: date("2018-12-31"), Files: []string{f3}})
		if counts(imp) != "2018-12-31 +1 ~2 -0 =1" {
			t.Fatalf("changes %s", counts(imp))
		}
		lastChange(t)
	})
	t.Run("as-of states are exact, and empty before the first date", func(t *testing.T) {
		want := map[string]map[string]string{
			"2015-12-31": {},
			"2016-01-01": {"A": "0101||113.3000|true|true", "B": "0201||113.3100|true|true", "C": "0301||113.3200|true|true"},
			"2017-06-29": {"A": "0101||113.3000|true|true", "B": "0201||113.3100|true|true", "C": "0301||113.3200|true|true"},
			"2017-12-31": {"A": "0101||113.3000|true|true", "B": "0702||113.3100|true|true", "D": "0701||113.3300|true|true"},
			"2018-12-31": {"A": "0101||113.3500|true|true", "B": "0702||113.3100|true|true", "D": "0701|注|113.3300|true|true", "E": "0801||113.3600|true|true"},
			"2030-01-01": {"A": "0101||113.3500|true|true", "B": "0702||113.3100|true|true", "D": "0701|注|113.3300|true|true", "E": "0801||113.3600|true|true"},
		}
		for d, w := range want {
			got := e.asOf(t, "parcels", date(d))
			if fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("as of %s: %v, want %v", d, got, w)
			}
		}
		// The latest state is the current table, column for column.
		var diff int
		err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM layers.parcels c FULL JOIN (`+postgis.AsOfSelect("parcels", land.Parcels.Spec(), date("2030-01-01"))+`) h
			ON h.id = c.id WHERE (c.code, c.landuse_code, c.street, c.props, c.area_m2) IS DISTINCT FROM (h.code, h.landuse_code, h.street, h.props, h.area_m2)
			OR NOT ST_Equals(c.geom, h.geom) OR NOT ST_Equals(c.geom_3857, h.geom_3857)`).Scan(&diff)
		if err != nil || diff != 0 {
			t.Fatalf("%d rows differ between current and latest history (%v)", diff, err)
		}
	})
	t.Run("diffs list what was added, removed and changed, with the fields", func(t *testing.T) {
		diff := func(from, to string) string {
			var out []string
			n, err := e.db.DiffLayer(ctx, "parcels", date(from), date(to), func(f postgis.DiffFeature) error {
				out = append(out, fmt.Sprintf("%s %s %v", f.Code, f.Change, f.Changed))
				if f.Geometry == nil || string(f.Geometry) == "null" {
					t.Errorf("%s: no geometry", f.Code)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("%v %+v", out, n)
		}
		for _, c := range [][3]string{
			{"2016-01-01", "2018-12-31", "[A changed [geom] B changed [landuse_code props.DLBM] C removed [] D added [] E added []] {Added:2 Removed:1 Changed:2}"},
			{"2017-06-30", "2018-12-31", "[A changed [geom] D changed [props.BZ] E added []] {Added:1 Removed:0 Changed:2}"},
			{"2015-01-01", "2016-06-01", "[A added [] B added [] C added []] {Added:3 Removed:0 Changed:0}"},
			{"2017-07-01", "2018-12-30", "[] {Added:0 Removed:0 Changed:0}"},
		} {
			if got := diff(c[0], c[1]); got != c[2] {
				t.Errorf("diff %s → %s:\n got %s\nwant %s", c[0], c[1], got, c[2])
			}
		}
		if _, err := e.db.DiffLayer(ctx, "parcels", date("2018-01-01"), date("2017-01-01"), func(postgis.DiffFeature) error { return nil }); land.KindOf(err) != land.Invalid {
			t.Errorf("from after to: %v", err)
		}
	})
	t.Run("the history lists the imports with their counts", func(t *testing.T) {
		hs, err := e.db.FindLayerChanges(ctx, "parcels")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range hs {
			c := h.Changes
			got = append(got, fmt.Sprintf("%s +%d ~%d -%d =%d %v", c.EffectiveDate, c.Added, c.Changed, c.Removed, c.Unchanged, h.Files))
		}
		want := "[2016-01-01 +3 ~0 -0 =0 [2016.geojson] 2017-06-30 +1 ~1 -1 =1 [2017.geojson] 2018-12-31 +1 ~2 -0 =1 [2018.geojson]]"
		if fmt.Sprint(got) != want {
			t.Fatalf("history %v\nwant %s", got, want)
		}
	})
	t.Run("an unchanged file changes nothing, not even the version", func(t *testing.T) {
		before := e.historyState(t, "parcels")
		imp := e.MustImport(t, Request{Layer: "parcels", AsOf: date("2019-01-01"), Files: []string{f3}})
		if counts(imp) != "2019-01-01 +0 ~0 -0 =4" {
			t.Fatalf("changes %s", counts(imp))
		}
		if after := e.historyState(t, "parcels"); after != before {
			t.Fatalf("state changed: %v → %v", before, after)
		}
		select {
		case c := <-heard:
			t.Fatalf("change announced: %+v", c)
		case <-time.After(200 * time.Millisecond):
		}
	})
	refused := func(t *testing.T, req Request, kind land.ErrorKind, says string) {
		t.Helper()
		before := e.historyState(t, "parcels")
		_, err := e.im.Import(ctx, req)
		if land.KindOf(err) != kind || !strings.Contains(err.Error(), says) {
			t.Fatalf("err = %v (%s), want %s saying %q", err, land.KindOf(err), kind, says)
		}
		if after := e.historyState(t, "parcels"); after != before {
			t.Fatalf("a failed import changed the layer: %v → %v", before, after)
		}
	}
	t.Run("a file with duplicate codes fails, naming the code, and changes nothing", func(t *testing.T) {
		bad := mustParcels(t, dir, "dup.geojson", []parcel{
			{code: "A", landuse: "0101", x: 113.30, y: 23.10},
			{code: "Z", landuse: "0101", x: 113.30, y: 23.10},
			{code: "Z", landuse: "0102", x: 113.31, y: 23.10},
		})
		refused(t, Request{Layer: "parcels", Files: []string{bad}}, land.Invalid, `duplicate code "Z" (2 times)`)
	})
	t.Run("a feature without a code fails", func(t *testing.T) {
		bad := mustParcels(t, dir, "nocode.geojson", []parcel{{code: "A", landuse: "0101", x: 113.30, y: 23.10}, {code: "", x: 113.3, y: 23.1}})
		refused(t, Request{Layer: "parcels", Files: []string{bad}}, land.Invalid, "1 feature(s) have no code (the first is record 2)")
	})
	t.Run("an as-of date before the latest effective date is refused", func(t *testing.T) {
		refused(t, Request{Layer: "parcels", AsOf: date("2018-06-30"), Files: []string{f2}}, land.Invalid, "before the latest effective date of layer \"parcels\", 2019-01-01")
	})
	t.Run("a replace would end the history and is refused", func(t *testing.T) {
		refused(t, Request{Layer: "parcels", Mode: "replace", Files: []string{f2}}, land.Conflict, "keeps history")
	})
	t.Run("a broken file fails the import and changes nothing", func(t *testing.T) {
		broken := filepath.Join(dir, "broken.geojson")
		os.WriteFile(broken, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"DKBH":"Q"},"geometry":{"type":"Point","coordinates":[113.3,23.1]}},{"type":"Feat`), 0o644)
		refused(t, Request{Layer: "parcels", AsOf: date("2020-01-01"), Files: []string{broken}}, land.Invalid, "broken.geojson")
	})
	t.Run("a failure while the changes are applied rolls all of them back", func(t *testing.T) {
		// The current table is updated before history gets the new rows: a
		// history row that cannot be written fails the import midway.
		if _, err := e.db.Pool.Exec(ctx, `CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS
			$$BEGIN IF NEW.code = 'BOOM' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END$$;
			CREATE TRIGGER boom BEFORE INSERT ON history.parcels FOR EACH ROW EXECUTE FUNCTION boom()`); err != nil {
			t.Fatal(err)
		}
		defer e.db.Pool.Exec(ctx, `DROP TRIGGER boom ON history.parcels`)
		bad := mustParcels(t, dir, "boom.geojson", []parcel{
			{code: "A", landuse: "0102", x: 113.35, y: 23.10},
			{code: "BOOM", landuse: "0101", x: 113.37, y: 23.10},
		})
		refused(t, Request{Layer: "parcels", AsOf: date("2020-01-01"), Files: []string{bad}}, land.Internal, "boom")
	})
	t.Run("a second import on the same date replaces that day's state", func(t *testing.T) {
		f4 := mustParcels(t, dir, "2019b.geojson", []parcel{
			{code: "A", landuse: "0101", x: 113.35, y: 23.10},
			{code: "B", landuse: "0999", x: 113.31, y: 23.10},
		})
		imp := e.MustImport(t, Request{Layer: "parcels", AsOf: date("2019-01-01"), Files: []string{f4}})
		if counts(imp) != "2019-01-01 +0 ~1 -2 =1" {
			t.Fatalf("changes %s", counts(imp))
		}
		imp = e.MustImport(t, Request{Layer: "parcels", AsOf: date("2019-01-01"), Files: []string{f3}})
		if counts(imp) != "2019-01-01 +2 ~1 -0 =1" {
			t.Fatalf("changes %s", counts(imp))
		}
		// That day's first state is gone: B has one row from 2017-06-30 on.
		var rows int
		e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM history.parcels WHERE code = 'B' AND valid_from >= '2017-06-30'`).Scan(&rows)
		if got := e.asOf(t, "parcels", date("2019-01-01")); rows != 2 || len(got) != 4 || got["B"] != "0702||113.3100|true|true" {
			t.Fatalf("B rows %d, state %v", rows, got)
		}
	})
	t.Run("append into a layer with history adds and changes by code and removes nothing", func(t *testing.T) {
		f5 := mustParcels(t, dir, "extra.geojson", []parcel{
			{code: "B", landuse: "0703", x: 113.31, y: 23.10},
			{code: "F", landuse: "0101", x: 113.37, y: 23.10},
		})
		imp := e.MustImport(t, Request{Layer: "parcels", Mode: "append", AsOf: date("2020-01-01"), Files: []string{f5}})
		if counts(imp) != "2020-01-01 +1 ~1 -0 =0" {
			t.Fatalf("changes %s", counts(imp))
		}
		hs, err := e.db.FindLayerChanges(ctx, "parcels")
		if err != nil || hs[len(hs)-1].Mode != "append" || hs[len(hs)-1].Changes.EffectiveDate != "2020-01-01" {
			t.Fatalf("the append is not in the history: %+v %v", hs, err)
		}
		got := e.asOf(t, "parcels", date("2020-01-01"))
		keys := []string{}
		for k := range got {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if fmt.Sprint(keys) != "[A B D E F]" || got["B"] != "0703||113.3100|true|true" {
			t.Fatalf("state %v", got)
		}
	})
	t.Run("history needs a code field: generic layers cannot keep it", func(t *testing.T) {
		_, err := e.im.Import(ctx, Request{Layer: "misc", Kind: land.Generic, Mode: "history", Files: []string{f1}})
		if land.KindOf(err) != land.Invalid || !strings.Contains(err.Error(), "no code field") {
			t.Fatalf("err = %v", err)
		}
		imp := e.MustImport(t, Request{Layer: "misc", Kind: land.Generic, Files: []string{f1}})
		if imp.Mode != "replace" || imp.Summary.Changes != nil {
			t.Fatalf("generic default mode %s %+v", imp.Mode, imp.Summary.Changes)
		}
	})
	t.Run("by default, a new layer whose file lacks codes loads without history, saying why", func(t *testing.T) {
		nocode := mustParcels(t, dir, "nocodes.geojson", []parcel{{code: "A", landuse: "0101", x: 113.30, y: 23.10}, {code: "A", x: 113.31, y: 23.1}})
		imp := e.MustImport(t, Request{Layer: "parcels_plain", Kind: land.Parcels, Files: []string{nocode}})
		if imp.Mode != "replace" || imp.Summary.Changes != nil || len(imp.Summary.Notes) == 0 ||
			!strings.Contains(imp.Summary.Notes[len(imp.Summary.Notes)-1], `keeps no history (loaded in replace mode), since history follows features by code: nocodes.geojson: duplicate code "A" (2 times)`) {
			t.Fatalf("mode %s, changes %+v, notes %q", imp.Mode, imp.Summary.Changes, imp.Summary.Notes)
		}
		// Asked for explicitly, history refuses the file.
		_, err := e.im.Import(ctx, Request{Layer: "parcels_h", Kind: land.Parcels, Mode: "history", Files: []string{nocode}})
		if land.KindOf(err) != land.Invalid || !strings.Contains(err.Error(), `duplicate code "A"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a file that goes through staging (EPSG:3857) compares equal to itself", func(t *testing.T) {
		merc := filepath.Join(dir, "merc.geojson")
		os.WriteFile(merc, []byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},"features":[
			{"type":"Feature","properties":{"XZBH":"X1","LX":"闲置"},"geometry":{"type":"Polygon","coordinates":[[[12612000,2642000],[12612100,2642000],[12612100,2642100],[12612000,2642000]]]}},
			{"type":"Feature","properties":{"XZBH":"X2","LX":"闲置"},"geometry":{"type":"Polygon","coordinates":[[[12612200,2642000],[12612300,2642000],[12612300,2642100],[12612200,2642000]]]}}]}`), 0o644)
		imp := e.MustImport(t, Request{Layer: "idle_land", Files: []string{merc}, AsOf: date("2020-01-01")})
		if imp.Summary.SRID != 3857 || counts(imp) != "2020-01-01 +2 ~0 -0 =0" {
			t.Fatalf("first: srid %d, %s", imp.Summary.SRID, counts(imp))
		}
		imp = e.MustImport(t, Request{Layer: "idle_land", Files: []string{merc}, AsOf: date("2020-02-01")})
		if counts(imp) != "2020-02-01 +0 ~0 -0 =2" {
			t.Fatalf("again: %s", counts(imp))
		}
	})
	t.Run("dropping a layer drops its history", func(t *testing.T) {
		if err := e.db.InTx(ctx, func(tx pgx.Tx) error { return postgis.DropLayer(ctx, tx, "parcels_h2") }); land.KindOf(err) != land.NotFound {
			t.Fatalf("drop of a missing layer: %v", err)
		}
		e.MustImport(t, Request{Layer: "parcels_h2", Kind: land.Parcels, Files: []string{f1}})
		if err := e.db.InTx(ctx, func(tx pgx.Tx) error { return postgis.DropLayer(ctx, tx, "parcels_h2") }); err != nil {
			t.Fatal(err)
		}
		var table *string
		var entries int
		e.db.Pool.QueryRow(ctx, `SELECT to_regclass('history.parcels_h2')::text, (SELECT count(*) FROM tudi.layer_history WHERE layer = 'parcels_h2')`).Scan(&table, &entries)
		if table != nil || entries != 0 {
			t.Fatalf("history left: %v %d", table, entries)
		}
	})
	t.Run("shadowing a layer without history is refused", func(t *testing.T) {
		err := pgx.BeginFunc(ctx, e.db.Pool, func(tx pgx.Tx) error { return postgis.ShadowAsOf(ctx, tx, nil, date("2020-01-01"), "misc") })
		if land.KindOf(err) != land.Invalid || !strings.Contains(err.Error(), "keeps no history") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestHistoryFollowsARename(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	dir := t.TempDir()
	f1 := mustParcels(t, dir, "a.geojson", []parcel{{code: "A", landuse: "0101", x: 113.30, y: 23.10}})
	f2 := mustParcels(t, dir, "b.geojson", []parcel{{code: "A", landuse: "0702", x: 113.30, y: 23.10}})
	e.MustImport(t, Request{Layer: "old", Kind: land.Parcels, AsOf: date("2016-01-01"), Files: []string{f1}})
	e.MustImport(t, Request{Layer: "old", Kind: land.Parcels, AsOf: date("2017-01-01"), Files: []string{f2}})
	if _, err := e.db.RenameLayer(ctx, "old", "new"); err != nil {
		t.Fatal(err)
	}
	if got := e.asOf(t, "new", date("2016-06-30")); got["A"] == "" || !strings.HasPrefix(got["A"], "0101|") {
		t.Errorf("as of 2016-06-30 under the new name: %v, want A with 0101", got)
	}
	var old bool
	if err := e.db.Pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, postgis.HistoryTable("old")).Scan(&old); err != nil || old {
		t.Errorf("history table under the old name still there (%v, %v)", old, err)
	}
	// The next history import under the new name extends the moved history.
	imp := e.MustImport(t, Request{Layer: "new", AsOf: date("2018-01-01"), Files: []string{f1}})
	if c := imp.Summary.Changes; c == nil || c.Changed != 1 {
		t.Errorf("import after the rename: %+v", imp.Summary.Changes)
	}
}
