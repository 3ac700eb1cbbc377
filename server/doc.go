// Package server is tudi's HTTP server: the chi router and its middleware
// (request id, slog access log, recover, timeout, CORS, br/gzip compression), the one place
// where error kinds become HTTP statuses, /healthz, /metrics, the import API
// with its token check, identify and spatial queries. Tiles, OGC API
// Features and reports mount their own routes through Mount methods.
package server
