-- Yearly targets (年度任务) of the reports' figures, loaded by `tudi targets
-- import`: the value that column `measure` of report `report` should reach
-- in `year`, for the rows matching `filter` (KEY=VALUE pairs of the
-- report's grouping columns, sorted, ";" between them; '' for the whole)
-- and `street` ('' for the whole district), in `unit` ('' for the column's
-- own), set by `issuer` (市下达 or 区定). One target per figure: a new
-- import of the same key replaces the value.
CREATE TABLE tudi.targets (
    year      integer          NOT NULL,
    report    text             NOT NULL,
    measure   text             NOT NULL,
    filter    text             NOT NULL DEFAULT '',
    street    text             NOT NULL DEFAULT '',
    value     double precision NOT NULL,
    unit      text             NOT NULL DEFAULT '',
    issuer    text             NOT NULL DEFAULT '',
    source    text             NOT NULL DEFAULT '',
    loaded_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (year, report, measure, filter, street)
);
