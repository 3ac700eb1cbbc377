-- Derived tile data: pre-generalised low-zoom geometry of large layers and
-- pre-rendered tiles. Everything here can be dropped and rebuilt from the
-- layers; nothing here is ever source data.
CREATE SCHEMA IF NOT EXISTS tiles;

-- Pre-rendered single-layer MVT bytes (the output of ST_AsMVT for one layer),
-- written after each import for the low zooms of large layers and by
-- `tudi tiles seed`. A row is only used while its version equals the layer's
-- registry version, so a row left over from before an import is never served.
CREATE TABLE tiles.prerendered (
    layer    text     NOT NULL,
    z        smallint NOT NULL,
    x        integer  NOT NULL,
    y        integer  NOT NULL,
    version  bigint   NOT NULL,
    mvt      bytea    NOT NULL,
    built_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (layer, z, x, y)
);

-- The state of each layer's generalised geometry (tiles."<layer>__gen"):
-- the layer version it was built from and how long the build took.
CREATE TABLE tiles.generalised (
    layer       text PRIMARY KEY,
    version     bigint NOT NULL,
    features    bigint NOT NULL,
    rows        bigint NOT NULL,
    duration_ms bigint NOT NULL,
    built_at    timestamptz NOT NULL DEFAULT now()
);
