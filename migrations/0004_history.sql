-- Layer history. A layer imported in history mode keeps, besides its
-- current table layers."<name>" (unchanged: tiles, OGC items and identify
-- read it as before), a table history."<name>" with every state each of its
-- features has had: the kind's canonical columns, props, geom and area_m2,
-- plus the interval [valid_from, valid_to) of effective dates in which that
-- state was current (valid_to NULL: still current). The tables are created
-- by the first history import of a layer (postgis.HistoryDDL).
CREATE SCHEMA IF NOT EXISTS history;

-- One row per layer that keeps history: the effective dates of its first
-- and latest history imports. An import may not be effective before the
-- latest one (history is only extended forward); the layer is empty before
-- the first one. Dropping or renaming the registry entry follows here.
CREATE TABLE tudi.layer_history (
    layer          text PRIMARY KEY REFERENCES tudi.layers (name) ON DELETE CASCADE ON UPDATE CASCADE,
    first_date     date NOT NULL,
    last_date      date NOT NULL,
    CHECK (last_date >= first_date)
);
