-- +goose Up
-- Every change to a token row (a revocation, by the CLI or by hand, or a
-- deletion) is announced to the instances that cache tokens; the notice
-- goes out when the change commits.
-- +goose StatementBegin
CREATE FUNCTION tokens_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('channeldesk_tokens', OLD.id);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER tokens_changed AFTER UPDATE OR DELETE ON tokens
    FOR EACH ROW EXECUTE FUNCTION tokens_changed();

-- +goose Down
DROP TRIGGER tokens_changed ON tokens;
DROP FUNCTION tokens_changed();
