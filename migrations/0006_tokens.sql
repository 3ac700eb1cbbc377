-- API tokens with roles. Only the SHA-256 of a token is kept: the token
-- itself (32 random bytes) is shown once, when it is created. A hash of a
-- high-entropy secret cannot be reversed or guessed, so no slow password
-- hash is needed (see SECURITY.md).
CREATE TABLE tudi.tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash         bytea       NOT NULL UNIQUE,       -- sha256 of the token
    name         text        NOT NULL DEFAULT '',   -- a note: who or what holds it
    role         text        NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    layers       text[]      NOT NULL DEFAULT '{}', -- an editor's layers; empty: all
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,                       -- NULL: never
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- The last version of each layer name that was deleted or renamed away. A
-- layer created (or renamed) under such a name starts above it, so a layer
-- name's versions only ever grow: a tile cached for an earlier layer of
-- the same name (keyed by name and version) can never be taken for the
-- new one.
CREATE TABLE tudi.retired_layers (
    name       text PRIMARY KEY,
    version    bigint      NOT NULL,
    retired_at timestamptz NOT NULL DEFAULT now()
);
