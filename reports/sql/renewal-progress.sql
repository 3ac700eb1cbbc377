-- 城市更新 urban-renewal progress: units and their area, how many are at or
-- past each stage, the implementation rate, the land contribution rate and
-- the units near rail stations (TOD), grouped by any of stage, category,
-- direction and sub-district.
--
-- Stages, in order: 计划立项 → 规划批准 → 实施主体确认 → 土地出让 → 建设 → 竣工.
--   planned            = every unit
--   approved           = units at or past 规划批准
--   entity confirmed   = units at or past 实施主体确认
--   implementation rate = units at or past 土地出让 ÷ all units, in percent
--   contribution rate   = Σ contributed_area_m2 ÷ Σ unit area, in percent
--   TOD                = units within 500 m (on the ellipsoid) of a stations feature
-- When grouped by stage, at_or_past_* of a stage row counts the units of that
-- stage and of every later one (within the same other groups).
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {stage, category, direction, street}
--   $2 integer  only units approved in this year (NULL: every unit)
--   $3 text[]   only units of these sub-districts, boundaries names or 未划分
--               (NULL: every unit)
-- Layers: renewal_units, stations, boundaries.
WITH units AS (
    SELECT u.*,
           array_position(ARRAY['计划立项', '规划批准', '实施主体确认', '土地出让', '建设', '竣工'], u.stage) AS stage_no,
           CASE WHEN 'street' = ANY($1::text[]) OR $3::text[] IS NOT NULL THEN ST_PointOnSurface(u.geom) END AS pos
    FROM renewal_units u
    WHERE ($2::integer IS NULL OR extract(year FROM u.approved_date) = $2::integer)
      -- Filtered by street, a unit can only lie in the chosen sub-districts
      -- if it meets their extent (its point on surface lies in both): a
      -- test of bounding boxes that spares the others the point on surface.
      -- 未划分 units may lie anywhere.
      AND ($3::text[] IS NULL OR '未划分' = ANY($3::text[]) OR u.geom && (
               SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY($3::text[])))
    OFFSET 0 -- keeps the point on surface computed once per unit
),
-- The sub-district of a feature is the smallest boundaries polygon that
-- holds its point on surface, computed only when grouped or filtered by
-- street (the CASEs skip it otherwise): the name of the point's 0.01° cell
-- in boundary_cells (see boundary-cells.sql), a hash join, or where a
-- boundary's edge crosses that cell, a lookup through the GiST index of
-- boundaries. Features are never joined back to an intermediate result:
-- that join's plan hangs on row estimates. The street filter keeps the
-- units whose sub-district is chosen, before any figure is summed (and
-- before TOD is looked up).
keyed AS (
    SELECT CASE WHEN 'stage' = ANY($1::text[]) THEN coalesce(nullif(u.stage, ''), '未填') END AS stage,
           CASE WHEN 'stage' = ANY($1::text[]) THEN u.stage_no END AS stage_no,
           CASE WHEN 'category' = ANY($1::text[]) THEN coalesce(nullif(u.category, ''), '未填') END AS category,
           CASE WHEN 'direction' = ANY($1::text[]) THEN coalesce(nullif(u.direction, ''), '未填') END AS direction,
           CASE WHEN 'street' = ANY($1::text[]) THEN u.sub END AS street,
           u.area_m2,
           coalesce(u.contributed_area_m2, 0) AS contributed_m2,
           u.stage_no >= 2 AS approved,
           u.stage_no >= 3 AS confirmed,
           u.stage_no >= 4 AS transferred,
           -- The && with a box 0.01° larger lets the GiST index of stations
           -- pick candidates: 500 m is at most 0.0045° of latitude, and at
           -- most 0.01° of longitude up to 63° N (China ends at 53.6° N).
           EXISTS (SELECT 1 FROM stations s
                   WHERE s.geom && ST_Expand(u.geom, 0.01)
                     AND ST_DWithin(s.geom::geography, u.geom::geography, 500)) AS tod
    FROM (SELECT n.*,
                 CASE WHEN 'street' = ANY($1::text[]) OR $3::text[] IS NOT NULL THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, n.pos)
                     ORDER BY b.area_m2 LIMIT 1), '未划分') END AS sub
          FROM units n
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(n.pos) * 100)::bigint * 100000 + floor(ST_Y(n.pos) * 100)::bigint
          OFFSET 0) u -- keeps the sub-district computed once per unit
    WHERE $3::text[] IS NULL OR u.sub = ANY($3::text[])
),
sums AS (
    SELECT stage, stage_no, category, direction, street,
           GROUPING(stage, stage_no, category, direction, street) <> 0 AS is_total,
           count(*) AS units,
           coalesce(sum(area_m2), 0) AS area,
           count(*) FILTER (WHERE approved) AS approved_units,
           count(*) FILTER (WHERE confirmed) AS confirmed_units,
           count(*) FILTER (WHERE transferred) AS transferred_units,
           coalesce(sum(contributed_m2), 0) AS contributed,
           count(*) FILTER (WHERE tod) AS tod_units,
           coalesce(sum(area_m2) FILTER (WHERE tod), 0) AS tod_area
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
       approved_units, confirmed_units, transferred_units,
       round((100.0 * transferred_units / nullif(units, 0))::numeric, 2)::float8 AS implementation_rate,
       round(contributed::numeric, 2)::float8 AS contributed_m2,
       round((100 * contributed / nullif(area, 0))::numeric, 2)::float8 AS contribution_rate,
       tod_units,
       round((tod_area / 10000)::numeric, 4)::float8 AS tod_ha
FROM sums
WINDOW w AS (PARTITION BY is_total, category, direction, street ORDER BY coalesce(stage_no, 0) DESC)
ORDER BY is_total, coalesce(stage_no, 99), stage, category, direction, street = '未划分', street;
