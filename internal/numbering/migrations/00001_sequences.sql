-- +goose Up
CREATE SEQUENCE org_number_seq MINVALUE 0 START 0;

-- +goose Down
DROP SEQUENCE org_number_seq;
