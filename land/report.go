package land

// Report describes one of the bureau's reports: its contract name, titles,
// the layers it reads and the parameters it takes. The reports package holds
// the specs and their SQL; this is what the API lists and the CLI prints.
type Report struct {
	Name        string        `json:"name"` // contract name, e.g. "land-supply"
	Title       string        `json:"title"`
	TitleEN     string        `json:"title_en"`
	Description string        `json:"description"`
	Layers      []ReportLayer `json:"layers"`
	Groups      []ReportGroup `json:"groups"`        // dimensions the rows can be grouped by
	Group       []string      `json:"default_group"` // the grouping when none is asked for
	Year        string        `json:"year"`          // what a period (--from/--to, --year) counts, and what is as of --as-of
	Street      string        `json:"street"`        // what --street selects by (every report takes it)
	// Targets are the column keys that take a yearly target (tudi targets).
	Targets []string `json:"targets,omitempty"`
	// Inputs are the parameters a report takes besides the common ones
	// (layer-summary: of, group, sum, date), for a form to ask for.
	Inputs []ReportInput `json:"inputs,omitempty"`
	// Params are the parameters the report declares for itself, beyond the
	// ones every report takes (CLI --NAME, API NAME=…).
	Params []ReportParam `json:"params,omitempty"`
}

// ReportInput is a parameter of a report that a form asks for: the query
// parameter (and CLI flag) Key, with its titles.
type ReportInput struct {
	Key      string `json:"key"`
	Title    string `json:"title"`
	TitleEN  string `json:"title_en"`
	Required bool   `json:"required,omitempty"`
}

// ReportParam is a parameter a report declares for itself: a layer (its
// name: any layer, e.g. the polygons to overlay) or an integer.
type ReportParam struct {
	Name    string `json:"name"` // the API parameter; the CLI flag is --NAME with - for _
	Kind    string `json:"kind"` // ReportParamLayer or ReportParamInt
	Title   string `json:"title"`
	TitleEN string `json:"title_en"`
	Default *int   `json:"default,omitempty"` // an integer's value when not given
	Min     *int   `json:"min,omitempty"`
	Max     *int   `json:"max,omitempty"`
}

// The kinds of a report's own parameters.
const (
	ReportParamLayer = "layer"
	ReportParamInt   = "int"
)

// ReportLayer is a layer a report reads, chosen by kind; Name is the default
// layer name, which `--layer KIND=NAME` (CLI) or `layer.KIND=NAME` (API)
// overrides.
type ReportLayer struct {
	Kind     string `json:"kind"` // a Kind, or "stations" (any point layer)
	Name     string `json:"name"`
	Optional bool   `json:"optional"` // the report runs without it, with a note
}

// ReportGroup is a dimension a report can be grouped by.
type ReportGroup struct {
	Key     string `json:"key"`
	Title   string `json:"title"`
	TitleEN string `json:"title_en"`
}

// Column types of a report's columns.
const (
	ColumnText    = "text"
	ColumnInteger = "integer"
	ColumnNumber  = "number"  // a decimal quantity (area, price)
	ColumnPercent = "percent" // a rate in percent, two decimals (95.61 means 95.61 %)
)

// Column is a column of a report's result.
type Column struct {
	Key      string `json:"key"`
	Title    string `json:"title"`
	TitleEN  string `json:"title_en"`
	Unit     string `json:"unit,omitempty"`
	Type     string `json:"type"`               // ColumnText, ColumnInteger, ColumnNumber or ColumnPercent
	Decimals int    `json:"decimals,omitempty"` // digits after the point of a number
	// Formula says how a rate is computed, numerator ÷ denominator, and
	// where the source reports define neither, that this is the product's
	// own definition. Every percent column has one.
	Formula string `json:"formula,omitempty"`
}

// ReportResult is a computed report. Rows hold one value per column key
// (string, int64, float64 or nil); Totals holds the figures of all rows
// together (the key columns are absent there).
type ReportResult struct {
	Report  string           `json:"report"`
	Title   string           `json:"title"`
	TitleEN string           `json:"title_en"`
	Params  ReportParams     `json:"params"`
	Columns []Column         `json:"columns"`
	Rows    []map[string]any `json:"rows"`
	Totals  map[string]any   `json:"totals"`
	Notes   []string         `json:"notes,omitempty"` // e.g. an optional layer that was missing
}

// ReportParams are the parameters a report ran with.
type ReportParams struct {
	Group []string `json:"group"`
	Year  *int     `json:"year"` // the period was given as this year
	// From and To are the period of the flows (dates as 2024-01-31, null
	// when no period was given); AsOf is the date of the stocks.
	From   *string           `json:"from"`
	To     *string           `json:"to"`
	AsOf   string            `json:"as_of"`
	Street []string          `json:"street"` // only these sub-districts; null: every one
	Layers map[string]string `json:"layers"` // kind → layer name
	// Options are the values of the report's own parameters (ReportParam)
	// it ran with: a layer's name, an integer (its default when not given).
	Options map[string]any `json:"options,omitempty"`
}

// Target is a yearly target (年度任务) of a report's figure: the value that
// the column Measure of report Report should reach in Year, for the rows
// matching Filter (KEY=VALUE pairs of the report's grouping columns, ";"
// between them; empty: the whole) and Street (empty: the whole district).
type Target struct {
	Year    int     `json:"year"`
	Report  string  `json:"report"`
	Measure string  `json:"measure"`
	Filter  string  `json:"filter"`
	Street  string  `json:"street"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Issuer  string  `json:"issuer"` // 市下达 (set by the city) or 区定 (set by the district)
}

// Target issuers.
var TargetIssuers = []string{"市下达", "区定"}
