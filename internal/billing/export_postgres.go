package billing

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// CSVHeader returns the first record WriteCSV writes: the ledger's columns.
// Amounts are integers in the minor unit of the currency (1999 EUR is
// 19.99 EUR).
func CSVHeader() []string {
	return []string{
		"invoice_number", "line_no", "order_number", "account_id", "partner_id", "po_number",
		"sku", "product", "edition", "quantity", "unit_price_minor", "amount_minor", "currency",
		"issued_on", "due_date", "event_id", "position",
	}
}

// WriteCSV writes the whole ledger to w as CSV (RFC 4180): a header record,
// then one record per invoice line ordered by invoice number and line. It
// streams rows from one snapshot of the database and holds none of them in
// memory beyond the csv.Writer's buffer.
func WriteCSV(ctx context.Context, pool *pgxpool.Pool, w io.Writer) error {
	rows, err := pool.Query(ctx, `SELECT invoice_number, line_no, order_number, account_id, partner_id,
			po_number, sku, product, edition, quantity, unit_price_minor, amount_minor, currency,
			issued_on, due_date, event_id::text, position
		FROM billing.ledger ORDER BY invoice_number, line_no`)
	if err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	header := CSVHeader()
	if err := cw.Write(header); err != nil {
		return err
	}
	var (
		inv, order, account, partner, po, sku, product, edition, currency, eventID string
		line, qty                                                                  int32
		unit, amount, pos                                                          int64
		issued, due                                                                time.Time
	)
	rec := make([]string, len(header))
	for rows.Next() {
		if err := rows.Scan(&inv, &line, &order, &account, &partner, &po, &sku, &product, &edition,
			&qty, &unit, &amount, &currency, &issued, &due, &eventID, &pos); err != nil {
			return fmt.Errorf("read ledger: %w", err)
		}
		rec[0], rec[1], rec[2], rec[3], rec[4], rec[5] = inv, strconv.Itoa(int(line)), order, account, partner, po
		rec[6], rec[7], rec[8], rec[9] = sku, product, edition, strconv.Itoa(int(qty))
		rec[10], rec[11], rec[12] = strconv.FormatInt(unit, 10), strconv.FormatInt(amount, 10), currency
		rec[13], rec[14], rec[15], rec[16] = issued.Format(time.DateOnly), due.Format(time.DateOnly), eventID, strconv.FormatInt(pos, 10)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	cw.Flush()
	return cw.Error()
}
