package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// result is what handling one message came to.
type result struct {
	action     action
	seq        uint64    // the message's JetStream stream sequence
	duplicate  bool      // the event was handled before
	recordedAt time.Time // when the store recorded the event, if decoded
}

// handle handles one message inside the batch's transaction. It returns an
// error only for failures worth retrying (PostgreSQL unreachable, say);
// what is wrong with the message itself is parked.
func (f *Feed) handle(ctx context.Context, tx pgx.Tx, s start, m jetstream.Msg) (result, error) {
	meta, err := m.Metadata()
	if err != nil {
		return result{}, fmt.Errorf("message on %s: %w", m.Subject(), err)
	}
	r := result{action: ack, seq: meta.Sequence.Stream}
	msg := &nats.Msg{Subject: m.Subject(), Header: m.Headers(), Data: m.Data()}
	e, err := decodeEnvelope(msg)
	if err != nil {
		return r, park(ctx, tx, r.seq, msg, e.ID, err.Error())
	}
	r.recordedAt = e.RecordedAt
	if e.Position <= s.position {
		r.duplicate = true // before the ledger's start: not this ledger's business
		return r, nil
	}

	var seen bool
	var version *int64
	if err := tx.QueryRow(ctx, `SELECT
			EXISTS (SELECT FROM billing.processed WHERE event_id = $1),
			(SELECT version FROM billing.stream_checkpoint WHERE stream_id = $2)`,
		e.ID, e.StreamID).Scan(&seen, &version); err != nil {
		return r, fmt.Errorf("look up event %s: %w", e.ID, err)
	}
	if seen {
		r.duplicate = true
		return r, nil
	}
	// An event at or below its stream's checkpoint that was never handled
	// arrived after the feed gave up waiting for it and parked a later
	// one: it is applied late rather than dropped.
	next := version != nil && e.StreamVersion <= *version+1 ||
		version == nil && (e.StreamVersion == 1 || s.midway())
	outcome := "applied"
	if !next {
		if meta.NumDelivered <= uint64(f.cfg.GapRedeliveries) {
			r.action = waitForGap
			return r, nil
		}
		have := int64(0)
		if version != nil {
			have = *version
		}
		reason := fmt.Sprintf("stream %s: version %d arrived after version %d and the versions between did not arrive in %d deliveries",
			e.StreamID, e.StreamVersion, have, meta.NumDelivered)
		if err := park(ctx, tx, r.seq, msg, e.ID, reason); err != nil {
			return r, err
		}
		outcome = "parked"
	} else {
		outcome, err = f.applyIsolated(ctx, tx, &e, r.seq, msg)
		if err != nil {
			return r, err
		}
	}
	if _, err := tx.Exec(ctx, `WITH p AS (
			INSERT INTO billing.processed (event_id, position, stream_seq, outcome) VALUES ($1, $2, $3, $4))
		INSERT INTO billing.stream_checkpoint AS c (stream_id, version, position) VALUES ($5, $6, $2)
		ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, position = excluded.position
		WHERE c.version < excluded.version`,
		e.ID, e.Position, int64(r.seq), outcome, e.StreamID, e.StreamVersion); err != nil {
		return r, fmt.Errorf("record event %s: %w", e.ID, err)
	}
	return r, nil
}

// applyIsolated applies e inside a savepoint. An event that is poison, or
// that PostgreSQL refuses as data (a value too long, a duplicate invoice
// line), is rolled back to the savepoint and parked; any other error is
// returned and fails the batch.
func (f *Feed) applyIsolated(ctx context.Context, tx pgx.Tx, e *envelope, seq uint64, msg *nats.Msg) (string, error) {
	if v, known := knownVersion(e.Type); known && v != e.SchemaVersion {
		return "parked", park(ctx, tx, seq, msg, e.ID, fmt.Sprintf("%s: schema version %d is not known to the billing feed (want %d)", e.Type, e.SchemaVersion, v))
	} else if !known {
		return "ignored", nil
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("savepoint: %w", err)
	}
	err = apply(ctx, sp, e, seq, msg)
	if err == nil {
		if err := sp.Commit(ctx); err != nil {
			return "", fmt.Errorf("release savepoint: %w", err)
		}
		return "applied", nil
	}
	if rerr := sp.Rollback(ctx); rerr != nil {
		return "", errors.Join(err, rerr)
	}
	if !errors.Is(err, ErrPoison) && !isDataError(err) {
		return "", err
	}
	return "parked", park(ctx, tx, seq, msg, e.ID, err.Error())
}

// isDataError reports whether PostgreSQL refused a statement for its data
// (classes 22, data exception, and 23, integrity constraint violation):
// the same message would be refused again.
func isDataError(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && len(pgErr.Code) == 5 && (pgErr.Code[:2] == "22" || pgErr.Code[:2] == "23")
}

