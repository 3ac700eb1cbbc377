// Package migrations holds tudi's schema as numbered SQL files
// (0001_registry.sql, …), embedded in the binary, and the runner that applies
// them in order, one transaction each, under a PostgreSQL advisory lock so
// that any number of processes can start at once. Migrations are up-only: fix
// forward with a new file.
package migrations
