-- Generalised low-zoom geometry of a large polygon layer, built after every
-- import (see generalise.go). The statements run in order, each starting
-- with a "-- name:" line; tudi runs "band" (or, from zoom 12, "dissolve")
-- once per zoom band 6–12, then "index" and "analyze". In psql, one band
-- into a new table, in one transaction (-1: the points table lives until
-- commit); for a band of 12 or more, -v dissolve=on and the dissolve
-- variables instead (for a kind without a class field: -v cls=NULL::text):
--
--   psql -X -1 -v layer=parcels -v new=parcels__gen_new -v cls='t."landuse_code"' -v dissolve=off -v band=8 -v cell=955.4628535647032 -v block=156543.03392804097 -v tolerance=38.21851414258813 -v min_area=5842.619293068835 -f tiles/generalise.sql
--   psql -X -1 -v layer=parcels -v new=parcels__gen_new -v cls='t."landuse_code"' -v dissolve=on -v band=12 -v dissolve_block=1222.99245256282 -v dissolve_tolerance=0.5971642834779395 -v dissolve_min_area=5.705682903387534 -f tiles/generalise.sql
--
-- Variables: :"layer" the layer table (in schema layers), :"new" the table
-- built (in schema tiles; tudi builds tiles."<layer>__gen_new" and renames
-- it), :cls the class column (or NULL::text when the kind has none); the
-- band's values in EPSG:3857 metres, where one unit of the band's 4096 tile
-- grid is u = 2 × 20037508.342789244 / 2^band / 4096: cell 25 u, block one
-- tile (4096 u), tolerance u, min_area 4 u²; dissolve_block 512 u,
-- dissolve_tolerance u / 4, dissolve_min_area u². tudi puts the quoted
-- table names and the class column, binds the values in the order of each
-- statement's header ($1, $2, …; see sqlvars.go), and skips the lines
-- starting with a backslash (psql's \if, which picks the statement of the
-- band).
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
CREATE TABLE tiles.:"new" (
    band smallint NOT NULL,
    cls  text,
    geom geometry(Geometry, 3857) NOT NULL
);

-- name: points
-- One point per feature with its area (in EPSG:3857 units, like the cells);
-- computed once and shared by all bands.
CREATE TEMP TABLE tudi_gen_points ON COMMIT DROP AS
SELECT :cls AS cls, ST_Area(t.geom_3857) AS a, ST_X(p) AS x, ST_Y(p) AS y
FROM layers.:"layer" t, LATERAL ST_PointOnSurface(t.geom_3857) p
WHERE t.geom_3857 IS NOT NULL AND NOT ST_IsEmpty(t.geom_3857);

\if :dissolve
-- name: dissolve
-- Zoom 12 (dissolveMinBand and up), where a dense district's parcel (~90 m)
-- is larger than a majority-grid cell (60 m) and one point per feature would
-- leave most cells empty: same-class features are unioned within blocks of
-- 512 units of the zoom's 4096 tile grid (an eighth of a tile, aligned with
-- it; a feature goes to the block of its lower-left corner), simplified to a
-- quarter unit (Douglas-Peucker at a whole unit shaves ~5 % off convex
-- parcels) and parts under one square unit dropped. Class areas stay within
-- a fraction of a percent; ST_AsMVTGeom then snaps to the unit grid.
-- :band, :dissolve_block block size, :dissolve_tolerance simplification
-- tolerance, :dissolve_min_area smallest part kept.
INSERT INTO tiles.:"new" (band, cls, geom)
SELECT :band::smallint, u.cls, d.geom
FROM (
    SELECT :cls AS cls,
           ST_Simplify(ST_Union(t.geom_3857 ORDER BY t.id), :dissolve_tolerance::float8) AS g
    FROM layers.:"layer" t
    WHERE t.geom_3857 IS NOT NULL AND NOT ST_IsEmpty(t.geom_3857)
    GROUP BY 1,
             floor((ST_XMin(t.geom_3857) + 20037508.342789244) / :dissolve_block::float8),
             floor((ST_YMin(t.geom_3857) + 20037508.342789244) / :dissolve_block::float8)
) u, LATERAL ST_Dump(u.g) d
WHERE u.g IS NOT NULL AND ST_Area(d.geom) >= :dissolve_min_area::float8;
\else
-- name: band
-- :band (zoom), :cell cell size, :block block size (one tile of the band's
-- zoom), :tolerance simplification tolerance, :min_area smallest part kept.
-- 20037508.342789244 moves the origin to the tile grid's corner, so blocks
-- are tiles and a block's union is never cut by more than the tile buffer.
INSERT INTO tiles.:"new" (band, cls, geom)
WITH cells AS (
    SELECT floor(x / :cell::float8)::bigint AS cx, floor(y / :cell::float8)::bigint AS cy, cls, sum(a) AS a
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
    WHERE rn <= round((SELECT sum(a) FROM tudi_gen_points) / (:cell::float8 * :cell::float8))
)
SELECT :band::smallint, u.cls, d.geom
FROM (
    SELECT cls,
           ST_Simplify(ST_Union(ST_MakeEnvelope(cx * :cell::float8, cy * :cell::float8,
                                                (cx + 1) * :cell::float8, (cy + 1) * :cell::float8, 3857)
                                ORDER BY cx, cy),
                       :tolerance::float8) AS g
    FROM kept
    GROUP BY cls,
             floor((cx * :cell::float8 + 20037508.342789244) / :block::float8),
             floor((cy * :cell::float8 + 20037508.342789244) / :block::float8)
) u, LATERAL ST_Dump(u.g) d
WHERE u.g IS NOT NULL AND ST_Area(d.geom) >= :min_area::float8;
\endif

-- name: index
CREATE INDEX ON tiles.:"new" USING gist (geom);

-- name: analyze
ANALYZE tiles.:"new";
