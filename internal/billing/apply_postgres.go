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
	duplicate  bool      // the event was handled before, or is before the ledger's start
	recordedAt time.Time // when the store recorded the event, if handled now
}

// record is an event handled in this batch, written to billing.processed
// at the end of the batch.
type record struct {
	id       uuid.UUID
	position int64
	seq      uint64
	outcome  string
}

// batchState is what a batch knows while it handles its messages in order:
// the events already processed and the checkpoint of each stream, read
// from the database for the whole batch at once and kept up to date in
// memory, and the events handled so far.
type batchState struct {
	start    start
	seen     map[uuid.UUID]bool
	versions map[string]int64 // a missing stream has no checkpoint yet
	handled  []record
	index    map[uuid.UUID]int // event → its place in handled
	advanced map[string][2]int64
}

// loadBatchState reads, in one round trip, which of the batch's events
// were processed before and the checkpoints of their streams.
func loadBatchState(ctx context.Context, tx pgx.Tx, s start, evs []envelope) (*batchState, error) {
	st := &batchState{start: s, seen: map[uuid.UUID]bool{}, versions: map[string]int64{},
		index: map[uuid.UUID]int{}, advanced: map[string][2]int64{}}
	ids := make([]string, 0, len(evs))
	streams := make([]string, 0, len(evs))
	for _, e := range evs {
		if e.ID != uuid.Nil && e.StreamID != "" {
			ids = append(ids, e.ID.String())
			streams = append(streams, e.StreamID)
		}
	}
	if len(ids) == 0 {
		return st, nil
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT event_id FROM billing.processed WHERE event_id = ANY($1::uuid[])`, ids).Query(func(rows pgx.Rows) error {
		got, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		for _, id := range got {
			st.seen[id] = true
		}
		return err
	})
	b.Queue(`SELECT stream_id, version FROM billing.stream_checkpoint WHERE stream_id = ANY($1)`, streams).Query(func(rows pgx.Rows) error {
		var id string
		var v int64
		_, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error {
			st.versions[id] = v
			return nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("look up the batch's events: %w", err)
	}
	return st, nil
}

// done records that e was handled with outcome.
func (st *batchState) done(e *envelope, seq uint64, outcome string) {
	st.seen[e.ID] = true
	st.index[e.ID] = len(st.handled)
	st.handled = append(st.handled, record{id: e.ID, position: e.Position, seq: seq, outcome: outcome})
	if v, ok := st.versions[e.StreamID]; !ok || e.StreamVersion > v {
		st.versions[e.StreamID] = e.StreamVersion
		st.advanced[e.StreamID] = [2]int64{e.StreamVersion, e.Position}
	}
}

// save writes the batch's processed events and checkpoints and the feed's
// progress, in one round trip.
func (st *batchState) save(ctx context.Context, tx pgx.Tx, consumer string, lastSeq, floor uint64, applied int) error {
	b := &pgx.Batch{}
	if len(st.handled) > 0 {
		ids := make([]string, len(st.handled))
		pos := make([]int64, len(st.handled))
		seqs := make([]int64, len(st.handled))
		outcomes := make([]string, len(st.handled))
		for i, r := range st.handled {
			ids[i], pos[i], seqs[i], outcomes[i] = r.id.String(), r.position, int64(r.seq), r.outcome
		}
		b.Queue(`INSERT INTO billing.processed (event_id, position, stream_seq, outcome)
			SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[])`, ids, pos, seqs, outcomes)
	}
	if len(st.advanced) > 0 {
		streams := make([]string, 0, len(st.advanced))
		versions := make([]int64, 0, len(st.advanced))
		positions := make([]int64, 0, len(st.advanced))
		for s, vp := range st.advanced {
			streams, versions, positions = append(streams, s), append(versions, vp[0]), append(positions, vp[1])
		}
		b.Queue(`INSERT INTO billing.stream_checkpoint AS c (stream_id, version, position)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
			ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, position = excluded.position
			WHERE c.version < excluded.version`, streams, versions, positions)
	}
	b.Queue(`UPDATE billing.feed SET last_stream_seq = greatest(last_stream_seq, $2),
		ack_floor = greatest(ack_floor, $3), handled = handled + $4, updated_at = now()
		WHERE consumer = $1`, consumer, int64(lastSeq), int64(floor), applied)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("record the batch's progress: %w", err)
	}
	return nil
}

// decoded is a message and its envelope, or why it has none.
type decoded struct {
	m    jetstream.Msg
	meta *jetstream.MsgMetadata
	msg  *nats.Msg
	e    envelope
	err  error
}

func decode(m jetstream.Msg) (decoded, error) {
	meta, err := m.Metadata()
	if err != nil {
		return decoded{}, fmt.Errorf("message on %s: %w", m.Subject(), err)
	}
	d := decoded{m: m, meta: meta, msg: &nats.Msg{Subject: m.Subject(), Header: m.Headers(), Data: m.Data()}}
	d.e, d.err = decodeEnvelope(d.msg)
	return d, nil
}

// handle handles one decoded message inside the batch's transaction. It
// returns an error only for failures worth retrying (PostgreSQL
// unreachable, say); what is wrong with the message itself is parked.
func (f *Feed) handle(ctx context.Context, tx pgx.Tx, st *batchState, d *decoded) (result, error) {
	r := result{action: ack, seq: d.meta.Sequence.Stream}
	e := &d.e
	if d.err != nil {
		return r, park(ctx, tx, r.seq, d.msg, e.ID, d.err.Error())
	}
	if e.Position <= st.start.position || st.seen[e.ID] {
		r.duplicate = true
		return r, nil
	}
	r.recordedAt = e.RecordedAt
	version, known := st.versions[e.StreamID]
	// An event at or below its stream's checkpoint that was never handled
	// arrived after the feed gave up waiting for it and parked a later
	// one: it is applied late rather than dropped.
	next := known && e.StreamVersion <= version+1 ||
		!known && (e.StreamVersion == 1 || st.start.midway())
	if !next {
		if d.meta.NumDelivered <= uint64(f.cfg.GapRedeliveries) {
			r.action = waitForGap
			r.recordedAt = time.Time{}
			return r, nil
		}
		reason := fmt.Sprintf("stream %s: version %d arrived after version %d and the versions between did not arrive in %d deliveries",
			e.StreamID, e.StreamVersion, version, d.meta.NumDelivered)
		if err := park(ctx, tx, r.seq, d.msg, e.ID, reason); err != nil {
			return r, err
		}
		st.done(e, r.seq, "parked")
		return r, nil
	}
	outcome, err := f.apply(ctx, tx, st, e, r.seq, d.msg)
	if err != nil {
		return r, err
	}
	st.done(e, r.seq, outcome)
	return r, nil
}

// isDataError reports whether PostgreSQL refused a statement for its data
// (classes 22, data exception, and 23, integrity constraint violation):
// the same message would be refused again.
func isDataError(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && len(pgErr.Code) == 5 && (pgErr.Code[:2] == "22" || pgErr.Code[:2] == "23")
}

// isolated runs the statements queued in b inside a savepoint, in one round
// trip. If PostgreSQL refuses one of them for its data, everything b did is
// rolled back and the error is returned for parking; other errors are
// returned as they are and fail the batch.
func isolated(ctx context.Context, tx pgx.Tx, queue func(b *pgx.Batch)) error {
	b := &pgx.Batch{}
	b.Queue(`SAVEPOINT billing_event`)
	queue(b)
	b.Queue(`RELEASE SAVEPOINT billing_event`)
	err := tx.SendBatch(ctx, b).Close()
	if err == nil || !isDataError(err) && !errors.Is(err, ErrPoison) {
		return err
	}
	if _, rerr := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT billing_event`); rerr != nil {
		return errors.Join(err, rerr)
	}
	if _, rerr := tx.Exec(ctx, `RELEASE SAVEPOINT billing_event`); rerr != nil {
		return errors.Join(err, rerr)
	}
	return fmt.Errorf("%w: %w", ErrPoison, err)
}

