-- @report name=renovation-progress title=三改及安置房项目推进情况 title_en="Renovation (三改) and resettlement-housing progress"
-- @description "三改 projects (棚户区, 老旧小区, 城中村), back lanes and resettlement housing: households, dwellings, floor area, lanes, investment, funds, bonds; the year's projects started and completed (households, 开工率, completion share); resettlement housing late (started over N years ago, not delivered)."
-- @period "projects started (start_date) and completed (completion_date) in the period; the year's projects are those of plan_year = the year of the period's end (else of the as-of date)"
-- @street "sub-district of the project (the smallest boundaries polygon holding its point on surface; without geometry, its street field; else 未划分)"
-- @layer kind=renovation name=renovation
-- @layer kind=boundaries name=boundaries
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 as_of
-- @param $5 street
-- @param $6 late_years kind=int default=3 min=1 max=50 title=安置房逾期交付年限 title_en="Years after its start that resettlement housing not delivered is late"
-- @group key=type title=项目类型 title_en="Project type"
-- @column key=type group=type type=text title=项目类型 title_en="Project type"
-- @group key=plan_year title=计划年度 title_en="Plan year"
-- @column key=plan_year group=plan_year type=integer title=计划年度 title_en="Plan year"
-- @group key=mode title=改造方式 title_en=Mode
-- @column key=mode group=mode type=text title=改造方式 title_en=Mode
-- @group key=batch title=批次 title_en=Batch
-- @column key=batch group=batch type=text title=批次 title_en=Batch
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @group key=investor title=投资类型 title_en=Investor
-- @column key=investor group=investor type=text title=投资类型 title_en=Investor
-- @default_group type
-- @column key=projects type=integer title=项目数 title_en=Projects unit=个
-- @column key=households type=integer title=户数 title_en=Households unit=户
-- @column key=dwellings type=integer title=套数 title_en=Dwellings unit=套
-- @column key=floor_area_wm2 type=number title=建筑面积 title_en="Floor area" unit=万m² decimals=4
-- @column key=lanes type=integer title=背街小巷条数 title_en="Lanes" unit=条
-- @column key=lane_km type=number title=背街小巷长度 title_en="Lane length" unit=km decimals=3
-- @column key=invest_wan type=number title=总投资 title_en=Investment unit=万元 decimals=2
-- @column key=funds_wan type=number title=争取资金 title_en="Funds obtained" unit=万元 decimals=2
-- @column key=bond_projects type=integer title=专项债项目数 title_en="Projects with special bonds" unit=个
-- @column key=themed_projects type=integer title=主题小区数 title_en="Themed estates" unit=个
-- @column key=started_projects type=integer title=已开工项目数 title_en="Projects started" unit=个
-- @column key=completed_projects type=integer title=已竣工项目数 title_en="Projects completed" unit=个
-- @column key=year_projects type=integer title=年度计划项目数 title_en="The year's projects" unit=个
-- @column key=year_households type=integer title=年度计划户数 title_en="Households of the year's projects" unit=户
-- @column key=year_started_households type=integer title=年度项目已开工户数 title_en="Households of the year's projects started" unit=户 target
-- @column key=start_rate type=percent title=开工率 title_en="Start rate" unit=% decimals=2 formula="年度计划项目(计划年度=Y)中截至日期已开工的户数 ÷ 年度计划项目户数 (households of the projects with plan_year Y started on or before the as-of date ÷ households of the projects with plan_year Y; Y the year of the period's end, else of the as-of date)"
-- @column key=year_completed_households type=integer title=年度项目已竣工户数 title_en="Households of the year's projects completed" unit=户 target
-- @column key=completion_rate type=percent title=年度项目竣工户数占比 title_en="Share of the year's households completed" unit=% decimals=2 formula="年度计划项目中截至日期已竣工的户数 ÷ 年度计划项目户数 (households of the projects with plan_year Y completed on or before the as-of date ÷ households of the projects with plan_year Y); the district reports' 综合完成率 is not defined by them, and this is not it: tudi's definition"
-- @column key=late_resettlement type=integer title=开工超过{late_years}年未交付安置房项目数 title_en="Resettlement housing started over {late_years} years ago, not delivered" unit=个
-- @column key=late_dwellings type=integer title=开工超过{late_years}年未交付安置房套数 title_en="Their dwellings" unit=套
-- @column key=started_in type=integer title=期内开工项目数 title_en="Projects started in the period" unit=个 flow target
-- @column key=completed_in type=integer title=期内竣工项目数 title_en="Projects completed in the period" unit=个 flow target
--
-- 三改 renovation progress: the projects of the renovation layer
-- (polygons; back lanes, 背街小巷, as lines), by any of type, plan year,
-- mode, batch, sub-district and investor. As of D:
--   projects               = projects with plan_year on or before the year of D (or none)
--   households … funds     = Σ of those projects' fields
--   lanes, lane_km         = the line features among them: count, Σ length on the ellipsoid
--   bond, themed           = projects with bond, themed true
--   started, completed     = projects with start_date, completion_date on or before D
-- The year Y is the year of the period's end, else of D:
--   year_*                 = the projects with plan_year = Y: their count and Σ households,
--                            and Σ households of those started (completed) on or before D
--   start rate             = year_started_households ÷ year_households, in percent
--   completion share       = year_completed_households ÷ year_households, in percent
--                            (the reports' 综合完成率 is undefined: this column is named
--                            by its definition, not after it)
--   late resettlement      = projects of type 安置房 whose start_date is more than N
--                            years before D (start_date + N years < D) and that have no
--                            delivered_date on or before D; N is $6 (default 3)
-- In the period: projects whose start_date, completion_date lies in it.
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {type, plan_year, mode, batch, street, investor}
--   $2 date     the period's first day (NULL: no period; its figures are 0)
--   $3 date     the period's last day
--   $4 date     the as-of date
--   $5 text[]   only these sub-districts, boundaries names or 未划分 (NULL: all)
--   $6 integer  N, the years after which resettlement housing not delivered is late
-- Layers: renovation, boundaries.
WITH proj AS (
    SELECT r.*,
           CASE WHEN 'street' = ANY($1::text[]) OR $5::text[] IS NOT NULL THEN ST_PointOnSurface(r.geom) END AS pos,
           r.plan_year IS NULL OR r.plan_year <= extract(year FROM $4::date) AS listed,
           r.plan_year = extract(year FROM coalesce($3::date, $4::date)) AS of_year,
           coalesce(r.start_date <= $4::date, false) AS started,
           coalesce(r.completion_date <= $4::date, false) AS completed,
           r.type = '安置房' AND r.start_date + make_interval(years => $6::integer) < $4::date
               AND NOT coalesce(r.delivered_date <= $4::date, false) AS late,
           $2::date IS NOT NULL AND r.start_date BETWEEN $2::date AND $3::date AS started_in,
           $2::date IS NOT NULL AND r.completion_date BETWEEN $2::date AND $3::date AS completed_in,
           ST_Dimension(r.geom) = 1 AS lane
    FROM renovation r
    OFFSET 0 -- keeps the point on surface computed once per project
),
keyed AS (
    SELECT CASE WHEN 'type' = ANY($1::text[]) THEN coalesce(nullif(btrim(p.type), ''), '未填') END AS type,
           CASE WHEN 'plan_year' = ANY($1::text[]) THEN p.plan_year END AS plan_year,
           CASE WHEN 'mode' = ANY($1::text[]) THEN coalesce(nullif(btrim(p.mode), ''), '未填') END AS mode,
           CASE WHEN 'batch' = ANY($1::text[]) THEN coalesce(nullif(btrim(p.batch), ''), '未填') END AS batch,
           CASE WHEN 'street' = ANY($1::text[]) THEN p.sub END AS street,
           CASE WHEN 'investor' = ANY($1::text[]) THEN coalesce(nullif(btrim(p.investor), ''), '未填') END AS investor,
           p.listed, p.of_year, p.started, p.completed, p.late, p.started_in, p.completed_in, p.lane,
           p.households, p.dwellings, p.floor_area_m2, p.invest_wan, p.funds_wan, p.bond, p.themed, p.geom
    FROM (SELECT r.*,
                 -- The sub-district, as in every report (see expropriation.sql).
                 CASE WHEN 'street' = ANY($1::text[]) OR $5::text[] IS NOT NULL THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, r.pos)
                     ORDER BY b.area_m2 LIMIT 1), (
                     SELECT b.name FROM boundaries b
                     WHERE (r.pos IS NULL OR ST_IsEmpty(r.pos)) AND b.name = btrim(r.street)
                     LIMIT 1), '未划分') END AS sub
          FROM proj r
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(r.pos) * 100)::bigint * 100000 + floor(ST_Y(r.pos) * 100)::bigint
          OFFSET 0) p -- keeps the sub-district computed once per project
    WHERE ($5::text[] IS NULL OR p.sub = ANY($5::text[]))
      AND (p.listed OR p.of_year OR p.started_in OR p.completed_in)
),
sums AS (
    SELECT k.type, k.plan_year, k.mode, k.batch, k.street, k.investor,
           GROUPING(k.type, k.plan_year, k.mode, k.batch, k.street, k.investor) <> 0 AS is_total,
           count(*) FILTER (WHERE listed) AS projects,
           coalesce(sum(households) FILTER (WHERE listed), 0) AS households,
           coalesce(sum(dwellings) FILTER (WHERE listed), 0) AS dwellings,
           coalesce(sum(floor_area_m2) FILTER (WHERE listed), 0) AS floor_area,
           count(*) FILTER (WHERE listed AND lane) AS lanes,
           coalesce(sum(ST_Length(geom::geography)) FILTER (WHERE listed AND lane), 0) AS lane_m,
           coalesce(sum(invest_wan) FILTER (WHERE listed), 0) AS invest,
           coalesce(sum(funds_wan) FILTER (WHERE listed), 0) AS funds,
           count(*) FILTER (WHERE listed AND bond) AS bond_projects,
           count(*) FILTER (WHERE listed AND themed) AS themed_projects,
           count(*) FILTER (WHERE listed AND started) AS started_projects,
           count(*) FILTER (WHERE listed AND completed) AS completed_projects,
           count(*) FILTER (WHERE of_year) AS year_projects,
           coalesce(sum(households) FILTER (WHERE of_year), 0) AS year_households,
           coalesce(sum(households) FILTER (WHERE of_year AND started), 0) AS year_started,
           coalesce(sum(households) FILTER (WHERE of_year AND completed), 0) AS year_completed,
           count(*) FILTER (WHERE late) AS late_resettlement,
           coalesce(sum(dwellings) FILTER (WHERE late), 0) AS late_dwellings,
           count(*) FILTER (WHERE started_in) AS started_in,
           count(*) FILTER (WHERE completed_in) AS completed_in
    FROM keyed k
    GROUP BY GROUPING SETS ((k.type, k.plan_year, k.mode, k.batch, k.street, k.investor), ())
)
SELECT type, plan_year, mode, batch, street, investor, is_total,
       projects, households, dwellings,
       round((floor_area / 10000)::numeric, 4)::float8 AS floor_area_wm2,
       lanes,
       round((lane_m / 1000)::numeric, 3)::float8 AS lane_km,
       round(invest::numeric, 2)::float8 AS invest_wan,
       round(funds::numeric, 2)::float8 AS funds_wan,
       bond_projects, themed_projects, started_projects, completed_projects,
       year_projects, year_households,
       year_started AS year_started_households,
       round((100.0 * year_started / nullif(year_households, 0))::numeric, 2)::float8 AS start_rate,
       year_completed AS year_completed_households,
       round((100.0 * year_completed / nullif(year_households, 0))::numeric, 2)::float8 AS completion_rate,
       late_resettlement, late_dwellings,
       started_in, completed_in
FROM sums
ORDER BY is_total, array_position(ARRAY['棚户区改造', '老旧小区改造', '城中村改造', '背街小巷', '配套基础设施', '安置房'], type), type,
         plan_year, mode, batch, street = '未划分', street, investor;
