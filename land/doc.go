// Package land holds the domain words of tudi: layers and their kinds, the
// canonical fields of each kind, features, imports and reports, and the
// error kinds every other package maps to HTTP statuses and exit codes.
//
// It imports nothing of the project, so the store, the HTTP server, the
// importers and the CLI all depend on it and never the other way round.
package land
