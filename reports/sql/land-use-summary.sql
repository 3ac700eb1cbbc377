-- @report name=land-use-summary title=地类面积汇总 title_en="Land-use summary"
-- @description "Parcel count and area per land-use first-level class and code, by sub-district; the total is the layer's total area."
-- @period "no flows: a period only sets the as-of date (its end)"
-- @street "sub-district of the parcel (the smallest boundaries polygon holding its point on surface, else 未划分)"
-- @layer kind=parcels name=parcels
-- @layer kind=boundaries name=boundaries
-- @param $1 group
-- @param $2 street
-- @group key=class title=地类(一级类) title_en="Land-use class"
-- @column key=class_code group=class type=text title=一级类编码 title_en="Class code"
-- @column key=class_name group=class type=text title=一级类名称 title_en="Class name"
-- @group key=code title=地类编码 title_en="Land-use code"
-- @column key=landuse_code group=code type=text title=地类编码 title_en="Land-use code"
-- @column key=landuse_name group=code type=text title=地类名称 title_en="Land-use name"
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @default_group class
-- @column key=parcels type=integer title=宗数 title_en=Parcels unit=宗
-- @column key=area_m2 type=number title=面积 title_en=Area unit=m² decimals=2
-- @column key=area_ha type=number title=面积 title_en=Area unit=公顷 decimals=4
-- @column key=area_mu type=number title=面积 title_en=Area unit=亩 decimals=2
-- @column key=share type=percent title=占比 title_en=Share unit=% decimals=2 formula="该组面积 ÷ 图层总面积 (the group's area ÷ the layer's total area)"
--
-- 地类面积 land-use summary: parcel count and area per land-use first-level
-- class (GB/T 21010-2017) and per land-use code, grouped by any of class,
-- code and sub-district, with each group's share of the layer's area. The
-- total is the layer's total area (Σ area_m2 of every parcel, on the
-- ellipsoid), or that of the chosen sub-districts when filtered by street.
--
-- Parameters:
--   $1 text[]   the grouping, a subset of {class, code, street}
--   $2 text[]   only parcels of these sub-districts, boundaries names or
--               未划分 (NULL: every parcel); the total and the shares are
--               then those of the chosen sub-districts
-- Layers: parcels, boundaries.
WITH classes (class_code, class_name) AS (VALUES
    ('00', '湿地'), ('01', '耕地'), ('02', '种植园用地'), ('03', '林地'), ('04', '草地'),
    ('05', '商业服务业用地'), ('06', '工矿仓储用地'), ('07', '住宅用地'),
    ('08', '公共管理与公共服务用地'), ('09', '特殊用地'), ('10', '交通运输用地'),
    ('11', '水域及水利设施用地'), ('12', '其他土地')
),
-- The sub-district of a feature is the smallest boundaries polygon that
-- holds its point on surface, computed only when grouped or filtered by
-- street (the CASEs skip it otherwise): the name of the point's 0.01° cell
-- in boundary_cells (see boundary-cells.sql), a hash join, or where a
-- boundary's edge crosses that cell, a lookup through the GiST index of
-- boundaries. A feature without geometry (a ledger record) is in the
-- boundaries polygon named by its street field. Features are never joined
-- back to an intermediate result: that join's plan hangs on row estimates. The street filter keeps the
-- features whose sub-district is chosen, before any figure is summed.
keyed AS (
    SELECT CASE WHEN 'class' = ANY($1::text[]) THEN coalesce(left(nullif(p.landuse_code, ''), 2), '未填') END AS class_code,
           CASE WHEN 'code' = ANY($1::text[]) THEN coalesce(nullif(p.landuse_code, ''), '未填') END AS landuse_code,
           CASE WHEN 'street' = ANY($1::text[]) THEN p.sub END AS street,
           p.landuse_name, p.area_m2
    FROM (SELECT q.*,
                 CASE WHEN 'street' = ANY($1::text[]) OR $2::text[] IS NOT NULL THEN coalesce(cell.name, (
                     SELECT b.name FROM boundaries b
                     WHERE ST_Contains(b.geom, q.pos)
                     ORDER BY b.area_m2 LIMIT 1), (
                     SELECT b.name FROM boundaries b
                     WHERE (q.pos IS NULL OR ST_IsEmpty(q.pos)) AND b.name = btrim(q.street)
                     LIMIT 1), '未划分') END AS sub
          -- OFFSET 0 keeps the point on surface computed once per parcel.
          FROM (SELECT landuse_code, landuse_name, area_m2, street,
                       CASE WHEN 'street' = ANY($1::text[]) OR $2::text[] IS NOT NULL THEN ST_PointOnSurface(geom) END AS pos
                FROM parcels
                -- Filtered by street, a parcel can only lie in the chosen
                -- sub-districts if it meets their extent (its point on
                -- surface lies in both): a test of bounding boxes that
                -- spares the others the point on surface. 未划分 parcels
                -- may lie anywhere.
                WHERE $2::text[] IS NULL OR '未划分' = ANY($2::text[]) OR geom IS NULL OR geom && (
                      SELECT ST_SetSRID(ST_Extent(b.geom)::geometry, 4490) FROM boundaries b WHERE b.name = ANY($2::text[]))
                OFFSET 0) q
          LEFT JOIN boundary_cells cell -- the point's cell
                 ON cell.cell = floor(ST_X(q.pos) * 100)::bigint * 100000 + floor(ST_Y(q.pos) * 100)::bigint
          OFFSET 0) p -- keeps the sub-district computed once per parcel
    WHERE $2::text[] IS NULL OR p.sub = ANY($2::text[])
),
sums AS (
    SELECT class_code, landuse_code, street,
           CASE WHEN landuse_code IS NOT NULL THEN max(landuse_name) END AS landuse_name,
           GROUPING(class_code, landuse_code, street) <> 0 AS is_total,
           count(*) AS parcels,
           coalesce(sum(area_m2), 0) AS area
    FROM keyed
    GROUP BY GROUPING SETS ((class_code, landuse_code, street), ())
)
SELECT s.class_code, c.class_name, s.landuse_code, s.landuse_name, s.street, s.is_total, s.parcels,
       round(s.area::numeric, 2)::float8 AS area_m2,
       round((s.area / 10000)::numeric, 4)::float8 AS area_ha,
       round((s.area * 15 / 10000)::numeric, 2)::float8 AS area_mu,
       round((100 * s.area / nullif(sum(s.area) OVER (PARTITION BY s.is_total), 0))::numeric, 2)::float8 AS share
FROM sums s
LEFT JOIN classes c ON c.class_code = s.class_code
ORDER BY s.is_total, s.class_code, s.landuse_code, s.street = '未划分', s.street;
