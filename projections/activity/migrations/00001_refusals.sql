-- +goose Up
-- activity_refusals keeps the commands that were refused, denied or failed:
-- they leave no event, so the HTTP layer records them here. It is not a
-- projection: no rebuild touches it. The accepted commands are projected
-- from the events into proj_activity.activity; the two read as one log.
CREATE TABLE activity_refusals (
    id             text COLLATE "C" PRIMARY KEY,
    at             timestamptz NOT NULL,
    actor          text COLLATE "C" NOT NULL,
    on_behalf_of   text        NOT NULL DEFAULT '',
    operation      text COLLATE "C" NOT NULL DEFAULT '',
    resource_type  text COLLATE "C" NOT NULL DEFAULT '',
    resource_id    text COLLATE "C" NOT NULL DEFAULT '',
    customer_id    text COLLATE "C" NOT NULL DEFAULT '',
    status         text        NOT NULL CHECK (status IN ('refused', 'denied', 'invalid', 'failed')),
    code           text        NOT NULL DEFAULT '',
    detail         text        NOT NULL DEFAULT '',
    correlation_id text        NOT NULL DEFAULT '',
    client_ip      text        NOT NULL DEFAULT '',
    user_agent     text        NOT NULL DEFAULT ''
);
CREATE INDEX activity_refusals_at_idx ON activity_refusals (at DESC, id DESC);
CREATE INDEX activity_refusals_customer_idx ON activity_refusals (customer_id, at DESC, id DESC);
CREATE INDEX activity_refusals_actor_idx ON activity_refusals (actor, at DESC, id DESC);

-- +goose Down
DROP TABLE activity_refusals;
