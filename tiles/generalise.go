package tiles

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"tudi/geo"
	"tudi/land"
	"tudi/postgis"
)

//go:embed generalise.sql
var generaliseFile string

const (
	tileSchema = "tiles"
	genSuffix  = "__gen"
	minBand    = 6
	// dissolveMinBand is the first band generalised by dissolving
	// same-class features rather than by the majority grid.
	dissolveMinBand = 12
)

// bandCell returns the majority-grid cell size (EPSG:3857 metres) of a
// generalised band: 25 units of the band's 4096 tile grid, about 1.5 screen
// pixels of a 256-pixel tile (955 m at z8, 120 m at z11).
func bandCell(band int) float64 {
	return 25 * 2 * geo.WebMercatorHalf / float64(int(1)<<band) / 4096
}

// genStatements returns the named statements of generalise.sql.
func genStatements() map[string]sqlTemplate {
	out := map[string]sqlTemplate{}
	for _, part := range strings.Split(generaliseFile, "-- name: ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		out[strings.TrimSpace(name)] = parseSQL(body)
	}
	return out
}

// buildVars are the variables of generalise.sql building table newName
// (in the tiles schema) from layer of kind; the arguments are those of the
// band statement (see dissolveVars for the dissolve statement).
func buildVars(layer, newName string, kind land.Kind) sqlVars {
	class := "NULL::text"
	if f := classField(kind); f != "" {
		class = "t." + postgis.Ident(f)
	}
	return sqlVars{
		idents: []string{"layer", layer, "new", newName},
		frags:  []string{"cls", class},
		params: []string{"band", "cell", "block", "tolerance", "min_area"},
	}
}

// dissolveVars are v with the arguments of the dissolve statement.
func dissolveVars(v sqlVars) sqlVars {
	v.params = []string{"band", "dissolve_block", "dissolve_tolerance", "dissolve_min_area"}
	return v
}