// apply writes the billing effect of e and returns the outcome to record:
// applied, ignored (no billing effect) or parked.
func (f *Feed) apply(ctx context.Context, tx pgx.Tx, st *batchState, e *envelope, seq uint64, msg *nats.Msg) (string, error) {
	if v, known := knownVersion(e.Type); known && v != e.SchemaVersion {
		return "parked", park(ctx, tx, seq, msg, e.ID, fmt.Sprintf("%s: schema version %d is not known to the billing feed (want %d)", e.Type, e.SchemaVersion, v))
	} else if !known {
		return "ignored", nil
	}
	var err error
	switch e.Type {
	case "order.submitted":
		err = applyOrder(ctx, tx, st, e)
	case "invoice.issued":
		var v invoiceIssued
		if err = decodeData(e, &v); err == nil {
			if err = v.validate(); err == nil {
				err = writeLedger(ctx, tx, e, &v, seq, msg)
			}
		}
	case "license.issued":
		var l licenseIssued
		if err = decodeData(e, &l); err == nil {
			if err = l.validate(); err == nil {
				err = isolated(ctx, tx, func(b *pgx.Batch) { queueLicense(b, e, &l) })
			}
		}
	}
	if errors.Is(err, ErrPoison) {
		return "parked", park(ctx, tx, seq, msg, e.ID, err.Error())
	}
	if err != nil {
		return "", err
	}
	return "applied", nil
}

