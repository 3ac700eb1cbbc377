package tiles

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Default budgets of the tile caches, derived from the machine.
const (
	// MemoryShare is the share of the machine's memory (or of the
	// process's cgroup limit, when lower) the memory cache takes by default.
	MemoryShare = 8 // one eighth
	// MinCacheBytes and MaxCacheBytes bound the derived memory budget.
	MinCacheBytes = 64 << 20
	MaxCacheBytes = 8 << 30
	// DiskShare is the share of the disk cache's file system it may fill by
	// default, bounded by MinDiskBytes and MaxDiskBytes.
	DiskShare    = 10 // one tenth
	MinDiskBytes = 256 << 20
	MaxDiskBytes = 32 << 30
	// fallbackCacheBytes is the memory budget when the machine's memory
	// cannot be read.
	fallbackCacheBytes = 256 << 20
)

// DefaultCacheBytes returns the default memory budget of the tile cache: an
// eighth of the memory this process may use (the machine's, or its cgroup
// limit when lower), between 64 MB and 8 GB. Tiles are kept gzip-compressed,
// so on a machine of 16 GB the 2 GB hold some 20 000 tiles of a dense
// district's zoom 13–16 (about 100 KB each at most, far less on average).
func DefaultCacheBytes() int64 {
	mem := machineMemory()
	if mem <= 0 {
		return fallbackCacheBytes
	}
	return min(max(mem/MemoryShare, MinCacheBytes), MaxCacheBytes)
}

// machineMemory returns the bytes of memory this process may use, or 0
// when unknown: MemTotal of /proc/meminfo, lowered to a cgroup (v2 or v1)
// limit.
func machineMemory() int64 {
	var total int64
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				if err == nil {
					total = kb << 10
				}
				break
			}
		}
		f.Close()
	}
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// "max" (v2) or a huge number (v1) mean no limit.
		if limit, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && limit > 0 && (total == 0 || limit < total) {
			total = limit
		}
	}
	return total
}

// DefaultDiskBytes returns the default limit of a disk cache in dir: a
// tenth of its file system's size, between 256 MB and 32 GB (256 MB when
// the size cannot be read, e.g. dir's parents do not exist yet).
func DefaultDiskBytes(dir string) int64 {
	d := filepath.Clean(dir)
	for {
		var st syscall.Statfs_t
		if err := syscall.Statfs(d, &st); err == nil {
			size := int64(st.Blocks) * int64(st.Bsize)
			return min(max(size/DiskShare, MinDiskBytes), MaxDiskBytes)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return MinDiskBytes
		}
		d = parent
	}
}
