package importers

import (
	"github.com/paulmach/orb"

	"tudi/land"
)

// source is one format's reader: it yields the features of one layer of a
// file, one at a time, with their attributes decoded. The three
// implementations are the shapefile, GeoJSON and GeoPackage readers.
type source interface {
	// Next returns the next feature, or io.EOF after the last one. The
	// feature is valid until the next call.
	Next() (*feature, error)
	// Close releases the files.
	Close() error
}

// feature is one source feature as a reader yields it.
type feature struct {
	Num  int64        // 1-based record number in the file
	Geom orb.Geometry // 2D, in the source CRS; nil for a null shape
	// Keys and Values are the source attributes in file order: nil, string,
	// float64, int64, bool, time.Time, or (GeoJSON) any JSON value.
	Keys   []string
	Values []any
	// Problems are what the reader noticed: values that could not be read,
	// Z/M dropped.
	Problems []land.ImportProblem
}

// sourceInfo is what opening a file found out.
type sourceInfo struct {
	File           string // the file the features come from (base name)
	Format         string // shapefile, geojson, gpkg
	Total          int64  // features expected, 0 when unknown
	SRID           int    // 0 when unknown: guessed from the first features
	SRIDSource     string
	Encoding       string
	EncodingSource string
	Fields         []land.SourceField // known in advance (shapefile, GeoPackage); GeoJSON adds as it reads
	Notes          []string
	// Bound, when set, is the extent the file declares (shapefile header,
	// gpkg_contents), used to guess the CRS.
	Bound *orb.Bound
	// strict: a value the mapper cannot read, or a bad geometry cell,
	// fails the import (ledgers without --lenient).
	strict bool
	// Extra is added to the import record's extra (ledger join counts).
	Extra map[string]any
	// lonLatAsCGCS: SRID is WGS 84 (GeoJSON without a crs member), whose
	// longitude/latitude are stored as CGCS2000 as they are (the two
	// differ by under a metre; PROJ has no shift between them either).
	lonLatAsCGCS bool
}
