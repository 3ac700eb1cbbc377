package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"tudi/land"
)

func TestReplicaFault(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		err  error
		want fault
	}{
		{"no rows", pgx.ErrNoRows, faultNone},
		{"cancelled by the client", context.Canceled, faultNone},
		{"deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), faultNone},
		{"syntax error", &pgconn.PgError{Code: "42601"}, faultNone},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, faultNone},
		{"admin shutdown, wrapped as tudi wraps it", land.Wrap(land.Unavailable, &pgconn.PgError{Code: "57P01"}, "the database is unavailable"), faultConn},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, faultConn},
		{"connection failure", &pgconn.PgError{Code: "08006"}, faultConn},
		{"recovery conflict", &pgconn.PgError{Code: "40001"}, faultConflict},
		{"a write on the standby", &pgconn.PgError{Code: "25006"}, faultConflict},
		{"lost connection", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), faultConn},
		{"closed connection", fmt.Errorf("read: %w", pgconn.ErrConnClosed), faultConn},
		{"other", errors.New("scan: cannot assign"), faultNone},
	} {
		if got := replicaFault(c.err); got != c.want {
			t.Errorf("%s: fault %d, want %d", c.name, got, c.want)
		}
	}
}

// TestChoose checks the router's choice without servers: replicas' states
// are set as the health checks would.
func TestChoose(t *testing.T) {
	t.Parallel()
	mk := func() (*Readers, *replica, *replica) {
		a, b := &replica{name: "a"}, &replica{name: "b"}
		r := &Readers{replicas: []*replica{a, b}, maxLag: time.Second, kick: make(chan struct{}, 1),
			need: map[string]int64{}}
		for _, rep := range r.replicas {
			rep.up, rep.replay = true, 100
		}
		r.listenSynced(nil, 50)
		return r, a, b
	}
	t.Run("round robin over fit replicas", func(t *testing.T) {
		r, a, b := mk()
		got := map[*replica]int{}
		for range 6 {
			got[r.choose([]string{"parcels"})]++
		}
		if got[a] != 3 || got[b] != 3 {
			t.Fatalf("choices %v, want 3 each", got)
		}
	})
	t.Run("a fenced layer goes to the primary, then to replicas that replayed its lift", func(t *testing.T) {
		r, a, b := mk()
		r.fence("t1", []string{"parcels"})
		if rep := r.choose([]string{"parcels"}); rep != nil {
			t.Fatal("fenced layer read from a replica")
		}
		if r.choose([]string{"farmland"}) == nil || r.choose(nil) != nil {
			t.Fatal("other layers: replica; any layer: primary while a fence stands")
		}
		r.lifted("t1", 150)
		if rep := r.choose([]string{"parcels"}); rep != nil {
			t.Fatal("read from a replica behind the change")
		}
		a.replay = 150
		for range 4 {
			if rep := r.choose([]string{"parcels", "farmland"}); rep != a {
				t.Fatalf("chose %v, want the replica that replayed the change", rep)
			}
		}
		b.replay = 200
		if r.choose(nil) == nil {
			t.Fatal("any layer: no replica though both replayed every change")
		}
	})
	t.Run("a lift of an unknown fence raises the position for every layer", func(t *testing.T) {
		r, _, _ := mk()
		r.lifted("unknown", 120)
		if r.choose([]string{"farmland"}) != nil {
			t.Fatal("read from replicas behind an unknown change")
		}
	})
	t.Run("a fence lifted twice (stale check, then its notification) counts once, at the later position", func(t *testing.T) {
		r, _, _ := mk()
		r.fence("t2", []string{"parcels"})
		r.lifted("t2", 90)
		if r.choose([]string{"farmland"}) == nil || r.choose([]string{"parcels"}) == nil {
			t.Fatal("replicas at 100 have the change at 90")
		}
		r.lifted("t2", 110)
		if r.choose([]string{"parcels"}) != nil {
			t.Fatal("the later lift's position was not applied")
		}
		if r.choose([]string{"farmland"}) == nil {
			t.Fatal("a second lift of a known fence held back other layers")
		}
	})
	t.Run("lag, down and not synced mean the primary", func(t *testing.T) {
		r, a, b := mk()
		a.lag = 2 * time.Second
		b.up = false
		if r.choose([]string{"parcels"}) != nil {
			t.Fatal("a lagging or down replica chosen")
		}
		a.lag = 0
		if r.choose([]string{"parcels"}) != a {
			t.Fatal("the fit replica not chosen")
		}
		r.listenLost()
		if r.choose([]string{"parcels"}) != nil {
			t.Fatal("replica chosen without a listener")
		}
		r.listenSynced(nil, 500)
		if r.choose([]string{"parcels"}) != nil {
			t.Fatal("replica behind the listener's sync position chosen")
		}
	})
}

// BenchmarkChoose measures the router's choice for one read (two fit
// replicas, one layer), against the cost of the reads it routes.
func BenchmarkChoose(b *testing.B) {
	a, c := &replica{name: "a", up: true, replay: 100}, &replica{name: "b", up: true, replay: 100}
	r := &Readers{replicas: []*replica{a, c}, maxLag: time.Second, kick: make(chan struct{}, 1),
		need: map[string]int64{"parcels": 90}}
	r.listenSynced(nil, 50)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r.choose([]string{"parcels"}) == nil {
				b.Fatal("no replica")
			}
		}
	})
}
