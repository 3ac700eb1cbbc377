package postgis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tudi/pgcluster/pgtest"
	"tudi/postgis"
)

// listener runs Listen in the background and records what it hears.
type listener struct {
	mu     sync.Mutex
	fenced map[string]time.Time // token → when the Fenced callback finished
	lifted map[string]bool
	synced chan map[string][]string
}

func listen(t *testing.T, ctx context.Context, db *postgis.DB, delay time.Duration) *listener {
	t.Helper()
	l := &listener{fenced: map[string]time.Time{}, lifted: map[string]bool{}, synced: make(chan map[string][]string, 4)}
	go db.Listen(ctx, postgis.Listener{
		Synced: func(_ postgis.Querier, f map[string][]string) { l.synced <- f },
		Fenced: func(token string, _ []string) {
			time.Sleep(delay)
			l.mu.Lock()
			l.fenced[token] = time.Now()
			l.mu.Unlock()
		},
		Lifted: func(_ postgis.Querier, token string) {
			l.mu.Lock()
			l.lifted[token] = true
			l.mu.Unlock()
		},
	})
	select {
	case <-l.synced:
	case <-time.After(10 * time.Second):
		t.Fatal("listener not connected in 10 s")
	}
	return l
}

func (l *listener) counts() (fenced, lifted int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.fenced), len(l.lifted)
}

func TestFences(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := postgis.New(pgtest.NewDB(t).Pool, nil)

	t.Run("a fence returns only after every listener has taken it in, and is lifted after", func(t *testing.T) {
		slow := listen(t, ctx, db, 300*time.Millisecond)
		fast := listen(t, ctx, db, 0)
		start := time.Now()
		err := db.InFencedTx(ctx, []string{"parcels"}, func(tx pgx.Tx) error {
			for _, l := range []*listener{slow, fast} {
				l.mu.Lock()
				n := len(l.fenced)
				var at time.Time
				for _, when := range l.fenced {
					at = when
				}
				l.mu.Unlock()
				if n != 1 || at.Before(start) {
					t.Errorf("inside the fenced transaction a listener has taken %d fence(s)", n)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, a := slow.counts()
			_, b := fast.counts()
			if a == 1 && b == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the fence was not lifted")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if live, err := db.LiveFences(ctx); err != nil || len(live) != 0 {
			t.Fatalf("fences left standing: %v %v", live, err)
		}
	})

	t.Run("a listener that connects while a fence stands is told of it", func(t *testing.T) {
		pc, err := db.Pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Release()
		lift, err := db.Fence(ctx, pc.Conn(), "farmland", "parcels")
		if err != nil {
			t.Fatal(err)
		}
		l := &listener{synced: make(chan map[string][]string, 1)}
		lctx, lcancel := context.WithCancel(ctx)
		defer lcancel()
		go db.Listen(lctx, postgis.Listener{Synced: func(_ postgis.Querier, f map[string][]string) { l.synced <- f }})
		select {
		case f := <-l.synced:
			if len(f) != 1 {
				t.Fatalf("fences at connection: %v", f)
			}
			for _, layers := range f {
				if len(layers) != 2 || layers[0] != "farmland" {
					t.Fatalf("fenced layers: %v", layers)
				}
			}
		case <-time.After(10 * time.Second):
			t.Fatal("listener not connected")
		}
		lift()
		if live, err := db.LiveFences(ctx); err != nil || len(live) != 0 {
			t.Fatalf("fences after lift: %v %v", live, err)
		}
	})

	t.Run("a fence whose writer's connection is gone is stale", func(t *testing.T) {
		c, err := pgx.ConnectConfig(ctx, db.Pool.Config().ConnConfig)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Fence(ctx, c, "parcels"); err != nil {
			t.Fatal(err)
		}
		if live, _ := db.LiveFences(ctx); len(live) != 1 {
			t.Fatalf("live fences while the writer is connected: %v", live)
		}
		c.Close(ctx)
		deadline := time.Now().Add(5 * time.Second)
		for {
			live, err := db.LiveFences(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(live) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the fence of a closed connection is still live: %v", live)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("a listener that never answers is cut off instead of blocking the writer", func(t *testing.T) {
		db.FenceTimeout = 300 * time.Millisecond
		defer func() { db.FenceTimeout = 0 }()
		// A hung listener: it holds the listeners' lock but never acknowledges.
		hung, err := pgx.ConnectConfig(ctx, db.Pool.Config().ConnConfig)
		if err != nil {
			t.Fatal(err)
		}
		defer hung.Close(ctx)
		if _, err := hung.Exec(ctx, `SELECT pg_advisory_lock_shared(x'74756469'::int, 2)`); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := db.InFencedTx(ctx, []string{"parcels"}, func(pgx.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Fatalf("the fence returned after %s without the hung listener's acknowledgement", d)
		}
		if _, err := hung.Exec(ctx, `SELECT 1`); err == nil {
			t.Fatal("the hung listener's connection is still open")
		}
	})
}
