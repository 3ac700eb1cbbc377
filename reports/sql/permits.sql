-- @report name=permits title=审批事项办理情况 title_en="Planning permits issued"
-- @description "Permits and other approvals issued: count, land and floor area, working days from acceptance to issue (Chinese working days: weekends and statutory holidays off, make-up working days worked), average and maximum, and the share issued within the promised limit (按时率)."
-- @period "permits issued in the period (issued_date); without one, issued on or before the as-of date"
-- @street "sub-district of the permit's site (the smallest boundaries polygon holding its point on surface, else 未划分); an item without geometry by its street field"
-- @layer kind=permits name=permits
-- @layer kind=boundaries name=boundaries
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 as_of
-- @param $5 street
-- @param $6 holidays
-- @param $7 workdays
-- @group key=type title=事项类型 title_en=Type
-- @column key=type group=type type=text title=事项类型 title_en=Type
-- @group key=year title=发证年度 title_en="Year of issue"
-- @column key=year group=year type=integer title=发证年度 title_en="Year of issue"
-- @group key=source title=项目来源 title_en=Source
-- @column key=source group=source type=text title=项目来源 title_en=Source
-- @group key=category title=行业类别 title_en=Category
-- @column key=category group=category type=text title=行业类别 title_en=Category
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @default_group type
-- @column key=permits type=integer title=发证数 title_en="Issued" unit=份 target
-- @column key=land_ha type=number title=用地面积 title_en="Land area" unit=公顷 decimals=4 target
-- @column key=floor_wan_m2 type=number title=建筑面积 title_en="Floor area" unit=万m² decimals=4 target
-- @column key=timed type=integer title=计时事项数 title_en="With acceptance date" unit=份
-- @column key=avg_workdays type=number title=平均办理工作日 title_en="Average working days" unit=工作日 decimals=1
-- @column key=max_workdays type=integer title=最长办理工作日 title_en="Longest, working days" unit=工作日
-- @column key=with_limit type=integer title=有承诺时限数 title_en="With a promised limit" unit=份
-- @column key=on_time type=integer title=按时办结数 title_en="Issued within the limit" unit=份
-- @column key=on_time_rate type=percent title=按时率 title_en="On-time rate" unit=% decimals=2 formula="按时办结数 ÷ 有承诺时限的发证数 (permits issued within their promised limit of working days ÷ permits issued that have an acceptance date and a promised limit)"
--
-- 审批事项办理 permits and other approvals issued, grouped by any of type,
-- year of issue, source, category and sub-district.
--
-- A permit counts when it was issued in the period (issued_date), else on
-- or before the as-of date. Its working days are the days after the
-- acceptance day up to and including the issue day that are working days:
-- Monday to Friday unless a statutory day off, and the official make-up
-- working days (调休上班) even on a weekend, by the calendar of the
-- catalogue (land/catalog/holidays, one file a year). A permit issued on the
-- day it was accepted took 0 working days; one without an acceptance date,
-- or issued before it, has none (it is not timed).
-- avg_workdays, max_workdays = mean and maximum over the timed permits
-- on_time_rate = permits whose working days ≤ limit_days ÷ timed permits
--                with a limit_days, × 100
-- Areas: land_area_m2 in 公顷, floor_area_m2 in 万m² (10 000 m²).
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {type, year, source, category, street}
--   $2 date     the period's first day (NULL: no period)
--   $3 date     the period's last day
--   $4 date     the as-of date
--   $5 text[]   only permits of these sub-districts, boundaries names or
--               未划分 (NULL: all)
--   $6 date[]   the days off of the holiday calendar (weekends among them)
--   $7 date[]   the make-up working days
-- Layers: permits, boundaries.
WITH issued AS (
    SELECT p.*, CASE WHEN 'street' = ANY($1::text[]) OR $5::text[] IS NOT NULL THEN ST_PointOnSurface(p.geom) END AS pos
    FROM permits p
    WHERE CASE WHEN $2::date IS NOT NULL THEN p.issued_date BETWEEN $2::date AND $3::date
               ELSE p.issued_date <= $4::date END
      AND ($5::text[] IS NULL OR '未划分' = ANY($5::text[]) OR p.geom IS NULL OR p.geom && (
               SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY($5::text[])))
    OFFSET 0 -- keeps the point on surface computed once per feature
),
-- The sub-district, as in every report (see idle-land.sql).
keyed AS (
    SELECT CASE WHEN 'type' = ANY($1::text[]) THEN coalesce(nullif(btrim(i.type), ''), '未填') END AS type,
           CASE WHEN 'year' = ANY($1::text[]) THEN extract(year FROM i.issued_date)::integer END AS year,
           CASE WHEN 'source' = ANY($1::text[]) THEN coalesce(nullif(btrim(i.source), ''), '未填') END AS source,
           CASE WHEN 'category' = ANY($1::text[]) THEN coalesce(nullif(btrim(i.category), ''), '未填') END AS category,
           CASE WHEN 'street' = ANY($1::text[]) THEN i.sub END AS street,
           i.land_area_m2, i.floor_area_m2, i.limit_days,
           -- The working days after acceptance up to and including issue.
           CASE WHEN i.accepted_date <= i.issued_date THEN (
               SELECT count(*)::integer
               FROM generate_series(i.accepted_date + 1, i.issued_date, interval '1 day') AS g (t)
               WHERE g.t::date = ANY($7::date[])
                  OR (extract(isodow FROM g.t) < 6 AND NOT g.t::date = ANY($6::date[]))) END AS workdays
    FROM (SELECT d.*,
                 CASE WHEN 'street' = ANY($1::text[]) OR $5::text[] IS NOT NULL THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, d.pos)
                     ORDER BY b.area_m2 LIMIT 1), (
                     SELECT b.name FROM boundaries b
                     WHERE (d.pos IS NULL OR ST_IsEmpty(d.pos)) AND b.name = btrim(d.street)
                     LIMIT 1), '未划分') END AS sub
          FROM issued d
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(d.pos) * 100)::bigint * 100000 + floor(ST_Y(d.pos) * 100)::bigint
          OFFSET 0) i -- keeps the sub-district computed once per feature
    WHERE $5::text[] IS NULL OR i.sub = ANY($5::text[])
),
sums AS (
    SELECT type, year, source, category, street,
           GROUPING(type, year, source, category, street) <> 0 AS is_total,
           count(*) AS permits,
           coalesce(sum(land_area_m2), 0) AS land,
           coalesce(sum(floor_area_m2), 0) AS floor,
           count(workdays) AS timed,
           avg(workdays) AS avg_workdays,
           max(workdays) AS max_workdays,
           count(*) FILTER (WHERE workdays IS NOT NULL AND limit_days IS NOT NULL) AS with_limit,
           count(*) FILTER (WHERE workdays <= limit_days) AS on_time
    FROM keyed
    GROUP BY GROUPING SETS ((type, year, source, category, street), ())
)
SELECT type, year, source, category, street, is_total, permits,
       round((land / 10000)::numeric, 4)::float8 AS land_ha,
       round((floor / 10000)::numeric, 4)::float8 AS floor_wan_m2,
       timed,
       round(avg_workdays::numeric, 1)::float8 AS avg_workdays,
       max_workdays, with_limit, on_time,
       round((100.0 * on_time / nullif(with_limit, 0))::numeric, 2)::float8 AS on_time_rate
FROM sums
ORDER BY is_total,
         array_position(ARRAY['建设用地规划许可证', '建设工程规划许可证', '规划验收合格证', '建设用地方案图', '方案设计核查意见书', '设施农用地备案', '乡村建设规划许可证'], type), type,
         year, source, category, street = '未划分', street;
