-- +goose Up
-- events is the source of truth. position encodes the writing transaction's
-- ID (xid8) in its high bits and the event's index within the append in its
-- low 20 bits, so that position order is the order in which the gap-free tail
-- (see ReadAll) can deliver events: every event a still-running transaction
-- may commit later carries a position above everything the tail has passed.
CREATE TABLE events (
    position        bigint      PRIMARY KEY,
    event_id        uuid        NOT NULL UNIQUE,
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL CHECK (stream_version > 0),
    category        text        NOT NULL,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL CHECK (schema_version > 0),
    data            jsonb       NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT statement_timestamp(),
    actor           text        NOT NULL,
    on_behalf_of    text        NOT NULL DEFAULT '',
    correlation_id  text        NOT NULL DEFAULT '',
    causation_id    text        NOT NULL DEFAULT '',
    command_id      text        NOT NULL DEFAULT '',
    client_ip       text        NOT NULL DEFAULT '',
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);

-- command_log makes commands idempotent: a command carrying a key already
-- recorded for the same scope (the acting principal) answers with the stored
-- result and appends nothing.
CREATE TABLE command_log (
    scope        text        NOT NULL,
    idem_key     text        NOT NULL,
    request_hash text        NOT NULL,
    command_id   text        NOT NULL,
    result       jsonb       NOT NULL,
    position     bigint      NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT statement_timestamp(),
    PRIMARY KEY (scope, idem_key)
);

-- +goose Down
DROP TABLE command_log;
DROP TABLE events;