// Rebuild rebuilds the generalised low zooms and the pre-rendered tiles of a
// layer from its current contents, when it is large enough to need them
// (else it drops what an earlier, larger version left). The geometry is
// built under a new name and swapped in by rename, with the pre-rendered
// tiles, in one transaction, so readers see either the old complete set or
// the new one. Everything is tagged with the layer version read before
// building; should an import commit meanwhile, the result is tagged with an
// older version than the layer's and never served (its own notification
// triggers the next rebuild).
func (s *Service) Rebuild(ctx context.Context, layer string) error {
	start := time.Now()
	refs, err := postgis.FindLayerStates(ctx, s.db.Pool, []string{layer})
	if err != nil {
		return err
	}
	l := refs[0]
	if !s.generalised(l.Features, l.GeomType) {
		return s.dropGeneralised(ctx, layer)
	}
	// One builder per layer across all processes sharing the database.
	conn, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("rebuild layer %q: %w", layer, postgis.Err(err))
	}
	defer conn.Release()
	var got bool
	lockKey := "tudi tiles rebuild " + layer
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, lockKey).Scan(&got); err != nil {
		return fmt.Errorf("rebuild layer %q: %w", layer, postgis.Err(err))
	}
	if !got {
		s.log.Info("generalisation of layer already being rebuilt by another process", "layer", layer)
		return nil
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext($1))`, lockKey)
	}()

	newName := layer + genSuffix + "_new"
	newTable := pgx.Identifier{tileSchema, newName}.Sanitize()
	vars := buildVars(layer, newName, l.Kind)
	st := genStatements()
	var rows int64
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// Building reads the whole layer: no request-sized statement timeout.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+newTable); err != nil {
			return err
		}
		for _, name := range []string{"create", "points"} {
			if _, err := tx.Exec(ctx, st[name].expand(vars)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		for band := minBand; band <= GeneralisedMaxZoom; band++ {
			cell := bandCell(band)
			block := 2 * geo.WebMercatorHalf / float64(int(1)<<band)
			px := block / 4096 // one unit of the tile's 4096 grid at this zoom
			var (
				tag pgconn.CommandTag
				err error
			)
			if band >= dissolveMinBand {
				tag, err = tx.Exec(ctx, st["dissolve"].expand(dissolveVars(vars)), band, block/8, px/4, px*px)
			} else {
				tag, err = tx.Exec(ctx, st["band"].expand(vars), band, cell, block, px, 4*px*px)
			}
			if err != nil {
				return fmt.Errorf("band %d: %w", band, err)
			}
			rows += tag.RowsAffected()
		}
		for _, name := range []string{"index", "analyze"} {
			if _, err := tx.Exec(ctx, st[name].expand(vars)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("generalise layer %q: %w", layer, postgis.Err(err))
	}

	// Pre-render z0–z13 over the layer's extent: the generalised zooms from
	// the new table, z12–z13 live (they are per feature, but too slow to render on
	// request over a dense district).
	type pre struct {
		t Tile
		b []byte
	}
	var tiles []pre
	if l.HasBBox {
		b := extentBound(l.Extent)
		for z := 0; z <= PrerenderMaxZoom; z++ {
			x0, y0, x1, y1 := geo.TilesCovering(b, z)
			for x := x0; x <= x1; x++ {
				for y := y0; y <= y1; y++ {
					t := Tile{z, x, y}
					var mvt []byte
					var err error
					if band, ok := s.band(l, z); ok {
						mvt, err = renderGeneralised(ctx, conn, newName, l, t, band)
					} else {
						mvt, err = s.renderFeatures(ctx, conn, l, t, false)
					}
					if err != nil {
						return err
					}
					tiles = append(tiles, pre{t, mvt})
				}
			}
		}
	}

	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+genTable(layer)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `ALTER TABLE `+newTable+` RENAME TO `+postgis.Ident(layer+genSuffix)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tiles.generalised (layer, version, features, rows, duration_ms)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (layer) DO UPDATE SET version = $2, features = $3, rows = $4, duration_ms = $5, built_at = now()`,
			layer, l.Version, l.Features, rows, time.Since(start).Milliseconds()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tiles.prerendered WHERE layer = $1 AND version <> $2`, layer, l.Version); err != nil {
			return err
		}
		var batch pgx.Batch
		for _, p := range tiles {
			batch.Queue(`INSERT INTO tiles.prerendered (layer, z, x, y, version, mvt) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (layer, z, x, y) DO UPDATE SET version = $5, mvt = $6, built_at = now()`,
				layer, p.t.Z, p.t.X, p.t.Y, l.Version, p.b)
		}
		return tx.SendBatch(ctx, &batch).Close()
	})
	if err != nil {
		return fmt.Errorf("swap generalised layer %q: %w", layer, postgis.Err(err))
	}
	d := time.Since(start)
	s.metrics.rebuild.WithLabelValues(layer).Observe(d.Seconds())
	s.log.Info("generalised low zooms rebuilt", "layer", layer, "version", l.Version, "features", l.Features,
		"rows", rows, "tiles", len(tiles), "duration_ms", d.Milliseconds())
	return nil
}

// dropGeneralised removes a layer's generalised table and pre-rendered
// tiles of older versions (a small or deleted layer is always live).
func (s *Service) dropGeneralised(ctx context.Context, layer string) error {
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+genTable(layer)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tiles.generalised WHERE layer = $1`, layer); err != nil {
			return err
		}
		version := int64(-1) // a deleted layer keeps none
		if l, err := postgis.FindLayerState(ctx, tx, layer); err == nil {
			version = l.Version
		} else if land.KindOf(err) != land.NotFound {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM tiles.prerendered WHERE layer = $1 AND version <> $2`, layer, version)
		return err
	})
}

// Run listens for layer changes until ctx is done: each change is logged for
// cache revalidation and, unless Config.NoRebuild, queues a rebuild of the
// layer's generalised low zooms. At start (and after each reconnect, when
// changes may have been missed) every layer whose generalisation is missing
// or outdated is queued. While it listens, tile requests take layer
// versions from memory (see registry).
func (s *Service) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if !s.cfg.NoRebuild {
		wg.Go(func() { s.rebuilder(ctx) })
	}
	wg.Go(func() { s.dropStaleFences(ctx) })
	err := s.db.Listen(ctx, postgis.Listener{
		Synced: func(q postgis.Querier, fences map[string][]string) {
			s.changes.reset()
			s.reg.connect(fences)
			if err := s.reg.refresh(ctx, q, true); err != nil && ctx.Err() == nil {
				// Not synced: requests read the registry in the database
				// until dropStaleFences manages a read.
				s.log.Warn("cannot read the layer registry after connecting", "error", err)
			}
			go s.queueOutdated(ctx)
			s.cleanDisk()
		},
		Lost: func(error) { s.reg.lost() },
		Fenced: func(token string, layers []string) {
			s.reg.fence(token, layers)
		},
		Lifted: func(q postgis.Querier, token string) {
			if err := s.reg.refresh(ctx, q, false, token); err != nil && ctx.Err() == nil {
				s.log.Warn("cannot read the layer registry after a change; retrying", "error", err)
			}
			s.cleanDisk()
		},
		Changed: func(c postgis.Change) {
			s.changes.record(c)
			s.metrics.heard.Inc()
			s.queue(c.Layer, &c)
		},
	})
	cancel()
	wg.Wait()
	return err
}

// cleanDisk removes outdated files from the disk cache in the background,
// and the least recently used ones when it is over its limit, one clean at
// a time (a clean asked for while one runs is skipped: the next change or
// write past the limit cleans again). Without the registry in memory (not
// listening) only the limit is kept.
func (s *Service) cleanDisk() {
	if s.disk == nil || !s.sweeping.CompareAndSwap(false, true) {
		return
	}
	current := s.reg.versions()
	go func() {
		defer s.sweeping.Store(false)
		c, err := s.disk.clean(current)
		if err != nil {
			s.log.Warn("tile disk cache clean failed", "dir", s.cfg.CacheDir, "error", err)
		}
		s.metrics.diskRemoved.Add(float64(c.stale + c.trimmed))
		if c.stale > 0 || c.trimmed > 0 {
			s.log.Info("removed tiles from the disk cache", "outdated", c.stale, "over_limit", c.trimmed,
				"bytes_left", c.bytes, "limit", s.disk.max, "dir", s.cfg.CacheDir)
		}
	}()
}

// dropStaleFences lifts, every second, the fences whose writers are gone
// (or whose lift was missed) and retries a registry read that failed after
// connecting.
func (s *Service) dropStaleFences(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		tokens := s.reg.tokens()
		retry := s.reg.needsSync()
		if len(tokens) == 0 && !retry {
			continue
		}
		live, err := s.db.LiveFences(ctx)
		if err != nil {
			continue
		}
		var gone []string
		for _, t := range tokens {
			if _, ok := live[t]; !ok {
				gone = append(gone, t)
			}
		}
		if len(gone) > 0 || retry {
			_ = s.reg.refresh(ctx, s.db.Pool, retry, gone...)
		}
	}
}

func (s *Service) queue(layer string, c *postgis.Change) {
	if s.cfg.NoRebuild {
		return
	}
	s.rebuildMu.Lock()
	cs := s.rebuilds[layer]
	if c != nil {
		cs = append(cs, *c)
	}
	s.rebuilds[layer] = cs
	s.rebuildMu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// queueOutdated queues every layer whose generalised state does not match
// its version (or that has one but should not).
func (s *Service) queueOutdated(ctx context.Context) {
	layers, gen, err := s.generalisedVersions(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("cannot list layers to generalise", "error", err)
		}
		return
	}
	for name, l := range layers {
		if v, ok := gen[name]; l.Features >= s.cfg.GeneraliseMin || (ok && v != l.Version) {
			s.queue(name, nil)
		}
	}
}

// generalisedVersions returns the registry's layers and the version each
// layer's generalised data was built from (tiles.generalised).
func (s *Service) generalisedVersions(ctx context.Context) (map[string]layerRef, map[string]int64, error) {
	layers, err := postgis.LayerStates(ctx, s.db.Pool)
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT layer, version FROM tiles.generalised`)
	if err != nil {
		return nil, nil, postgis.Err(err)
	}
	gen := map[string]int64{}
	var (
		name    string
		version int64
	)
	_, err = pgx.ForEachRow(rows, []any{&name, &version}, func() error {
		gen[name] = version
		return nil
	})
	if err != nil {
		return nil, nil, postgis.Err(err)
	}
	return layers, gen, nil
}

