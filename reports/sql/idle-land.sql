-- 闲置土地处置 idle land and approved-but-unsupplied land (批而未供): count,
-- area, disposed area and disposal rate, digested area and digestion rate,
-- grouped by any of kind, cause, disposal method, sub-district and
-- identified year.
--
-- disposal rate  = area with disposal_status 已处置 ÷ area, in percent
-- digestion rate = area with digested = true ÷ area, in percent
-- Areas are those of whole features (area_m2, on the ellipsoid).
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {kind, cause, method, street, year}
--   $2 integer  only land identified in this year (NULL: every year)
--   $3 text[]   only land of these sub-districts, boundaries names or 未划分
--               (NULL: all land)
-- Layers: idle_land, boundaries.
WITH idle AS (
    SELECT i.*, CASE WHEN 'street' = ANY($1::text[]) OR $3::text[] IS NOT NULL THEN ST_PointOnSurface(i.geom) END AS pos
    FROM idle_land i
    WHERE ($2::integer IS NULL OR extract(year FROM i.identified_date) = $2::integer)
      -- Filtered by street, an item can only lie in the chosen
      -- sub-districts if it meets their extent (its point on surface lies
      -- in both): a test of bounding boxes that spares the others the
      -- point on surface. 未划分 items may lie anywhere.
      AND ($3::text[] IS NULL OR '未划分' = ANY($3::text[]) OR i.geom && (
               SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY($3::text[])))
    OFFSET 0 -- keeps the point on surface computed once per feature
),
-- The sub-district of a feature is the smallest boundaries polygon that
-- holds its point on surface, computed only when grouped or filtered by
-- street (the CASEs skip it otherwise): the name of the point's 0.01° cell
-- in boundary_cells (see boundary-cells.sql), a hash join, or where a
-- boundary's edge crosses that cell, a lookup through the GiST index of
-- boundaries. Features are never joined back to an intermediate result:
-- that join's plan hangs on row estimates. The street filter keeps the
-- features whose sub-district is chosen, before any figure is summed.
keyed AS (
    SELECT CASE WHEN 'kind' = ANY($1::text[]) THEN coalesce(nullif(i.kind, ''), '未填') END AS kind,
           CASE WHEN 'cause' = ANY($1::text[]) THEN coalesce(nullif(i.cause, ''), '未填') END AS cause,
           CASE WHEN 'method' = ANY($1::text[]) THEN coalesce(nullif(i.disposal_method, ''), '未填') END AS method,
           CASE WHEN 'street' = ANY($1::text[]) THEN i.sub END AS street,
           CASE WHEN 'year' = ANY($1::text[]) THEN extract(year FROM i.identified_date)::integer END AS year,
           i.area_m2,
           i.disposal_status = '已处置' AS disposed,
           coalesce(i.digested, false) AS digested
    FROM (SELECT d.*,
                 CASE WHEN 'street' = ANY($1::text[]) OR $3::text[] IS NOT NULL THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, d.pos)
                     ORDER BY b.area_m2 LIMIT 1), '未划分') END AS sub
          FROM idle d
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(d.pos) * 100)::bigint * 100000 + floor(ST_Y(d.pos) * 100)::bigint
          OFFSET 0) i -- keeps the sub-district computed once per feature
    WHERE $3::text[] IS NULL OR i.sub = ANY($3::text[])
),
sums AS (
    SELECT kind, cause, method, street, year,
           GROUPING(kind, cause, method, street, year) <> 0 AS is_total,
           count(*) AS items,
           coalesce(sum(area_m2), 0) AS area,
           coalesce(sum(area_m2) FILTER (WHERE disposed), 0) AS disposed,
           coalesce(sum(area_m2) FILTER (WHERE digested), 0) AS digested
    FROM keyed
    GROUP BY GROUPING SETS ((kind, cause, method, street, year), ())
)
SELECT kind, cause, method, street, year, is_total, items,
       round(area::numeric, 2)::float8 AS area_m2,
       round((area / 10000)::numeric, 4)::float8 AS area_ha,
       round((area * 15 / 10000)::numeric, 2)::float8 AS area_mu,
       round((disposed * 15 / 10000)::numeric, 2)::float8 AS disposed_mu,
       round((100 * disposed / nullif(area, 0))::numeric, 2)::float8 AS disposal_rate,
       round((digested * 15 / 10000)::numeric, 2)::float8 AS digested_mu,
       round((100 * digested / nullif(area, 0))::numeric, 2)::float8 AS digestion_rate
FROM sums
ORDER BY is_total, array_position(ARRAY['闲置', '批而未供'], kind), kind, cause, method, street = '未划分', street, year;
