-- +goose Up
-- The refusals form one hash chain in insertion order (issue 5, item 5; see
-- chain.go for the encoding): seq numbers the records, prev_hash is the
-- hash of the record before, hash covers every column and prev_hash.
-- activity_refusals_head holds the last seq and hash; a writer locks it
-- (SELECT … FOR UPDATE) to extend the chain, so API instances writing at
-- once still form one chain, and verify notices records deleted at the end.
ALTER TABLE activity_refusals
    ADD COLUMN seq bigint,
    ADD COLUMN prev_hash bytea,
    ADD COLUMN hash bytea;

CREATE TABLE activity_refusals_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq       bigint NOT NULL,
    hash      bytea  NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION pg_temp.activity_field(b bytea) RETURNS bytea LANGUAGE sql IMMUTABLE
AS $$ SELECT int8send(length(b)::bigint) || b $$;
-- +goose StatementEnd

-- The records written before the chain existed are chained in the order
-- they were recorded (at, then their time-ordered UUIDv7 id), with the
-- encoding of hashRefusal in chain.go.
-- +goose StatementBegin
DO $$
DECLARE
    r    record;
    prev bytea  := decode(repeat('00', 32), 'hex');
    n    bigint := 0;
    h    bytea;
BEGIN
    FOR r IN SELECT * FROM activity_refusals ORDER BY at, id LOOP
        n := n + 1;
        h := sha256(
            pg_temp.activity_field(convert_to('channeldesk activity_refusals v1', 'UTF8')) ||
            pg_temp.activity_field(int8send(n)) ||
            pg_temp.activity_field(convert_to(r.id, 'UTF8')) ||
            pg_temp.activity_field(int8send((extract(epoch FROM r.at) * 1000000)::bigint)) ||
            pg_temp.activity_field(convert_to(r.actor, 'UTF8')) ||
            pg_temp.activity_field(convert_to(r.on_behalf_of, 'UTF8')) ||
            pg_temp.activity_field(convert_to(r.operation, 'UTF8')) ||
            pg_temp.activity_field(convert_to(r.resource_type, 'UTF8')) ||
            pg_temp.activity_field(convert_to(r.resource_id, 'UTF8')) ||
            pg_temp.activity_field(convert_to(r.customer_id, 'UTF8')) ||
            pg_temp.activity_field(convert_to(r.status, 'UTF8')) ||
            pg_temp.activity_field(convert_to(r.code, 'UTF8')) ||
            pg_temp.activity_field(convert_to(r.detail, 'UTF8')) ||
            pg_temp.activity_field(convert_to(r.correlation_id, 'UTF8')) ||
            pg_temp.activity_field(convert_to(r.client_ip, 'UTF8')) ||
            pg_temp.activity_field(convert_to(r.user_agent, 'UTF8')) ||
            pg_temp.activity_field(prev));
        UPDATE activity_refusals SET seq = n, prev_hash = prev, hash = h WHERE id = r.id;
        prev := h;
    END LOOP;
    INSERT INTO activity_refusals_head (seq, hash) VALUES (n, prev);
END
$$;
-- +goose StatementEnd

DROP FUNCTION pg_temp.activity_field(bytea);

ALTER TABLE activity_refusals
    ALTER COLUMN seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL;
CREATE UNIQUE INDEX activity_refusals_seq_idx ON activity_refusals (seq);

-- +goose Down
DROP TABLE activity_refusals_head;
ALTER TABLE activity_refusals DROP COLUMN seq, DROP COLUMN prev_hash, DROP COLUMN hash;
