-- @report name=renewal-progress title=城市更新推进情况 title_en="Urban-renewal progress"
-- @description "Renewal units and area by stage and at or past each stage, implementation rate (at or past 土地出让), land contribution rate, units within 500 m of a station (TOD)."
-- @period "units reaching each milestone in the period (its date field); stages as of the as-of date"
-- @street "sub-district of the unit (the smallest boundaries polygon holding its point on surface, else 未划分)"
-- @layer kind=renewal_units name=renewal_units
-- @layer kind=boundaries name=boundaries
-- @layer kind=stations name=stations optional
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 as_of
-- @param $5 current
-- @param $6 street
-- @group key=stage title=阶段 title_en=Stage
-- @column key=stage group=stage type=text title=阶段 title_en=Stage
-- @group key=category title=更新类别 title_en=Category
-- @column key=category group=category type=text title=更新类别 title_en=Category
-- @group key=direction title=更新方向 title_en=Direction
-- @column key=direction group=direction type=text title=更新方向 title_en=Direction
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @default_group stage
-- @column key=units type=integer title=单元数 title_en=Units unit=个
-- @column key=area_ha type=number title=面积 title_en=Area unit=公顷 decimals=4
-- @column key=area_mu type=number title=面积 title_en=Area unit=亩 decimals=2
-- @column key=at_or_past_units type=integer title=达到该阶段及以后单元数 title_en="Units at or past the stage" unit=个 needs=stage
-- @column key=at_or_past_ha type=number title=达到该阶段及以后面积 title_en="Area at or past the stage" unit=公顷 decimals=4 needs=stage
-- @column key=approved_units type=integer title=规划已批单元数 title_en="Plans approved" unit=个
-- @column key=confirmed_units type=integer title=实施主体已确认单元数 title_en="Implementing entity confirmed" unit=个
-- @column key=transferred_units type=integer title=已出让单元数 title_en="Land transferred" unit=个
-- @column key=started_units type=integer title=已开工单元数 title_en="Construction started" unit=个
-- @column key=completed_units type=integer title=已竣工单元数 title_en=Completed unit=个
-- @column key=implementation_rate type=percent title=实施率 title_en="Implementation rate" unit=% decimals=2 formula="达到土地出让及以后的单元数 ÷ 单元总数 (units at or past 土地出让 ÷ all units); the district reports state no denominator for 实施率: this is tudi's definition"
-- @column key=contributed_m2 type=number title=贡献用地面积 title_en="Contributed land" unit=m² decimals=2
-- @column key=contribution_rate type=percent title=用地贡献率 title_en="Land contribution rate" unit=% decimals=2 formula="贡献用地面积 ÷ 单元面积 (contributed land ÷ unit area)"
-- @column key=tod_units type=integer title=TOD单元数(站点500米内) title_en="TOD units (within 500 m of a station)" unit=个
-- @column key=tod_ha type=number title=TOD单元面积 title_en="TOD unit area" unit=公顷 decimals=4
-- @column key=planned_in type=integer title=期内计划立项单元数 title_en="Planned in the period" unit=个 flow target
-- @column key=approved_in type=integer title=期内规划批准单元数 title_en="Plans approved in the period" unit=个 flow target
-- @column key=confirmed_in type=integer title=期内实施主体确认单元数 title_en="Entities confirmed in the period" unit=个 flow target
-- @column key=transferred_in type=integer title=期内土地出让单元数 title_en="Land transferred in the period" unit=个 flow target
-- @column key=started_in type=integer title=期内开工单元数 title_en="Started in the period" unit=个 flow target
-- @column key=completed_in type=integer title=期内竣工单元数 title_en="Completed in the period" unit=个 flow target
--
-- 城市更新 urban-renewal progress: units and their area, how many are at or
-- past each stage as of a date, the implementation rate, the land
-- contribution rate, the units near rail stations (TOD) and, for a period,
-- the units reaching each milestone in it, grouped by any of stage,
-- category, direction and sub-district.
--
-- Milestones, in order, each a date field of the unit:
--   1 计划立项 listed_date       2 规划批准 approved_date
--   3 实施主体确认 entity_date    4 土地出让 contract_date
--   5 开工 start_date            6 竣工 completed_date
-- The stage of a unit as of D is the last milestone whose date is on or
-- before D, so a report re-run later for the same D gives the same stages.
-- A unit with no milestone date at all has its stage field instead (建设
-- read as 开工), but only as of today (or later): its past stages are not
-- known. A unit with dates, none on or before D, was not yet planned on D.
--   units (planned)     = units with a stage as of D
--   approved            = units at or past 规划批准 as of D, and so on
--   implementation rate = units at or past 土地出让 ÷ units, in percent
--   contribution rate   = Σ contributed_area_m2 ÷ Σ unit area, in percent
--   TOD                 = units within 500 m (on the ellipsoid) of a stations feature
--   *_in                = units whose milestone date lies in the period
-- When grouped by stage, at_or_past_* of a stage row counts the units of that
-- stage and of every later one (within the same other groups).
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {stage, category, direction, street}
--   $2 date     the period's first day (NULL: no period; the *_in figures are 0)
--   $3 date     the period's last day
--   $4 date     the as-of date of the stages
--   $5 boolean  whether $4 is today or later (units without dates then count by their stage field)
--   $6 text[]   only units of these sub-districts, boundaries names or 未划分
--               (NULL: every unit)
-- Layers: renewal_units, stations, boundaries.
WITH dated AS (
    SELECT u.*,
           ARRAY[u.listed_date, u.approved_date, u.entity_date,
                 u.contract_date, u.start_date, u.completed_date] AS ms
    FROM renewal_units u
    -- Filtered by street, a unit can only lie in the chosen sub-districts
    -- if it meets their extent (its point on surface lies in both): a
    -- test of bounding boxes that spares the others the point on surface.
    -- 未划分 units may lie anywhere, units without geometry go by street.
    WHERE ($6::text[] IS NULL OR '未划分' = ANY($6::text[]) OR u.geom IS NULL OR u.geom && (
               SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY($6::text[])))
),
staged AS (
    SELECT d.*,
           CASE WHEN num_nonnulls(VARIADIC d.ms) = 0 THEN
                    CASE WHEN $5::boolean THEN array_position(ARRAY['计划立项', '规划批准', '实施主体确认', '土地出让', '开工', '竣工'],
                                                              CASE WHEN d.stage = '建设' THEN '开工' ELSE d.stage END) END
                ELSE (SELECT max(m.i) FROM unnest(d.ms) WITH ORDINALITY AS m(day, i) WHERE m.day <= $4::date)
           END AS stage_no,
           CASE WHEN num_nonnulls(VARIADIC d.ms) = 0 THEN $5::boolean
                ELSE EXISTS (SELECT 1 FROM unnest(d.ms) AS m(day) WHERE m.day <= $4::date)
           END AS in_stock
    FROM dated d
),
units AS (
    SELECT s.*,
           CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL THEN ST_PointOnSurface(s.geom) END AS pos,
           $2::date IS NOT NULL AND s.ms[1] BETWEEN $2::date AND $3::date AS planned_in,
           $2::date IS NOT NULL AND s.ms[2] BETWEEN $2::date AND $3::date AS approved_in,
           $2::date IS NOT NULL AND s.ms[3] BETWEEN $2::date AND $3::date AS confirmed_in,
           $2::date IS NOT NULL AND s.ms[4] BETWEEN $2::date AND $3::date AS transferred_in,
           $2::date IS NOT NULL AND s.ms[5] BETWEEN $2::date AND $3::date AS started_in,
           $2::date IS NOT NULL AND s.ms[6] BETWEEN $2::date AND $3::date AS completed_in
    FROM staged s
    -- Units in the stock as of the date, and those with a milestone in the
    -- period (which, as of a date before the period's end, may not be).
    WHERE s.in_stock OR ($2::date IS NOT NULL AND EXISTS (
              SELECT 1 FROM unnest(s.ms) AS m(day) WHERE m.day BETWEEN $2::date AND $3::date))
    OFFSET 0 -- keeps the point on surface computed once per unit
),
-- The sub-district of a feature is the smallest boundaries polygon that
-- holds its point on surface, computed only when grouped or filtered by
-- street (the CASEs skip it otherwise): the name of the point's 0.01° cell
-- in boundary_cells (see boundary-cells.sql), a hash join, or where a
-- boundary's edge crosses that cell, a lookup through the GiST index of
-- boundaries. A feature without geometry (a ledger record) is in the
-- boundaries polygon named by its street field. Features are never joined
-- back to an intermediate result: that join's plan hangs on row estimates.
-- The street filter keeps the units whose sub-district is chosen, before
-- any figure is summed (and before TOD is looked up).
keyed AS (
    SELECT CASE WHEN 'stage' = ANY($1::text[]) THEN
                CASE WHEN u.stage_no IS NOT NULL THEN (ARRAY['计划立项', '规划批准', '实施主体确认', '土地出让', '开工', '竣工'])[u.stage_no]
                     WHEN NOT u.in_stock THEN '未立项'
                     ELSE coalesce(nullif(u.stage, ''), '未填') END END AS stage,
           CASE WHEN 'stage' = ANY($1::text[]) THEN u.stage_no END AS stage_no,
           CASE WHEN 'category' = ANY($1::text[]) THEN coalesce(nullif(u.category, ''), '未填') END AS category,
           CASE WHEN 'direction' = ANY($1::text[]) THEN coalesce(nullif(u.direction, ''), '未填') END AS direction,
           CASE WHEN 'street' = ANY($1::text[]) THEN u.sub END AS street,
           u.in_stock,
           u.area_m2,
           coalesce(u.contributed_area_m2, 0) AS contributed_m2,
           u.stage_no >= 2 AS approved,
           u.stage_no >= 3 AS confirmed,
           u.stage_no >= 4 AS transferred,
           u.stage_no >= 5 AS started,
           u.stage_no >= 6 AS completed,
           u.planned_in, u.approved_in, u.confirmed_in, u.transferred_in, u.started_in, u.completed_in,
           -- The && with a box 0.01° larger lets the GiST index of stations
           -- pick candidates: 500 m is at most 0.0045° of latitude, and at
           -- most 0.01° of longitude up to 63° N (China ends at 53.6° N).
           u.in_stock AND EXISTS (SELECT 1 FROM stations s
                   WHERE s.geom && ST_Expand(u.geom, 0.01)
                     AND ST_DWithin(s.geom::geography, u.geom::geography, 500)) AS tod
    FROM (SELECT n.*,
                 CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, n.pos)
                     ORDER BY b.area_m2 LIMIT 1), (
                     SELECT b.name FROM boundaries b
                     WHERE (n.pos IS NULL OR ST_IsEmpty(n.pos)) AND b.name = btrim(n.street)
                     LIMIT 1), '未划分') END AS sub
          FROM units n
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(n.pos) * 100)::bigint * 100000 + floor(ST_Y(n.pos) * 100)::bigint
          OFFSET 0) u -- keeps the sub-district computed once per unit
    WHERE $6::text[] IS NULL OR u.sub = ANY($6::text[])
),
sums AS (
    SELECT stage, stage_no, category, direction, street,
           GROUPING(stage, stage_no, category, direction, street) <> 0 AS is_total,
           count(*) FILTER (WHERE in_stock) AS units,
           coalesce(sum(area_m2) FILTER (WHERE in_stock), 0) AS area,
           count(*) FILTER (WHERE approved) AS approved_units,
           count(*) FILTER (WHERE confirmed) AS confirmed_units,
           count(*) FILTER (WHERE transferred) AS transferred_units,
           count(*) FILTER (WHERE started) AS started_units,
           count(*) FILTER (WHERE completed) AS completed_units,
           coalesce(sum(contributed_m2) FILTER (WHERE in_stock), 0) AS contributed,
           count(*) FILTER (WHERE tod) AS tod_units,
           coalesce(sum(area_m2) FILTER (WHERE tod), 0) AS tod_area,
           count(*) FILTER (WHERE planned_in) AS planned_in,
           count(*) FILTER (WHERE approved_in) AS approved_in,
           count(*) FILTER (WHERE confirmed_in) AS confirmed_in,
           count(*) FILTER (WHERE transferred_in) AS transferred_in,
           count(*) FILTER (WHERE started_in) AS started_in,
           count(*) FILTER (WHERE completed_in) AS completed_in
    FROM keyed
    GROUP BY GROUPING SETS ((stage, stage_no, category, direction, street), ())
)
SELECT stage, category, direction, street, is_total, units,
       round((area / 10000)::numeric, 4)::float8 AS area_ha,
       round((area * 15 / 10000)::numeric, 2)::float8 AS area_mu,
       -- Running sums from the last stage backwards; units of an unknown
       -- stage (stage_no NULL) sort after every stage and get none.
       CASE WHEN stage_no IS NOT NULL THEN sum(units) OVER w END::bigint AS at_or_past_units,
       CASE WHEN stage_no IS NOT NULL THEN round((sum(area) OVER w / 10000)::numeric, 4)::float8 END AS at_or_past_ha,
       approved_units, confirmed_units, transferred_units, started_units, completed_units,
       round((100.0 * transferred_units / nullif(units, 0))::numeric, 2)::float8 AS implementation_rate,
       round(contributed::numeric, 2)::float8 AS contributed_m2,
       round((100 * contributed / nullif(area, 0))::numeric, 2)::float8 AS contribution_rate,
       tod_units,
       round((tod_area / 10000)::numeric, 4)::float8 AS tod_ha,
       planned_in, approved_in, confirmed_in, transferred_in, started_in, completed_in
FROM sums
WINDOW w AS (PARTITION BY is_total, category, direction, street ORDER BY coalesce(stage_no, 0) DESC)
ORDER BY is_total, coalesce(stage_no, 99), stage, category, direction, street = '未划分', street;
