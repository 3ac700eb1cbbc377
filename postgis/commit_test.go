package postgis_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
)

// stage creates and fills an indexed working table of the parcels' shape
// with one square per lower-left corner (lon/lat).
func stage(t *testing.T, db *postgis.DB, work string, corners ...[2]float64) {
	t.Helper()
	ctx := context.Background()
	spec := db.Spec(land.Parcels)
	stmts := []string{postgis.WorkTableDDL(work, spec, false)}
	for _, c := range corners {
		stmts = append(stmts, `INSERT INTO `+postgis.Table(work)+` (code, geom) VALUES ('c', ST_MakeEnvelope(`+
			strings.Join([]string{ftoa(c[0]), ftoa(c[1]), ftoa(c[0] + 0.001), ftoa(c[1] + 0.001)}, ", ")+`, 4490))`)
	}
	stmts = append(stmts, postgis.LayerIndexDDL(work, spec)...)
	for _, s := range stmts {
		if _, err := db.Pool.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func ftoa(f float64) string { b, _ := json.Marshal(f); return string(b) }

// commit commits st on a connection of its own, recording an import.
func commit(t *testing.T, db *postgis.DB, st *postgis.Staged) (*land.Layer, *postgis.Committed, error) {
	t.Helper()
	ctx := context.Background()
	pc, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Release()
	var got *postgis.Committed
	l, err := db.CommitImport(ctx, pc.Conn(), st, func(c postgis.Committed) *land.Import {
		got = &c
		return &land.Import{Layer: st.Layer, Kind: st.Kind, Mode: "replace", Status: "ok", User: "test",
			Extra: map[string]any{"layer_version": c.Layer.Version}, StartedAt: time.Now(), FinishedAt: time.Now()}
	})
	return l, got, err
}

func TestCommitImport(t *testing.T) {
	ctx := context.Background()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	listener, err := tdb.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Release()
	if _, err := listener.Exec(ctx, "LISTEN "+postgis.ChangesChannel); err != nil {
		t.Fatal(err)
	}
	heard := func() *postgis.Change {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		n, err := listener.Conn().WaitForNotification(wctx)
		if err != nil {
			return nil
		}
		var c postgis.Change
		if err := json.Unmarshal([]byte(n.Payload), &c); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	imports := func() int {
		var n int
		if err := tdb.Pool.QueryRow(ctx, `SELECT count(*) FROM tudi.imports WHERE layer = 'p'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A new layer: created, titled after its kind, swapped in.
	stage(t, db, "_imp_a", [2]float64{113, 23})
	fields := []land.SourceField{{Name: "DKBH", Type: land.Text}}
	l, c, err := commit(t, db, &postgis.Staged{Layer: "p", Kind: land.Parcels, Apply: postgis.ApplySwap, Work: "_imp_a",
		SourceSRID: 4490, SourceFields: fields})
	if err != nil {
		t.Fatal(err)
	}
	if l.FeatureCount != 1 || l.Title != db.Spec(land.Parcels).Title || l.SourceSRID != 4490 || len(l.SourceFields) != 1 {
		t.Fatalf("new layer: %+v", l)
	}
	if c.Layer.Version != l.Version || len(c.SourceFields) != 1 {
		t.Fatalf("the record saw %+v", c)
	}
	if ch := heard(); ch == nil || ch.Layer != "p" || ch.Version != l.Version || len(ch.BBox) != 4 || ch.BBox[0] > 113.0001 || ch.BBox[2] > 113.01 {
		t.Fatalf("change announced: %+v", ch)
	}
	var idx []string
	rows, _ := tdb.Pool.Query(ctx, `SELECT indexname FROM pg_indexes WHERE schemaname = 'layers' AND tablename = 'p' ORDER BY 1`)
	if idx, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	for _, i := range idx {
		if !strings.HasPrefix(i, "p_") {
			t.Fatalf("index %q of the swapped table keeps the working name (indexes %v)", i, idx)
		}
	}
	var seq *string
	if err := tdb.Pool.QueryRow(ctx, `SELECT pg_get_serial_sequence('layers.p', 'id')`).Scan(&seq); err != nil || seq == nil || *seq != "layers.p_id_seq" {
		t.Fatalf("sequence of the swapped table: %v %v", seq, err)
	}

	// A replace: the old extent and the new one are announced.
	stage(t, db, "_imp_b", [2]float64{114, 24}, [2]float64{114.5, 24.5})
	l2, _, err := commit(t, db, &postgis.Staged{Layer: "p", Kind: land.Parcels, Apply: postgis.ApplySwap, Work: "_imp_b", SourceSRID: 4490, SourceFields: fields})
	if err != nil {
		t.Fatal(err)
	}
	if l2.FeatureCount != 2 || l2.Version != l.Version+1 {
		t.Fatalf("replaced layer: %+v", l2)
	}
	if ch := heard(); ch == nil || ch.BBox[0] > 113.0001 || ch.BBox[2] < 114.5 {
		t.Fatalf("change announced: %+v", ch)
	}

	// Failures leave the layer, the history of imports and the working
	// table as they were: a layer of another kind, and a swap that fails
	// after the old table was dropped.
	stage(t, db, "_imp_c", [2]float64{115, 25})
	before := imports()
	for what, st := range map[string]*postgis.Staged{
		"another kind":        {Layer: "p", Kind: land.Farmland, Apply: postgis.ApplySwap, Work: "_imp_c"},
		"a missing table":     {Layer: "p", Kind: land.Parcels, Apply: postgis.ApplySwap, Work: "_imp_missing"},
		"an append elsewhere": {Layer: "q", Kind: land.Parcels, Apply: postgis.ApplyAppend, Rows: []string{"SELECT 1"}},
	} {
		if _, _, err := commit(t, db, st); err == nil {
			t.Fatalf("%s: committed", what)
		}
		after, err := db.FindLayer(ctx, "p")
		if err != nil || after.Version != l2.Version || after.FeatureCount != 2 {
			t.Fatalf("%s: layer after a failed commit: %+v %v", what, after, err)
		}
		var n int
		if err := tdb.Pool.QueryRow(ctx, `SELECT count(*) FROM layers.p`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%s: %d rows in the layer's table after a failed commit (%v)", what, n, err)
		}
		if imports() != before {
			t.Fatalf("%s: an import was recorded", what)
		}
	}
	if ch := heard(); ch != nil {
		t.Fatalf("a failed commit announced %+v", ch)
	}

	// An append adds rows and source fields.
	spec := db.Spec(land.Parcels)
	var names []string
	for _, f := range spec.Fields {
		names = append(names, postgis.Ident(f.Name))
	}
	sel := "SELECT " + strings.Join(names, ", ") + ", props, geom FROM " + postgis.Table("_imp_c")
	l3, c3, err := commit(t, db, &postgis.Staged{Layer: "p", Kind: land.Parcels, Apply: postgis.ApplyAppend, Rows: []string{sel, sel},
		SourceSRID: 4490, SourceFields: []land.SourceField{{Name: "DKMC", Type: land.Text}}})
	if err != nil {
		t.Fatal(err)
	}
	if c3.Appended != 2 || l3.FeatureCount != 4 || len(c3.SourceFields) != 2 || c3.SourceFields[0].Name != "DKBH" {
		t.Fatalf("append: %+v, layer %+v", c3, l3)
	}
	if imports() != before+1 {
		t.Fatal("the append was not recorded")
	}
}
