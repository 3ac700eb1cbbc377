package tiles

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"tudi/land"
	"tudi/pgcluster/pgtest"
	"tudi/postgis"
)

func TestSharedRegistryReadsNeverPredateTheRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgis.New(pgtest.NewDB(t).Pool, nil)
	if err := db.InTx(ctx, func(tx pgx.Tx) error {
		return postgis.CreateLayer(ctx, tx, &land.Layer{Name: "parcels", Kind: land.Parcels})
	}); err != nil {
		t.Fatal(err)
	}
	v := &versionReader{db: db}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	// Background readers keep batches in flight all the time.
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := v.read(ctx, []string{"parcels"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := 0; i < 30; i++ {
		var committed int64
		if err := db.Pool.QueryRow(ctx, `UPDATE tudi.layers SET version = version + 1 WHERE name = 'parcels' RETURNING version`).Scan(&committed); err != nil {
			t.Fatal(err)
		}
		refs, err := v.read(ctx, []string{"parcels"})
		if err != nil {
			t.Fatal(err)
		}
		if refs[0].Version < committed {
			t.Fatalf("read version %d after version %d was committed", refs[0].Version, committed)
		}
	}
	close(stop)
	wg.Wait()
	if _, err := v.read(ctx, []string{"parcels", "nope"}); land.KindOf(err) != land.NotFound {
		t.Fatalf("unknown layer: %v", err)
	}
}
