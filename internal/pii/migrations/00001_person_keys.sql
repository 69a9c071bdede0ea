-- +goose Up
-- One key per person whose personal data events carry sealed. Forgetting
-- the person sets key to NULL and keeps the row, so that "erased" stays
-- distinguishable from "never existed".
CREATE TABLE person_keys (
    subject      text COLLATE "C" PRIMARY KEY,
    key          bytea       NULL CHECK (key IS NULL OR length(key) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz NULL,
    CHECK ((key IS NULL) = (destroyed_at IS NOT NULL))
);

-- +goose Down
DROP TABLE person_keys;
