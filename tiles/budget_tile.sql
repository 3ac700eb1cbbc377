-- One MVT layer of one tile whose per-feature rendering (tile.sql) came out
-- over the tile byte budget: the same majority ("mode") grid as the
-- generalised low zooms (see generalise.sql), over the features of this tile
-- only. Each grid cell (25 units of the tile's 4096 grid) takes the class
-- covering most of it, counting each feature's area at its point on surface;
-- the best-covered cells are kept, as many as the features' area fills, so
-- each class keeps its area within a few percent; same-class cells are
-- unioned, simplified to one grid unit, and parts under 4 square units
-- dropped. Features carry the class only (no id).
-- $1 zoom, $2 x, $3 y, $4 the MVT layer name, $5 cell size, $6 one grid
-- unit (all in EPSG:3857 metres). {{table}} is the quoted layer table,
-- {{cls}} the quoted class column or NULL::text, {{class}} ", u.cls AS
-- <class field>" or nothing, {{order}} the feature order.
WITH pts AS (
    SELECT {{cls}} AS cls, ST_Area(t.geom_3857) AS a, ST_X(p) AS x, ST_Y(p) AS y
    FROM {{table}} t, LATERAL ST_PointOnSurface(t.geom_3857) p
    WHERE t.geom_3857 && ST_TileEnvelope($1::int, $2::int, $3::int, margin => 64.0 / 4096)
      AND NOT ST_IsEmpty(t.geom_3857)
), cells AS (
    SELECT floor(x / $5::float8)::bigint AS cx, floor(y / $5::float8)::bigint AS cy, cls, sum(a) AS a
    FROM pts
    GROUP BY 1, 2, 3
), best AS (
    SELECT DISTINCT ON (cx, cy) cx, cy, cls, sum(a) OVER (PARTITION BY cx, cy) AS covered
    FROM cells
    ORDER BY cx, cy, a DESC, cls
), kept AS (
    SELECT cx, cy, cls
    FROM (SELECT cx, cy, cls, row_number() OVER (ORDER BY covered DESC, cx, cy) AS rn FROM best) r
    WHERE rn <= round((SELECT sum(a) FROM pts) / ($5::float8 * $5::float8))
), u AS (
    SELECT cls,
           ST_Simplify(ST_Union(ST_MakeEnvelope(cx * $5::float8, cy * $5::float8,
                                                (cx + 1) * $5::float8, (cy + 1) * $5::float8, 3857)
                                ORDER BY cx, cy),
                       $6::float8) AS g
    FROM kept
    GROUP BY cls
)
SELECT ST_AsMVT(q, $4, 4096, 'geom' ORDER BY {{order}})
FROM (
    SELECT ST_AsMVTGeom(d.geom, ST_TileEnvelope($1::int, $2::int, $3::int), 4096, 64, true) AS geom{{class}}
    FROM u, LATERAL ST_Dump(u.g) d
    WHERE u.g IS NOT NULL AND ST_Area(d.geom) >= 4 * $6::float8 * $6::float8
) q
