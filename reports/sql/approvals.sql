-- @report name=approvals title=建设用地报批与批而未供 title_en="Construction-land approvals and approved land not supplied"
-- @description "Batches of construction land submitted, approved and pending; approved area, farmland taken and offset (落实率); per batch the approved land not yet supplied (批而未供), overlapping supplied parcels counted once."
-- @period "batches submitted (submitted_date) and approved (approved_date) in the period; the area figures are those of the batches approved in the period (the approval-year window), supplied by the as-of date"
-- @street "sub-district of the batch (the smallest boundaries polygon holding its point on surface; without geometry, its street field; else 未划分)"
-- @layer kind=land_approvals name=land_approvals
-- @layer kind=parcels name=parcels
-- @layer kind=boundaries name=boundaries
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 as_of
-- @param $5 current
-- @param $6 street
-- @group key=batch title=批次 title_en=Batch
-- @column key=batch_code group=batch type=text title=批次编号 title_en="Batch code"
-- @column key=batch_name group=batch type=text title=批次名称 title_en="Batch name"
-- @group key=batch_kind title=批次类型 title_en="Batch kind"
-- @column key=batch_kind group=batch_kind type=text title=批次类型 title_en="Batch kind"
-- @group key=status title=报批状态 title_en=Status
-- @column key=status group=status type=text title=报批状态 title_en=Status
-- @group key=year title=批准年度 title_en="Approval year"
-- @column key=year group=year type=integer title=批准年度 title_en="Approval year"
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @default_group batch_kind
-- @column key=recorded type=integer title=批次数 title_en=Batches unit=个
-- @column key=submitted type=integer title=已上报批次 title_en="Batches submitted" unit=个
-- @column key=approved type=integer title=已获批批次 title_en="Batches approved" unit=个
-- @column key=pending type=integer title=待批批次 title_en="Batches pending" unit=个
-- @column key=batches type=integer title=统计批次 title_en="Batches counted (approved, not withdrawn)" unit=个
-- @column key=approved_ha type=number title=批准面积 title_en="Approved area" unit=公顷 decimals=4
-- @column key=approved_mu type=number title=批准面积 title_en="Approved area" unit=亩 decimals=2
-- @column key=farmland_ha type=number title=占用耕地面积 title_en="Farmland taken" unit=公顷 decimals=4
-- @column key=offset_ha type=number title=补充耕地面积 title_en="Farmland offset" unit=公顷 decimals=4
-- @column key=offset_rate type=percent title=占补平衡落实率 title_en="Offset rate" unit=% decimals=2 formula="补充耕地面积 ÷ 占用耕地面积 (farmland offset ÷ farmland taken, of the batches counted)"
-- @column key=supplied_mu type=number title=已供应面积 title_en="Supplied" unit=亩 decimals=2
-- @column key=withdrawn_mu type=number title=核减面积 title_en="Withdrawn" unit=亩 decimals=2
-- @column key=disposed_mu type=number title=已处置面积 title_en="Disposed of (supplied or withdrawn)" unit=亩 decimals=2 target
-- @column key=unsupplied_mu type=number title=批而未供面积 title_en="Approved, not supplied" unit=亩 decimals=2 target
-- @column key=unsupplied_batches type=integer title=批而未供批次 title_en="Batches with land not supplied" unit=个
-- @column key=supply_rate type=percent title=供地率 title_en="Supply rate" unit=% decimals=2 formula="已供应面积 ÷ 批准面积 (area supplied by the as-of date ÷ approved area, of the batches counted)"
-- @column key=submitted_in type=integer title=期内上报批次 title_en="Submitted in the period" unit=个 flow target
-- @column key=approved_in type=integer title=期内获批批次 title_en="Approved in the period" unit=个 flow target
--
-- 建设用地报批 construction-land approvals and 批而未供 (approved land not
-- yet supplied), grouped by any of batch, batch kind, status, approval year
-- and sub-district.
--
-- As of D:
--   batches          = batches recorded as of D: submitted or approved on
--                      or before D, or without either date (as of today)
--   submitted        = batches with submitted_date on or before D (undated:
--                      status 已上报, 审查中 or 已批准, as of today only)
--   approved         = batches with approved_date on or before D (undated:
--                      status 已批准, as of today only)
--   pending          = submitted, not approved, status not 已撤回
--   counted batches  = approved, status not 已撤回, and with a period approved
--                      in it (the approval-year window); the area figures
--                      below are theirs
--   approved area    = Σ approved_area_m2 (the approval document's figure)
--   offset rate      = Σ offset_m2 ÷ Σ farmland_m2, percent
--   supplied         = per batch, the area of the batch's outline covered by
--                      parcels supplied by D (supply method and supply_date
--                      on or before D; undated: as of today only): the union
--                      of the pieces, so parcels overlapping one another
--                      count once; a parcel across two batches counts in
--                      each for its own piece; slivers under 0.01 m² are
--                      contact, not supply
--   withdrawn        = withdrawn_m2 (核减)
--   批而未供          = per batch, approved − supplied − withdrawn, never
--                      below zero; a batch without an outline has none
--                      supplied
--   disposed         = per batch, approved − 批而未供 (supplied or withdrawn)
--   supply rate      = supplied ÷ approved area, percent
--   *_in, a period   = batches submitted / approved in the period
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {batch, batch_kind, status, year, street}
--   $2 date     the period's first day (NULL: no period, every batch approved by $4)
--   $3 date     the period's last day
--   $4 date     the as-of date
--   $5 boolean  whether $4 is today or later
--   $6 text[]   only batches of these sub-districts (NULL: every batch)
-- Layers: land_approvals, parcels, boundaries.
WITH batch AS (
    SELECT a.*,
           CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL THEN ST_PointOnSurface(a.geom) END AS pos,
           coalesce(a.submitted_date <= $4::date, a.status IN ('已上报', '审查中', '已批准') AND $5::boolean) AS is_submitted,
           coalesce(a.approved_date <= $4::date, a.status = '已批准' AND $5::boolean) AS is_approved
    FROM land_approvals a
    -- The batches recorded as of the date, and those submitted or approved
    -- in the period.
    WHERE (a.submitted_date <= $4::date OR a.approved_date <= $4::date
           OR (a.submitted_date IS NULL AND a.approved_date IS NULL AND $5::boolean)
           OR a.submitted_date BETWEEN $2::date AND $3::date OR a.approved_date BETWEEN $2::date AND $3::date)
      AND ($6::text[] IS NULL OR '未划分' = ANY($6::text[]) OR a.geom IS NULL OR a.geom && (
               SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY($6::text[])))
    OFFSET 0 -- keeps the point on surface computed once per batch
),
keyed AS (
    SELECT k.*,
           k.is_approved AND coalesce(k.status, '') <> '已撤回'
               AND ($2::date IS NULL OR k.approved_date BETWEEN $2::date AND $3::date) AS counted
    FROM (SELECT d.*,
                 CASE WHEN 'street' = ANY($1::text[]) OR $6::text[] IS NOT NULL THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, d.pos)
                     ORDER BY b.area_m2 LIMIT 1), (
                     SELECT b.name FROM boundaries b
                     WHERE (d.pos IS NULL OR ST_IsEmpty(d.pos)) AND b.name = btrim(d.street)
                     LIMIT 1), '未划分') END AS sub
          FROM batch d
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(d.pos) * 100)::bigint * 100000 + floor(ST_Y(d.pos) * 100)::bigint
          OFFSET 0) k -- keeps the sub-district computed once per batch
    WHERE $6::text[] IS NULL OR k.sub = ANY($6::text[])
),
-- Each counted batch looks up the supplied parcels under its outline
-- through the GiST index of parcels and unions their pieces inside it.
covered AS (
    SELECT k.*,
           CASE WHEN k.counted THEN coalesce((
               SELECT ST_Area(ST_Union(c.g)::geography)
               FROM (SELECT ST_CollectionExtract(ST_Intersection(p.geom, k.geom), 3) AS g
                     FROM parcels p
                     WHERE ST_Intersects(p.geom, k.geom)
                       AND coalesce(p.supply_method, '') <> ''
                       AND (p.supply_date <= $4::date OR (p.supply_date IS NULL AND $5::boolean))
                     OFFSET 0) c
               WHERE NOT ST_IsEmpty(c.g) AND ST_Area(c.g::geography) >= 0.01), 0) END AS supplied_m2
    FROM keyed k
),
figures AS (
    SELECT CASE WHEN 'batch' = ANY($1::text[]) THEN c.code END AS batch_code,
           CASE WHEN 'batch' = ANY($1::text[]) THEN c.name END AS batch_name,
           CASE WHEN 'batch_kind' = ANY($1::text[]) THEN coalesce(nullif(c.batch_kind, ''), '未填') END AS batch_kind,
           CASE WHEN 'status' = ANY($1::text[]) THEN coalesce(nullif(c.status, ''), '未填') END AS status,
           CASE WHEN 'year' = ANY($1::text[]) THEN extract(year FROM c.approved_date)::integer END AS year,
           CASE WHEN 'street' = ANY($1::text[]) THEN c.sub END AS street,
           coalesce(c.submitted_date <= $4::date OR c.approved_date <= $4::date,
                    c.submitted_date IS NULL AND c.approved_date IS NULL AND $5::boolean) AS is_recorded,
           c.is_submitted, c.is_approved,
           c.is_submitted AND NOT c.is_approved AND coalesce(c.status, '') <> '已撤回' AS is_pending,
           c.counted,
           coalesce(c.approved_area_m2, 0) AS approved_m2,
           coalesce(c.farmland_m2, 0) AS farmland_m2,
           coalesce(c.offset_m2, 0) AS offset_m2,
           c.supplied_m2,
           coalesce(c.withdrawn_m2, 0) AS withdrawn_m2,
           greatest(coalesce(c.approved_area_m2, 0) - c.supplied_m2 - coalesce(c.withdrawn_m2, 0), 0) AS unsupplied_m2,
           $2::date IS NOT NULL AND c.submitted_date BETWEEN $2::date AND $3::date AS submitted_in,
           $2::date IS NOT NULL AND c.approved_date BETWEEN $2::date AND $3::date AS approved_in
    FROM covered c
),
sums AS (
    SELECT batch_code, batch_name, batch_kind, status, year, street,
           GROUPING(batch_code, batch_name, batch_kind, status, year, street) <> 0 AS is_total,
           count(*) FILTER (WHERE is_recorded) AS recorded,
           count(*) FILTER (WHERE is_submitted) AS submitted,
           count(*) FILTER (WHERE is_approved) AS approved,
           count(*) FILTER (WHERE is_pending) AS pending,
           count(*) FILTER (WHERE counted) AS batches,
           coalesce(sum(approved_m2) FILTER (WHERE counted), 0) AS approved_area,
           coalesce(sum(farmland_m2) FILTER (WHERE counted), 0) AS farmland,
           coalesce(sum(offset_m2) FILTER (WHERE counted), 0) AS offset_area,
           coalesce(sum(supplied_m2) FILTER (WHERE counted), 0) AS supplied,
           coalesce(sum(withdrawn_m2) FILTER (WHERE counted), 0) AS withdrawn,
           coalesce(sum(unsupplied_m2) FILTER (WHERE counted), 0) AS unsupplied,
           count(*) FILTER (WHERE counted AND unsupplied_m2 > 0) AS unsupplied_batches,
           count(*) FILTER (WHERE submitted_in) AS submitted_in,
           count(*) FILTER (WHERE approved_in) AS approved_in
    FROM figures
    GROUP BY GROUPING SETS ((batch_code, batch_name, batch_kind, status, year, street), ())
)
SELECT batch_code, batch_name, batch_kind, status, year, street, is_total,
       recorded, submitted, approved, pending, batches,
       round((approved_area / 10000)::numeric, 4)::float8 AS approved_ha,
       round((approved_area * 15 / 10000)::numeric, 2)::float8 AS approved_mu,
       round((farmland / 10000)::numeric, 4)::float8 AS farmland_ha,
       round((offset_area / 10000)::numeric, 4)::float8 AS offset_ha,
       round((100 * offset_area / nullif(farmland, 0))::numeric, 2)::float8 AS offset_rate,
       round((supplied * 15 / 10000)::numeric, 2)::float8 AS supplied_mu,
       round((withdrawn * 15 / 10000)::numeric, 2)::float8 AS withdrawn_mu,
       round(((approved_area - unsupplied) * 15 / 10000)::numeric, 2)::float8 AS disposed_mu,
       round((unsupplied * 15 / 10000)::numeric, 2)::float8 AS unsupplied_mu,
       unsupplied_batches,
       round((100 * supplied / nullif(approved_area, 0))::numeric, 2)::float8 AS supply_rate,
       submitted_in, approved_in
FROM sums
ORDER BY is_total, array_position(ARRAY['城市批次', '单独选址', '城市更新'], batch_kind), batch_kind,
         array_position(ARRAY['组卷', '已上报', '审查中', '已批准', '已撤回'], status), status,
         year, street = '未划分', street, batch_code;
