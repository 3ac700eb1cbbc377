-- One MVT layer of one low-zoom tile of a large layer, from its generalised
-- geometry (tiles."<layer>__gen", see generalise.sql).
-- $1 zoom, $2 x, $3 y, $4 the MVT layer name, $5 the zoom band.
-- {{table}} is the quoted generalised table, {{class}} ", g.cls AS <class
-- field>" or nothing. Generalised features are per class, not per feature:
-- they carry the class attribute only, and no id. {{order}} orders them by
-- geometry (PostGIS's total order on geometries), then class, so a tile's
-- bytes depend only on the data.
SELECT ST_AsMVT(q, $4, 4096, 'geom' ORDER BY {{order}})
FROM (
    SELECT ST_AsMVTGeom(g.geom, ST_TileEnvelope($1::int, $2::int, $3::int), 4096, 64, true) AS geom{{class}}
    FROM {{table}} g
    WHERE g.band = $5
      AND g.geom && ST_TileEnvelope($1::int, $2::int, $3::int, margin => 64.0 / 4096)
) q