// apply writes the billing effect of one event of a known type and
// version.
func apply(ctx context.Context, tx pgx.Tx, e *envelope, seq uint64, msg *nats.Msg) error {
	switch e.Type {
	case "order.submitted":
		var o orderSubmitted
		if err := decodeData(e, &o); err != nil {
			return err
		}
		if err := o.validate(); err != nil {
			return err
		}
		lines, err := json.Marshal(o.Lines)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO billing.orders
			(order_number, customer_account_id, partner_id, distributor_id, currency, total_minor, lines, event_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (order_number) DO NOTHING`,
			o.OrderNumber, o.CustomerAccountID, o.PartnerID, o.DistributorID, o.Currency, o.TotalMinor, lines, e.ID)
		if err != nil {
			return fmt.Errorf("record order %s: %w", o.OrderNumber, err)
		}
		if tag.RowsAffected() == 0 {
			return poison("order.submitted: order %s was submitted before by another event", o.OrderNumber)
		}
		return resolvePending(ctx, tx, o.OrderNumber)
	case "invoice.issued":
		var v invoiceIssued
		if err := decodeData(e, &v); err != nil {
			return err
		}
		if err := v.validate(); err != nil {
			return err
		}
		found, err := writeLedger(ctx, tx, e, &v)
		if err != nil || found {
			return err
		}
		headers, err := json.Marshal(msg.Header)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO billing.pending_invoices (event_id, order_number, stream_seq, subject, headers, data)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING`,
			e.ID, v.OrderNumber, int64(seq), msg.Subject, headers, msg.Data)
		if err != nil {
			return fmt.Errorf("keep invoice %s until its order: %w", v.InvoiceNumber, err)
		}
		return nil
	case "license.issued":
		var l licenseIssued
		if err := decodeData(e, &l); err != nil {
			return err
		}
		if err := l.validate(); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO billing.licenses
			(license_id, source_order, product, edition, quantity, owner_account_id, event_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (license_id) DO NOTHING`,
			l.LicenseID, l.SourceOrder, l.Product, l.Edition, l.Quantity, l.OwnerAccountID, e.ID)
		if err != nil {
			return fmt.Errorf("record license %s: %w", l.LicenseID, err)
		}
	}
	return nil
}

// writeLedger writes the ledger lines of invoice v, issued by event e: one
// per line of its order, at the order's prices. found is false when the
// order's lines are not known yet (nothing is written). An invoice whose
// currency or amount disagrees with its order's lines is poison.
func writeLedger(ctx context.Context, tx pgx.Tx, e *envelope, v *invoiceIssued) (found bool, err error) {
	var currency string
	var total int64
	err = tx.QueryRow(ctx, `SELECT currency, total_minor FROM billing.orders WHERE order_number = $1`, v.OrderNumber).Scan(&currency, &total)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up order %s: %w", v.OrderNumber, err)
	}
	if currency != v.Currency || total != v.AmountMinor {
		return true, poison("invoice.issued: invoice %s is %d %s, its order %s's lines come to %d %s",
			v.InvoiceNumber, v.AmountMinor, v.Currency, v.OrderNumber, total, currency)
	}
	_, err = tx.Exec(ctx, `INSERT INTO billing.ledger (event_id, line_no, invoice_number, order_number,
			account_id, partner_id, po_number, sku, product, edition, quantity, unit_price_minor,
			amount_minor, currency, issued_on, due_date, position, recorded_at)
		SELECT $1, l.n, $2, o.order_number, $3, o.partner_id, $4, l.v->>'sku', l.v->>'product',
			l.v->>'edition', (l.v->>'quantity')::int, (l.v->>'unit_price_minor')::bigint,
			(l.v->>'quantity')::bigint * (l.v->>'unit_price_minor')::bigint, o.currency,
			$5::date, $6::date, $7, $8
		FROM billing.orders o, jsonb_array_elements(o.lines) WITH ORDINALITY AS l(v, n)
		WHERE o.order_number = $9
		ON CONFLICT (event_id, line_no) DO NOTHING`,
		e.ID, v.InvoiceNumber, v.AccountID, v.PONumber, v.IssuedOn, v.DueDate, e.Position, e.RecordedAt, v.OrderNumber)
	if err != nil {
		return true, fmt.Errorf("write ledger of invoice %s: %w", v.InvoiceNumber, err)
	}
	return true, nil
}

// resolvePending writes the ledger lines of the invoices of order that
// arrived before it. An invoice that turns out poison against the order's
// lines is parked as it arrived; the order itself is not.
func resolvePending(ctx context.Context, tx pgx.Tx, order string) error {
	type pending struct {
		seq     int64
		subject string
		headers nats.Header
		data    []byte
	}
	rows, err := tx.Query(ctx, `DELETE FROM billing.pending_invoices WHERE order_number = $1
		RETURNING stream_seq, subject, headers, data`, order)
	if err != nil {
		return fmt.Errorf("pending invoices of %s: %w", order, err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pending, error) {
		var p pending
		err := row.Scan(&p.seq, &p.subject, &p.headers, &p.data)
		return p, err
	})
	if err != nil {
		return fmt.Errorf("pending invoices of %s: %w", order, err)
	}
	for _, p := range ps {
		msg := &nats.Msg{Subject: p.subject, Header: p.headers, Data: p.data}
		e, err := decodeEnvelope(msg)
		var v invoiceIssued
		if err == nil {
			err = decodeData(&e, &v)
		}
		if err == nil {
			_, err = writeLedger(ctx, tx, &e, &v)
		}
		if errors.Is(err, ErrPoison) {
			err = park(ctx, tx, uint64(p.seq), msg, e.ID, err.Error())
			if err == nil {
				_, err = tx.Exec(ctx, `UPDATE billing.processed SET outcome = 'parked' WHERE event_id = $1`, e.ID)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// park records a message the feed cannot apply, with the reason. A message
// parked before (the same stream sequence) is left as it was.
func park(ctx context.Context, tx pgx.Tx, seq uint64, m *nats.Msg, id uuid.UUID, reason string) error {
	headers, err := json.Marshal(m.Header)
	if err != nil {
		return err
	}
	eventID := ""
	if id != uuid.Nil {
		eventID = id.String()
	} else {
		eventID = m.Header.Get(nats.MsgIdHdr)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO billing.parked (stream_seq, event_id, subject, headers, data, reason)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (stream_seq) DO NOTHING`,
		int64(seq), eventID, m.Subject, headers, m.Data, reason); err != nil {
		return fmt.Errorf("park message %d: %w", seq, err)
	}
	return nil
}
