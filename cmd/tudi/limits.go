package main

import (
	"flag"

	"tudi/server"
)

// addLimitFlags adds the flags of the server's cost limits (server.Limits)
// to fs, with their defaults.
func addLimitFlags(fs *flag.FlagSet, l *server.Limits) {
	d := server.DefaultLimits()
	fs.IntVar(&l.MaxLayers, "max-layers", d.MaxLayers, "distinct layers one identify or query may name")
	fs.IntVar(&l.IdentifyMaxFeatures, "identify-max-features", d.IdentifyMaxFeatures, "features identify returns per layer")
	fs.IntVar(&l.QueryMaxFeatures, "query-max-features", d.QueryMaxFeatures, "largest limit (features listed per layer) of a query")
	fs.IntVar(&l.MaxFeatureVertices, "max-feature-vertices", d.MaxFeatureVertices, "vertices of one returned geometry; past it the geometry is simplified, or omitted")
	fs.IntVar(&l.MaxResponseVertices, "max-response-vertices", d.MaxResponseVertices, "vertices of all geometries of one identify or query answer; past it geometries are omitted")
	fs.IntVar(&l.MaxResponseBytes, "max-response-bytes", d.MaxResponseBytes, "bytes of the features of one identify or query answer")
	fs.IntVar(&l.MaxQueryVertices, "max-query-vertices", d.MaxQueryVertices, "vertices of a query shape (posted geometry or feature)")
	fs.Float64Var(&l.MaxQueryAreaKm2, "max-query-area", d.MaxQueryAreaKm2, "area of a query shape after its distance, in km²")
	fs.IntVar(&l.MaxConcurrentPerClient, "max-concurrent-per-client", d.MaxConcurrentPerClient, "expensive requests (identify, query, reports, filtered OGC items) one client address may run at once; more get 429")
	fs.IntVar(&l.MaxConcurrent, "max-concurrent", d.MaxConcurrent, "expensive requests of all clients running at once; more get 429")
}
