package tiles

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"golang.org/x/sync/errgroup"

	"tudi/geo"
	"tudi/land"
	"tudi/postgis"
)

// Range is a set of tiles: zooms MinZoom–MaxZoom over a lon/lat bound
// (nil: the extent of the layers).
type Range struct {
	Layers           []string
	MinZoom, MaxZoom int
	BBox             *orb.Bound
}

// Validate returns an Invalid error naming the bad part of r.
func (r Range) Validate() error {
	if len(r.Layers) == 0 {
		return land.Errorf(land.Invalid, "no layers given: use --layers a,b")
	}
	if r.MinZoom < 0 || r.MaxZoom > geo.MaxZoom || r.MinZoom > r.MaxZoom {
		return land.Errorf(land.Invalid, "zoom range %d-%d: give a-b within 0-%d", r.MinZoom, r.MaxZoom, geo.MaxZoom)
	}
	if b := r.BBox; b != nil && (b.Min[0] >= b.Max[0] || b.Min[1] >= b.Max[1] || b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90) {
		return land.Errorf(land.Invalid, "bbox %v: give minlon,minlat,maxlon,maxlat in degrees", *b)
	}
	return nil
}

// tiles returns the tiles of r over bound b, zoom by zoom.
func (r Range) tiles(b orb.Bound) []Tile {
	var out []Tile
	for z := r.MinZoom; z <= r.MaxZoom; z++ {
		x0, y0, x1, y1 := geo.TilesCovering(b, z)
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				out = append(out, Tile{z, x, y})
			}
		}
	}
	return out
}

// bound returns r's bbox clipped to the union of the layers' extents, and
// false when they do not meet (or every layer is empty).
func (r Range) bound(layers []layerRef) (orb.Bound, bool) {
	var ext orb.Bound
	found := false
	for _, l := range layers {
		if !l.HasBBox {
			continue
		}
		b := extentBound(l.Extent)
		if !found {
			ext, found = b, true
		} else {
			ext = ext.Union(b)
		}
	}
	if !found {
		return orb.Bound{}, false
	}
	if r.BBox == nil {
		return ext, true
	}
	if !ext.Intersects(*r.BBox) {
		return orb.Bound{}, false
	}
	return orb.Bound{
		Min: orb.Point{math.Max(ext.Min[0], r.BBox.Min[0]), math.Max(ext.Min[1], r.BBox.Min[1])},
		Max: orb.Point{math.Min(ext.Max[0], r.BBox.Max[0]), math.Min(ext.Max[1], r.BBox.Max[1])},
	}, true
}

// CountTiles returns how many tiles of r cover its layers' data.
func (s *Service) CountTiles(ctx context.Context, r Range) (int, error) {
	if err := r.Validate(); err != nil {
		return 0, err
	}
	refs, err := postgis.FindLayerStates(ctx, s.db.Pool, r.Layers)
	if err != nil {
		return 0, err
	}
	b, ok := r.bound(refs)
	if !ok {
		return 0, nil
	}
	return len(r.tiles(b)), nil
}

// SeedSummary counts what Seed did.
type SeedSummary struct {
	Tiles    int // tile layers considered
	Rendered int // rendered and stored
	Current  int // already pre-rendered at the current version
	Empty    int // rendered and empty
	Bytes    int64
}

// Seed pre-renders the tiles of r into the database (tiles.prerendered),
// one row per layer and tile, tagged with the layer version: every tudi
// serve on the database then answers them with one indexed read, and an
// import makes them unused at once (its version changes). Large layers get
// their generalised low zooms rebuilt first when outdated. progress, when
// not nil, is called after each tile layer with the count done and the
// total, one call at a time.
func (s *Service) Seed(ctx context.Context, r Range, progress func(done, total int)) (SeedSummary, error) {
	var sum SeedSummary
	if err := r.Validate(); err != nil {
		return sum, err
	}
	refs, err := postgis.FindLayerStates(ctx, s.db.Pool, r.Layers)
	if err != nil {
		return sum, err
	}
	for _, l := range refs {
		if err := s.rebuildIfNeeded(ctx, l.Name); err != nil {
			return sum, err
		}
	}
	// Read again: a rebuild does not change versions, but an import may have.
	if refs, err = postgis.FindLayerStates(ctx, s.db.Pool, r.Layers); err != nil {
		return sum, err
	}
	type job struct {
		l layerRef
		t Tile
	}
	var jobs []job
	for _, l := range refs {
		b, ok := r.bound([]layerRef{l})
		if !ok {
			continue
		}
		for _, t := range r.tiles(b) {
			jobs = append(jobs, job{l, t})
		}
	}
	sum.Tiles = len(jobs)
	var (
		mu   sync.Mutex
		done int
	)
	ch := make(chan job)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(ch)
		for _, j := range jobs {
			select {
			case ch <- j:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range 2 {
		g.Go(func() error {
			for j := range ch {
				var v int64
				err := s.db.Pool.QueryRow(gctx, `SELECT version FROM tiles.prerendered
					WHERE layer = $1 AND z = $2 AND x = $3 AND y = $4`, j.l.Name, j.t.Z, j.t.X, j.t.Y).Scan(&v)
				if err != nil && err != pgx.ErrNoRows {
					return fmt.Errorf("seed layer %q tile %s: %w", j.l.Name, j.t, postgis.Err(err))
				}
				current := err == nil && v == j.l.Version
				if !current {
					b, cacheable, err := s.renderLayer(gctx, j.l, j.t, false)
					if err != nil {
						return err
					}
					if cacheable {
						if _, err := s.db.Pool.Exec(gctx, `INSERT INTO tiles.prerendered (layer, z, x, y, version, mvt)
							VALUES ($1, $2, $3, $4, $5, $6)
							ON CONFLICT (layer, z, x, y) DO UPDATE SET version = $5, mvt = $6, built_at = now()`,
							j.l.Name, j.t.Z, j.t.X, j.t.Y, j.l.Version, b); err != nil {
							return fmt.Errorf("seed layer %q tile %s: %w", j.l.Name, j.t, postgis.Err(err))
						}
					}
					mu.Lock()
					sum.Rendered++
					sum.Bytes += int64(len(b))
					if len(b) == 0 {
						sum.Empty++
					}
					mu.Unlock()
				} else {
					mu.Lock()
					sum.Current++
					mu.Unlock()
				}
				// Progress is reported under the lock: in order, one call at a time.
				mu.Lock()
				done++
				if progress != nil {
					progress(done, len(jobs))
				}
				mu.Unlock()
			}
			return nil
		})
	}
	err = g.Wait()
	return sum, err
}
