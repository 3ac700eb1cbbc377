-- @report name=rectification title=图斑及问题整改情况 title_en="Inspection findings and rectification"
-- @description "卫片 patches and inspection problems: items found, monitored and unlawful area, farmland and permanent basic farmland occupied (computed from the layers where a patch has no figures), rectification by count and by area (整改率), overdue items, items carried over from earlier years, fines."
-- @period "items found in the period's years (year), rectified in the period (rectified_date), carried over from earlier years; the rest as of the as-of date"
-- @street "sub-district of the patch (the smallest boundaries polygon holding its point on surface, else 未划分); a problem without geometry by its street field"
-- @layer kind=inspection_patches name=inspection_patches
-- @layer kind=parcels name=parcels optional
-- @layer kind=farmland name=farmland optional
-- @layer kind=boundaries name=boundaries
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 as_of
-- @param $5 current
-- @param $6 street
-- @group key=source title=来源 title_en=Source
-- @column key=source group=source type=text title=来源 title_en=Source
-- @group key=batch title=监测批次 title_en="Monitoring batch"
-- @column key=batch group=batch type=text title=监测批次 title_en="Monitoring batch"
-- @group key=year title=年度 title_en=Year
-- @column key=year group=year type=integer title=年度 title_en=Year
-- @group key=verdict title=判定 title_en=Verdict
-- @column key=verdict group=verdict type=text title=判定 title_en=Verdict
-- @group key=category title=问题类别 title_en=Category
-- @column key=category group=category type=text title=问题类别 title_en=Category
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @default_group source
-- @column key=items type=integer title=图斑/问题数 title_en="Items found" unit=个
-- @column key=monitored_ha type=number title=监测面积 title_en="Monitored area" unit=公顷 decimals=4
-- @column key=illegal_items type=integer title=违法图斑数 title_en="Unlawful items" unit=个
-- @column key=illegal_ha type=number title=违法面积 title_en="Unlawful area" unit=公顷 decimals=4
-- @column key=farmland_ha type=number title=占用耕地 title_en="Cropland occupied" unit=公顷 decimals=4
-- @column key=basic_farmland_ha type=number title=占用永久基本农田 title_en="Permanent basic farmland occupied" unit=公顷 decimals=4
-- @column key=farmland_computed type=integer title=耕地面积计算图斑数 title_en="Cropland figures computed" unit=个
-- @column key=basic_farmland_computed type=integer title=永农面积计算图斑数 title_en="Basic farmland figures computed" unit=个
-- @column key=needs_items type=integer title=需整改数 title_en="Needing rectification" unit=个 target
-- @column key=rectified_items type=integer title=已整改数 title_en=Rectified unit=个 target
-- @column key=rectification_rate type=percent title=整改率(个数) title_en="Rectification rate (count)" unit=% decimals=2 formula="已整改数 ÷ 需整改数 (items rectified by the as-of date ÷ items needing rectification, of the items found)"
-- @column key=needs_illegal_ha type=number title=需整改违法面积 title_en="Unlawful area needing rectification" unit=公顷 decimals=4
-- @column key=rectified_illegal_ha type=number title=已整改违法面积 title_en="Unlawful area rectified" unit=公顷 decimals=4
-- @column key=rectification_area_rate type=percent title=整改率(面积) title_en="Rectification rate (area)" unit=% decimals=2 formula="已整改违法面积 ÷ 需整改违法面积 (unlawful area of the items rectified by the as-of date ÷ unlawful area of the items needing rectification, of the items found)"
-- @column key=overdue_items type=integer title=逾期未整改 title_en="Overdue, not rectified" unit=个
-- @column key=rectified_late type=integer title=逾期后整改 title_en="Rectified after the deadline" unit=个
-- @column key=penalty_wan type=number title=罚款 title_en=Fines unit=万元 decimals=2
-- @column key=rectified_in type=integer title=期内整改数 title_en="Rectified in the period" unit=个 flow target
-- @column key=carried_over type=integer title=往年挂账 title_en="Carried over from earlier years" unit=个 flow
-- @column key=carried_rectified type=integer title=往年挂账已整改 title_en="Carried over, rectified" unit=个 flow
--
-- 图斑及问题整改 inspection findings and their rectification: the 卫片
-- (satellite change-detection) patches of the monitoring batches and the
-- problems of 耕地保护督察 and other inspections, grouped by any of source,
-- batch, year, verdict, category and sub-district.
--
-- Items found: those whose year lies in the period's years (with a
-- period), else those of the as-of date's year or earlier (and those
-- without a year). Carried over (往年挂账, with a period): items of earlier
-- years needing rectification and not rectified before the period's first
-- day. An item needs rectification when needs_rectification says so, and
-- when it is empty, when its verdict is 违法.
--
-- Rectified as of D: rectified_date on or before D; an item 已整改 or 已销号
-- without a rectified_date counts only as of today (or later): when it was
-- rectified is not known.
-- rectification rate (count) = rectified ÷ needing rectification × 100
-- rectification rate (area)  = Σ illegal_m2 rectified ÷ Σ illegal_m2 needing rectification × 100
-- overdue_items   = items found or carried over, needing rectification, not
--                   rectified as of D, whose deadline is before D
-- rectified_late  = items found or carried over rectified as of D after their deadline
-- rectified_in    = items found or carried over with rectified_date in the period
--
-- Farmland: farmland_m2 and basic_farmland_m2 as recorded. Where a patch
-- has a geometry and a figure is empty, it is computed: 耕地 as the area of
-- the patch ∩ ⋃ the parcels of land-use class 01, 永久基本农田 as the area
-- of the patch ∩ ⋃ the farmland (permanent basic farmland) layer's patches,
-- each union taken once so that overlapping parcels or redlines count once;
-- farmland_computed and basic_farmland_computed count those patches.
-- Monitored area: monitored_m2, else the patch's own area. Areas in 公顷.
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {source, batch, year, verdict, category, street}
--   $2 date     the period's first day (NULL: no period; its figures are 0)
--   $3 date     the period's last day
--   $4 date     the as-of date
--   $5 boolean  whether $4 is today or later
--   $6 text[]   only items of these sub-districts, boundaries names or
--               未划分 (NULL: all items)
-- Layers: inspection_patches, parcels and farmland (optional: for the
-- computed farmland figures), boundaries.
WITH base AS (
    SELECT p.*, CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL THEN ST_PointOnSurface(p.geom) END AS pos,
           coalesce(p.needs_rectification, p.verdict = '违法', false) AS needs,
           coalesce(p.rectified_date <= $4::date,
                    p.rectified_date IS NULL AND p.status IN ('已整改', '已销号') AND $5::boolean, false) AS rectified_asof,
           CASE WHEN $2::date IS NULL THEN p.year IS NULL OR p.year <= extract(year FROM $4::date)
                ELSE p.year BETWEEN extract(year FROM $2::date) AND extract(year FROM $3::date) END AS found,
           $2::date IS NOT NULL AND p.year < extract(year FROM $2::date)
               AND coalesce(p.needs_rectification, p.verdict = '违法', false)
               AND NOT coalesce(p.rectified_date < $2::date, false) AS carried
    FROM inspection_patches p
    -- Filtered by street, a patch can only lie in the chosen sub-districts
    -- if it meets their extent: a test of bounding boxes that spares the
    -- others the point on surface. 未划分 items may lie anywhere.
    WHERE ($6::text[] IS NULL OR '未划分' = ANY($6::text[]) OR p.geom IS NULL OR p.geom && (
               SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY($6::text[])))
    OFFSET 0 -- keeps the point on surface computed once per feature
),
-- The sub-district, as in every report: the point's cell in
-- boundary_cells, else a lookup in boundaries, else (no geometry) the
-- boundaries polygon named by the street field, else 未划分.
keyed AS (
    SELECT CASE WHEN 'source' = ANY($1::text[]) THEN coalesce(nullif(btrim(i.source), ''), '未填') END AS source,
           CASE WHEN 'batch' = ANY($1::text[]) THEN coalesce(nullif(btrim(i.batch), ''), '未填') END AS batch,
           CASE WHEN 'year' = ANY($1::text[]) THEN i.year END AS year,
           CASE WHEN 'verdict' = ANY($1::text[]) THEN coalesce(nullif(btrim(i.verdict), ''), '未填') END AS verdict,
           CASE WHEN 'category' = ANY($1::text[]) THEN coalesce(nullif(btrim(i.category), ''), '未填') END AS category,
           CASE WHEN 'street' = ANY($1::text[]) THEN i.sub END AS street,
           i.geom, i.area_m2, i.monitored_m2, i.verdict = '违法' AS illegal_verdict, i.illegal_m2,
           i.farmland_m2, i.basic_farmland_m2, i.deadline, i.rectified_date, i.penalty_wan,
           i.found, i.carried, i.needs, i.rectified_asof
    FROM (SELECT d.*,
                 CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, d.pos)
                     ORDER BY b.area_m2 LIMIT 1), (
                     SELECT b.name FROM boundaries b
                     WHERE (d.pos IS NULL OR ST_IsEmpty(d.pos)) AND b.name = btrim(d.street)
                     LIMIT 1), '未划分') END AS sub
          FROM base d
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(d.pos) * 100)::bigint * 100000 + floor(ST_Y(d.pos) * 100)::bigint
          WHERE d.found OR d.carried
          OFFSET 0) i -- keeps the sub-district computed once per feature
    WHERE $6::text[] IS NULL OR i.sub = ANY($6::text[])
),
-- The farmland figures of the items found, computed from the layers where
-- a patch with a geometry has none recorded. The scalar subqueries run
-- only for those patches (a CASE evaluates only the branch taken); each
-- finds the parcels (or redlines) that meet the patch through their GiST
-- index and unions their pieces inside the patch: patch ∩ ⋃ parcels =
-- ⋃ (patch ∩ parcel), where the pieces are small and an overlap counts
-- once.
figures AS (
    SELECT k.*,
           CASE WHEN k.found AND k.farmland_m2 IS NULL AND k.geom IS NOT NULL AND NOT ST_IsEmpty(k.geom) THEN coalesce((
               SELECT ST_Area(ST_Union(ST_CollectionExtract(ST_Intersection(x.geom, k.geom), 3))::geography)
               FROM parcels x
               WHERE left(x.landuse_code, 2) = '01' AND ST_Intersects(x.geom, k.geom)), 0) END AS farmland_calc,
           CASE WHEN k.found AND k.basic_farmland_m2 IS NULL AND k.geom IS NOT NULL AND NOT ST_IsEmpty(k.geom) THEN coalesce((
               SELECT ST_Area(ST_Union(ST_CollectionExtract(ST_Intersection(x.geom, k.geom), 3))::geography)
               FROM farmland x
               WHERE ST_Intersects(x.geom, k.geom)), 0) END AS basic_calc
    FROM keyed k
),
sums AS (
    SELECT source, batch, year, verdict, category, street,
           GROUPING(source, batch, year, verdict, category, street) <> 0 AS is_total,
           count(*) FILTER (WHERE found) AS items,
           coalesce(sum(coalesce(monitored_m2, area_m2)) FILTER (WHERE found), 0) AS monitored,
           count(*) FILTER (WHERE found AND illegal_verdict) AS illegal_items,
           coalesce(sum(illegal_m2) FILTER (WHERE found), 0) AS illegal,
           coalesce(sum(coalesce(farmland_m2, farmland_calc)) FILTER (WHERE found), 0) AS farmland,
           coalesce(sum(coalesce(basic_farmland_m2, basic_calc)) FILTER (WHERE found), 0) AS basic,
           count(*) FILTER (WHERE farmland_calc IS NOT NULL) AS farmland_computed,
           count(*) FILTER (WHERE basic_calc IS NOT NULL) AS basic_farmland_computed,
           count(*) FILTER (WHERE found AND needs) AS needs_items,
           count(*) FILTER (WHERE found AND needs AND rectified_asof) AS rectified_items,
           coalesce(sum(illegal_m2) FILTER (WHERE found AND needs), 0) AS needs_illegal,
           coalesce(sum(illegal_m2) FILTER (WHERE found AND needs AND rectified_asof), 0) AS rectified_illegal,
           count(*) FILTER (WHERE needs AND NOT rectified_asof AND deadline < $4::date) AS overdue_items,
           count(*) FILTER (WHERE needs AND rectified_asof AND rectified_date > deadline) AS rectified_late,
           coalesce(sum(penalty_wan) FILTER (WHERE found), 0) AS penalty,
           count(*) FILTER (WHERE needs AND rectified_date BETWEEN $2::date AND $3::date) AS rectified_in,
           count(*) FILTER (WHERE carried) AS carried_over,
           count(*) FILTER (WHERE carried AND rectified_asof) AS carried_rectified
    FROM figures
    GROUP BY GROUPING SETS ((source, batch, year, verdict, category, street), ())
)
SELECT source, batch, year, verdict, category, street, is_total, items,
       round((monitored / 10000)::numeric, 4)::float8 AS monitored_ha,
       illegal_items,
       round((illegal / 10000)::numeric, 4)::float8 AS illegal_ha,
       round((farmland / 10000)::numeric, 4)::float8 AS farmland_ha,
       round((basic / 10000)::numeric, 4)::float8 AS basic_farmland_ha,
       farmland_computed, basic_farmland_computed,
       needs_items, rectified_items,
       round((100.0 * rectified_items / nullif(needs_items, 0))::numeric, 2)::float8 AS rectification_rate,
       round((needs_illegal / 10000)::numeric, 4)::float8 AS needs_illegal_ha,
       round((rectified_illegal / 10000)::numeric, 4)::float8 AS rectified_illegal_ha,
       round((100 * rectified_illegal / nullif(needs_illegal, 0))::numeric, 2)::float8 AS rectification_area_rate,
       overdue_items, rectified_late,
       round(penalty::numeric, 2)::float8 AS penalty_wan,
       rectified_in, carried_over, carried_rectified
FROM sums
ORDER BY is_total,
         array_position(ARRAY['卫片执法', '耕地保护督察', '土地例行督察', '乱占耕地建房', '巡察', '审计', '专项整治'], source), source,
         batch, year, array_position(ARRAY['违法', '合法', '其他'], verdict), verdict, category,
         street = '未划分', street;
