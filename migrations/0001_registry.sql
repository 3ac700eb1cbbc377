-- The layer registry, the import history, and the schemas for layer data.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE SCHEMA IF NOT EXISTS tudi;   -- tudi's own bookkeeping
CREATE SCHEMA IF NOT EXISTS layers; -- one table per layer, named after the layer

CREATE TABLE tudi.layers (
    name          text PRIMARY KEY,
    kind          text NOT NULL,
    title         text NOT NULL DEFAULT '',
    source_srid   integer,
    geom_type     text NOT NULL DEFAULT '',
    feature_count bigint NOT NULL DEFAULT 0,
    -- lon/lat extent in EPSG:4490; NULL when the layer is empty
    minx double precision, miny double precision,
    maxx double precision, maxy double precision,
    source_fields jsonb NOT NULL DEFAULT '[]',
    version       bigint NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tudi.imports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer       text NOT NULL,
    kind        text NOT NULL,
    mode        text NOT NULL,
    status      text NOT NULL,
    files       jsonb NOT NULL DEFAULT '[]',
    summary     jsonb NOT NULL DEFAULT '{}',
    username    text NOT NULL DEFAULT '',
    error       text NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    duration_ms bigint NOT NULL DEFAULT 0
);
CREATE INDEX imports_layer_idx ON tudi.imports (layer, id DESC);
