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
--   $2 integer  only parcels supplied in this year (NULL: every parcel)
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
      AND ($2::integer IS NULL OR extract(year FROM p.supply_date) = $2::integer)
),
-- Each pair of a construction parcel and a farmland patch that meet: the
-- join uses the GiST index of farmland (ST_Intersects implies &&), after
-- the cheap class test, and PostgreSQL may split the parcels among parallel
-- workers. Only the areal part of an intersection is kept, so parcels that
-- merely share an edge with a patch do not count.
pairs AS (
    SELECT c.id, f.id AS patch, ST_CollectionExtract(ST_Intersection(c.geom, f.geom), 3) AS g
    FROM construction c
    JOIN farmland f ON ST_Intersects(c.geom, f.geom)
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
-- holds its point on surface, looked up for each feature through the GiST
-- index of boundaries, and only when grouped by street (the CASE skips the
-- lookup otherwise). A lookup per feature (about 10 µs against boundaries
-- of ~900 vertices) is deliberately preferred to joining an intermediate
-- result back to the features: that join's plan hangs on row estimates,
-- and a nested loop over a million rows never ends.
keyed AS (
    SELECT CASE WHEN 'street' = ANY($1::text[]) THEN coalesce((
               SELECT b.name FROM boundaries b
               WHERE ST_Contains(b.geom, ST_PointOnSurface(c.geom))
               ORDER BY b.area_m2 LIMIT 1), '未划分') END AS street,
           CASE WHEN 'class' = ANY($1::text[]) THEN left(c.landuse_code, 2) END AS class_code,
           CASE WHEN 'code' = ANY($1::text[]) THEN c.landuse_code END AS landuse_code,
           c.landuse_name, o.area_m2, o.patches
    FROM occupied o
    JOIN parcels c ON c.id = o.id
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
