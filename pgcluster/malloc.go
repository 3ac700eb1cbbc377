package pgcluster

import "strings"

// mallocTunables are the glibc malloc settings of the private server's
// processes. A backend rendering a dense vector tile (ST_AsMVT over ~2 000
// polygons with their attributes) allocates a few megabytes per query and
// frees them at its end; with glibc's defaults (blocks over 128 KB mapped
// and unmapped per allocation, the heap's free top returned to the kernel
// above 128 KB) every query faults all of that memory in again, which
// costs about as much CPU as the tile encoding itself on a virtual
// machine. Larger blocks stay on the heap (mmap_threshold 32 MB) and up to
// 64 MB of free heap is kept for the next query (trim_threshold), grown
// 16 MB at a time (top_pad): a backend holds at most that much more memory
// when idle. Other C libraries ignore the variable.
const mallocTunables = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864:glibc.malloc.top_pad=16777216"

// serverEnv returns the environment of the postgres server process: env
// with LC_ALL=C and mallocTunables in GLIBC_TUNABLES. Tunables the caller
// already set come after ours, so they win (glibc applies them in order).
func serverEnv(env []string) []string {
	out := make([]string, 0, len(env)+2)
	tunables := mallocTunables
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GLIBC_TUNABLES="); ok {
			if v != "" {
				tunables += ":" + v
			}
			continue
		}
		if strings.HasPrefix(kv, "LC_ALL=") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "LC_ALL=C", "GLIBC_TUNABLES="+tunables)
}
