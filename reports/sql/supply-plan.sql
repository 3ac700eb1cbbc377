-- @report name=supply-plan title=土地储备与供地计划 title_en="Land reserve and supply plan"
-- @description "Land taken into the reserve and the reserve stock, the supply plan against what was supplied, supply outside the plan, supply through urban renewal, land price agreed and paid, parcels supplied but not started (供而未用)."
-- @period "reserve taken in (reserve_date), supplied (supply_date), contracts (contract_date, else supply_date) and payments (paid_date) in the period; the plan is that of the period's years (plan_year), else of the as-of date's year; stocks as of the as-of date"
-- @street "sub-district of the parcel (the smallest boundaries polygon holding its point on surface, else 未划分)"
-- @layer kind=parcels name=parcels
-- @layer kind=boundaries name=boundaries
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 as_of
-- @param $5 current
-- @param $6 street
-- @group key=year title=供地计划年度 title_en="Plan year"
-- @column key=year group=year type=integer title=供地计划年度 title_en="Plan year"
-- @group key=method title=供应方式 title_en="Supply method"
-- @column key=method group=method type=text title=供应方式 title_en="Supply method"
-- @group key=source title=来源 title_en=Source
-- @column key=source group=source type=text title=来源 title_en=Source
-- @group key=reserve_source title=入库类型 title_en="Reserve source"
-- @column key=reserve_source group=reserve_source type=text title=入库类型 title_en="Reserve source"
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @default_group source
-- @column key=parcels type=integer title=涉及宗数 title_en="Parcels counted" unit=宗
-- @column key=reserve_parcels type=integer title=储备库存宗数 title_en="Reserve stock" unit=宗
-- @column key=reserve_ha type=number title=储备库存面积 title_en="Reserve stock area" unit=公顷 decimals=4
-- @column key=planned_parcels type=integer title=计划供地宗数 title_en="Parcels in the supply plan" unit=宗
-- @column key=planned_mu type=number title=计划供地面积 title_en="Area in the supply plan" unit=亩 decimals=2
-- @column key=planned_supplied_parcels type=integer title=计划内已供宗数 title_en="Planned parcels supplied" unit=宗
-- @column key=planned_supplied_mu type=number title=计划内已供面积 title_en="Planned area supplied" unit=亩 decimals=2
-- @column key=plan_rate type=percent title=供地计划完成率 title_en="Supply plan completion" unit=% decimals=2 formula="计划内已供应面积 ÷ 计划供地面积 (area of the plan's parcels supplied by the as-of date ÷ area of the parcels in the plan of the year(s))"
-- @column key=renewal_supplied_ha type=number title=城市更新累计供地面积 title_en="Supplied through urban renewal, cumulative" unit=公顷 decimals=4
-- @column key=unstarted_parcels type=integer title=供而未用宗数 title_en="Supplied, past the agreed start, not started" unit=宗
-- @column key=unstarted_mu type=number title=供而未用面积 title_en="Supplied but not started, area" unit=亩 decimals=2
-- @column key=reserved_in type=integer title=期内入库宗数 title_en="Taken into the reserve in the period" unit=宗 flow target
-- @column key=reserved_in_ha type=number title=期内入库面积 title_en="Area taken into the reserve in the period" unit=公顷 decimals=4 flow target
-- @column key=supplied_in type=integer title=期内供应宗数 title_en="Supplied in the period" unit=宗 flow target
-- @column key=supplied_in_mu type=number title=期内供应面积 title_en="Area supplied in the period" unit=亩 decimals=2 flow target
-- @column key=unplanned_in type=integer title=期内计划外供应宗数 title_en="Supplied outside the plan in the period" unit=宗 flow
-- @column key=unplanned_in_mu type=number title=期内计划外供应面积 title_en="Area supplied outside the plan in the period" unit=亩 decimals=2 flow
-- @column key=renewal_supplied_in_ha type=number title=期内城市更新供地面积 title_en="Supplied through urban renewal in the period" unit=公顷 decimals=4 flow target
-- @column key=price_agreed_in_yi type=number title=期内成交价款 title_en="Land price agreed in the period" unit=亿元 decimals=4 flow target
-- @column key=paid_in_yi type=number title=期内缴纳价款 title_en="Land price paid in the period" unit=亿元 decimals=4 flow target
--
-- 土地储备与供地计划 land reserve and supply plan, from the parcels layer:
--
--   parcels counted        = parcels with any figure below (in the reserve,
--                            the plan, supplied by D, or a flow)
--   reserve stock as of D  = parcels with reserve_date on or before D, not
--                            supplied by D (supply_date after D or none)
--   plan years             = the years of the period (from its first to its
--                            last day); without a period, the year of D
--   planned                = parcels whose plan_year is a plan year
--   planned supplied       = of those, supplied by D (supply_date on or
--                            before D; undated with a supply method: as of
--                            today only)
--   plan completion        = planned supplied area ÷ planned area, percent
--   renewal supplied       = supplied by D with source 城市更新 (cumulative)
--   供而未用 (unstarted)    = supplied by D, agreed_start_date before D and no
--                            start_date on or before D
--   *_in, with a period    = reserve_date, supply_date (with a supply
--                            method), coalesce(contract_date, supply_date)
--                            for the price agreed (price_wan), paid_date for
--                            the price paid (paid_wan) in the period
--   unplanned (计划外)      = supplied in the period with no plan_year or a
--                            plan_year other than the year of its supply
-- Areas are those of whole parcels (area_m2, on the ellipsoid).
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {year, method, source, reserve_source, street}
--   $2 date     the period's first day (NULL: no period)
--   $3 date     the period's last day
--   $4 date     the as-of date
--   $5 boolean  whether $4 is today or later
--   $6 text[]   only parcels of these sub-districts (NULL: every parcel)
-- Layers: parcels, boundaries.
WITH facts AS (
    SELECT p.*,
           CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL THEN ST_PointOnSurface(p.geom) END AS pos,
           coalesce(p.supply_method, '') <> '' AND (p.supply_date <= $4::date OR (p.supply_date IS NULL AND $5::boolean)) AS supplied,
           p.plan_year BETWEEN extract(year FROM coalesce($2::date, $4::date))::integer
                           AND extract(year FROM coalesce($3::date, $4::date))::integer AS planned,
           coalesce(p.supply_method, '') <> '' AND p.supply_date BETWEEN $2::date AND $3::date AS supplied_in
    FROM parcels p
    -- Only parcels the report has a figure for: in the reserve, the plan or
    -- supplied (others would only cost their point on surface).
    WHERE (p.reserve_date IS NOT NULL OR p.plan_year IS NOT NULL OR coalesce(p.supply_method, '') <> ''
           OR p.paid_date IS NOT NULL OR p.contract_date IS NOT NULL)
      AND ($6::text[] IS NULL OR '未划分' = ANY($6::text[]) OR p.geom IS NULL OR p.geom && (
               SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY($6::text[])))
    OFFSET 0 -- keeps the point on surface computed once per parcel
),
-- The sub-district, as in the other reports: the point's cell in
-- boundary_cells, else a lookup in boundaries, else (a record without
-- geometry) the boundaries polygon named by its street field.
keyed AS (
    SELECT CASE WHEN 'year' = ANY($1::text[]) THEN f.plan_year END AS year,
           CASE WHEN 'method' = ANY($1::text[]) THEN coalesce(nullif(f.supply_method, ''), '未填') END AS method,
           CASE WHEN 'source' = ANY($1::text[]) THEN coalesce(nullif(f.source, ''), '未填') END AS source,
           CASE WHEN 'reserve_source' = ANY($1::text[]) THEN coalesce(nullif(f.reserve_source, ''), '未填') END AS reserve_source,
           CASE WHEN 'street' = ANY($1::text[]) THEN f.sub END AS street,
           f.area_m2, f.supplied,
           f.reserve_date <= $4::date AND NOT f.supplied AS in_reserve,
           f.planned,
           f.planned AND f.supplied AS planned_supplied,
           f.supplied AND f.source = '城市更新' AS renewal_supplied,
           f.supplied AND f.agreed_start_date < $4::date AND NOT coalesce(f.start_date <= $4::date, false) AS unstarted,
           $2::date IS NOT NULL AND f.reserve_date BETWEEN $2::date AND $3::date AS reserved_in,
           coalesce(f.supplied_in, false) AS supplied_in,
           coalesce(f.supplied_in AND (f.plan_year IS NULL OR f.plan_year <> extract(year FROM f.supply_date)), false) AS unplanned_in,
           coalesce(f.supplied_in AND f.source = '城市更新', false) AS renewal_supplied_in,
           CASE WHEN coalesce(f.contract_date, f.supply_date) BETWEEN $2::date AND $3::date THEN coalesce(f.price_wan, 0) ELSE 0 END AS agreed_in,
           CASE WHEN f.paid_date BETWEEN $2::date AND $3::date THEN coalesce(f.paid_wan, 0) ELSE 0 END AS paid_in
    FROM (SELECT d.*,
                 CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, d.pos)
                     ORDER BY b.area_m2 LIMIT 1), (
                     SELECT b.name FROM boundaries b
                     WHERE (d.pos IS NULL OR ST_IsEmpty(d.pos)) AND b.name = btrim(d.street)
                     LIMIT 1), '未划分') END AS sub
          FROM facts d
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(d.pos) * 100)::bigint * 100000 + floor(ST_Y(d.pos) * 100)::bigint
          OFFSET 0) f -- keeps the sub-district computed once per parcel
    WHERE $6::text[] IS NULL OR f.sub = ANY($6::text[])
),
counted AS (
    SELECT * FROM keyed
    WHERE in_reserve OR planned OR supplied OR reserved_in OR supplied_in OR agreed_in <> 0 OR paid_in <> 0
),
sums AS (
    SELECT year, method, source, reserve_source, street,
           GROUPING(year, method, source, reserve_source, street) <> 0 AS is_total,
           count(*) AS parcels,
           count(*) FILTER (WHERE in_reserve) AS reserve_parcels,
           coalesce(sum(area_m2) FILTER (WHERE in_reserve), 0) AS reserve,
           count(*) FILTER (WHERE planned) AS planned_parcels,
           coalesce(sum(area_m2) FILTER (WHERE planned), 0) AS planned,
           count(*) FILTER (WHERE planned_supplied) AS planned_supplied_parcels,
           coalesce(sum(area_m2) FILTER (WHERE planned_supplied), 0) AS planned_supplied,
           coalesce(sum(area_m2) FILTER (WHERE renewal_supplied), 0) AS renewal_supplied,
           count(*) FILTER (WHERE unstarted) AS unstarted_parcels,
           coalesce(sum(area_m2) FILTER (WHERE unstarted), 0) AS unstarted,
           count(*) FILTER (WHERE reserved_in) AS reserved_in,
           coalesce(sum(area_m2) FILTER (WHERE reserved_in), 0) AS reserved_in_area,
           count(*) FILTER (WHERE supplied_in) AS supplied_in,
           coalesce(sum(area_m2) FILTER (WHERE supplied_in), 0) AS supplied_in_area,
           count(*) FILTER (WHERE unplanned_in) AS unplanned_in,
           coalesce(sum(area_m2) FILTER (WHERE unplanned_in), 0) AS unplanned_in_area,
           coalesce(sum(area_m2) FILTER (WHERE renewal_supplied_in), 0) AS renewal_supplied_in,
           coalesce(sum(agreed_in), 0) AS agreed_in,
           coalesce(sum(paid_in), 0) AS paid_in
    FROM counted
    GROUP BY GROUPING SETS ((year, method, source, reserve_source, street), ())
)
SELECT year, method, source, reserve_source, street, is_total,
       parcels, reserve_parcels,
       round((reserve / 10000)::numeric, 4)::float8 AS reserve_ha,
       planned_parcels,
       round((planned * 15 / 10000)::numeric, 2)::float8 AS planned_mu,
       planned_supplied_parcels,
       round((planned_supplied * 15 / 10000)::numeric, 2)::float8 AS planned_supplied_mu,
       round((100 * planned_supplied / nullif(planned, 0))::numeric, 2)::float8 AS plan_rate,
       round((renewal_supplied / 10000)::numeric, 4)::float8 AS renewal_supplied_ha,
       unstarted_parcels,
       round((unstarted * 15 / 10000)::numeric, 2)::float8 AS unstarted_mu,
       reserved_in,
       round((reserved_in_area / 10000)::numeric, 4)::float8 AS reserved_in_ha,
       supplied_in,
       round((supplied_in_area * 15 / 10000)::numeric, 2)::float8 AS supplied_in_mu,
       unplanned_in,
       round((unplanned_in_area * 15 / 10000)::numeric, 2)::float8 AS unplanned_in_mu,
       round((renewal_supplied_in / 10000)::numeric, 4)::float8 AS renewal_supplied_in_ha,
       round((agreed_in / 10000)::numeric, 4)::float8 AS price_agreed_in_yi,
       round((paid_in / 10000)::numeric, 4)::float8 AS paid_in_yi
FROM sums
ORDER BY is_total, year, array_position(ARRAY['储备', '城市更新', '其他'], source), source,
         array_position(ARRAY['招拍挂', '协议', '划拨'], method), method, reserve_source, street = '未划分', street;
