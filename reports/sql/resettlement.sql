-- @report name=resettlement title=征收安置情况 title_en="Resettlement of expropriated households"
-- @description "Households to resettle (signed, not 货币补偿), resettled and 安置率; 征而未安 (signed, not yet delivered) households and floor area; households in transition, those past their agreed period, and their monthly transition fees."
-- @period "households resettled (delivered_date) in the period; the rest as of the as-of date"
-- @street "sub-district of the household (the smallest boundaries polygon holding its point on surface; without geometry, its street field; else 未划分)"
-- @layer kind=households name=households
-- @layer kind=boundaries name=boundaries
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 as_of
-- @param $5 street
-- @group key=project title=项目 title_en=Project
-- @column key=project group=project type=text title=项目名称 title_en=Project
-- @group key=resettle_mode title=安置方式 title_en="Resettlement mode"
-- @column key=resettle_mode group=resettle_mode type=text title=安置方式 title_en="Resettlement mode"
-- @group key=investor title=投资类型 title_en=Investor
-- @column key=investor group=investor type=text title=投资类型 title_en=Investor
-- @group key=resettle_site title=安置区 title_en="Resettlement site"
-- @column key=resettle_site group=resettle_site type=text title=安置区 title_en="Resettlement site"
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @default_group project
-- @column key=households type=integer title=被征收户数 title_en=Households unit=户
-- @column key=signed type=integer title=已签约户数 title_en="Households signed" unit=户
-- @column key=to_resettle type=integer title=应安置户数 title_en="Households to resettle" unit=户
-- @column key=resettled type=integer title=已安置户数 title_en="Households resettled" unit=户
-- @column key=resettle_rate type=percent title=安置率 title_en="Resettlement rate" unit=% decimals=2 formula="已交房的应安置户数 ÷ 应安置户数 (households to resettle with delivered_date on or before the as-of date ÷ households signed by then whose resettle_mode is not 货币补偿)"
-- @column key=unresettled_projects type=integer title=征而未安项目数 title_en="Projects with households not yet resettled" unit=个
-- @column key=unresettled type=integer title=征而未安户数 title_en="Households signed, not yet resettled" unit=户
-- @column key=unresettled_wm2 type=number title=征而未安房屋面积 title_en="Floor area signed, not yet resettled" unit=万m² decimals=4
-- @column key=in_transition type=integer title=过渡中户数 title_en="Households in transition" unit=户
-- @column key=overdue type=integer title=超过约定过渡期户数 title_en="Households past their agreed transition" unit=户
-- @column key=fee_wan_month type=number title=过渡费(每月) title_en="Transition fees per month" unit=万元/月 decimals=4
-- @column key=overdue_fee_wan_month type=number title=超期过渡费(每月) title_en="Transition fees per month, past the agreed period" unit=万元/月 decimals=4
-- @column key=resettled_in type=integer title=期内安置户数 title_en="Resettled in the period" unit=户 flow target
--
-- 安置 resettlement: the households of the ledger (households) that are to
-- get a home rather than money, by any of project, resettlement mode,
-- investor, resettlement site and sub-district. As of D:
--   signed         = households with signed_date on or before D
--   to resettle    = signed households whose resettle_mode is not 货币补偿
--                    (an empty mode counts: it is not known to be cash)
--   resettled      = households to resettle with delivered_date on or before D
--   resettle rate  = resettled ÷ to resettle, in percent
--   征而未安        = households to resettle not resettled: count, Σ house_area_m2
--                    (万m²) and the projects they belong to
--   in transition  = 征而未安 households whose transition_start is on or before D
--   past the agreed period = in transition, and transition_start +
--                    transition_months months is before D (a household
--                    without transition_months is never past it)
--   fees per month = Σ transition_fee (元/月) of the households in
--                    transition, and of those past the period, in 万元
-- In the period: households to resettle whose delivered_date lies in it.
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {project, resettle_mode, investor, resettle_site, street}
--   $2 date     the period's first day (NULL: no period; its figure is 0)
--   $3 date     the period's last day
--   $4 date     the as-of date
--   $5 text[]   only these sub-districts, boundaries names or 未划分 (NULL: all)
-- Layers: households, boundaries.
WITH hh AS (
    SELECT h.project, h.resettle_mode, h.investor, h.resettle_site, h.street, h.house_area_m2,
           h.transition_start, h.transition_months, h.transition_fee, h.delivered_date,
           CASE WHEN 'street' = ANY($1::text[]) OR $5::text[] IS NOT NULL THEN ST_PointOnSurface(h.geom) END AS pos,
           coalesce(h.signed_date <= $4::date, false) AS signed,
           coalesce(h.signed_date <= $4::date, false) AND coalesce(h.resettle_mode, '') <> '货币补偿' AS to_resettle,
           coalesce(h.delivered_date <= $4::date, false) AS delivered
    FROM households h
    -- Filtered by street, a household can only lie in the chosen
    -- sub-districts if it meets their extent (see expropriation.sql).
    WHERE ($5::text[] IS NULL OR '未划分' = ANY($5::text[]) OR h.geom IS NULL OR h.geom && (
               SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY($5::text[])))
    OFFSET 0 -- keeps the point on surface computed once per household
),
keyed AS (
    SELECT CASE WHEN 'project' = ANY($1::text[]) THEN coalesce(nullif(btrim(d.project), ''), '未填') END AS project,
           CASE WHEN 'resettle_mode' = ANY($1::text[]) THEN coalesce(nullif(btrim(d.resettle_mode), ''), '未填') END AS resettle_mode,
           CASE WHEN 'investor' = ANY($1::text[]) THEN coalesce(nullif(btrim(d.investor), ''), '未填') END AS investor,
           CASE WHEN 'resettle_site' = ANY($1::text[]) THEN coalesce(nullif(btrim(d.resettle_site), ''), '未填') END AS resettle_site,
           CASE WHEN 'street' = ANY($1::text[]) THEN d.sub END AS street,
           nullif(btrim(d.project), '') AS project_name,
           d.signed, d.to_resettle,
           d.to_resettle AND d.delivered AS resettled,
           d.to_resettle AND NOT d.delivered AS unresettled,
           d.to_resettle AND NOT d.delivered AND d.transition_start <= $4::date AS in_transition,
           d.to_resettle AND NOT d.delivered AND d.transition_start <= $4::date
               AND d.transition_start + make_interval(months => d.transition_months) < $4::date AS overdue,
           coalesce(d.house_area_m2, 0) AS m2,
           coalesce(d.transition_fee, 0) AS fee,
           $2::date IS NOT NULL AND d.to_resettle AND d.delivered_date BETWEEN $2::date AND $3::date AS resettled_in
    FROM (SELECT h.*,
                 -- The sub-district, as in every report (see expropriation.sql).
                 CASE WHEN 'street' = ANY($1::text[]) OR $5::text[] IS NOT NULL THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, h.pos)
                     ORDER BY b.area_m2 LIMIT 1), (
                     SELECT b.name FROM boundaries b
                     WHERE (h.pos IS NULL OR ST_IsEmpty(h.pos)) AND b.name = btrim(h.street)
                     LIMIT 1), '未划分') END AS sub
          FROM hh h
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(h.pos) * 100)::bigint * 100000 + floor(ST_Y(h.pos) * 100)::bigint
          OFFSET 0) d -- keeps the sub-district computed once per household
    WHERE $5::text[] IS NULL OR d.sub = ANY($5::text[])
),
sums AS (
    SELECT project, resettle_mode, investor, resettle_site, street,
           GROUPING(project, resettle_mode, investor, resettle_site, street) <> 0 AS is_total,
           count(*) AS households,
           count(*) FILTER (WHERE signed) AS signed,
           count(*) FILTER (WHERE to_resettle) AS to_resettle,
           count(*) FILTER (WHERE resettled) AS resettled,
           count(DISTINCT project_name) FILTER (WHERE unresettled) AS unresettled_projects,
           count(*) FILTER (WHERE unresettled) AS unresettled,
           coalesce(sum(m2) FILTER (WHERE unresettled), 0) AS unresettled_m2,
           count(*) FILTER (WHERE in_transition) AS in_transition,
           count(*) FILTER (WHERE overdue) AS overdue,
           coalesce(sum(fee) FILTER (WHERE in_transition), 0) AS fee,
           coalesce(sum(fee) FILTER (WHERE overdue), 0) AS overdue_fee,
           count(*) FILTER (WHERE resettled_in) AS resettled_in
    FROM keyed
    GROUP BY GROUPING SETS ((project, resettle_mode, investor, resettle_site, street), ())
)
SELECT project, resettle_mode, investor, resettle_site, street, is_total,
       households, signed, to_resettle, resettled,
       round((100.0 * resettled / nullif(to_resettle, 0))::numeric, 2)::float8 AS resettle_rate,
       unresettled_projects, unresettled,
       round((unresettled_m2 / 10000)::numeric, 4)::float8 AS unresettled_wm2,
       in_transition, overdue,
       round((fee / 10000)::numeric, 4)::float8 AS fee_wan_month,
       round((overdue_fee / 10000)::numeric, 4)::float8 AS overdue_fee_wan_month,
       resettled_in
FROM sums
ORDER BY is_total, project, resettle_mode, investor, resettle_site, street = '未划分', street;
