-- +goose Up
-- A claim is a lease: the instance that claims a timer records itself and
-- until when the timer is its own, and commits at once; it then fires the
-- timer outside any transaction and marks it. Another instance claims a
-- pending timer only once the lease has run out (its holder died).
ALTER TABLE due_timers
    ADD COLUMN claimed_by    text NOT NULL DEFAULT '',
    ADD COLUMN claimed_until timestamptz;

-- +goose Down
ALTER TABLE due_timers DROP COLUMN claimed_until, DROP COLUMN claimed_by;
