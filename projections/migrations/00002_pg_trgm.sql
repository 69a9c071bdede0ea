-- +goose Up
-- Trigram matching for company-name search (close spellings, infixes), used
-- by the read models' indexes. pg_trgm ships with PostgreSQL (contrib) and
-- is a trusted extension.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- +goose Down
-- Left in place: other databases' objects may use it.
SELECT 1;
