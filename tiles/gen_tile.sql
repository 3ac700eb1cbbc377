-- One MVT layer of one low-zoom tile of a large layer, from its generalised
-- geometry (tiles."<layer>__gen", see generalise.sql). In psql, for a kind
-- with a class field (for one without: -v class= -v order=q.geom):
--
--   psql -X -At -v layer=parcels -v gen=parcels__gen -v class=', g.cls AS "landuse_code"' -v order='q.geom, q."landuse_code"' -v band=9 -v z=9 -v x=417 -v y=222 -f tiles/gen_tile.sql
--
-- Variables: :"gen" the generalised table (in schema tiles), :'layer' the
-- MVT layer name, :z :x :y the tile, :band the zoom band, :class
-- ", g.cls AS <class field>" or nothing, :order the feature order. tudi
-- puts the quoted table name and the fragments built from the kind's class
-- field, and binds z, x, y, the layer name and the band as $1 to $5 (see
-- sqlvars.go). Generalised features are per class, not per feature: they
-- carry the class attribute only, and no id. They are ordered by geometry
-- (PostGIS's total order on geometries), then class, so a tile's bytes
-- depend only on the data.
SELECT ST_AsMVT(q, :'layer', 4096, 'geom' ORDER BY :order)
FROM (
    SELECT ST_AsMVTGeom(g.geom, ST_TileEnvelope(:z::int, :x::int, :y::int), 4096, 64, true) AS geom:class
    FROM tiles.:"gen" g
    WHERE g.band = :band
      AND g.geom && ST_TileEnvelope(:z::int, :x::int, :y::int, margin => 64.0 / 4096)
) q;
