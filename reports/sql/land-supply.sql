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
    SELECT area_m2, supply_method, supply_date, price_wan,
           CASE WHEN 'street' = ANY($1::text[]) THEN ST_PointOnSurface(geom) END AS pos
    FROM parcels
    WHERE coalesce(supply_method, '') <> ''
      AND ($2::integer IS NULL OR extract(year FROM supply_date) = $2::integer)
    OFFSET 0 -- keeps the point on surface computed once per parcel
),
-- The sub-district of a feature is the smallest boundaries polygon that
-- holds its point on surface, computed only when grouped by street (the
-- CASEs skip it otherwise): the name of the point's 0.01° cell in
-- boundary_cells (see boundary-cells.sql), a hash join, or where a
-- boundary's edge crosses that cell, a lookup through the GiST index of
-- boundaries. Features are never joined back to an intermediate result:
-- that join's plan hangs on row estimates.
keyed AS (
    SELECT CASE WHEN 'method' = ANY($1::text[]) THEN p.supply_method END AS method,
           CASE WHEN 'year' = ANY($1::text[]) THEN extract(year FROM p.supply_date)::integer END AS year,
           CASE WHEN 'street' = ANY($1::text[]) THEN coalesce(cell.name, (
               SELECT b.name FROM boundaries b
               WHERE ST_Contains(b.geom, p.pos)
               ORDER BY b.area_m2 LIMIT 1), '未划分') END AS street,
           p.area_m2, p.price_wan
    FROM supplied p
    LEFT JOIN boundary_cells cell -- the point's cell
           ON cell.cell = floor(ST_X(p.pos) * 100)::bigint * 100000 + floor(ST_Y(p.pos) * 100)::bigint
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
