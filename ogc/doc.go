// Package ogc serves OGC API Features (Part 1 core and GeoJSON, Part 2 CRS,
// Part 3 CQL2 filtering) under /ogc, streaming GeoJSON features as rows
// arrive.
package ogc
