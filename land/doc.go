// Package land holds the domain words of tudi: layers and their kinds, the
// canonical fields of each kind, features, imports and reports, and the
// error kinds every other package maps to HTTP statuses and exit codes.
//
// It imports nothing of the project, so the store, the HTTP server, the
// importers and the CLI all depend on it and never the other way round.
package land

// The kinds are data: one YAML file per kind in catalog/kinds, embedded and
// parsed once (catalog.go), to which a catalogue directory may add kinds.
// land imports one library beyond the standard one and orb for this,
// go.yaml.in/yaml/v3: YAML lets a bureau's analyst write a kind by hand with
// comments, and its node tree gives the line of every field, which the
// validation messages name (encoding/json gives only byte offsets of syntax
// errors). It was already in the module graph through prometheus.
