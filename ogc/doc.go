// Package ogc serves OGC API Features (Part 1 core, GeoJSON and HTML, Part 2
// CRS, Part 3 CQL2 filtering, sorting and property selection) under /ogc,
// streaming GeoJSON features as rows arrive.
//
// Each layer of the registry is a collection. A feature's properties are
// the kind's canonical fields (always all of them, null when empty), then
// area_m2, then "props": the source attributes as one nested object.
// Pages are key-set paged on (sort keys, id) through an opaque cursor in
// absolute next/prev links. CQL2 text and JSON parse into one tree that is
// compiled to SQL with every value as a bind parameter. Coordinates follow
// the axis order of the requested CRS (lat/lon for EPSG:4490 and 4326,
// northing/easting for the Gauss-Krüger zones), CRS84 by default.
package ogc
