-- +goose Up
-- What the request that recorded an event was: the operation (the command,
-- e.g. SubmitOrder), the resource it addressed ("order/ORD-0000001") and
-- the client's user agent. Read by the activity log.
ALTER TABLE events
    ADD COLUMN operation  text NOT NULL DEFAULT '',
    ADD COLUMN resource   text NOT NULL DEFAULT '',
    ADD COLUMN user_agent text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE events DROP COLUMN operation, DROP COLUMN resource, DROP COLUMN user_agent;
