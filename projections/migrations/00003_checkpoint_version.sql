-- +goose Up
-- version is the shape of the projection's tables its live schema was set
-- up with (Versioned); a projection whose code declares another version is
-- set up afresh and projected again from the start.
ALTER TABLE projection_checkpoints ADD COLUMN version integer NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE projection_checkpoints DROP COLUMN version;
