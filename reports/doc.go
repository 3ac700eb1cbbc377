// Package reports computes the yearly figures of a land bureau's work report
// from the layers: one spec and one .sql file per report, run in PostGIS,
// written as table, JSON, CSV or XLSX.
package reports
