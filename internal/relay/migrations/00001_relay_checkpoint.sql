-- +goose Up
-- relay_checkpoint records, per JetStream stream, the position of the last
-- event the relay has had acknowledged by JetStream, with every event before
-- it. It only moves forward: a relay that lost its lock and writes late
-- cannot take it back. published counts the events the checkpoint has moved
-- over.
CREATE TABLE relay_checkpoint (
    name        text        PRIMARY KEY,
    position    bigint      NOT NULL,
    published   bigint      NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE relay_checkpoint;
