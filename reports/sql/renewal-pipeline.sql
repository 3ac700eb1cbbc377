-- @report name=renewal-pipeline title=城市更新从计划到出让 title_en="Urban renewal from plan to land contract"
-- @description "Renewal units listed, plans approved (land contribution, floor areas, facilities), entities confirmed, land contracts and price per phase, land handed into the reserve; stocks of units and phases as of a date, category shares, planned industrial space, the implementation rate in two forms, TOD units, coverage of 统筹单元."
-- @period "units listed (listed_date), plans approved (approved_date), entities confirmed (entity_date), phases contracted (contract_date) and handed over (handover_date) in the period; stocks as of the as-of date"
-- @street "sub-district of the unit (the smallest boundaries polygon holding its point on surface; without geometry, its street field; else 未划分); a phase is in its unit's"
-- @layer kind=renewal_units name=renewal_units
-- @layer kind=renewal_projects name=renewal_projects optional
-- @layer kind=boundaries name=boundaries
-- @layer kind=stations name=stations optional
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 as_of
-- @param $5 current
-- @param $6 street
-- @group key=category title=更新类别 title_en=Category
-- @column key=category group=category type=text title=更新类别 title_en=Category
-- @group key=direction title=更新方向 title_en=Direction
-- @column key=direction group=direction type=text title=更新方向 title_en=Direction
-- @group key=approver title=批复机关 title_en="Approving authority"
-- @column key=approver group=approver type=text title=批复机关 title_en="Approving authority"
-- @group key=scope title=单元类型 title_en="Unit type"
-- @column key=scope group=scope type=text title=单元类型 title_en="Unit type"
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @default_group category
-- @column key=units type=integer title=已列入计划单元数 title_en="Units listed" unit=个
-- @column key=share type=percent title=单元数占比 title_en="Share of units" unit=% decimals=2 formula="本组单元数 ÷ 全部单元数 (units listed by the as-of date in the row ÷ all units listed by then)"
-- @column key=plan_area_ha type=number title=计划用地面积 title_en="Planned land area" unit=公顷 decimals=4
-- @column key=approved_units type=integer title=规划已批单元数 title_en="Plans approved" unit=个
-- @column key=unapproved_units type=integer title=规划未批单元数 title_en="Plans not yet approved" unit=个
-- @column key=contribution_rate type=percent title=土地贡献率 title_en="Land contribution rate" unit=% decimals=2 formula="(规划批准用地面积 − 开发建设用地面积) ÷ 规划批准用地面积 ((approved − development land area) ÷ approved land area, units approved by the as-of date with both areas)"
-- @column key=industrial_wm2 type=number title=规划产业用房面积 title_en="Planned industrial floor area" unit=万m² decimals=2
-- @column key=industrial_increase_wm2 type=number title=产业用房增量 title_en="Increase of industrial floor area" unit=万m² decimals=2
-- @column key=phases type=integer title=分期项目数 title_en=Phases unit=个
-- @column key=phases_contracted type=integer title=已出让分期数 title_en="Phases with a land contract" unit=个
-- @column key=phase_rate type=percent title=实施率(按分期) title_en="Implementation rate (phases)" unit=% decimals=2 formula="已签订土地出让合同的分期数 ÷ 分期总数 (phases with a land contract by the as-of date ÷ all phases of the units listed by then); the district reports state no denominator for 实施率: one of tudi's two readings"
-- @column key=units_contracted type=integer title=全部分期已出让单元数 title_en="Units with every phase contracted" unit=个
-- @column key=unit_rate type=percent title=实施率(按单元) title_en="Implementation rate (units)" unit=% decimals=2 formula="全部分期均已签订土地出让合同的单元数 ÷ 单元总数 (units all of whose phases have a land contract by the as-of date ÷ all units listed by then; a unit without phases by its own 土地出让 date); the district reports state no denominator for 实施率: one of tudi's two readings"
-- @column key=units_entity type=integer title=全部分期已确认实施主体单元数 title_en="Units with every phase's entity confirmed" unit=个
-- @column key=tod_units type=integer title=TOD单元数(站点500米内) title_en="TOD units (within 500 m of a station)" unit=个
-- @column key=coordinated_streets type=integer title=有统筹单元的街道/镇 title_en="Sub-districts with a coordinated unit" unit=个
-- @column key=coordinated_coverage type=percent title=统筹单元覆盖率 title_en="Coverage of coordinated units" unit=% decimals=2 formula="有统筹单元的街道/镇数 ÷ 街道/镇总数 (sub-districts with a 统筹单元 listed by the as-of date ÷ all sub-districts: the boundaries polygons holding no smaller one, or the chosen ones; in a sub-district's row, that one)"
-- @column key=listed_in type=integer title=期内计划立项单元数 title_en="Units listed in the period" unit=个 flow target
-- @column key=listed_plan_ha_in type=number title=期内立项计划用地面积 title_en="Planned land area listed in the period" unit=公顷 decimals=4 flow
-- @column key=listed_demolition_ha_in type=number title=期内立项拆除重建用地面积 title_en="Demolition area listed in the period" unit=公顷 decimals=4 flow target
-- @column key=listed_demolition_share type=percent title=拆除重建面积占比 title_en="Share of the demolition area listed" unit=% decimals=2 flow formula="本组期内立项单元拆除重建用地面积 ÷ 期内立项全部单元拆除重建用地面积 (demolition area of the row's units listed in the period ÷ that of all units listed in the period)"
-- @column key=approved_in type=integer title=期内规划批准单元数 title_en="Plans approved in the period" unit=个 flow target
-- @column key=approved_city_in type=integer title=其中市批 title_en="of which by the city" unit=个 flow
-- @column key=approved_district_in type=integer title=其中区批 title_en="of which by the district" unit=个 flow
-- @column key=approved_ha_in type=number title=期内规划批准用地面积 title_en="Approved land area in the period" unit=公顷 decimals=4 flow
-- @column key=dev_ha_in type=number title=期内开发建设用地面积 title_en="Development land area approved in the period" unit=公顷 decimals=4 flow
-- @column key=contribution_rate_in type=percent title=期内土地贡献率 title_en="Land contribution rate, plans approved in the period" unit=% decimals=2 flow formula="(规划批准用地面积 − 开发建设用地面积) ÷ 规划批准用地面积 ((approved − development land area) ÷ approved land area, plans approved in the period with both areas)"
-- @column key=gfa_wm2_in type=number title=期内批准建筑面积 title_en="Floor area approved in the period" unit=万m² decimals=2 flow
-- @column key=gfa_residential_wm2_in type=number title=其中住宅 title_en="of which residential" unit=万m² decimals=2 flow
-- @column key=gfa_commercial_wm2_in type=number title=其中商业 title_en="of which commercial" unit=万m² decimals=2 flow
-- @column key=gfa_industrial_wm2_in type=number title=其中产业 title_en="of which industrial" unit=万m² decimals=2 flow
-- @column key=gfa_public_wm2_in type=number title=其中公共配套 title_en="of which public facilities" unit=万m² decimals=2 flow
-- @column key=affordable_wm2_in type=number title=期内批准保障性住房 title_en="Affordable housing approved in the period" unit=万m² decimals=2 flow target
-- @column key=innovative_wm2_in type=number title=期内批准创新型产业用房 title_en="Innovative industrial space approved in the period" unit=万m² decimals=2 flow target
-- @column key=schools_in type=integer title=期内批准中小学 title_en="Schools approved in the period" unit=所 flow
-- @column key=kindergartens_in type=integer title=期内批准幼儿园 title_en="Kindergartens approved in the period" unit=所 flow
-- @column key=health_centres_in type=integer title=期内批准社康中心 title_en="Health centres approved in the period" unit=个 flow
-- @column key=entity_units_in type=integer title=期内确认实施主体单元数 title_en="Units whose entity was confirmed in the period" unit=个 flow target
-- @column key=entity_phases_in type=integer title=期内确认实施主体分期数 title_en="Phases whose entity was confirmed in the period" unit=个 flow
-- @column key=contracts_in type=integer title=期内签订出让合同分期数 title_en="Land contracts signed in the period (phases)" unit=个 flow target
-- @column key=land_price_yi_in type=number title=期内土地出让价款 title_en="Land price of the contracts in the period" unit=亿元 decimals=4 flow target
-- @column key=handover_in type=integer title=期内移交入库宗数 title_en="Hand-overs into the reserve in the period" unit=宗 flow
-- @column key=handover_ha_in type=number title=期内移交入库面积 title_en="Land handed into the reserve in the period" unit=公顷 decimals=4 flow target
--
-- 城市更新 urban renewal from plan to land contract: the units (layer
-- renewal_units) and their phases (renewal_projects, joined by
-- unit_code = the unit's code), grouped by any of category, direction,
-- approver, scope (unit type) and sub-district; a phase takes its unit's
-- groups (a phase whose unit is not in the layer: 未填, and its own
-- sub-district).
--
-- A unit is listed as of D when one of its milestone dates (listed_date …
-- completed_date) is on or before D, or, with no date at all, as of today
-- (its stage field). Its plan is approved as of D when approved_date or a
-- later milestone is on or before D (without dates: stage 规划批准 or later,
-- as of today), exactly the stage rule of renewal-progress.
--   units, share          = units listed as of D; the row's ÷ all, percent
--   contribution rate     = Σ (approved_area_m2 − dev_area_m2) ÷ Σ approved_area_m2
--                           over the approved units that have both, percent
--   industrial, increase  = Σ gfa_industrial_m2, Σ (gfa_industrial_m2 −
--                           existing_industrial_m2) over the approved units
--   phases                = phase records of the listed units (and phases
--                           without a unit in the layer)
--   phase contracted      = contract_date on or before D (undated with a
--                           contract_no: as of today)
--   units contracted      = listed units with phases, every one contracted;
--                           a unit without phase records: its own stage at
--                           or past 土地出让
--   units entity          = the same with entity_date (or the unit's stage
--                           at or past 实施主体确认)
--   phase rate, unit rate = phases contracted ÷ phases; units contracted ÷
--                           units (the district's 实施率 names neither)
--   coordinated coverage  = sub-districts holding a listed 统筹单元 ÷ all
--                           sub-districts (boundaries polygons that hold no
--                           smaller polygon, or the chosen ones); in a row
--                           of a sub-district, of that one
--   *_in                  = the units whose date lies in the period (listed,
--                           approved: with their areas, floor areas and
--                           facilities; entity), the phases whose
--                           entity_date, contract_date (land price) or
--                           handover_date (area) lies in it
--   demolition share      = the row's Σ demolition_area_m2 of units listed
--                           in the period ÷ the total's, percent
-- Floor areas in 万m² (10 000 m²); land areas in 公顷.
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {category, direction, approver, scope, street}
--   $2 date     the period's first day (NULL: no period; the *_in figures are 0)
--   $3 date     the period's last day
--   $4 date     the as-of date
--   $5 boolean  whether $4 is today or later
--   $6 text[]   only units (and phases) of these sub-districts (NULL: all)
-- Layers: renewal_units, renewal_projects, boundaries, stations.
WITH dated AS (
    SELECT u.*,
           ARRAY[u.listed_date, u.approved_date, u.entity_date, u.contract_date, u.start_date, u.completed_date] AS ms
    FROM renewal_units u
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
           END AS in_stock,
           -- The sub-district is needed when grouping or filtering by
           -- street, and for the coverage of 统筹单元.
           CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL OR d.scope = '统筹单元' THEN ST_PointOnSurface(d.geom) END AS pos
    FROM dated d
    -- Units listed as of the date, and those with a milestone in the
    -- period (which, as of a date before the period's end, may not be).
    WHERE (num_nonnulls(VARIADIC d.ms) = 0 AND $5::boolean)
       OR EXISTS (SELECT 1 FROM unnest(d.ms) AS m(day) WHERE m.day <= $4::date OR m.day BETWEEN $2::date AND $3::date)
    OFFSET 0 -- keeps the point on surface computed once per unit
),
units AS (
    SELECT u.*
    FROM (SELECT s.*,
                 CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL OR s.scope = '统筹单元' THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, s.pos)
                     ORDER BY b.area_m2 LIMIT 1), (
                     SELECT b.name FROM boundaries b
                     WHERE (s.pos IS NULL OR ST_IsEmpty(s.pos)) AND b.name = btrim(s.street)
                     LIMIT 1), '未划分') END AS sub
          FROM staged s
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(s.pos) * 100)::bigint * 100000 + floor(ST_Y(s.pos) * 100)::bigint
          OFFSET 0) u -- keeps the sub-district computed once per unit
    WHERE $6::text[] IS NULL OR u.sub = ANY($6::text[])
),
-- The phases, each with its unit's code when the unit is in the layer (a
-- unit's code is taken to be unique), and whether it is contracted and has
-- its entity as of D.
phases AS (
    SELECT p.unit_code, p.geom, p.street,
           coalesce(p.contract_date <= $4::date, coalesce(p.contract_no, '') <> '' AND $5::boolean) AS contracted,
           coalesce(p.entity_date <= $4::date, coalesce(p.entity, '') <> '' AND $5::boolean) AS with_entity,
           $2::date IS NOT NULL AND p.entity_date BETWEEN $2::date AND $3::date AS entity_in,
           $2::date IS NOT NULL AND p.contract_date BETWEEN $2::date AND $3::date AS contract_in,
           CASE WHEN p.contract_date BETWEEN $2::date AND $3::date THEN coalesce(p.land_price_wan, 0) ELSE 0 END AS price_in,
           $2::date IS NOT NULL AND p.handover_date BETWEEN $2::date AND $3::date AS handover_in,
           CASE WHEN p.handover_date BETWEEN $2::date AND $3::date THEN coalesce(p.handover_area_m2, 0) ELSE 0 END AS handover_area_in
    FROM renewal_projects p
),
per_unit AS (
    SELECT unit_code, count(*) AS n,
           bool_and(contracted) AS all_contracted, bool_and(with_entity) AS all_entity
    FROM phases
    GROUP BY unit_code
),
-- One row per unit and one per phase, each with the figures it adds to.
facts AS (
    SELECT u.category AS g_category, u.direction AS g_direction, u.approver AS g_approver, u.scope AS g_scope, u.sub AS g_sub,
           true AS is_unit, u.in_stock,
           u.stage_no >= 2 AS approved,
           u.plan_area_m2,
           CASE WHEN u.approved_area_m2 IS NOT NULL AND u.dev_area_m2 IS NOT NULL THEN u.approved_area_m2 END AS contrib_base,
           u.approved_area_m2 - u.dev_area_m2 AS contrib,
           u.gfa_industrial_m2, u.existing_industrial_m2,
           CASE WHEN pu.n > 0 THEN pu.all_contracted ELSE u.stage_no >= 4 END AS unit_contracted,
           CASE WHEN pu.n > 0 THEN pu.all_entity ELSE u.stage_no >= 3 END AS unit_entity,
           u.in_stock AND EXISTS (SELECT 1 FROM stations s
                   WHERE s.geom && ST_Expand(u.geom, 0.01)
                     AND ST_DWithin(s.geom::geography, u.geom::geography, 500)) AS tod,
           CASE WHEN u.scope = '统筹单元' AND u.in_stock AND u.sub <> '未划分' THEN u.sub END AS coordinated_sub,
           $2::date IS NOT NULL AND u.listed_date BETWEEN $2::date AND $3::date AS listed_in,
           $2::date IS NOT NULL AND u.approved_date BETWEEN $2::date AND $3::date AS approved_in,
           $2::date IS NOT NULL AND u.entity_date BETWEEN $2::date AND $3::date AS entity_in,
           u.demolition_area_m2, u.approved_area_m2, u.dev_area_m2, u.gfa_m2, u.gfa_residential_m2, u.gfa_commercial_m2,
           u.gfa_public_m2, u.affordable_m2, u.innovative_m2, u.schools, u.kindergartens, u.health_centres,
           false AS phase_in_stock, false AS contracted, false AS contract_in, 0::float8 AS price_in,
           false AS handover_in, 0::float8 AS handover_area_in, false AS phase_entity_in
    FROM units u
    LEFT JOIN per_unit pu ON pu.unit_code = u.code
    UNION ALL
    SELECT u.category, u.direction, u.approver, u.scope,
           coalesce(u.sub, CASE WHEN u.code IS NULL AND ('street' = ANY($1::text[]) OR $6::text[] IS NOT NULL) THEN coalesce((
               SELECT b.name FROM boundaries b
               WHERE ST_Contains(b.geom, ST_PointOnSurface(p.geom))
               ORDER BY b.area_m2 LIMIT 1), (
               SELECT b.name FROM boundaries b
               WHERE (p.geom IS NULL OR ST_IsEmpty(p.geom)) AND b.name = btrim(p.street)
               LIMIT 1), '未划分') END),
           false AS is_unit, false AS in_stock, false AS approved, NULL AS plan_area_m2, NULL AS contrib_base, NULL AS contrib,
           NULL AS gfa_industrial_m2, NULL AS existing_industrial_m2, false AS unit_contracted, false AS unit_entity,
           false AS tod, NULL AS coordinated_sub, false AS listed_in, false AS approved_in, false AS entity_in,
           NULL AS demolition_area_m2, NULL AS approved_area_m2, NULL AS dev_area_m2, NULL AS gfa_m2, NULL AS gfa_residential_m2,
           NULL AS gfa_commercial_m2, NULL AS gfa_public_m2, NULL AS affordable_m2, NULL AS innovative_m2,
           NULL AS schools, NULL AS kindergartens, NULL AS health_centres,
           -- A phase of a listed unit; one without its unit in the layer
           -- is counted as it stands.
           coalesce(u.in_stock, true), p.contracted, p.contract_in, p.price_in,
           p.handover_in, p.handover_area_in, p.entity_in
    FROM phases p
    LEFT JOIN units u ON u.code = p.unit_code
    LEFT JOIN (SELECT DISTINCT code FROM renewal_units) x ON x.code = p.unit_code
    -- Phases of units not chosen (filtered out by street or not listed as
    -- of the date) are left out; phases without a unit are kept. (Joins,
    -- not a NOT EXISTS under the OR, which would scan the units per phase.)
    WHERE u.code IS NOT NULL OR x.code IS NULL
),
keyed AS (
    SELECT CASE WHEN 'category' = ANY($1::text[]) THEN coalesce(nullif(f.g_category, ''), '未填') END AS category,
           CASE WHEN 'direction' = ANY($1::text[]) THEN coalesce(nullif(f.g_direction, ''), '未填') END AS direction,
           CASE WHEN 'approver' = ANY($1::text[]) THEN coalesce(nullif(f.g_approver, ''), '未填') END AS approver,
           CASE WHEN 'scope' = ANY($1::text[]) THEN coalesce(nullif(f.g_scope, ''), '未填') END AS scope,
           CASE WHEN 'street' = ANY($1::text[]) THEN f.g_sub END AS street,
           f.*
    FROM facts f
    WHERE $6::text[] IS NULL OR f.g_sub = ANY($6::text[])
),
sums AS (
    SELECT k.category, k.direction, k.approver, k.scope, k.street,
           GROUPING(k.category, k.direction, k.approver, k.scope, k.street) <> 0 AS is_total,
           count(*) FILTER (WHERE k.is_unit AND k.in_stock) AS units,
           coalesce(sum(k.plan_area_m2) FILTER (WHERE k.is_unit AND k.in_stock), 0) AS plan_area,
           count(*) FILTER (WHERE k.is_unit AND k.approved) AS approved_units,
           coalesce(sum(k.contrib) FILTER (WHERE k.approved AND k.contrib_base IS NOT NULL), 0) AS contrib,
           coalesce(sum(k.contrib_base) FILTER (WHERE k.approved), 0) AS contrib_base,
           coalesce(sum(k.gfa_industrial_m2) FILTER (WHERE k.approved), 0) AS industrial,
           coalesce(sum(coalesce(k.gfa_industrial_m2, 0) - coalesce(k.existing_industrial_m2, 0)) FILTER (WHERE k.approved), 0) AS industrial_increase,
           count(*) FILTER (WHERE NOT k.is_unit AND k.phase_in_stock) AS phases,
           count(*) FILTER (WHERE NOT k.is_unit AND k.phase_in_stock AND k.contracted) AS phases_contracted,
           count(*) FILTER (WHERE k.is_unit AND k.in_stock AND k.unit_contracted) AS units_contracted,
           count(*) FILTER (WHERE k.is_unit AND k.in_stock AND k.unit_entity) AS units_entity,
           count(*) FILTER (WHERE k.tod) AS tod_units,
           count(DISTINCT k.coordinated_sub) AS coordinated_streets,
           count(*) FILTER (WHERE k.listed_in) AS listed_in,
           coalesce(sum(k.plan_area_m2) FILTER (WHERE k.listed_in), 0) AS listed_plan_in,
           coalesce(sum(k.demolition_area_m2) FILTER (WHERE k.listed_in), 0) AS listed_demolition_in,
           count(*) FILTER (WHERE k.approved_in) AS approved_in,
           count(*) FILTER (WHERE k.approved_in AND k.g_approver = '市') AS approved_city_in,
           count(*) FILTER (WHERE k.approved_in AND k.g_approver = '区') AS approved_district_in,
           coalesce(sum(k.approved_area_m2) FILTER (WHERE k.approved_in), 0) AS approved_area_in,
           coalesce(sum(k.dev_area_m2) FILTER (WHERE k.approved_in), 0) AS dev_area_in,
           coalesce(sum(k.contrib) FILTER (WHERE k.approved_in AND k.contrib_base IS NOT NULL), 0) AS contrib_in,
           coalesce(sum(k.contrib_base) FILTER (WHERE k.approved_in), 0) AS contrib_base_in,
           coalesce(sum(k.gfa_m2) FILTER (WHERE k.approved_in), 0) AS gfa_in,
           coalesce(sum(k.gfa_residential_m2) FILTER (WHERE k.approved_in), 0) AS gfa_residential_in,
           coalesce(sum(k.gfa_commercial_m2) FILTER (WHERE k.approved_in), 0) AS gfa_commercial_in,
           coalesce(sum(k.gfa_industrial_m2) FILTER (WHERE k.approved_in), 0) AS gfa_industrial_in,
           coalesce(sum(k.gfa_public_m2) FILTER (WHERE k.approved_in), 0) AS gfa_public_in,
           coalesce(sum(k.affordable_m2) FILTER (WHERE k.approved_in), 0) AS affordable_in,
           coalesce(sum(k.innovative_m2) FILTER (WHERE k.approved_in), 0) AS innovative_in,
           coalesce(sum(k.schools) FILTER (WHERE k.approved_in), 0) AS schools_in,
           coalesce(sum(k.kindergartens) FILTER (WHERE k.approved_in), 0) AS kindergartens_in,
           coalesce(sum(k.health_centres) FILTER (WHERE k.approved_in), 0) AS health_centres_in,
           count(*) FILTER (WHERE k.entity_in) AS entity_units_in,
           count(*) FILTER (WHERE k.phase_entity_in) AS entity_phases_in,
           count(*) FILTER (WHERE k.contract_in) AS contracts_in,
           coalesce(sum(k.price_in), 0) AS price_in,
           count(*) FILTER (WHERE k.handover_in) AS handover_in,
           coalesce(sum(k.handover_area_in), 0) AS handover_area_in
    FROM keyed k
    GROUP BY GROUPING SETS ((k.category, k.direction, k.approver, k.scope, k.street), ())
),
leaves AS (
    -- The sub-districts: the boundaries polygons that hold no smaller one
    -- (a district polygon around its streets is not one), or the chosen.
    SELECT b.name
    FROM boundaries b
    WHERE ($6::text[] IS NULL OR b.name = ANY($6::text[]))
      AND NOT EXISTS (SELECT 1 FROM boundaries o
                      WHERE o.id <> b.id AND o.area_m2 < b.area_m2 AND o.geom && b.geom
                        AND ST_Contains(b.geom, ST_PointOnSurface(o.geom)))
)
SELECT s.category, s.direction, s.approver, s.scope, s.street, s.is_total,
       s.units,
       round((100.0 * s.units / nullif(max(s.units) FILTER (WHERE s.is_total) OVER (), 0))::numeric, 2)::float8 AS share,
       round((s.plan_area / 10000)::numeric, 4)::float8 AS plan_area_ha,
       s.approved_units,
       s.units - s.approved_units AS unapproved_units,
       round((100 * s.contrib / nullif(s.contrib_base, 0))::numeric, 2)::float8 AS contribution_rate,
       round((s.industrial / 10000)::numeric, 2)::float8 AS industrial_wm2,
       round((s.industrial_increase / 10000)::numeric, 2)::float8 AS industrial_increase_wm2,
       s.phases, s.phases_contracted,
       round((100.0 * s.phases_contracted / nullif(s.phases, 0))::numeric, 2)::float8 AS phase_rate,
       s.units_contracted,
       round((100.0 * s.units_contracted / nullif(s.units, 0))::numeric, 2)::float8 AS unit_rate,
       s.units_entity, s.tod_units,
       s.coordinated_streets,
       -- Of the sub-districts of the row: all (or the chosen) ones, or the
       -- row's own when grouped by street (none for 未划分).
       round((100.0 * s.coordinated_streets / nullif((SELECT count(*) FROM leaves l WHERE s.street IS NULL OR l.name = s.street), 0))::numeric, 2)::float8 AS coordinated_coverage,
       s.listed_in,
       round((s.listed_plan_in / 10000)::numeric, 4)::float8 AS listed_plan_ha_in,
       round((s.listed_demolition_in / 10000)::numeric, 4)::float8 AS listed_demolition_ha_in,
       round((100 * s.listed_demolition_in / nullif(max(s.listed_demolition_in) FILTER (WHERE s.is_total) OVER (), 0))::numeric, 2)::float8 AS listed_demolition_share,
       s.approved_in, s.approved_city_in, s.approved_district_in,
       round((s.approved_area_in / 10000)::numeric, 4)::float8 AS approved_ha_in,
       round((s.dev_area_in / 10000)::numeric, 4)::float8 AS dev_ha_in,
       round((100 * s.contrib_in / nullif(s.contrib_base_in, 0))::numeric, 2)::float8 AS contribution_rate_in,
       round((s.gfa_in / 10000)::numeric, 2)::float8 AS gfa_wm2_in,
       round((s.gfa_residential_in / 10000)::numeric, 2)::float8 AS gfa_residential_wm2_in,
       round((s.gfa_commercial_in / 10000)::numeric, 2)::float8 AS gfa_commercial_wm2_in,
       round((s.gfa_industrial_in / 10000)::numeric, 2)::float8 AS gfa_industrial_wm2_in,
       round((s.gfa_public_in / 10000)::numeric, 2)::float8 AS gfa_public_wm2_in,
       round((s.affordable_in / 10000)::numeric, 2)::float8 AS affordable_wm2_in,
       round((s.innovative_in / 10000)::numeric, 2)::float8 AS innovative_wm2_in,
       s.schools_in, s.kindergartens_in, s.health_centres_in,
       s.entity_units_in, s.entity_phases_in, s.contracts_in,
       round((s.price_in / 10000)::numeric, 4)::float8 AS land_price_yi_in,
       s.handover_in,
       round((s.handover_area_in / 10000)::numeric, 4)::float8 AS handover_ha_in
FROM sums s
ORDER BY s.is_total, s.category, s.direction, s.approver, s.scope, s.street = '未划分', s.street;
