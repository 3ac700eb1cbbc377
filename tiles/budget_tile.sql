-- One MVT layer of one tile whose per-feature rendering (tile.sql) came out
-- over the tile byte budget: the same majority ("mode") grid as the
-- generalised low zooms (see generalise.sql), over the features of this tile
-- only. Each grid cell (25 units of the tile's 4096 grid) takes the class
-- covering most of it, counting each feature's area at its point on surface;
-- the best-covered cells are kept, as many as the features' area fills, so
-- each class keeps its area within a few percent; same-class cells are
-- unioned, simplified to one grid unit, and parts under 4 square units
-- dropped. Features carry the class only (no id). In psql (for a kind
-- without a class field: -v cls=NULL::text -v class= -v order=q.geom):
--
--   psql -X -At -v layer=parcels -v cls='t."landuse_code"' -v class=', u.cls AS "landuse_code"' -v order='q.geom, q."landuse_code"' -v z=13 -v x=6674 -v y=3555 -v unit=1.194328566955879 -v cell=29.858214173896975 -f tiles/budget_tile.sql
--
-- Variables: :"layer" the layer table (in schema layers), :'layer' the MVT
-- layer name, :z :x :y the tile, :unit one unit of the tile's 4096 grid and
-- :cell 25 units (EPSG:3857 metres: 2 × 20037508.342789244 / 2^z / 4096),
-- :cls the class column or NULL::text, :class ", u.cls AS <class field>"
-- or nothing, :order the feature order. tudi puts the quoted table name and
-- the fragments built from the kind's class field, and binds z, x, y, the
-- layer name, cell and unit as $1 to $6 (see sqlvars.go).
WITH pts AS (
    SELECT :cls AS cls, ST_Area(t.geom_3857) AS a, ST_X(p) AS x, ST_Y(p) AS y
    FROM layers.:"layer" t, LATERAL ST_PointOnSurface(t.geom_3857) p
    WHERE t.geom_3857 && ST_TileEnvelope(:z::int, :x::int, :y::int, margin => 64.0 / 4096)
      AND NOT ST_IsEmpty(t.geom_3857)
), cells AS (
    SELECT floor(x / :cell::float8)::bigint AS cx, floor(y / :cell::float8)::bigint AS cy, cls, sum(a) AS a
    FROM pts
    GROUP BY 1, 2, 3
), best AS (
    SELECT DISTINCT ON (cx, cy) cx, cy, cls, sum(a) OVER (PARTITION BY cx, cy) AS covered
    FROM cells
    ORDER BY cx, cy, a DESC, cls
), kept AS (
    SELECT cx, cy, cls
    FROM (SELECT cx, cy, cls, row_number() OVER (ORDER BY covered DESC, cx, cy) AS rn FROM best) r
    WHERE rn <= round((SELECT sum(a) FROM pts) / (:cell::float8 * :cell::float8))
), u AS (
    SELECT cls,
           ST_Simplify(ST_Union(ST_MakeEnvelope(cx * :cell::float8, cy * :cell::float8,
                                                (cx + 1) * :cell::float8, (cy + 1) * :cell::float8, 3857)
                                ORDER BY cx, cy),
                       :unit::float8) AS g
    FROM kept
    GROUP BY cls
)
SELECT ST_AsMVT(q, :'layer', 4096, 'geom' ORDER BY :order)
FROM (
    SELECT ST_AsMVTGeom(d.geom, ST_TileEnvelope(:z::int, :x::int, :y::int), 4096, 64, true) AS geom:class
    FROM u, LATERAL ST_Dump(u.g) d
    WHERE u.g IS NOT NULL AND ST_Area(d.geom) >= 4 * :unit::float8 * :unit::float8
) q;
