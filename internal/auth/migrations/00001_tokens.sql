-- +goose Up
CREATE TABLE tokens (
    id          text        PRIMARY KEY,
    hash        bytea       NOT NULL,
    principal   jsonb       NOT NULL,
    label       text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);

-- +goose Down
DROP TABLE tokens;
