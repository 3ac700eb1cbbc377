package importers

import (
	"context"
	"log/slog"

	"tudi/land"
	"tudi/postgis"
)

// Importer runs imports against one database.
type Importer struct {
	db  *postgis.DB
	log *slog.Logger
}

// New returns an importer.
func New(db *postgis.DB, log *slog.Logger) *Importer {
	return &Importer{db: db, log: log}
}

// Request is one import: files into a layer.
type Request struct {
	Layer       string            // target layer name
	Kind        land.Kind         // kind of a new layer; must match an existing layer's kind when set
	Mode        string            // "replace" (default) or "append"
	Encoding    string            // overrides the detected .dbf encoding
	SRID        int               // overrides the detected CRS
	Map         map[string]string // canonical field → source field, over the kind's presets
	SourceLayer string            // the layer to read from a GeoPackage or a zip holding several
	Files       []string          // paths of the input files (.shp with siblings, .zip, .geojson, .json, .gpkg)
	User        string            // who imports, for the history
	// Progress, when not nil, is called now and then with the features read
	// so far and the total when known (0 otherwise).
	Progress func(read, total int64)
}

// Import runs req: all or nothing. On success it returns the import record;
// on failure the layer is exactly as it was and the error names the file
// and record at fault.
func (im *Importer) Import(ctx context.Context, req Request) (*land.Import, error) {
	return nil, land.Errorf(land.Unavailable, "the importer is not available yet")
}
