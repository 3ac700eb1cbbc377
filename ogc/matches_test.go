package ogc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/ogc"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
)

// walk follows the next links from u and returns the ids in order, and the
// numberMatched of each page (-1 where omitted).
func walk(t *testing.T, u string) (ids []int64, matched []int64) {
	t.Helper()
	for u != "" {
		doc, _ := get(t, u, 200)
		for _, f := range features(doc) {
			ids = append(ids, int64(f["id"].(float64)))
		}
		if n, ok := doc["numberMatched"].(float64); ok {
			matched = append(matched, int64(n))
		} else {
			matched = append(matched, -1)
		}
		u = linkOf(doc, "next", "")
		if len(matched) > 1000 {
			t.Fatal("endless paging")
		}
	}
	return ids, matched
}

// fixtureIDs returns the ids of the fixture's parcels i (id i+1) for which
// keep holds, ascending: computed from the fixture's definition, not read.
func fixtureIDs(keep func(i int) bool) []int64 {
	var out []int64
	for i := range fixtureParcels {
		if keep(i) {
			out = append(out, int64(i+1))
		}
	}
	return out
}

func TestCountsAndPagesFollowTheLayerVersion(t *testing.T) {
	t.Parallel()
	ts, db := newServer(t)
	ctx := context.Background()
	base := ts.URL + "/ogc/collections/parcels/items?street=" + "%E6%A8%AA%E5%BA%97%E8%A1%97" // 横店街
	want := fixtureIDs(func(i int) bool { return i%3 == 0 })
	// The first walk reads the matches, the next ones page from them (the
	// cursor's position, one statement per page); each is exact.
	for round := range 3 {
		ids, matched := walk(t, base+"&limit=10")
		if !slices.Equal(ids, want) {
			t.Fatalf("walk %d: ids %v, want %v", round, ids, want)
		}
		for _, n := range matched {
			if n != int64(len(want)) {
				t.Fatalf("walk %d: numberMatched %v, want %d on every page", round, matched, len(want))
			}
		}
	}
	t.Run("prev links walk back the same pages", func(t *testing.T) {
		u := base + "&limit=10"
		var pages [][]int64
		var last map[string]any
		for u != "" {
			last, _ = get(t, u, 200)
			var p []int64
			for _, f := range features(last) {
				p = append(p, int64(f["id"].(float64)))
			}
			pages = append(pages, p)
			u = linkOf(last, "next", "")
		}
		for i := len(pages) - 2; i >= 0; i-- {
			prev := linkOf(last, "prev", "")
			if prev == "" {
				t.Fatalf("no prev link before page %d", i)
			}
			last, _ = get(t, prev, 200)
			var p []int64
			for _, f := range features(last) {
				p = append(p, int64(f["id"].(float64)))
			}
			if !slices.Equal(p, pages[i]) {
				t.Fatalf("page %d going back: %v, want %v", i, p, pages[i])
			}
		}
		if linkOf(last, "prev", "") != "" {
			t.Fatal("the first page has a prev link")
		}
	})

	// A change bumps the layer's version: counts and pages read afresh.
	var added []int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO layers.parcels (code, street, geom)
			SELECT 'NEW' || i, '横店街', ST_MakeEnvelope(113.35, 23.15, 113.351, 23.151, 4490) FROM generate_series(1, 3) i RETURNING id`)
		if err != nil {
			return err
		}
		if added, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM layers.parcels WHERE id = 1`); err != nil { // i = 0: a 横店街 parcel
			return err
		}
		_, err = postgis.RefreshLayer(ctx, tx, "parcels")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want = append(slices.Clone(want[1:]), added...)
	for round := range 2 {
		ids, matched := walk(t, base+"&limit=10")
		if !slices.Equal(ids, want) {
			t.Fatalf("after the change, walk %d: ids %v, want %v", round, ids, want)
		}
		for _, n := range matched {
			if n != int64(len(want)) {
				t.Fatalf("after the change, walk %d: numberMatched %v, want %d", round, matched, len(want))
			}
		}
	}
	t.Run("a query with a sort order pages from its matches too", func(t *testing.T) {
		// price_wan = i × 10.5 except i % 10 = 9 (NULL, last); 横店街: i % 3 = 0.
		var wantSorted []int64
		for i := fixtureParcels - 1; i >= 0; i-- {
			if i%3 == 0 && i%10 != 9 && i != 0 {
				wantSorted = append(wantSorted, int64(i+1))
			}
		}
		for i := 0; i < fixtureParcels; i++ {
			if i%3 == 0 && i%10 == 9 {
				wantSorted = append(wantSorted, int64(i+1))
			}
		}
		wantSorted = append(wantSorted, added...) // NULL prices, by id
		for round := range 2 {
			ids, _ := walk(t, base+"&limit=7&sortby=-price_wan")
			if !slices.Equal(ids, wantSorted) {
				t.Fatalf("walk %d: %v\nwant %v", round, ids, wantSorted)
			}
		}
	})
}

func TestLargeQueriesPageByKeySetAndCountOnce(t *testing.T) {
	t.Parallel()
	tdb := pgtest.NewDB(t)
	db := postgis.New(tdb.Pool, nil)
	mustFixture(t, db)
	r := chi.NewRouter()
	// Ten ids kept per query: 横店街's 84 parcels are a "large" query.
	ogc.New(db, ogc.Config{MaxListedIDs: 10}, nil).Mount(r, func(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				w.WriteHeader(status(postgis.Err(err)))
				_ = json.NewEncoder(w).Encode(map[string]any{"error": land.MessageOf(err)})
			}
		}
	})
	ts := httptest.NewServer(r)
	t.Cleanup(ts.Close)
	base := ts.URL + "/ogc/collections/parcels/items?street=" + "%E6%A8%AA%E5%BA%97%E8%A1%97"
	want := fixtureIDs(func(i int) bool { return i%3 == 0 })
	// numberMatched is exact when given; the count runs once in the
	// background, so it is given at the latest once that has finished.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ids, matched := walk(t, base+"&limit=20")
		if !slices.Equal(ids, want) {
			t.Fatalf("ids %v, want %v", ids, want)
		}
		all := true
		for _, n := range matched {
			if n != -1 && n != int64(len(want)) {
				t.Fatalf("numberMatched %v, want %d or omitted", matched, len(want))
			}
			all = all && n == int64(len(want))
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("numberMatched still omitted after 30 s: %v", matched)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestOneFeatureAfterItsLayerWentAway(t *testing.T) {
	t.Parallel()
	ts, db := newServer(t)
	u := ts.URL + "/ogc/collections/parcels/items/17"
	a, _ := get(t, u, 200)
	b, _ := get(t, u, 200) // from the remembered kind, in one statement
	if a["id"] != b["id"] || a["properties"].(map[string]any)["code"] != "DK0016" || b["properties"].(map[string]any)["code"] != "DK0016" {
		t.Fatalf("%v / %v", a, b)
	}
	if _, ok := b["properties"].(map[string]any)["props"]; ok {
		t.Fatal("props without props=all")
	}
	c, _ := get(t, u+"?props=all", 200)
	if c["properties"].(map[string]any)["props"].(map[string]any)["DKBH"] != "DK16" {
		t.Fatalf("props=all: %v", c["properties"])
	}
	get(t, u+"?props=some", 400)
	get(t, ts.URL+"/ogc/collections/parcels/items/99999", 404)
	if err := db.DeleteLayer(context.Background(), "parcels"); err != nil {
		t.Fatal(err)
	}
	get(t, u, 404)
	get(t, ts.URL+"/ogc/collections/parcels/items?street=x", 404)
}
