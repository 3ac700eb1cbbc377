-- @report name=farmland-occupation title=建设占用永久基本农田 title_en="Farmland occupied by construction"
-- @description "Area where construction parcels (land-use classes 05–10) overlap permanent basic farmland, overlapping patches counted once; parcels and patches touched."
-- @period "parcels supplied in the period (parcels.supply_date)"
-- @street "sub-district of the construction parcel (the smallest boundaries polygon holding its point on surface, else 未划分)"
-- @layer kind=parcels name=parcels
-- @layer kind=farmland name=farmland
-- @layer kind=boundaries name=boundaries
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 street
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @group key=class title=地类(一级类) title_en="Land-use class"
-- @column key=class_code group=class type=text title=一级类编码 title_en="Class code"
-- @column key=class_name group=class type=text title=一级类名称 title_en="Class name"
-- @group key=code title=地类编码 title_en="Land-use code"
-- @column key=landuse_code group=code type=text title=地类编码 title_en="Land-use code"
-- @column key=landuse_name group=code type=text title=地类名称 title_en="Land-use name"
-- @default_group street,class
-- @column key=parcels type=integer title=占用地块数 title_en=Parcels unit=宗
-- @column key=patches type=integer title=涉及图斑数 title_en="Farmland patches" unit=块
-- @column key=area_m2 type=number title=面积 title_en=Area unit=m² decimals=2
-- @column key=area_ha type=number title=面积 title_en=Area unit=公顷 decimals=4
-- @column key=area_mu type=number title=面积 title_en=Area unit=亩 decimals=2
--
-- 建设占用永久基本农田 farmland occupied by construction: the area where
-- construction parcels (GB/T 21010-2017 first-level classes 05–10) overlap
-- permanent basic farmland patches, the number of such parcels and of the
-- patches they touch, grouped by any of sub-district, land-use class and
-- land-use code.
--
-- Overlapping farmland patches count once: the occupied part of a parcel is
-- the union of its intersections with every patch, never their sum. Parcels
-- are taken not to overlap one another (a cadastral layer), so areas add up
-- over parcels. A patch touched by parcels of two groups counts in each, and
-- once in the total.
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {street, class, code}
--   $2 date     only parcels supplied from $2 to $3 (NULL: every parcel)
--   $3 date     the period's last day
--   $4 text[]   only parcels of these sub-districts, boundaries names or
--               未划分 (NULL: every parcel)
-- Layers: parcels, farmland, boundaries.
WITH classes (class_code, class_name) AS (VALUES
    ('05', '商业服务业用地'), ('06', '工矿仓储用地'), ('07', '住宅用地'),
    ('08', '公共管理与公共服务用地'), ('09', '特殊用地'), ('10', '交通运输用地')
),
construction AS (
    SELECT p.id, p.geom, p.landuse_code, p.landuse_name
    FROM parcels p
    -- A plain list (not a subquery) so that this cheap test runs before
    -- the spatial one.
    WHERE left(p.landuse_code, 2) IN ('05', '06', '07', '08', '09', '10')
      AND ($2::date IS NULL OR p.supply_date BETWEEN $2::date AND $3::date)
      -- Filtered by street, a parcel can only lie in the chosen
      -- sub-districts if it meets their extent (its point on surface lies
      -- in both): a test of bounding boxes that spares the others their
      -- intersections. 未划分 parcels may lie anywhere.
      AND ($4::text[] IS NULL OR '未划分' = ANY($4::text[]) OR p.geom && (
               SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY($4::text[])))
),
-- Each pair of a construction parcel and a farmland patch that meet, with
-- the areal part of their intersection (parcels that merely share an edge
-- with a patch have none). Each patch looks up the parcels under it through
-- the GiST index of parcels and keeps the construction ones: 120 000
-- patches probing the parcels' index take less than half the time of half
-- a million construction parcels probing the farmland index. The LATERAL …
-- OFFSET 0 holds PostgreSQL to that order and computes each intersection
-- once.
pairs AS (
    SELECT c.id, f.id AS patch, c.g
    FROM farmland f
    CROSS JOIN LATERAL (
        SELECT c.id, ST_CollectionExtract(ST_Intersection(c.geom, f.geom), 3) AS g
        FROM construction c
        WHERE ST_Intersects(c.geom, f.geom)
        OFFSET 0) c
),
occupied AS (
    SELECT id, ST_Area(ST_Union(g)::geography) AS area_m2, array_agg(patch) AS patches -- each (parcel, patch) pair comes once
    FROM pairs
    -- Slivers under 0.01 m² (the precision areas are reported to) are edges
    -- drawn along the parcel's boundary that differ by rounding noise:
    -- contact, not occupation.
    WHERE NOT ST_IsEmpty(g) AND ST_Area(g::geography) >= 0.01
    GROUP BY id
),
-- The sub-district of a feature is the smallest boundaries polygon that
-- holds its point on surface, computed only when grouped or filtered by
-- street (the CASEs skip it otherwise): the name of the point's 0.01° cell
-- in boundary_cells (see boundary-cells.sql), a hash join, or where a
-- boundary's edge crosses that cell, a lookup through the GiST index of
-- boundaries. Features are never joined back to an intermediate result:
-- that join's plan hangs on row estimates. The street filter keeps the
-- parcels whose sub-district is chosen, before any figure is summed.
keyed AS (
    SELECT CASE WHEN 'street' = ANY($1::text[]) THEN j.sub END AS street,
           CASE WHEN 'class' = ANY($1::text[]) THEN left(j.landuse_code, 2) END AS class_code,
           CASE WHEN 'code' = ANY($1::text[]) THEN j.landuse_code END AS landuse_code,
           j.landuse_name, j.area_m2, j.patches
    FROM (SELECT c.landuse_code, c.landuse_name, o.area_m2, o.patches,
                 CASE WHEN 'street' = ANY($1::text[]) OR $4::text[] IS NOT NULL THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, c.pos)
                     ORDER BY b.area_m2 LIMIT 1), '未划分') END AS sub
          FROM occupied o
          JOIN (SELECT id, landuse_code, landuse_name,
                       CASE WHEN 'street' = ANY($1::text[]) OR $4::text[] IS NOT NULL THEN ST_PointOnSurface(geom) END AS pos
                FROM parcels) c ON c.id = o.id
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(c.pos) * 100)::bigint * 100000 + floor(ST_Y(c.pos) * 100)::bigint
          OFFSET 0) j -- keeps the sub-district computed once per parcel
    WHERE $4::text[] IS NULL OR j.sub = ANY($4::text[])
)
SELECT k.street, k.class_code,
       (SELECT class_name FROM classes WHERE classes.class_code = k.class_code) AS class_name,
       k.landuse_code, CASE WHEN k.landuse_code IS NOT NULL THEN max(k.landuse_name) END AS landuse_name,
       GROUPING(k.street, k.class_code, k.landuse_code) <> 0 AS is_total,
       count(*) FILTER (WHERE u.n = 1) AS parcels,
       count(DISTINCT u.patch) AS patches,
       round(coalesce(sum(k.area_m2) FILTER (WHERE u.n = 1), 0)::numeric, 2)::float8 AS area_m2,
       round((coalesce(sum(k.area_m2) FILTER (WHERE u.n = 1), 0) / 10000)::numeric, 4)::float8 AS area_ha,
       round((coalesce(sum(k.area_m2) FILTER (WHERE u.n = 1), 0) * 15 / 10000)::numeric, 2)::float8 AS area_mu
-- One row per (parcel, patch) so that patches are counted distinct; the
-- parcel's own figures are taken from its first row (n = 1) only.
FROM keyed k
CROSS JOIN LATERAL unnest(k.patches) WITH ORDINALITY AS u (patch, n)
GROUP BY GROUPING SETS ((k.street, k.class_code, k.landuse_code), ())
ORDER BY is_total, k.street = '未划分', k.street, k.class_code, k.landuse_code;
