-- @report name=expropriation title=征收工作情况 title_en="Expropriation progress"
-- @description "Households signed (签约率) and demolished, compensation owed, paid and unpaid on signed agreements, land handed over and still to acquire, retained land (留用地) not allocated, overlap with a layer (--overlay)."
-- @period "agreements signed (signed_date), houses demolished (demolished_date) and land handed over (handed_date) in the period; the rest as of the as-of date"
-- @street "sub-district of the household or plot (the smallest boundaries polygon holding its point on surface; without geometry, its street field; else 未划分)"
-- @layer kind=households name=households
-- @layer kind=acquisition name=acquisition optional
-- @layer kind=boundaries name=boundaries
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 as_of
-- @param $5 street
-- @param $6 overlay kind=layer title=叠加图层 title_en="Overlay layer"
-- @group key=year title=任务年度 title_en="Task year"
-- @column key=year group=year type=integer title=任务年度 title_en="Task year"
-- @group key=project title=项目 title_en=Project
-- @column key=project group=project type=text title=项目名称 title_en=Project
-- @group key=source title=任务来源 title_en="Task source"
-- @column key=source group=source type=text title=任务来源 title_en="Task source"
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @group key=obstacle title=难点 title_en=Obstacle
-- @column key=obstacle group=obstacle type=text title=难点 title_en=Obstacle
-- @group key=sign_mode title=签约方式 title_en="Signing mode"
-- @column key=sign_mode group=sign_mode type=text title=签约方式 title_en="Signing mode"
-- @default_group project
-- @column key=projects type=integer title=项目数 title_en=Projects unit=个
-- @column key=households type=integer title=被征收户数 title_en=Households unit=户
-- @column key=signed type=integer title=已签约户数 title_en="Households signed" unit=户
-- @column key=sign_rate type=percent title=签约率 title_en="Signing rate" unit=% decimals=2 formula="截至日期已签约户数 ÷ 被征收户数 (households signed on or before the as-of date ÷ all households of the ledger)"
-- @column key=signed_m2 type=number title=已签约房屋面积 title_en="Floor area signed" unit=m² decimals=2
-- @column key=demolished type=integer title=已拆除户数 title_en="Households demolished" unit=户
-- @column key=demolished_m2 type=number title=已拆除房屋面积 title_en="Floor area demolished" unit=m² decimals=2
-- @column key=buildings type=integer title=房屋栋数 title_en=Buildings unit=栋
-- @column key=demolished_buildings type=integer title=已拆除栋数 title_en="Buildings demolished" unit=栋
-- @column key=compensation_wan type=number title=已签协议应付补偿款 title_en="Compensation due on signed agreements" unit=万元 decimals=2
-- @column key=paid_wan type=number title=已付补偿款 title_en="Compensation paid" unit=万元 decimals=2
-- @column key=unpaid_wan type=number title=已签协议待付款缺口 title_en="Unpaid on signed agreements" unit=万元 decimals=2
-- @column key=plots type=integer title=征收地块数 title_en=Plots unit=块
-- @column key=area_mu type=number title=征收范围面积 title_en="Plot area" unit=亩 decimals=2
-- @column key=handed_mu type=number title=已交地面积 title_en="Land handed over" unit=亩 decimals=2
-- @column key=pending_plots type=integer title=待交地地块数 title_en="Plots still to acquire" unit=块
-- @column key=pending_mu type=number title=待交地面积 title_en="Land still to acquire" unit=亩 decimals=2
-- @column key=retained_due_mu type=number title=留用地未落实面积 title_en="Retained land not allocated" unit=亩 decimals=2
-- @column key=retained_since type=text title=留用地未落实起始(最早交地日期) title_en="Retained land owed since (earliest hand-over)"
-- @column key=signed_in type=integer title=期内签约户数 title_en="Signed in the period" unit=户 flow target
-- @column key=signed_in_m2 type=number title=期内签约房屋面积 title_en="Floor area signed in the period" unit=m² decimals=2 flow
-- @column key=demolished_in type=integer title=期内拆除户数 title_en="Demolished in the period" unit=户 flow
-- @column key=demolished_in_wm2 type=number title=期内拆除房屋面积 title_en="Floor area demolished in the period" unit=万m² decimals=4 flow target
-- @column key=handed_in_mu type=number title=期内交地面积 title_en="Land handed over in the period" unit=亩 decimals=2 flow target
-- @column key=handed_in_streets type=integer title=期内交地涉及街道数 title_en="Sub-districts of the land handed over in the period" unit=个 flow
-- @column key=overlap_projects type=integer title=与叠加图层重叠的项目数 title_en="Projects overlapping the overlay layer" unit=个 param=overlay
-- @column key=overlap_plots type=integer title=与叠加图层重叠的地块数 title_en="Plots overlapping the overlay layer" unit=块 param=overlay
-- @column key=overlap_mu type=number title=与叠加图层重叠面积 title_en="Area overlapping the overlay layer" unit=亩 decimals=2 param=overlay
--
-- 征收 expropriation: the households of the expropriation projects (a
-- ledger, households) and the plots of land acquisition (acquisition), by
-- any of task year, project, task source, sub-district, obstacle and signing
-- mode. Households and plots meet in their project (the project name).
--
-- As of D (every figure but the period's):
--   households          = every household of the ledger
--   signed              = households with signed_date on or before D
--   sign rate           = signed ÷ households, in percent
--   demolished          = households with demolished_date on or before D
--   compensation_wan    = Σ compensation_wan of the signed households
--   paid_wan            = Σ paid_wan of the signed households (undated: the ledger's current value)
--   unpaid_wan          = Σ max(compensation_wan − paid_wan, 0) of the signed households
--   handed_mu           = Σ plot area with handed_date on or before D
--   pending_*           = plots without a handed_date on or before D
--   retained_due_mu     = Σ retained_mu of the plots handed over by D whose
--                         retained_date is not on or before D
--   retained_since      = the earliest handed_date of those plots
--   overlap_*           = the plots meeting the overlay layer's polygons:
--                         the area of the union, over the group's plots, of
--                         (plot ∩ ⋃ overlay polygons): counted once however
--                         the polygons or plots overlap one another
-- In the period: households signed and demolished (their dates), plots
-- handed over (handed_date) and the sub-districts (not 未划分) they lie in.
-- A household's task year, source and obstacle are its project's: the
-- earliest task_year of the project's plots, and the source and obstacle
-- of its first plot (by code) that has one; 未填 when it has none. A plot's
-- task year is its own. Grouped by sign_mode, a household-only field, the
-- plots' figures are in the row 不适用 (not applicable).
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {year, project, source, street, obstacle, sign_mode}
--   $2 date     the period's first day (NULL: no period; its figures are 0)
--   $3 date     the period's last day
--   $4 date     the as-of date
--   $5 text[]   only these sub-districts, boundaries names or 未划分 (NULL: all)
--   $6 text     the overlay layer's name (NULL: none); its polygons are the view overlay
-- Layers: households, acquisition, boundaries, overlay.
WITH project AS (
    SELECT a.project,
           min(a.task_year) AS year,
           (array_agg(btrim(a.source) ORDER BY a.code) FILTER (WHERE btrim(a.source) <> ''))[1] AS source,
           (array_agg(btrim(a.obstacle) ORDER BY a.code) FILTER (WHERE btrim(a.obstacle) <> ''))[1] AS obstacle
    FROM acquisition a
    WHERE a.project IS NOT NULL
    GROUP BY a.project
),
hh AS (
    SELECT h.project, h.street, h.sign_mode,
           CASE WHEN 'street' = ANY($1::text[]) OR $5::text[] IS NOT NULL THEN ST_PointOnSurface(h.geom) END AS pos,
           coalesce(h.house_area_m2, 0) AS m2,
           coalesce(h.buildings, 0) AS buildings,
           coalesce(h.compensation_wan, 0) AS owed,
           coalesce(h.paid_wan, 0) AS paid,
           coalesce(h.signed_date <= $4::date, false) AS signed,
           coalesce(h.demolished_date <= $4::date, false) AS demolished,
           $2::date IS NOT NULL AND h.signed_date BETWEEN $2::date AND $3::date AS signed_in,
           $2::date IS NOT NULL AND h.demolished_date BETWEEN $2::date AND $3::date AS demolished_in
    FROM households h
    -- Filtered by street, a household can only lie in the chosen
    -- sub-districts if it meets their extent: a test of bounding boxes that
    -- spares the others the point on surface. 未划分 households may lie
    -- anywhere; those without geometry go by their street field.
    WHERE ($5::text[] IS NULL OR '未划分' = ANY($5::text[]) OR h.geom IS NULL OR h.geom && (
               SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY($5::text[])))
    OFFSET 0 -- keeps the point on surface computed once per household
),
-- A household's sub-district, only when grouped or filtered by street, as
-- in every report: the name of its point's 0.01° cell (boundary-cells.sql),
-- else the smallest boundaries polygon holding the point, else (no
-- geometry) the polygon named by its street field, else 未划分.
hh_keyed AS (
    SELECT d.*,
           CASE WHEN 'street' = ANY($1::text[]) OR $5::text[] IS NOT NULL THEN coalesce(cell.name, (
               SELECT b.name FROM boundaries b
               WHERE ST_Contains(b.geom, d.pos)
               ORDER BY b.area_m2 LIMIT 1), (
               SELECT b.name FROM boundaries b
               WHERE (d.pos IS NULL OR ST_IsEmpty(d.pos)) AND b.name = btrim(d.street)
               LIMIT 1), '未划分') END AS sub
    FROM hh d
    LEFT JOIN boundary_cells cell -- the point's cell
           ON cell.cell = floor(ST_X(d.pos) * 100)::bigint * 100000 + floor(ST_Y(d.pos) * 100)::bigint
    OFFSET 0 -- keeps the sub-district computed once per household
),
-- Plots are few: each one's sub-district is always looked up (the count of
-- sub-districts touched needs it), and its overlap with the overlay layer
-- computed when one is given: the areal part of the plot ∩ ⋃ the polygons
-- that meet it.
plot AS (
    SELECT a.*, ST_PointOnSurface(a.geom) AS pos
    FROM acquisition a
    OFFSET 0
),
plot_keyed AS (
    SELECT p.*,
           coalesce((
               SELECT b.name FROM boundaries b
               WHERE ST_Contains(b.geom, p.pos)
               ORDER BY b.area_m2 LIMIT 1), (
               SELECT b.name FROM boundaries b
               WHERE (p.pos IS NULL OR ST_IsEmpty(p.pos)) AND b.name = btrim(p.street)
               LIMIT 1), '未划分') AS sub,
           CASE WHEN $6::text IS NOT NULL THEN (
               SELECT ST_CollectionExtract(ST_Intersection(p.geom, ST_Union(o.geom)), 3)
               FROM overlay o
               WHERE o.geom && p.geom AND ST_Intersects(o.geom, p.geom)) END AS piece
    FROM plot p
    OFFSET 0
),
facts AS (
    SELECT h.project, h.sub, coalesce(nullif(btrim(h.sign_mode), ''), '未填') AS sign_mode,
           pr.year, pr.source, pr.obstacle,
           1 AS household, h.m2, h.buildings, h.owed, h.paid,
           h.signed, h.demolished, h.signed_in, h.demolished_in,
           0 AS plot, 0::float8 AS area, false AS handed, false AS handed_in,
           0::float8 AS retained_due, NULL::date AS handed_date, NULL::geometry AS piece
    FROM hh_keyed h
    LEFT JOIN project pr ON pr.project = h.project
    UNION ALL
    SELECT p.project, p.sub, '不适用', p.task_year, nullif(btrim(p.source), ''), nullif(btrim(p.obstacle), ''),
           0, 0, 0, 0, 0,
           false, false, false, false,
           1, p.area_m2,
           coalesce(p.handed_date <= $4::date, false),
           $2::date IS NOT NULL AND p.handed_date BETWEEN $2::date AND $3::date,
           CASE WHEN p.handed_date <= $4::date AND NOT coalesce(p.retained_date <= $4::date, false)
                THEN coalesce(p.retained_mu, 0) ELSE 0 END,
           CASE WHEN p.handed_date <= $4::date AND NOT coalesce(p.retained_date <= $4::date, false)
                     AND coalesce(p.retained_mu, 0) > 0 THEN p.handed_date END,
           CASE WHEN ST_Area(p.piece::geography) >= 0.01 THEN p.piece END
    FROM plot_keyed p
),
keyed AS (
    SELECT CASE WHEN 'year' = ANY($1::text[]) THEN f.year END AS year,
           CASE WHEN 'project' = ANY($1::text[]) THEN coalesce(nullif(btrim(f.project), ''), '未填') END AS project,
           CASE WHEN 'source' = ANY($1::text[]) THEN coalesce(f.source, '未填') END AS source,
           CASE WHEN 'street' = ANY($1::text[]) THEN f.sub END AS street,
           CASE WHEN 'obstacle' = ANY($1::text[]) THEN coalesce(f.obstacle, '未填') END AS obstacle,
           CASE WHEN 'sign_mode' = ANY($1::text[]) THEN f.sign_mode END AS sign_mode,
           nullif(btrim(f.project), '') AS project_name, f.sub,
           f.household, f.m2, f.buildings, f.owed, f.paid, f.signed, f.demolished, f.signed_in, f.demolished_in,
           f.plot, f.area, f.handed, f.handed_in, f.retained_due, f.handed_date, f.piece
    FROM facts f
    WHERE $5::text[] IS NULL OR f.sub = ANY($5::text[])
),
sums AS (
    SELECT year, project, source, street, obstacle, sign_mode,
           GROUPING(year, project, source, street, obstacle, sign_mode) <> 0 AS is_total,
           count(DISTINCT project_name) AS projects,
           sum(household) AS households,
           count(*) FILTER (WHERE signed) AS signed,
           coalesce(sum(m2) FILTER (WHERE signed), 0) AS signed_m2,
           count(*) FILTER (WHERE demolished) AS demolished,
           coalesce(sum(m2) FILTER (WHERE demolished), 0) AS demolished_m2,
           sum(buildings) AS buildings,
           coalesce(sum(buildings) FILTER (WHERE demolished), 0) AS demolished_buildings,
           coalesce(sum(owed) FILTER (WHERE signed), 0) AS owed,
           coalesce(sum(paid) FILTER (WHERE signed), 0) AS paid,
           coalesce(sum(greatest(owed - paid, 0)) FILTER (WHERE signed), 0) AS unpaid,
           sum(plot) AS plots,
           sum(area) AS area,
           coalesce(sum(area) FILTER (WHERE handed), 0) AS handed,
           count(*) FILTER (WHERE plot = 1 AND NOT handed) AS pending_plots,
           coalesce(sum(area) FILTER (WHERE plot = 1 AND NOT handed), 0) AS pending,
           sum(retained_due) AS retained_due,
           min(handed_date) AS retained_since,
           count(*) FILTER (WHERE signed_in) AS signed_in,
           coalesce(sum(m2) FILTER (WHERE signed_in), 0) AS signed_in_m2,
           count(*) FILTER (WHERE demolished_in) AS demolished_in,
           coalesce(sum(m2) FILTER (WHERE demolished_in), 0) AS demolished_in_m2,
           coalesce(sum(area) FILTER (WHERE handed_in), 0) AS handed_in,
           count(DISTINCT sub) FILTER (WHERE handed_in AND sub <> '未划分') AS handed_in_streets,
           count(DISTINCT project_name) FILTER (WHERE piece IS NOT NULL) AS overlap_projects,
           count(piece) AS overlap_plots,
           coalesce(ST_Area(ST_Union(piece)::geography), 0) AS overlap
    FROM keyed
    GROUP BY GROUPING SETS ((year, project, source, street, obstacle, sign_mode), ())
)
SELECT year, project, source, street, obstacle, sign_mode, is_total,
       projects, households, signed,
       round((100.0 * signed / nullif(households, 0))::numeric, 2)::float8 AS sign_rate,
       round(signed_m2::numeric, 2)::float8 AS signed_m2,
       demolished,
       round(demolished_m2::numeric, 2)::float8 AS demolished_m2,
       buildings, demolished_buildings,
       round(owed::numeric, 2)::float8 AS compensation_wan,
       round(paid::numeric, 2)::float8 AS paid_wan,
       round(unpaid::numeric, 2)::float8 AS unpaid_wan,
       plots,
       round((area * 15 / 10000)::numeric, 2)::float8 AS area_mu,
       round((handed * 15 / 10000)::numeric, 2)::float8 AS handed_mu,
       pending_plots,
       round((pending * 15 / 10000)::numeric, 2)::float8 AS pending_mu,
       round(retained_due::numeric, 2)::float8 AS retained_due_mu,
       to_char(retained_since, 'YYYY-MM-DD') AS retained_since,
       signed_in,
       round(signed_in_m2::numeric, 2)::float8 AS signed_in_m2,
       demolished_in,
       round((demolished_in_m2 / 10000)::numeric, 4)::float8 AS demolished_in_wm2,
       round((handed_in * 15 / 10000)::numeric, 2)::float8 AS handed_in_mu,
       handed_in_streets,
       overlap_projects, overlap_plots,
       round((overlap * 15 / 10000)::numeric, 2)::float8 AS overlap_mu
FROM sums
ORDER BY is_total, year, project, source, street = '未划分', street, obstacle, sign_mode;
