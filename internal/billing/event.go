package billing

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/channeldesk/channeldesk/internal/broker"
)

// ErrPoison is matched (errors.Is) by every error saying a message can
// never be applied as it is: it cannot be decoded, its headers contradict
// its body, it fails validation, or its schema version is unknown. Such a
// message is parked with the error as its reason.
var ErrPoison = errors.New("billing: poison message")

// poison returns an error matching ErrPoison.
func poison(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrPoison, fmt.Sprintf(format, args...))
}

// envelope is the part of a published event's JSON envelope the feed
// reads. It is decoded from the wire contract (docs/events.md, package
// broker) rather than from the domain packages, as any consumer outside
// this repository would have to.
type envelope struct {
	ID            uuid.UUID       `json:"id"`
	StreamID      string          `json:"stream_id"`
	StreamVersion int64           `json:"stream_version"`
	Position      int64           `json:"position"`
	Category      string          `json:"category"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	Data          json.RawMessage `json:"data"`
	RecordedAt    time.Time       `json:"recorded_at"`
}

// decodeEnvelope decodes a message body and checks it against the headers
// the relay sets: a message whose headers and body disagree is not
// trusted.
func decodeEnvelope(m *nats.Msg) (envelope, error) {
	var e envelope
	if err := json.Unmarshal(m.Data, &e); err != nil {
		return e, poison("body is not an event envelope: %v", err)
	}
	var errs []string
	if e.ID == uuid.Nil {
		errs = append(errs, "no event id")
	}
	if e.StreamID == "" || e.StreamVersion < 1 || e.Position < 1 || e.Type == "" || e.SchemaVersion < 1 || len(e.Data) == 0 || string(e.Data) == "null" {
		errs = append(errs, "envelope lacks stream_id, stream_version, position, type, schema_version or data")
	}
	if e.RecordedAt.IsZero() {
		errs = append(errs, "no recorded_at")
	}
	check := func(name, want string) {
		if got := m.Header.Get(name); got != want {
			errs = append(errs, fmt.Sprintf("header %s is %q, body says %q", name, got, want))
		}
	}
	check(broker.HeaderMsgID, e.ID.String())
	check(broker.HeaderEventType, e.Type)
	check(broker.HeaderStreamID, e.StreamID)
	check(broker.HeaderStreamVersion, strconv.FormatInt(e.StreamVersion, 10))
	check(broker.HeaderPosition, strconv.FormatInt(e.Position, 10))
	if c, _, _ := strings.Cut(e.StreamID, "-"); c != e.Category || !strings.HasPrefix(e.Type, c+".") {
		errs = append(errs, fmt.Sprintf("type %q and stream %q are not of category %q", e.Type, e.StreamID, e.Category))
	}
	if len(errs) > 0 {
		return e, poison("%s", strings.Join(errs, "; "))
	}
	return e, nil
}

// orderLine is one line of order.submitted v1.
type orderLine struct {
	SKU            string `json:"sku"`
	Product        string `json:"product"`
	Edition        string `json:"edition"`
	Quantity       int    `json:"quantity"`
	UnitPriceMinor int64  `json:"unit_price_minor"`
	Currency       string `json:"currency"`
}

// orderSubmitted is order.submitted v1, the fields billing needs.
type orderSubmitted struct {
	OrderNumber       string      `json:"order_number"`
	PONumber          string      `json:"po_number"`
	Lines             []orderLine `json:"lines"`
	Currency          string      `json:"currency"`
	TotalMinor        int64       `json:"total_minor"`
	CustomerAccountID string      `json:"customer_account_id"`
	PartnerID         string      `json:"partner_id"`
	DistributorID     string      `json:"distributor_id"`
}

func (o *orderSubmitted) validate() error {
	var errs []string
	if o.OrderNumber == "" || o.CustomerAccountID == "" || o.PartnerID == "" {
		errs = append(errs, "order_number, customer_account_id or partner_id missing")
	}
	if !validCurrency(o.Currency) {
		errs = append(errs, fmt.Sprintf("currency %q is not three upper-case letters", o.Currency))
	}
	if len(o.Lines) == 0 {
		errs = append(errs, "no lines")
	}
	var total int64
	for i, l := range o.Lines {
		if l.SKU == "" || l.Quantity < 1 || l.UnitPriceMinor < 0 || l.Currency != o.Currency {
			errs = append(errs, fmt.Sprintf("line %d: want a sku, a quantity of at least 1, a price of at least 0 and currency %s", i+1, o.Currency))
			continue
		}
		total += int64(l.Quantity) * l.UnitPriceMinor
	}
	if len(errs) == 0 && total != o.TotalMinor {
		errs = append(errs, fmt.Sprintf("total_minor %d is not the sum of the lines, %d", o.TotalMinor, total))
	}
	if len(errs) > 0 {
		return poison("order.submitted: %s", strings.Join(errs, "; "))
	}
	return nil
}

// invoiceIssued is invoice.issued v1, the fields billing needs.
type invoiceIssued struct {
	InvoiceNumber string `json:"invoice_number"`
	OrderNumber   string `json:"order_number"`
	AccountID     string `json:"account_id"`
	PONumber      string `json:"po_number"`
	AmountMinor   int64  `json:"amount_minor"`
	Currency      string `json:"currency"`
	IssuedOn      string `json:"issued_on"`
	DueDate       string `json:"due_date"`
}

func (v *invoiceIssued) validate() error {
	var errs []string
	if v.InvoiceNumber == "" || v.OrderNumber == "" || v.AccountID == "" {
		errs = append(errs, "invoice_number, order_number or account_id missing")
	}
	if !validCurrency(v.Currency) {
		errs = append(errs, fmt.Sprintf("currency %q is not three upper-case letters", v.Currency))
	}
	if v.AmountMinor < 0 {
		errs = append(errs, fmt.Sprintf("negative amount_minor %d", v.AmountMinor))
	}
	for _, d := range []struct{ name, v string }{{"issued_on", v.IssuedOn}, {"due_date", v.DueDate}} {
		if _, err := time.Parse(time.DateOnly, d.v); err != nil {
			errs = append(errs, fmt.Sprintf("%s %q is not a YYYY-MM-DD date", d.name, d.v))
		}
	}
	if len(errs) > 0 {
		return poison("invoice.issued: %s", strings.Join(errs, "; "))
	}
	return nil
}

// licenseIssued is license.issued v1, the fields billing needs.
type licenseIssued struct {
	LicenseID      string `json:"license_id"`
	Product        string `json:"product"`
	Edition        string `json:"edition"`
	Quantity       int    `json:"quantity"`
	OwnerAccountID string `json:"owner_account_id"`
	SourceOrder    string `json:"source_order"`
}

func (l *licenseIssued) validate() error {
	if l.LicenseID == "" || l.OwnerAccountID == "" || l.Quantity < 1 {
		return poison("license.issued: want license_id, owner_account_id and a quantity of at least 1")
	}
	return nil
}

func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

// decodeData decodes an event's data strictly enough to catch a payload of
// the wrong shape: a JSON type mismatch is poison.
func decodeData(e *envelope, v any) error {
	if err := json.Unmarshal(e.Data, v); err != nil {
		return poison("%s data: %v", e.Type, err)
	}
	return nil
}

// knownVersion returns the schema version of the event types the feed
// applies. Any other version of these types is parked; other types of the
// three categories are handled as having no billing effect.
func knownVersion(eventType string) (version int, known bool) {
	switch eventType {
	case "order.submitted", "invoice.issued", "license.issued":
		return 1, true
	}
	return 0, false
}