// rebuilder runs queued rebuilds one at a time (they are heavy), coalescing
// a burst of changes of one layer into one rebuild.
func (s *Service) rebuilder(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		for {
			s.rebuildMu.Lock()
			var (
				layer   string
				changes []postgis.Change
			)
			for l, cs := range s.rebuilds {
				layer, changes = l, cs
				break
			}
			delete(s.rebuilds, layer)
			s.rebuildMu.Unlock()
			if layer == "" {
				break
			}
			for _, c := range changes {
				if err := s.retagPrerendered(ctx, c); err != nil && ctx.Err() == nil {
					s.log.Warn("keeping pre-rendered tiles outside a change failed", "layer", layer, "error", err)
				}
			}
			if err := s.rebuildIfNeeded(ctx, layer); err != nil && ctx.Err() == nil {
				s.log.Error("rebuilding generalised low zooms failed", "layer", layer, "error", err)
			}
		}
	}
}

// retagPrerendered moves the per-feature pre-rendered tiles of the version
// before change c that lie outside its extent to c's version: they are
// unchanged, so an import invalidates exactly the pre-rendered tiles of the
// extent it touched, for every process. Tiles of other versions are left
// (unused; the rebuild deletes them). Generalised zooms are not kept, as
// which cells they show depends on the whole layer.
func (s *Service) retagPrerendered(ctx context.Context, c postgis.Change) error {
	if len(c.BBox) != 4 {
		return nil
	}
	_, err := s.db.Pool.Exec(ctx, `UPDATE tiles.prerendered SET version = $2, built_at = now()
		WHERE layer = $1 AND version = $2 - 1 AND z > $3
		  AND NOT ST_Intersects(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096),
		                        ST_Transform(ST_MakeEnvelope($4, $5, $6, $7, 4490), 3857))`,
		c.Layer, c.Version, GeneralisedMaxZoom, c.BBox[0], c.BBox[1], c.BBox[2], c.BBox[3])
	return postgis.Err(err)
}

// rebuildIfNeeded rebuilds a layer unless its generalisation is current.
func (s *Service) rebuildIfNeeded(ctx context.Context, layer string) error {
	l, err := postgis.FindLayerState(ctx, s.db.Pool, layer)
	if land.KindOf(err) == land.NotFound {
		return s.dropGeneralised(ctx, layer)
	}
	if err != nil {
		return err
	}
	var current bool
	if err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tiles.generalised WHERE layer = $1 AND version = $2)`,
		layer, l.Version).Scan(&current); err != nil {
		return postgis.Err(err)
	}
	if current {
		return nil
	}
	return s.Rebuild(ctx, layer)
}
