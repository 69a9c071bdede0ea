-- +goose Up
-- One row per timer: a case waiting for information closes unanswered at
-- due_at unless the wait ends first. state moves pending → fired or
-- pending → cancelled, never back.
CREATE TABLE due_timers (
    id             text COLLATE "C" PRIMARY KEY,
    kind           text        NOT NULL,
    case_number    text COLLATE "C" NOT NULL,
    due_at         timestamptz NOT NULL,
    state          text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'fired', 'cancelled')),
    position       bigint      NOT NULL,
    ended_at       timestamptz,
    outcome        text        NOT NULL DEFAULT '',
    fired_position bigint
);
CREATE INDEX due_timers_pending_idx ON due_timers (due_at, id) WHERE state = 'pending';
CREATE INDEX due_timers_case_idx ON due_timers (case_number) WHERE state = 'pending';

-- How far the feed has read the event store: a single row, locked by the
-- instance that feeds.
CREATE TABLE due_timers_feed (
    id       smallint PRIMARY KEY CHECK (id = 1),
    position bigint NOT NULL
);
INSERT INTO due_timers_feed (id, position) VALUES (1, 0);

-- +goose Down
DROP TABLE due_timers_feed;
DROP TABLE due_timers;
