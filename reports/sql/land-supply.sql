-- 土地供应 land supply: parcels that have a supply method (招拍挂/协议/划拨),
-- counted (宗), measured (m², 公顷, 亩) and priced (万元, 亿元), grouped by
-- any of supply method, supply year and sub-district.
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {method, year, street}
--   $2 integer  only parcels supplied in this year (NULL: every year)
-- Layers: parcels, boundaries (read as plain names: in psql run
--   SET search_path = layers, public; or let tudi map them to other layers).
-- Rows: one per group, then one total row (is_total) over all of them.
WITH supplied AS (
    SELECT id, geom, area_m2, supply_method, supply_date, price_wan
    FROM parcels
    WHERE coalesce(supply_method, '') <> ''
      AND ($2::integer IS NULL OR extract(year FROM supply_date) = $2::integer)
),
-- The sub-district of a parcel is the smallest boundaries polygon that holds
-- its point on surface. The boundaries drive the loop, so that each (large)
-- boundary polygon is read once and PostGIS keeps its prepared form, while
-- parcels are found through their GiST index. Skipped unless grouped by street.
street_of AS MATERIALIZED (
    SELECT DISTINCT ON (p.id) p.id, b.name
    FROM boundaries b
    JOIN parcels p ON p.geom && b.geom AND ST_Contains(b.geom, ST_PointOnSurface(p.geom))
    WHERE 'street' = ANY($1::text[])
      AND coalesce(p.supply_method, '') <> ''
      AND ($2::integer IS NULL OR extract(year FROM p.supply_date) = $2::integer)
    ORDER BY p.id, b.area_m2
),
keyed AS (
    SELECT CASE WHEN 'method' = ANY($1::text[]) THEN p.supply_method END AS method,
           CASE WHEN 'year' = ANY($1::text[]) THEN extract(year FROM p.supply_date)::integer END AS year,
           CASE WHEN 'street' = ANY($1::text[]) THEN coalesce(s.name, '未划分') END AS street,
           p.area_m2, p.price_wan
    FROM supplied p
    LEFT JOIN street_of s ON s.id = p.id
)
SELECT method, year, street,
       GROUPING(method, year, street) <> 0 AS is_total,
       count(*) AS parcels,
       round(coalesce(sum(area_m2), 0)::numeric, 2)::float8 AS area_m2,
       round((coalesce(sum(area_m2), 0) / 10000)::numeric, 4)::float8 AS area_ha,
       round((coalesce(sum(area_m2), 0) * 15 / 10000)::numeric, 2)::float8 AS area_mu,
       round(coalesce(sum(price_wan), 0)::numeric, 2)::float8 AS price_wan,
       round((coalesce(sum(price_wan), 0) / 10000)::numeric, 4)::float8 AS price_yi
FROM keyed
GROUP BY GROUPING SETS ((method, year, street), ())
ORDER BY is_total, year, street = '未划分', street,
         array_position(ARRAY['招拍挂', '协议', '划拨'], method), method;
