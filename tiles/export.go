package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"tudi/land"
	"tudi/postgis"
)

// Export formats.
const (
	FormatMBTiles = "mbtiles"
	FormatPMTiles = "pmtiles"
)

// ExportSummary counts what Export wrote.
type ExportSummary struct {
	Tiles  int   // tiles of the range
	Stored int   // non-empty tiles written
	Unique int   // distinct tile contents (PMTiles stores each once)
	Bytes  int64 // file size
}

// tileWriter receives the non-empty tiles of an export (gzip-compressed
// MVT) in any order, then the metadata.
type tileWriter interface {
	put(t Tile, gz []byte) error
	finish(meta exportMeta) error
	abort()
}

// exportMeta is what both formats record about the tile set.
type exportMeta struct {
	Name             string
	Description      string
	MinZoom, MaxZoom int
	Bounds           [4]float64
	Center           [3]float64
	VectorLayers     []VectorLayer
}

// Export renders the composite tiles of r (one MVT layer per layer, the
// same tiles the server sends) into a single MBTiles or PMTiles file at
// path, for offline use in QGIS, GDAL or MapLibre. The file is written
// under a temporary name and renamed when complete. progress, when not nil,
// is called after each tile.
func (s *Service) Export(ctx context.Context, r Range, format, path string, progress func(done, total int)) (ExportSummary, error) {
	var sum ExportSummary
	if err := r.Validate(); err != nil {
		return sum, err
	}
	refs, err := postgis.FindLayerStates(ctx, s.db.Pool, r.Layers)
	if err != nil {
		return sum, err
	}
	b, ok := r.bound(refs)
	if !ok {
		return sum, land.Errorf(land.Invalid, "layers %q have no data in the requested bbox", r.Layers)
	}
	tj, err := s.TileJSON(ctx, r.Layers, "")
	if err != nil {
		return sum, err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	var w tileWriter
	switch format {
	case FormatMBTiles:
		w, err = newMBTiles(ctx, tmp)
	case FormatPMTiles:
		w, err = newPMTiles(tmp)
	default:
		return sum, land.Errorf(land.Invalid, "export format %q: use mbtiles or pmtiles", format)
	}
	if err != nil {
		return sum, land.Errorf(land.Invalid, "cannot create %q: %w", path, err)
	}
	list := r.tiles(b)
	sum.Tiles = len(list)
	var (
		done   atomic.Int64
		stored atomic.Int64
	)
	type job struct {
		i int
		t Tile
	}
	type result struct {
		i  int
		t  Tile
		gz []byte
	}
	in := make(chan job)
	out := make(chan result)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(in)
		for i, t := range list {
			select {
			case in <- job{i, t}:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	var workers errgroup.Group
	for range 3 {
		workers.Go(func() error {
			for j := range in {
				d, err := s.Tile(gctx, r.Layers, j.t, false)
				if err != nil {
					return err
				}
				select {
				case out <- result{j.i, j.t, d.Gzip()}:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		err := workers.Wait()
		close(out)
		return err
	})
	// Tiles are written in the order of the list, whatever order the
	// workers finish in, so two exports of the same data are the same file.
	g.Go(func() error {
		next := 0
		ahead := map[int]result{}
		for res := range out {
			ahead[res.i] = res
			for {
				res, ok := ahead[next]
				if !ok {
					break
				}
				delete(ahead, next)
				next++
				if len(res.gz) > 0 {
					if err := w.put(res.t, res.gz); err != nil {
						return fmt.Errorf("write %q: %w", path, err)
					}
					stored.Add(1)
				}
				n := done.Add(1)
				if progress != nil {
					progress(int(n), len(list))
				}
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		w.abort()
		os.Remove(tmp)
		return sum, err
	}
	meta := exportMeta{Name: tj.Name, Description: tj.Description, MinZoom: r.MinZoom, MaxZoom: r.MaxZoom,
		Bounds: [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, VectorLayers: tj.VectorLayers}
	c := b.Center()
	meta.Center = [3]float64{c[0], c[1], float64(min(max(fitZoom(meta.Bounds), r.MinZoom), r.MaxZoom))}
	for i := range meta.VectorLayers {
		meta.VectorLayers[i].MinZoom, meta.VectorLayers[i].MaxZoom = r.MinZoom, r.MaxZoom
	}
	if err := w.finish(meta); err != nil {
		os.Remove(tmp)
		return sum, fmt.Errorf("write %q: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return sum, fmt.Errorf("write %q: %w", path, err)
	}
	sum.Stored = int(stored.Load())
	if fi, err := os.Stat(path); err == nil {
		sum.Bytes = fi.Size()
	}
	if p, ok := w.(*pmtilesWriter); ok {
		sum.Unique = p.unique
	} else {
		sum.Unique = sum.Stored
	}
	return sum, nil
}

// metadataJSON is the "json" metadata both MBTiles and PMTiles carry.
func metadataJSON(m exportMeta) ([]byte, error) {
	return json.Marshal(map[string]any{"vector_layers": m.VectorLayers})
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

func contentHash(b []byte) [32]byte { return sha256.Sum256(b) }
