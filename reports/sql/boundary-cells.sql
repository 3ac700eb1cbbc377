-- Sub-district cells: a grid of 0.01° cells (about 1 km) over the
-- boundaries layer, each cell that no boundary's edge crosses named after
-- the sub-district it lies in. The reports find a feature's sub-district by
-- joining the cell of its point on surface to this table (a hash join, a
-- fraction of a microsecond a feature) and look the point up in boundaries
-- only when its cell is not here (an edge crosses it). Looking up every one
-- of a million points costs ~5 µs each in the index probe itself, whatever
-- the size of the polygons, so the grid rather than subdivided polygons
-- is what makes grouping by street fast.
--
-- The cell of cx, cy spans longitude cx/100 … (cx+1)/100 and latitude
-- cy/100 … (cy+1)/100 (CGCS2000 degrees, like every layer); a point x, y
-- lies in cx = floor(x * 100), cy = floor(y * 100), and the table keys the
-- cell by the one number cx * 100000 + cy (|cy| ≤ 9000), which lets
-- PostgreSQL hash the join. A cell is named only when every
-- boundary polygon that meets it holds it in its interior (then every point
-- in it lies in exactly those polygons, and the smallest one wins, as in the
-- lookup) or when no polygon meets it (未划分). The cell is tested grown by
-- 1e-7° (1 cm) so that rounding in floor() cannot put a point in a cell
-- whose test it escaped.
--
-- tudi reads the query of this statement (what follows "AS", up to the
-- ";") as a materialized common table expression of the report, computed
-- once per run, when grouping or filtering by street (a hot standby takes
-- no temporary table), and otherwise gives boundary_cells no rows (inlined,
-- so the report stays open to parallel workers). Over a
-- boundaries layer wider than 250 000 cells (a province, say) the grid is
-- left empty: every feature is then looked up, which is slower but gives
-- the same sub-districts.
--
-- When a report is filtered by street, tudi sets tudi.report_streets (for
-- the transaction) to the chosen names as a text[] literal, and the grid
-- then covers only the extent of those sub-districts: a feature elsewhere
-- is either left out by the report's own test of its extent or, if its
-- point on surface falls outside the grid, looked up. The grid only ever
-- saves lookups, so the setting changes the speed, never a sub-district;
-- with 未划分 among the names (its features lie anywhere) the grid is whole.
-- In psql, run it before the report's SQL: \i reports/sql/boundary-cells.sql
-- (first SET tudi.report_streets = '{东街道}'; when filtering, if you like).
CREATE TEMP TABLE boundary_cells AS
WITH chosen AS (
    SELECT nullif(current_setting('tudi.report_streets', true), '')::text[] AS names
),
extent AS (
    SELECT floor(ST_XMin(e) * 100)::integer AS x0, floor(ST_XMax(e) * 100)::integer AS x1,
           floor(ST_YMin(e) * 100)::integer AS y0, floor(ST_YMax(e) * 100)::integer AS y1
    FROM (SELECT ST_Extent(b.geom) AS e
          FROM boundaries b, chosen c
          WHERE c.names IS NULL OR '未划分' = ANY(c.names) OR b.name = ANY(c.names)) b
    WHERE e IS NOT NULL
),
grid AS (
    SELECT cx, cy, ST_Expand(ST_MakeEnvelope(cx / 100.0, cy / 100.0, (cx + 1) / 100.0, (cy + 1) / 100.0, 4490), 1e-7) AS box
    FROM extent,
         generate_series(x0, x1) AS cx,
         generate_series(y0, y1) AS cy
    WHERE (x1 - x0 + 1)::bigint * (y1 - y0 + 1) <= 250000
)
SELECT g.cx::bigint * 100000 + g.cy AS cell,
       coalesce((SELECT b.name FROM boundaries b
                 WHERE ST_ContainsProperly(b.geom, g.box)
                 ORDER BY b.area_m2 LIMIT 1), '未划分') AS name
FROM grid g
WHERE NOT EXISTS (SELECT 1 FROM boundaries b
                  WHERE ST_Intersects(b.geom, g.box) AND NOT ST_ContainsProperly(b.geom, g.box));
ANALYZE boundary_cells;
