-- +goose Up
CREATE SEQUENCE contact_number_seq MINVALUE 1 START 1;
CREATE SEQUENCE order_number_seq MINVALUE 1 START 1;
CREATE SEQUENCE contract_ela_number_seq MINVALUE 1 START 1;
CREATE SEQUENCE contract_easy_number_seq MINVALUE 1 START 1;
CREATE SEQUENCE invoice_number_seq MINVALUE 1 START 1;
CREATE SEQUENCE license_number_seq MINVALUE 1 START 1;
CREATE SEQUENCE case_number_seq MINVALUE 1 START 1;

-- +goose Down
DROP SEQUENCE case_number_seq;
DROP SEQUENCE license_number_seq;
DROP SEQUENCE invoice_number_seq;
DROP SEQUENCE contract_easy_number_seq;
DROP SEQUENCE contract_ela_number_seq;
DROP SEQUENCE order_number_seq;
DROP SEQUENCE contact_number_seq;
