package pgcluster

import (
	"slices"
	"testing"
)

func TestServerEnv(t *testing.T) {
	got := serverEnv([]string{"PATH=/bin", "LC_ALL=de_DE.UTF-8", "GLIBC_TUNABLES=glibc.malloc.trim_threshold=1"})
	want := []string{"PATH=/bin", "LC_ALL=C", "GLIBC_TUNABLES=" + mallocTunables + ":glibc.malloc.trim_threshold=1"}
	if !slices.Equal(got, want) {
		t.Fatalf("serverEnv = %q, want %q", got, want)
	}
	got = serverEnv([]string{"HOME=/root", "GLIBC_TUNABLES="})
	want = []string{"HOME=/root", "LC_ALL=C", "GLIBC_TUNABLES=" + mallocTunables}
	if !slices.Equal(got, want) {
		t.Fatalf("serverEnv = %q, want %q", got, want)
	}
}
