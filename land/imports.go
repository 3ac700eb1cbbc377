package land

import "time"

// Import is a record of the import history: one run of the importer against
// one layer, successful or not.
type Import struct {
	ID         int64          `json:"id"`
	Layer      string         `json:"layer"`
	Kind       Kind           `json:"kind"`
	Mode       string         `json:"mode"`   // replace, append or history
	Status     string         `json:"status"` // ok or failed
	Files      []ImportFile   `json:"files"`
	Summary    ImportSummary  `json:"summary"`
	User       string         `json:"user"`
	Error      string         `json:"error,omitempty"`
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt time.Time      `json:"finished_at"`
	DurationMS int64          `json:"duration_ms"`
	Extra      map[string]any `json:"extra,omitempty"`
}

// ImportFile is one input file of an import.
type ImportFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ImportSummary counts what an import did.
type ImportSummary struct {
	Read           int64           `json:"read"`
	Loaded         int64           `json:"loaded"`
	Repaired       int64           `json:"repaired"`
	Rejected       int64           `json:"rejected"`
	NullShapes     int64           `json:"null_shapes"`
	Warnings       int64           `json:"warnings"`
	Encoding       string          `json:"encoding,omitempty"`
	EncodingSource string          `json:"encoding_source,omitempty"` // cpg, ldid, detected, flag
	SRID           int             `json:"srid,omitempty"`
	SRIDSource     string          `json:"srid_source,omitempty"` // prj, guessed, flag, geojson, gpkg
	Notes          []string        `json:"notes,omitempty"`
	Problems       []ImportProblem `json:"problems,omitempty"` // per-feature repairs, rejections and warnings (capped)
	Changes        *ImportChanges  `json:"changes,omitempty"`  // history mode: what the import changed
}

// ImportChanges says what a history import changed in its layer, compared
// feature by feature by code with the state before it.
type ImportChanges struct {
	EffectiveDate string `json:"effective_date"` // YYYY-MM-DD: from this date on the new state is current
	Added         int64  `json:"added"`
	Changed       int64  `json:"changed"` // attributes, props or geometry
	Removed       int64  `json:"removed"`
	Unchanged     int64  `json:"unchanged"`
}

// ImportProblem is a per-feature note: what was repaired, rejected or not
// normalised, naming the record.
type ImportProblem struct {
	File   string `json:"file,omitempty"`
	Record int64  `json:"record"` // 1-based record number in the source
	Field  string `json:"field,omitempty"`
	Action string `json:"action"` // repaired, rejected, warning
	Reason string `json:"reason"`
}
