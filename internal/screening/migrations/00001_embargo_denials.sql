-- +goose Up
-- The 6-hour wait of principals denied access by an embargo hold: one row
-- per principal, for the hold it was last denied by (hold names the hold:
-- the organisation's stream and the version that placed it).
CREATE TABLE embargo_denials (
    principal_id text        PRIMARY KEY,
    hold         text        NOT NULL,
    denied_at    timestamptz NOT NULL
);

-- +goose Down
DROP TABLE embargo_denials;
