// Package tiles serves the layers as Mapbox Vector Tiles made by PostGIS
// (ST_AsMVT on the stored EPSG:3857 column), composite tiles of several
// layers, TileJSON 3.0.0, MapLibre styles, and the tile cache that import
// notifications keep fresh.
package tiles