// pendingInvoice is an invoice message that waited for its order.
type pendingInvoice struct {
	seq     int64
	subject string
	headers nats.Header
	data    []byte
}

// applyOrder records an order's lines, then writes the ledger lines of the
// invoices that arrived before it. An invoice that turns out poison
// against the order's lines is parked as it arrived; the order itself is
// not.
func applyOrder(ctx context.Context, tx pgx.Tx, st *batchState, e *envelope) error {
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
	var pending []pendingInvoice
	err = isolated(ctx, tx, func(b *pgx.Batch) { queueOrder(b, e, &o, lines, &pending) })
	if err != nil {
		return err
	}
	for _, p := range pending {
		msg := &nats.Msg{Subject: p.subject, Header: p.headers, Data: p.data}
		pe, err := decodeEnvelope(msg)
		var v invoiceIssued
		if err == nil {
			err = decodeData(&pe, &v)
		}
		if err == nil {
			err = writeLedger(ctx, tx, &pe, &v, uint64(p.seq), msg)
		}
		if errors.Is(err, ErrPoison) {
			if err = park(ctx, tx, uint64(p.seq), msg, pe.ID, err.Error()); err == nil {
				err = st.reclassify(ctx, tx, pe.ID, "parked")
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// reclassify changes the recorded outcome of an event handled earlier.
func (st *batchState) reclassify(ctx context.Context, tx pgx.Tx, id uuid.UUID, outcome string) error {
	if i, ok := st.index[id]; ok {
		st.handled[i].outcome = outcome
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE billing.processed SET outcome = $2 WHERE event_id = $1`, id, outcome)
	return err
}

// writeLedger writes the ledger lines of invoice v, issued by event e: one
// per line of its order, at the order's prices. When the order's lines are
// not known yet the message waits in billing.pending_invoices. An invoice
// whose currency or amount disagrees with its order's lines is poison.
func writeLedger(ctx context.Context, tx pgx.Tx, e *envelope, v *invoiceIssued, seq uint64, msg *nats.Msg) error {
	var written int64
	err := isolated(ctx, tx, func(b *pgx.Batch) { queueLedger(b, e, v, &written) })
	if err != nil || written > 0 {
		return err
	}
	var currency string
	var total int64
	err = tx.QueryRow(ctx, `SELECT currency, total_minor FROM billing.orders WHERE order_number = $1`, v.OrderNumber).Scan(&currency, &total)
	if err == nil {
		return poison("invoice.issued: invoice %s is %d %s, its order %s's lines come to %d %s",
			v.InvoiceNumber, v.AmountMinor, v.Currency, v.OrderNumber, total, currency)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("look up order %s: %w", v.OrderNumber, err)
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
}

// park records a message the feed cannot apply, with the reason. A message
// parked before (the same stream sequence) is left as it was.
func park(ctx context.Context, tx pgx.Tx, seq uint64, m *nats.Msg, id uuid.UUID, reason string) error {
	headers, err := json.Marshal(m.Header)
	if err != nil {
		return err
	}
	eventID := m.Header.Get(nats.MsgIdHdr)
	if id != uuid.Nil {
		eventID = id.String()
	}
	if _, err := tx.Exec(ctx, `INSERT INTO billing.parked (stream_seq, event_id, subject, headers, data, reason)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (stream_seq) DO NOTHING`,
		int64(seq), eventID, m.Subject, headers, m.Data, reason); err != nil {
		return fmt.Errorf("park message %d: %w", seq, err)
	}
	return nil
}

// queueLicense queues the insert of license l, issued by event e.
func queueLicense(b *pgx.Batch, e *envelope, l *licenseIssued) {
	b.Queue(`INSERT INTO billing.licenses
		(license_id, source_order, product, edition, quantity, owner_account_id, event_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (license_id) DO NOTHING`,
		l.LicenseID, l.SourceOrder, l.Product, l.Edition, l.Quantity, l.OwnerAccountID, e.ID)
}

// queueOrder queues the insert of order o, submitted by event e with its
// lines encoded, and the removal of the invoices that waited for it, which
// are appended to pending.
func queueOrder(b *pgx.Batch, e *envelope, o *orderSubmitted, lines []byte, pending *[]pendingInvoice) {
	// A second order.submitted for the same number is refused by the
	// primary key and parked.
	b.Queue(`INSERT INTO billing.orders
		(order_number, customer_account_id, partner_id, distributor_id, currency, total_minor, lines, event_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		o.OrderNumber, o.CustomerAccountID, o.PartnerID, o.DistributorID, o.Currency, o.TotalMinor, lines, e.ID)
	b.Queue(`DELETE FROM billing.pending_invoices WHERE order_number = $1
		RETURNING stream_seq, subject, headers, data`, o.OrderNumber).Query(func(rows pgx.Rows) error {
		var p pendingInvoice
		_, err := pgx.ForEachRow(rows, []any{&p.seq, &p.subject, &p.headers, &p.data}, func() error {
			*pending = append(*pending, p)
			return nil
		})
		return err
	})
}

// queueLedger queues the ledger lines of invoice v, issued by event e, at
// its order's prices; written receives how many were written (none when
// the order is not known, or its currency or total disagree).
func queueLedger(b *pgx.Batch, e *envelope, v *invoiceIssued, written *int64) {
	b.Queue(`INSERT INTO billing.ledger (event_id, line_no, invoice_number, order_number,
			account_id, partner_id, po_number, sku, product, edition, quantity, unit_price_minor,
			amount_minor, currency, issued_on, due_date, position, recorded_at)
		SELECT $1, l.n, $2, o.order_number, $3, o.partner_id, $4, l.v->>'sku', l.v->>'product',
			l.v->>'edition', (l.v->>'quantity')::int, (l.v->>'unit_price_minor')::bigint,
			(l.v->>'quantity')::bigint * (l.v->>'unit_price_minor')::bigint, o.currency,
			$5::date, $6::date, $7, $8
		FROM billing.orders o, jsonb_array_elements(o.lines) WITH ORDINALITY AS l(v, n)
		WHERE o.order_number = $9 AND o.currency = $10 AND o.total_minor = $11
		ON CONFLICT (event_id, line_no) DO NOTHING`,
		e.ID, v.InvoiceNumber, v.AccountID, v.PONumber, v.IssuedOn, v.DueDate, e.Position, e.RecordedAt,
		v.OrderNumber, v.Currency, v.AmountMinor).Exec(func(ct pgconn.CommandTag) error {
		*written = ct.RowsAffected()
		return nil
	})
}

// pipelined handles the batch's messages ds in ONE round trip when none
// of them needs more than its own statements: it decides in memory what
// handle would (already handled, waiting for an earlier event of its
// stream, ignored, applied) and sends every applied event's statements in
// one pipeline after a savepoint. ok is false, with everything since the
// savepoint rolled back and st to be loaded again, when a message needs
// handle's step-by-step path: a message to park (undecodable, of an unknown
// version, failing validation, refused by PostgreSQL for its data, or
// waiting too long for its stream), an invoice whose order is not in the
// ledger yet, or an order that invoices waited for. Those are rare; the
// step-by-step path then handles the batch exactly as before, so both
// paths give the same ledger.
func (f *Feed) pipelined(ctx context.Context, tx pgx.Tx, st *batchState, ds []decoded) (rs []result, ok bool, err error) {
	const savepoint = "billing_batch"
	b := &pgx.Batch{}
	b.Queue(`SAVEPOINT ` + savepoint)
	rs = make([]result, len(ds))
	var pending []pendingInvoice
	var unwritten []*int64
	for i := range ds {
		d := &ds[i]
		r := result{action: ack, seq: d.meta.Sequence.Stream}
		e := &d.e
		if d.err != nil {
			return nil, false, nil
		}
		if e.Position <= st.start.position || st.seen[e.ID] {
			r.duplicate = true
			rs[i] = r
			continue
		}
		r.recordedAt = e.RecordedAt
		version, known := st.versions[e.StreamID]
		next := known && e.StreamVersion <= version+1 ||
			!known && (e.StreamVersion == 1 || st.start.midway())
		if !next {
			if d.meta.NumDelivered > uint64(f.cfg.GapRedeliveries) {
				return nil, false, nil
			}
			r.action, r.recordedAt = waitForGap, time.Time{}
			rs[i] = r
			continue
		}
		outcome := "applied"
		switch v, known := knownVersion(e.Type); {
		case known && v != e.SchemaVersion:
			return nil, false, nil
		case !known:
			outcome = "ignored"
		case e.Type == "order.submitted":
			var o orderSubmitted
			if decodeData(e, &o) != nil || o.validate() != nil {
				return nil, false, nil
			}
			lines, err := json.Marshal(o.Lines)
			if err != nil {
				return nil, false, nil
			}
			queueOrder(b, e, &o, lines, &pending)
		case e.Type == "invoice.issued":
			var v invoiceIssued
			if decodeData(e, &v) != nil || v.validate() != nil {
				return nil, false, nil
			}
			n := new(int64)
			unwritten = append(unwritten, n)
			queueLedger(b, e, &v, n)
		case e.Type == "license.issued":
			var l licenseIssued
			if decodeData(e, &l) != nil || l.validate() != nil {
				return nil, false, nil
			}
			queueLicense(b, e, &l)
		}
		st.done(e, r.seq, outcome)
		rs[i] = r
	}
	if b.Len() == 1 {
		return rs, true, nil // nothing to write but the batch's progress
	}
	err = tx.SendBatch(ctx, b).Close()
	if err != nil && !isDataError(err) {
		return nil, false, err
	}
	fallback := err != nil || len(pending) > 0
	for _, n := range unwritten {
		fallback = fallback || *n == 0
	}
	if !fallback {
		return rs, true, nil
	}
	if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT `+savepoint); err != nil {
		return nil, false, err
	}
	return nil, false, nil
}
