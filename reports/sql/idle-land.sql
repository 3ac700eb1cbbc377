-- @report name=idle-land title=闲置土地处置情况 title_en="Idle land disposal"
-- @description "Idle (闲置) and approved-but-unsupplied (批而未供) land: count, area, disposed area and disposal rate, digested area and digestion rate."
-- @period "land identified (identified_date) and disposed (disposed_date) in the period; the rest as of the as-of date"
-- @street "sub-district of the item (the smallest boundaries polygon holding its point on surface, else 未划分)"
-- @layer kind=idle_land name=idle_land
-- @layer kind=boundaries name=boundaries
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 as_of
-- @param $5 current
-- @param $6 street
-- @group key=kind title=类型 title_en=Kind
-- @column key=kind group=kind type=text title=类型 title_en=Kind
-- @group key=cause title=闲置原因 title_en=Cause
-- @column key=cause group=cause type=text title=闲置原因 title_en=Cause
-- @group key=method title=处置方式 title_en="Disposal method"
-- @column key=method group=method type=text title=处置方式 title_en="Disposal method"
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @group key=year title=认定年度 title_en="Identified year"
-- @column key=year group=year type=integer title=认定年度 title_en="Identified year"
-- @default_group kind
-- @column key=items type=integer title=宗数 title_en=Items unit=宗
-- @column key=area_m2 type=number title=面积 title_en=Area unit=m² decimals=2
-- @column key=area_ha type=number title=面积 title_en=Area unit=公顷 decimals=4
-- @column key=area_mu type=number title=面积 title_en=Area unit=亩 decimals=2
-- @column key=disposed_mu type=number title=已处置面积 title_en="Disposed area" unit=亩 decimals=2
-- @column key=disposal_rate type=percent title=处置率 title_en="Disposal rate" unit=% decimals=2 formula="已处置面积 ÷ 闲置及批而未供土地面积 (disposed area ÷ area of the items), as of the as-of date"
-- @column key=digested_mu type=number title=已消化面积 title_en="Digested area" unit=亩 decimals=2
-- @column key=digestion_rate type=percent title=消化率 title_en="Digestion rate" unit=% decimals=2 formula="已消化面积 ÷ 闲置及批而未供土地面积 (digested area ÷ area of the items), as of the as-of date"
-- @column key=identified_items type=integer title=期内认定宗数 title_en="Identified in the period" unit=宗 flow
-- @column key=identified_mu type=number title=期内认定面积 title_en="Area identified in the period" unit=亩 decimals=2 flow
-- @column key=disposed_in_mu type=number title=期内处置面积 title_en="Area disposed of in the period" unit=亩 decimals=2 flow target
--
-- 闲置土地处置 idle land and approved-but-unsupplied land (批而未供): count,
-- area, disposed area and disposal rate, digested area and digestion rate
-- as of a date, and for a period the land identified and disposed of in it,
-- grouped by any of kind, cause, disposal method, sub-district and
-- identified year.
--
-- As of D, the land is the items identified on or before D (and those
-- without an identified date), and an item is disposed of when its
-- disposed_date is on or before D; an item without a disposal date counts
-- by its disposal_status 已处置, but only as of today (or later): when it
-- was disposed of is not known. digested, a flag without a date, is the
-- layer's current value.
-- disposal rate  = area disposed of as of D ÷ area as of D, in percent
-- digestion rate = area with digested = true ÷ area as of D, in percent
-- identified_*   = items with identified_date in the period
-- disposed_in_mu = area with disposed_date in the period
-- Areas are those of whole features (area_m2, on the ellipsoid).
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {kind, cause, method, street, year}
--   $2 date     the period's first day (NULL: no period; its figures are 0)
--   $3 date     the period's last day
--   $4 date     the as-of date
--   $5 boolean  whether $4 is today or later
--   $6 text[]   only land of these sub-districts, boundaries names or 未划分
--               (NULL: all land)
-- Layers: idle_land, boundaries.
WITH idle AS (
    SELECT i.*, CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL THEN ST_PointOnSurface(i.geom) END AS pos,
           i.identified_date IS NULL OR i.identified_date <= $4::date AS in_stock,
           coalesce(i.disposed_date <= $4::date, i.disposal_status = '已处置' AND $5::boolean) AS disposed_asof,
           $2::date IS NOT NULL AND i.identified_date BETWEEN $2::date AND $3::date AS identified_in,
           $2::date IS NOT NULL AND i.disposed_date BETWEEN $2::date AND $3::date AS disposed_in
    FROM idle_land i
    -- The land as of the date, and the land identified or disposed of in
    -- the period (which, as of a date before its end, may not be).
    WHERE (i.identified_date IS NULL OR i.identified_date <= $4::date
           OR i.identified_date BETWEEN $2::date AND $3::date OR i.disposed_date BETWEEN $2::date AND $3::date)
      -- Filtered by street, an item can only lie in the chosen
      -- sub-districts if it meets their extent (its point on surface lies
      -- in both): a test of bounding boxes that spares the others the
      -- point on surface. 未划分 items may lie anywhere.
      AND ($6::text[] IS NULL OR '未划分' = ANY($6::text[]) OR i.geom IS NULL OR i.geom && (
               SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY($6::text[])))
    OFFSET 0 -- keeps the point on surface computed once per feature
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
    SELECT CASE WHEN 'kind' = ANY($1::text[]) THEN coalesce(nullif(i.kind, ''), '未填') END AS kind,
           CASE WHEN 'cause' = ANY($1::text[]) THEN coalesce(nullif(i.cause, ''), '未填') END AS cause,
           CASE WHEN 'method' = ANY($1::text[]) THEN coalesce(nullif(i.disposal_method, ''), '未填') END AS method,
           CASE WHEN 'street' = ANY($1::text[]) THEN i.sub END AS street,
           CASE WHEN 'year' = ANY($1::text[]) THEN extract(year FROM i.identified_date)::integer END AS year,
           i.area_m2, i.in_stock,
           i.in_stock AND i.disposed_asof AS disposed,
           i.in_stock AND coalesce(i.digested, false) AS digested,
           i.identified_in, i.disposed_in
    FROM (SELECT d.*,
                 CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, d.pos)
                     ORDER BY b.area_m2 LIMIT 1), (
                     SELECT b.name FROM boundaries b
                     WHERE (d.pos IS NULL OR ST_IsEmpty(d.pos)) AND b.name = btrim(d.street)
                     LIMIT 1), '未划分') END AS sub
          FROM idle d
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(d.pos) * 100)::bigint * 100000 + floor(ST_Y(d.pos) * 100)::bigint
          OFFSET 0) i -- keeps the sub-district computed once per feature
    WHERE $6::text[] IS NULL OR i.sub = ANY($6::text[])
),
sums AS (
    SELECT kind, cause, method, street, year,
           GROUPING(kind, cause, method, street, year) <> 0 AS is_total,
           count(*) FILTER (WHERE in_stock) AS items,
           coalesce(sum(area_m2) FILTER (WHERE in_stock), 0) AS area,
           coalesce(sum(area_m2) FILTER (WHERE disposed), 0) AS disposed,
           coalesce(sum(area_m2) FILTER (WHERE digested), 0) AS digested,
           count(*) FILTER (WHERE identified_in) AS identified_items,
           coalesce(sum(area_m2) FILTER (WHERE identified_in), 0) AS identified,
           coalesce(sum(area_m2) FILTER (WHERE disposed_in), 0) AS disposed_in
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
       round((100 * digested / nullif(area, 0))::numeric, 2)::float8 AS digestion_rate,
       identified_items,
       round((identified * 15 / 10000)::numeric, 2)::float8 AS identified_mu,
       round((disposed_in * 15 / 10000)::numeric, 2)::float8 AS disposed_in_mu
FROM sums
ORDER BY is_total, array_position(ARRAY['闲置', '批而未供'], kind), kind, cause, method, street = '未划分', street, year;
