package tiles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// diskCache keeps rendered tiles as gzip files under a directory, named
// with the layer versions, so a file of an older version is never read
// again; clean removes such files after each change, and the least recently
// used files when the directory holds more than max bytes. Files are
// written to a temporary name and renamed, so readers (other processes too)
// never see half a tile. A read sets the file's modification time: that is
// the recency clean goes by, shared by every process on the directory.
type diskCache struct {
	dir  string
	max  int64        // bytes the directory may hold (0: no limit)
	used atomic.Int64 // bytes written since the last clean plus what it left
}

// diskSuffix ends every tile file: gzip-compressed MVT.
const diskSuffix = ".mvt.gz"

func (d *diskCache) path(key string, versions []int64) string {
	name := key
	for _, v := range versions {
		name += "-v" + strconv.FormatInt(v, 10)
	}
	// The key is "layers/z/x/y[.all]": layer names are validated ASCII.
	return filepath.Join(d.dir, filepath.FromSlash(name)+diskSuffix)
}

// get returns the gzip bytes of a tile (empty for an empty tile).
func (d *diskCache) get(key string, versions []int64) ([]byte, bool) {
	p := d.path(key, versions)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now)
	return b, true
}

// put writes the gzip bytes of a tile and reports whether the directory has
// grown past its limit (time to clean).
func (d *diskCache) put(key string, versions []int64, gz []byte) (full bool, err error) {
	p := d.path(key, versions)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return false, err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return false, err
	}
	if _, err := f.Write(gz); err != nil {
		f.Close()
		os.Remove(f.Name())
		return false, err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return false, err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return false, err
	}
	used := d.used.Add(int64(len(gz)) + diskOverhead)
	return d.max > 0 && used > d.max, nil
}

// diskOverhead is what a file costs beyond its bytes (about a directory
// entry and the rest of its last block), counted against the limit.
const diskOverhead = 512

// cleaned says what clean did.
type cleaned struct {
	stale, trimmed int   // files removed: of older versions, for the limit
	bytes          int64 // bytes the directory holds afterwards
}

// clean removes the files of tiles rendered at a version older than the
// layer's current one in current (nil: no version check) or of a layer not
// in it, temporary files left for over an hour by a writer that died, and
// files of an older format. Files of a newer version than current (written
// by a process that has heard of a later import) are kept, as are files it
// does not recognise. Then, when the rest exceeds the limit, it removes the
// least recently used files until they fill 90 % of it.
func (d *diskCache) clean(current map[string]int64) (cleaned, error) {
	type file struct {
		path  string
		size  int64
		mtime time.Time
	}
	var (
		out   cleaned
		files []file
	)
	err := filepath.WalkDir(d.dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if de.IsDir() {
			return nil
		}
		fi, err := de.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		rel, err := filepath.Rel(d.dir, p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(de.Name(), ".tmp-") {
			if time.Since(fi.ModTime()) > time.Hour && os.Remove(p) == nil {
				out.stale++
			}
			return nil
		}
		// layers/z/x/y[.all]-vA[-vB…].mvt.gz, one version per layer.
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 4 {
			return nil
		}
		name, ok := strings.CutSuffix(de.Name(), diskSuffix)
		if !ok {
			if strings.HasSuffix(de.Name(), ".mvt") && os.Remove(p) == nil {
				out.stale++ // uncompressed, as older versions of tudi kept them
			}
			return nil
		}
		layers := strings.Split(parts[0], ",")
		vs := strings.Split(name, "-v")[1:]
		if len(vs) != len(layers) {
			return nil
		}
		for i, l := range layers {
			v, err := strconv.ParseInt(vs[i], 10, 64)
			if err != nil {
				return nil
			}
			if cur, ok := current[l]; current != nil && (!ok || v < cur) {
				if os.Remove(p) == nil {
					out.stale++
				}
				return nil
			}
		}
		files = append(files, file{p, fi.Size() + diskOverhead, fi.ModTime()})
		out.bytes += fi.Size() + diskOverhead
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("clean tile cache %q: %w", d.dir, err)
	}
	if d.max > 0 && out.bytes > d.max {
		slices.SortFunc(files, func(a, b file) int { return a.mtime.Compare(b.mtime) })
		target := d.max / 10 * 9
		for _, f := range files {
			if out.bytes <= target {
				break
			}
			if os.Remove(f.path) == nil {
				out.trimmed++
				out.bytes -= f.size
			}
		}
	}
	d.used.Store(out.bytes)
	return out, nil
}
