package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"tudi/land"
)

// The layer registry, tudi.layers, is read through this file only: one
// row per layer, with its kind, title, source, extent, feature count and
// version. Two row types: land.Layer, the whole entry (FindLayer,
// FindLayerIn, FindLayers), and LayerState, the part that changes with the
// layer's features, read per request by tile and feature services
// (FindLayerState, FindLayerStates, LayerStates). LayerKind answers the
// one question reports ask. Writes are in layer.go (CreateLayer,
// RefreshLayer, DeleteLayer, RenameLayer), imports.go (SetLayerSource) and
// commit.go (CommitImport). Where a hot path must read a version in the
// same statement as the features, LayerVersionSQL gives the subquery.

const layerColumns = `name, kind, title, source_srid, geom_type, feature_count, minx, miny, maxx, maxy,
	source_fields, version, created_at, updated_at`

func scanLayer(row pgx.Row) (*land.Layer, error) {
	var (
		l                      land.Layer
		srid                   *int32
		minx, miny, maxx, maxy *float64
		fields                 []byte
		kind                   string
	)
	if err := row.Scan(&l.Name, &kind, &l.Title, &srid, &l.GeomType, &l.FeatureCount,
		&minx, &miny, &maxx, &maxy, &fields, &l.Version, &l.CreatedAt, &l.UpdatedAt); err != nil {
		return nil, err
	}
	l.Kind = land.Kind(kind)
	if srid != nil {
		l.SourceSRID = int(*srid)
	}
	if minx != nil && miny != nil && maxx != nil && maxy != nil {
		l.Extent = &orb.Bound{Min: orb.Point{*minx, *miny}, Max: orb.Point{*maxx, *maxy}}
	}
	if len(fields) > 0 {
		if err := json.Unmarshal(fields, &l.SourceFields); err != nil {
			return nil, fmt.Errorf("layer %q: source_fields: %w", l.Name, err)
		}
	}
	return &l, nil
}

