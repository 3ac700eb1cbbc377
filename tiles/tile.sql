-- One MVT layer of one tile, live from a layer table. In psql (any
-- attribute list, or none: -v columns= ; tudi passes every canonical field
-- of the layer's kind, dates as to_char(…, 'YYYY-MM-DD'), and ", t.props"
-- with ?all), the tile as hex bytea:
--
--   psql -X -At -v layer=parcels -v columns=', t."code", t."landuse_code"' -v z=15 -v x=26696 -v y=14221 -f tiles/tile.sql
--
-- Variables: :"layer" the layer table (in schema layers), :'layer' its
-- name as the MVT layer name, :z :x :y the tile (XYZ), :columns the
-- attribute list after id. tudi puts the quoted table name and the
-- attribute list built from the registry, and binds z, x, y and the layer
-- name as $1 to $4 (see sqlvars.go).
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
SELECT ST_AsMVT(q, :'layer', 4096, 'geom', 'fid' ORDER BY q.fid)
FROM (
    SELECT ST_AsMVTGeom(t.geom_3857, ST_TileEnvelope(:z::int, :x::int, :y::int), 4096, 64, true) AS geom,
           t.id AS fid,
           t.id:columns
    FROM layers.:"layer" t
    WHERE t.geom_3857 && ST_TileEnvelope(:z::int, :x::int, :y::int, margin => 64.0 / 4096)
) q;
