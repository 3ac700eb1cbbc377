package reports

import (
	"embed"

	"tudi/land"
)

// The SQL of every report, one file each, so that an analyst can read them
// and run them in psql (SET search_path = layers, public; then PREPARE with
// the parameters each file documents). The header of each file declares the
// report: see catalog.go.
//
//go:embed sql/*.sql
var sqlFiles embed.FS

// spec is a report as its .sql file declares it: what the API lists
// (land.Report), its SQL, the columns each grouping dimension adds and the
// figures it computes.
type spec struct {
	land.Report
	street string // what the street filter selects by, as the list says it
	// params are the parameters the SQL takes, in order ($1, $2, …): group,
	// from, to, as_of, current (whether as_of is today or later), street.
	params   []string
	sql      string
	dims     []dim
	measures []measure
	file     string         // where it was declared, for messages
	lines    map[string]int // line of each column key (and of "@report", "@default_group")
	dynamic  bool           // its SQL is built for each run (layer-summary: layersummary.go)
}

// dim is a grouping dimension: the SQL returns its columns in every row
// (NULL unless grouped by it); the result shows them only when grouped.
// A report's dims are in the order its SQL sorts the rows by.
type dim struct {
	key     string
	title   string
	titleEN string
	columns []land.Column
}

// measure is a figure of each row. Measures with a needs only make sense
// when the rows are grouped by that dimension.
type measure struct {
	land.Column
	needs  string
	period bool   // a flow in the period: shown only when a period is given
	target bool   // takes a yearly target (see targets.go)
	param  string // shown only when this report parameter is given (options.go)
}

// Stations are not a canonical kind: any point layer will do.
const stationsKind = "stations"
