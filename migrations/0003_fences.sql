-- Change fences: a writer about to change layers (an import's swap) records
-- a fence here and announces it on the tudi_fences channel before it
-- commits, and deletes it after. While a fence stands, tile servers check
-- the registry in the database on every request for its layers; without
-- one, they answer from the registry they hold in memory (kept current by
-- the fences' notifications). A fence whose writer's backend (pid) is gone
-- is stale and ignored.
CREATE TABLE tudi.fences (
    token      text        PRIMARY KEY,
    layers     text[]      NOT NULL,
    pid        integer     NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
