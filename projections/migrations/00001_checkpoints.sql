-- +goose Up
-- projection_checkpoints holds, per read model, the position of the last
-- event applied to its schema proj_<name>. A projector advances it in the
-- same transaction as the rows it writes, so position and rows never
-- disagree. state is 'starting' until the projector first commits, 'live'
-- afterwards, and 'rebuilding' while a rebuild runs beside the live schema.
CREATE TABLE projection_checkpoints (
    name               text        PRIMARY KEY CHECK (name ~ '^[a-z_]+$'),
    position           bigint      NOT NULL DEFAULT 0 CHECK (position >= 0),
    state              text        NOT NULL DEFAULT 'starting'
                                   CHECK (state IN ('starting', 'live', 'rebuilding')),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    rebuild_started_at timestamptz,
    rebuilt_at         timestamptz
);

-- +goose Down
DROP TABLE projection_checkpoints;
