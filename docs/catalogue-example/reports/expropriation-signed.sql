-- @report name=expropriation-signed title=房屋征收签约情况 title_en="Housing expropriation agreements"
-- @description "Households that signed their compensation agreement in the period, with floor area and compensation, by sub-district or project."
-- @period "agreements signed in the period (signed_date); without one, signed on or before the as-of date"
-- @street "the street field of the household"
-- @layer kind=expropriation name=expropriation
-- @param $1 group
-- @param $2 from
-- @param $3 to
-- @param $4 as_of
-- @param $5 street
-- @group key=street title=街道/镇 title_en=Sub-district
-- @column key=street group=street type=text title=街道/镇 title_en=Sub-district
-- @group key=project title=征收项目 title_en=Project
-- @column key=project group=project type=text title=征收项目 title_en=Project
-- @default_group street
-- @column key=households type=integer title=签约户数 title_en=Households unit=户 target
-- @column key=floor_area_m2 type=number title=房屋面积 title_en="Floor area" unit=m² decimals=2
-- @column key=compensation_wan type=number title=补偿金额 title_en=Compensation unit=万元 decimals=2
--
-- 房屋征收签约 expropriation agreements: $1 the grouping, $2 and $3 the
-- period (NULL: none), $4 the as-of date, $5 the sub-districts (NULL: all).
WITH signed AS (
    SELECT CASE WHEN 'street' = ANY($1::text[]) THEN coalesce(nullif(btrim(street), ''), '未划分') END AS street,
           CASE WHEN 'project' = ANY($1::text[]) THEN project END AS project,
           floor_area_m2, compensation_wan
    FROM expropriation
    WHERE CASE WHEN $2::date IS NOT NULL THEN signed_date BETWEEN $2::date AND $3::date
               ELSE signed_date <= $4::date END
      AND ($5::text[] IS NULL OR coalesce(nullif(btrim(street), ''), '未划分') = ANY($5::text[]))
)
SELECT street, project,
       GROUPING(street, project) <> 0 AS is_total,
       count(*) AS households,
       round(coalesce(sum(floor_area_m2), 0)::numeric, 2)::float8 AS floor_area_m2,
       round(coalesce(sum(compensation_wan), 0)::numeric, 2)::float8 AS compensation_wan
FROM signed
GROUP BY GROUPING SETS ((street, project), ())
ORDER BY is_total, street, project;
