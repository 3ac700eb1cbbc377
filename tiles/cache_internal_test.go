package tiles

import (
	"bytes"
	"fmt"
	"testing"
)

func TestTheMemoryCacheKeepsToItsByteBudget(t *testing.T) {
	one := newEntry("k0", Tile{}, nil, nil, bytes.Repeat([]byte{1}, 1000)).size()
	c := newLRU(3 * one)
	for i := range 5 {
		c.put(newEntry(fmt.Sprint("k", i), Tile{}, nil, nil, bytes.Repeat([]byte{byte(i)}, 1000)))
	}
	used, n := c.stats()
	if n != 3 || used > 3*one {
		t.Fatalf("%d entries, %d bytes, want 3 within %d", n, used, 3*one)
	}
	if c.get("k0") != nil || c.get("k1") != nil || c.get("k4") == nil {
		t.Fatal("not the least recently used entries were evicted")
	}
	c.get("k2") // now k3 is the oldest
	c.put(newEntry("k5", Tile{}, nil, nil, bytes.Repeat([]byte{5}, 1000)))
	if c.get("k3") != nil || c.get("k2") == nil {
		t.Fatal("a recently read entry was evicted before an older one")
	}
	c.put(newEntry("huge", Tile{}, nil, nil, make([]byte, 4*one)))
	if c.get("huge") != nil {
		t.Fatal("an entry larger than the budget was stored")
	}
}
