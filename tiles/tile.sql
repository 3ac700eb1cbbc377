-- One MVT layer of one tile, live from a layer table.
-- $1 zoom, $2 x, $3 y (XYZ), $4 the MVT layer name.
-- {{table}} is the quoted layer table, {{columns}} the quoted attribute list
-- (canonical fields, optionally props); both are built from the registry.
--
-- The && against the tile envelope widened by the 64-unit buffer uses the
-- GiST index on the stored EPSG:3857 column, so no feature is transformed per
-- request; ST_AsMVTGeom then clips to the same buffer and quantises to the
-- 4096 grid; features that collapse at this zoom get a NULL geometry, which
-- ST_AsMVT skips. (No outer "WHERE geom IS NOT NULL": PostgreSQL would push
-- it into the scan and compute ST_AsMVTGeom twice per row.)
-- fid becomes the MVT feature id; id is also kept as an attribute, because
-- QGIS and MapLibre filters can only see attributes.
-- Features are encoded in id order (and so are the attribute keys and values,
-- which ST_AsMVT collects as it meets them), so a tile's bytes depend only on
-- the data, not on the plan or on which parallel worker read what first.
SELECT ST_AsMVT(q, $4, 4096, 'geom', 'fid' ORDER BY q.fid)
FROM (
    SELECT ST_AsMVTGeom(t.geom_3857, ST_TileEnvelope($1::int, $2::int, $3::int), 4096, 64, true) AS geom,
           t.id AS fid,
           t.id{{columns}}
    FROM {{table}} t
    WHERE t.geom_3857 && ST_TileEnvelope($1::int, $2::int, $3::int, margin => 64.0 / 4096)
) q
