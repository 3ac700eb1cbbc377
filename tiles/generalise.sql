-- Generalised low-zoom geometry of a large polygon layer, built after every
-- import (see generalise.go). The statements run in order; each starts with
-- a "-- name:" line. {{layer}} is the quoted layer table, {{new}} the quoted
-- table being built (tiles."<layer>__gen_new"), {{class}} the quoted class
-- column (or NULL::text when the kind has none).
--
-- Why a majority ("mode") grid rather than simplifying features: at z8 a
-- parcel covers ~2 px², so per-feature simplification plus dropping small
-- features erases most of the area, and dissolving fragmented classes is too
-- slow below z11. Instead each grid cell of a band (25 units of that zoom's
-- 4096 tile grid: 955 m at z8, 120 m at z11) takes the class that covers
-- most of it, counting each feature's area at its point on surface; only the
-- best-covered cells are kept, as many as the features' total area fills, so
-- the total area stays that of the data however scattered it is. Same-class cells are unioned within blocks aligned with the
-- zoom's tile grid, simplified to one grid unit, and parts under 4 square
-- units dropped. A tile then holds at most ~26 000 cells' worth of shapes
-- (measured: ≤ 310 KB over a million parcels), areas stay within a few
-- percent, and small classes disappear at low zooms, which the TileJSON and
-- style say.

-- name: create
CREATE TABLE {{new}} (
    band smallint NOT NULL,
    cls  text,
    geom geometry(Geometry, 3857) NOT NULL
)

-- name: points
-- One point per feature with its area (in EPSG:3857 units, like the cells);
-- computed once and shared by all bands.
CREATE TEMP TABLE tudi_gen_points ON COMMIT DROP AS
SELECT {{class}} AS cls, ST_Area(t.geom_3857) AS a, ST_X(p) AS x, ST_Y(p) AS y
FROM {{layer}} t, LATERAL ST_PointOnSurface(t.geom_3857) p
WHERE t.geom_3857 IS NOT NULL AND NOT ST_IsEmpty(t.geom_3857)

-- name: band
-- $1 band (zoom), $2 cell size, $3 block size (one tile of the band's zoom),
-- $4 simplification tolerance, $5 smallest part kept (all in 3857 metres).
-- 20037508.342789244 moves the origin to the tile grid's corner, so blocks
-- are tiles and a block's union is never cut by more than the tile buffer.
INSERT INTO {{new}} (band, cls, geom)
WITH cells AS (
    SELECT floor(x / $2::float8)::bigint AS cx, floor(y / $2::float8)::bigint AS cy, cls, sum(a) AS a
    FROM tudi_gen_points
    GROUP BY 1, 2, 3
), best AS (
    -- each cell's majority class and how much of the cell the features cover
    SELECT DISTINCT ON (cx, cy) cx, cy, cls, sum(a) OVER (PARTITION BY cx, cy) AS covered
    FROM cells
    ORDER BY cx, cy, a DESC, cls
), kept AS (
    -- the best-covered cells, as many as the features' total area fills
    SELECT cx, cy, cls
    FROM (SELECT cx, cy, cls, row_number() OVER (ORDER BY covered DESC, cx, cy) AS rn FROM best) r
    WHERE rn <= round((SELECT sum(a) FROM tudi_gen_points) / ($2::float8 * $2::float8))
)
SELECT $1::smallint, u.cls, d.geom
FROM (
    SELECT cls,
           ST_Simplify(ST_Union(ST_MakeEnvelope(cx * $2::float8, cy * $2::float8,
                                                (cx + 1) * $2::float8, (cy + 1) * $2::float8, 3857)
                                ORDER BY cx, cy),
                       $4::float8) AS g
    FROM kept
    GROUP BY cls,
             floor((cx * $2::float8 + 20037508.342789244) / $3::float8),
             floor((cy * $2::float8 + 20037508.342789244) / $3::float8)
) u, LATERAL ST_Dump(u.g) d
WHERE u.g IS NOT NULL AND ST_Area(d.geom) >= $5::float8

-- name: dissolve
-- Zoom 12 (dissolveMinBand and up), where a dense district's parcel (~90 m)
-- is larger than a majority-grid cell (60 m) and one point per feature would
-- leave most cells empty: same-class features are unioned within blocks of
-- 512 units of the zoom's 4096 tile grid (an eighth of a tile, aligned with
-- it; a feature goes to the block of its lower-left corner), simplified to a
-- quarter unit (Douglas-Peucker at a whole unit shaves ~5 % off convex
-- parcels) and parts under one square unit dropped. Class areas stay within
-- a fraction of a percent; ST_AsMVTGeom then snaps to the unit grid.
-- $1 band, $2 block size, $3 simplification tolerance, $4 smallest part
-- kept (3857 metres).
INSERT INTO {{new}} (band, cls, geom)
SELECT $1::smallint, u.cls, d.geom
FROM (
    SELECT {{class}} AS cls,
           ST_Simplify(ST_Union(t.geom_3857 ORDER BY t.id), $3::float8) AS g
    FROM {{layer}} t
    WHERE t.geom_3857 IS NOT NULL AND NOT ST_IsEmpty(t.geom_3857)
    GROUP BY 1,
             floor((ST_XMin(t.geom_3857) + 20037508.342789244) / $2::float8),
             floor((ST_YMin(t.geom_3857) + 20037508.342789244) / $2::float8)
) u, LATERAL ST_Dump(u.g) d
WHERE u.g IS NOT NULL AND ST_Area(d.geom) >= $4::float8

-- name: index
CREATE INDEX ON {{new}} USING gist (geom)

-- name: analyze
ANALYZE {{new}}