// FindLayer returns the registry entry of a layer. Returns NotFound when
// there is no such layer.
func (db *DB) FindLayer(ctx context.Context, name string) (*land.Layer, error) {
	l, err := scanLayer(db.Pool.QueryRow(ctx, `SELECT `+layerColumns+` FROM tudi.layers WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, land.Errorf(land.NotFound, "layer %q not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("FindLayer(%q): %w", name, Err(err))
	}
	return l, nil
}

// FindLayers returns the layers matching f, by name (or in f.Names' order).
// Returns NotFound naming the first of f.Names that does not exist.
func (db *DB) FindLayers(ctx context.Context, f land.LayerFilter) ([]*land.Layer, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+layerColumns+` FROM tudi.layers
		WHERE ($1::text = '' OR kind = $1) AND ($2::text[] IS NULL OR cardinality($2::text[]) = 0 OR name = ANY($2))
		ORDER BY name`, string(f.Kind), f.Names)
	if err != nil {
		return nil, fmt.Errorf("FindLayers: %w", Err(err))
	}
	defer rows.Close()
	var out []*land.Layer
	for rows.Next() {
		l, err := scanLayer(rows)
		if err != nil {
			return nil, fmt.Errorf("FindLayers: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("FindLayers: %w", Err(err))
	}
	if len(f.Names) == 0 {
		return out, nil
	}
	byName := map[string]*land.Layer{}
	for _, l := range out {
		byName[l.Name] = l
	}
	ordered := make([]*land.Layer, 0, len(f.Names))
	for _, n := range f.Names {
		l, ok := byName[n]
		if !ok {
			return nil, land.Errorf(land.NotFound, "layer %q not found", n)
		}
		ordered = append(ordered, l)
	}
	return ordered, nil
}

// FindLayerIn is FindLayer through q (a transaction).
func FindLayerIn(ctx context.Context, q Querier, name string) (*land.Layer, error) {
	l, err := scanLayer(q.QueryRow(ctx, `SELECT `+layerColumns+` FROM tudi.layers WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, land.Errorf(land.NotFound, "layer %q not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("FindLayer(%q): %w", name, Err(err))
	}
	return l, nil
}

// LayerState is the part of a registry entry that changes with the
// layer's features: what tile rendering and feature paging need of it,
// without the source fields and titles of a land.Layer.
type LayerState struct {
	Name     string
	Kind     land.Kind
	Version  int64
	Features int64 // feature count
	GeomType string
	Extent   [4]float64 // lon/lat; zero when empty
	HasBBox  bool       // Extent is set (the layer has geometries)
}

const stateColumns = `name, kind, version, feature_count, geom_type, minx, miny, maxx, maxy`

func scanState(row pgx.Row) (LayerState, error) {
	var (
		l                      LayerState
		kind                   string
		minx, miny, maxx, maxy *float64
	)
	if err := row.Scan(&l.Name, &kind, &l.Version, &l.Features, &l.GeomType, &minx, &miny, &maxx, &maxy); err != nil {
		return l, err
	}
	l.Kind = land.Kind(kind)
	if minx != nil && miny != nil && maxx != nil && maxy != nil {
		l.Extent, l.HasBBox = [4]float64{*minx, *miny, *maxx, *maxy}, true
	}
	return l, nil
}

// FindLayerState reads the state of one layer through q (a transaction,
// to read it in the snapshot of other reads). Returns NotFound.
func FindLayerState(ctx context.Context, q Querier, name string) (LayerState, error) {
	l, err := scanState(q.QueryRow(ctx, `SELECT `+stateColumns+` FROM tudi.layers WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return l, land.Errorf(land.NotFound, "layer %q not found", name)
	}
	if err != nil {
		return l, fmt.Errorf("layer %q: %w", name, Err(err))
	}
	return l, nil
}

// FindLayerStates reads the states of names through q, in that order, in
// one indexed query. Returns NotFound naming the first unknown layer.
func FindLayerStates(ctx context.Context, q Querier, names []string) ([]LayerState, error) {
	rows, err := q.Query(ctx, `SELECT `+stateColumns+` FROM tudi.layers WHERE name = ANY($1)`, names)
	if err != nil {
		return nil, fmt.Errorf("read layers %q: %w", names, Err(err))
	}
	byName, err := collectStates(rows, len(names))
	if err != nil {
		return nil, fmt.Errorf("read layers %q: %w", names, err)
	}
	out := make([]LayerState, 0, len(names))
	for _, n := range names {
		l, ok := byName[n]
		if !ok {
			return nil, land.Errorf(land.NotFound, "layer %q not found", n)
		}
		out = append(out, l)
	}
	return out, nil
}

// LayerStates reads the state of every layer through q, by name (the
// registry is small: one row per layer).
func LayerStates(ctx context.Context, q Querier) (map[string]LayerState, error) {
	rows, err := q.Query(ctx, `SELECT `+stateColumns+` FROM tudi.layers`)
	if err != nil {
		return nil, fmt.Errorf("read layer registry: %w", Err(err))
	}
	out, err := collectStates(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("read layer registry: %w", err)
	}
	return out, nil
}

// sortedLayerStates reads the state of every layer through q (only of
// those named, when names are given; unknown names are skipped), in name
// order.
func sortedLayerStates(ctx context.Context, q Querier, names ...string) ([]LayerState, error) {
	all, err := LayerStates(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]LayerState, 0, len(all))
	for _, name := range slices.Sorted(maps.Keys(all)) {
		if len(names) == 0 || slices.Contains(names, name) {
			out = append(out, all[name])
		}
	}
	return out, nil
}

func collectStates(rows pgx.Rows, n int) (map[string]LayerState, error) {
	defer rows.Close()
	out := make(map[string]LayerState, n)
	for rows.Next() {
		l, err := scanState(rows)
		if err != nil {
			return nil, err
		}
		out[l.Name] = l
	}
	if err := rows.Err(); err != nil {
		return nil, Err(err)
	}
	return out, nil
}

// LayerKind returns the kind of a layer through q, and false when there is
// no such layer.
func LayerKind(ctx context.Context, q Querier, name string) (land.Kind, bool, error) {
	var kind string
	err := q.QueryRow(ctx, `SELECT kind FROM tudi.layers WHERE name = $1`, name).Scan(&kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("layer %q: %w", name, Err(err))
	}
	return land.Kind(kind), true, nil
}

// LayerVersionSQL returns a scalar subquery of a layer's registry version,
// NULL when there is no such layer (or, with kind set, when it is not of
// that kind). name and kind are SQL expressions, normally bind parameters
// ("$2"). It is for statements on hot paths that check the version in the
// same snapshot as they read the features, where a separate read would
// cost a round trip.
func LayerVersionSQL(name, kind string) string {
	if kind == "" {
		return "(SELECT version FROM tudi.layers WHERE name = " + name + ")"
	}
	return "(SELECT version FROM tudi.layers WHERE name = " + name + " AND kind = " + kind + ")"
}

// lockLayer reads and locks a layer's registry entry in tx until it ends;
// nil when there is none.
func lockLayer(ctx context.Context, tx pgx.Tx, name string) (*land.Layer, error) {
	l, err := scanLayer(tx.QueryRow(ctx, `SELECT `+layerColumns+` FROM tudi.layers WHERE name = $1 FOR UPDATE`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("layer %q: %w", name, Err(err))
	}
	return l, nil
}
