package tiles

import "testing"

func TestPMTilesIDsFollowTheHilbertCurve(t *testing.T) {
	t.Parallel()
	// The examples of the PMTiles v3 spec.
	for _, tc := range []struct {
		z, x, y int
		id      uint64
	}{{0, 0, 0, 0}, {1, 0, 0, 1}, {1, 0, 1, 2}, {1, 1, 1, 3}, {1, 1, 0, 4}, {2, 0, 0, 5}, {12, 3423, 1763, 19078479}} {
		if got := pmTileID(tc.z, tc.x, tc.y); got != tc.id {
			t.Errorf("tile %d/%d/%d has id %d, want %d", tc.z, tc.x, tc.y, got, tc.id)
		}
	}
}
