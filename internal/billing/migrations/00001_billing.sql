-- +goose Up
-- The billing feed's own schema. Nothing else writes here, and the feed
-- reads nothing but its own tables and JetStream.
CREATE SCHEMA IF NOT EXISTS billing;

-- feed is one row per durable consumer: where a new ledger starts (a
-- position, a time, or from the first message); the JetStream stream
-- sequence of the last message whose effects are committed; and the
-- consumer's ack floor as last read (every message up to it is handled),
-- after which a lost durable consumer is re-created.
CREATE TABLE billing.feed (
    consumer        text        PRIMARY KEY,
    start_position  bigint      NOT NULL DEFAULT 0,
    start_time      timestamptz,
    last_stream_seq bigint      NOT NULL DEFAULT 0,
    ack_floor       bigint      NOT NULL DEFAULT 0,
    handled         bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- processed holds the ID of every event the feed has handled, applied or
-- parked: a redelivered event finds itself here and changes nothing.
CREATE TABLE billing.processed (
    event_id     uuid        PRIMARY KEY,
    position     bigint      NOT NULL,
    stream_seq   bigint      NOT NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('applied', 'ignored', 'parked')),
    processed_at timestamptz NOT NULL DEFAULT now()
);

-- stream_checkpoint is, per event stream (order-…, invoice-…, license-…),
-- the version of the last event handled. Events of a stream are handled in
-- version order: the next one must be version + 1.
CREATE TABLE billing.stream_checkpoint (
    stream_id text   PRIMARY KEY,
    version   bigint NOT NULL,
    position  bigint NOT NULL
);

-- orders keeps what an invoice line needs from order.submitted: the lines
-- (JSON array of sku, product, edition, quantity, unit_price_minor,
-- currency) and who ordered.
CREATE TABLE billing.orders (
    order_number        text   PRIMARY KEY,
    customer_account_id text   NOT NULL,
    partner_id          text   NOT NULL,
    distributor_id      text   NOT NULL DEFAULT '',
    currency            text   NOT NULL,
    total_minor         bigint NOT NULL,
    lines               jsonb  NOT NULL,
    event_id            uuid   NOT NULL
);

-- pending_invoices holds an invoice.issued whose order.submitted has not
-- arrived yet (a feed started after the order, or a relay retry that
-- stored the invoice first). Its ledger lines are written when the order
-- arrives.
-- The message itself is kept, so that an invoice found invalid against its
-- order's lines is parked as it arrived.
CREATE TABLE billing.pending_invoices (
    event_id     uuid        PRIMARY KEY,
    order_number text        NOT NULL,
    stream_seq   bigint      NOT NULL,
    subject      text        NOT NULL,
    headers      jsonb       NOT NULL,
    data         bytea       NOT NULL
);
CREATE INDEX pending_invoices_order ON billing.pending_invoices (order_number);

-- ledger is one row per invoice line: the invoice's order lines, in order,
-- at the order's prices. (event_id, line_no) is the invoice.issued event
-- and the line, so a redelivered event writes nothing twice.
CREATE TABLE billing.ledger (
    event_id         uuid        NOT NULL,
    line_no          int         NOT NULL,
    invoice_number   text        NOT NULL,
    order_number     text        NOT NULL,
    account_id       text        NOT NULL,
    partner_id       text        NOT NULL,
    po_number        text        NOT NULL,
    sku              text        NOT NULL,
    product          text        NOT NULL,
    edition          text        NOT NULL,
    quantity         int         NOT NULL,
    unit_price_minor bigint      NOT NULL,
    amount_minor     bigint      NOT NULL,
    currency         text        NOT NULL,
    issued_on        date        NOT NULL,
    due_date         date        NOT NULL,
    position         bigint      NOT NULL,
    recorded_at      timestamptz NOT NULL,
    PRIMARY KEY (event_id, line_no),
    UNIQUE (invoice_number, line_no)
);

-- licenses records license.issued: which order a license came from.
CREATE TABLE billing.licenses (
    license_id       text   PRIMARY KEY,
    source_order     text   NOT NULL,
    product          text   NOT NULL,
    edition          text   NOT NULL,
    quantity         int    NOT NULL,
    owner_account_id text   NOT NULL,
    event_id         uuid   NOT NULL
);

-- parked holds every message the feed could not apply, with the reason:
-- undecodable, invalid, of an unknown schema version, or a stream gap that
-- never closed. It is acknowledged after parking: never retried forever,
-- never dropped. stream_seq is the JetStream sequence of the message, so a
-- redelivered poison message is parked once.
CREATE TABLE billing.parked (
    stream_seq bigint      PRIMARY KEY,
    event_id   text        NOT NULL DEFAULT '',
    subject    text        NOT NULL,
    headers    jsonb       NOT NULL,
    data       bytea       NOT NULL,
    reason     text        NOT NULL,
    parked_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP SCHEMA billing CASCADE;
