package postgis

import (
	"slices"
	"testing"
)

// Two fences on one layer keep it fenced until both are lifted; a fence
// added twice counts once; Reset replaces every fence.
func TestFencesCountPerLayer(t *testing.T) {
	t.Parallel()
	var f Fences
	f.Add("a", []string{"parcels", "farmland"})
	f.Add("b", []string{"parcels"})
	f.Add("a", []string{"parcels", "farmland"})
	if !f.Fenced("parcels") || !f.Fenced("farmland") || f.Fenced("boundaries") || f.Len() != 2 {
		t.Fatalf("after adding: %+v", f)
	}
	if ls, ok := f.Lift("a"); !ok || !slices.Equal(ls, []string{"parcels", "farmland"}) {
		t.Fatalf("lift a: %v %v", ls, ok)
	}
	if !f.Fenced("parcels") || f.Fenced("farmland") {
		t.Fatalf("after lifting a: %+v", f)
	}
	if _, ok := f.Lift("a"); ok {
		t.Fatal("a lifted twice")
	}
	f.Lift("b")
	if f.Fenced("parcels") || f.Len() != 0 {
		t.Fatalf("after lifting b: %+v", f)
	}
	f.Add("c", []string{"parcels"})
	f.Reset(map[string][]string{"d": {"farmland"}})
	if f.Fenced("parcels") || !f.Fenced("farmland") || !slices.Equal(f.Tokens(), []string{"d"}) {
		t.Fatalf("after reset: %+v", f)
	}
}
