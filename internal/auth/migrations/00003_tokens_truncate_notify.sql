-- +goose Up
-- TRUNCATE fires no row trigger: it is announced once, with an empty
-- payload, and the instances that cache tokens drop them all.
-- +goose StatementBegin
CREATE FUNCTION tokens_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('channeldesk_tokens', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER tokens_truncated AFTER TRUNCATE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION tokens_truncated();

-- +goose Down
DROP TRIGGER tokens_truncated ON tokens;
DROP FUNCTION tokens_truncated();
