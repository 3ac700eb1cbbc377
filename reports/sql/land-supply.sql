-- @report name=land-supply title=土地供应情况 title_en="Land supply"
-- @description "Parcels with a supply method (招拍挂/协议/划拨): count, area and price, by supply method, supply year and sub-district."
-- @period "supplied in the period (parcels.supply_date); without one, supplied on or before the as-of date"
-- @street "sub-district of the parcel (the smallest boundaries polygon holding its point on surface, else 未划分)"
-- @layer kind=parcels name=parcels
-- @layer kind=boundaries name=boundaries
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 as_of
-- @param $5 current
-- @param $6 street
-- @group key=year title=供应年度 title_en="Supply year"
-- @column key=year group=year type=integer title=供应年度 title_en="Supply year"
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @group key=method title=供应方式 title_en="Supply method"
-- @column key=method group=method type=text title=供应方式 title_en="Supply method"
-- @default_group year,method
-- @column key=parcels type=integer title=宗数 title_en=Parcels unit=宗 target
-- @column key=area_m2 type=number title=面积 title_en=Area unit=m² decimals=2
-- @column key=area_ha type=number title=面积 title_en=Area unit=公顷 decimals=4 target
-- @column key=area_mu type=number title=面积 title_en=Area unit=亩 decimals=2 target
-- @column key=price_wan type=number title=成交价 title_en=Price unit=万元 decimals=2 target
-- @column key=price_yi type=number title=成交价 title_en=Price unit=亿元 decimals=4 target
--
-- 土地供应 land supply: parcels that have a supply method (招拍挂/协议/划拨),
-- counted (宗), measured (m², 公顷, 亩) and priced (万元, 亿元), grouped by
-- any of supply method, supply year and sub-district.
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {method, year, street}
--   $2 date     the period's first day: only parcels supplied from $2 to $3
--               (NULL: no period: parcels supplied on or before $4, and
--               those without a supply date when $5)
--   $3 date     the period's last day
--   $4 date     the as-of date
--   $5 boolean  whether $4 is today or later
--   $6 text[]   only parcels of these sub-districts, boundaries names or
--               未划分 (NULL: every parcel)
-- Layers: parcels, boundaries (read as plain names: in psql run
--   SET search_path = layers, public; or let tudi map them to other layers).
-- Rows: one per group, then one total row (is_total) over all of them.
WITH supplied AS (
    SELECT area_m2, supply_method, supply_date, price_wan, street,
           CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL THEN ST_PointOnSurface(geom) END AS pos
    FROM parcels
    WHERE coalesce(supply_method, '') <> ''
      AND CASE WHEN $2::date IS NOT NULL THEN supply_date BETWEEN $2::date AND $3::date
               ELSE supply_date <= $4::date OR (supply_date IS NULL AND $5::boolean) END
      -- Filtered by street, a parcel can only lie in the chosen
      -- sub-districts if it meets their extent (its point on surface lies
      -- in both): a test of bounding boxes that spares the others the
      -- point on surface. 未划分 parcels may lie anywhere.
      AND ($6::text[] IS NULL OR '未划分' = ANY($6::text[]) OR geom IS NULL OR geom && (
               SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY($6::text[])))
    OFFSET 0 -- keeps the point on surface computed once per parcel
),
-- The sub-district of a feature is the smallest boundaries polygon that
-- holds its point on surface, computed only when grouped or filtered by
-- street (the CASEs skip it otherwise): the name of the point's 0.01° cell
-- in boundary_cells (see boundary-cells.sql), a hash join, or where a
-- boundary's edge crosses that cell, a lookup through the GiST index of
-- boundaries. A feature without geometry (a ledger record) is in the
-- boundaries polygon named by its street field. Features are never joined
-- back to an intermediate result: that join's plan hangs on row estimates. The street filter keeps the
-- features whose sub-district is chosen, before any figure is summed.
keyed AS (
    SELECT CASE WHEN 'method' = ANY($1::text[]) THEN p.supply_method END AS method,
           CASE WHEN 'year' = ANY($1::text[]) THEN extract(year FROM p.supply_date)::integer END AS year,
           CASE WHEN 'street' = ANY($1::text[]) THEN p.sub END AS street,
           p.area_m2, p.price_wan
    FROM (SELECT s.*,
                 CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, s.pos)
                     ORDER BY b.area_m2 LIMIT 1), (
                     SELECT b.name FROM boundaries b
                     WHERE (s.pos IS NULL OR ST_IsEmpty(s.pos)) AND b.name = btrim(s.street)
                     LIMIT 1), '未划分') END AS sub
          FROM supplied s
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(s.pos) * 100)::bigint * 100000 + floor(ST_Y(s.pos) * 100)::bigint
          OFFSET 0) p -- keeps the sub-district computed once per parcel
    WHERE $6::text[] IS NULL OR p.sub = ANY($6::text[])
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
