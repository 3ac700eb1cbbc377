// Package postgis is tudi's store: a DB around a pgx pool, the layer
// registry, the DDL of layer tables, a transaction helper, identifier
// quoting, the change notifications that keep tile caches fresh, and the
// mapping of PostgreSQL errors to land error kinds.
//
// Layer tables live in the schema "layers", named after the layer; tudi's
// bookkeeping lives in the schema "tudi". Identifiers only ever come from the
// registry or from validated layer names, and always pass through
// pgx.Identifier.Sanitize.
package postgis
