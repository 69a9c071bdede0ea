package invoice

// Delivery modes of an invoice [seed].
const (
	DeliveryPaper     = "paper"
	DeliveryPaperless = "paperless"
)

// Delivery is how an invoice reaches the customer: on paper, or paperless
// by email to Recipients (at least one; accounts payable among them, for
// instance) [seed][public].
type Delivery struct {
	Mode       string   `json:"mode"`
	Recipients []string `json:"recipients,omitempty"`
}

// Issued: an invoice for an order was issued to AccountID on
// IssuedOn, due on DueDate (both YYYY-MM-DD). AmountMinor is in the minor
// unit of Currency.
type Issued struct {
	InvoiceNumber string   `json:"invoice_number"`
	OrderNumber   string   `json:"order_number"`
	AccountID     string   `json:"account_id"`
	PONumber      string   `json:"po_number"`
	AmountMinor   int64    `json:"amount_minor"`
	Currency      string   `json:"currency"`
	IssuedOn      string   `json:"issued_on"`
	DueDate       string   `json:"due_date"`
	Delivery      Delivery `json:"delivery"`
}

// EventType implements domain.Event.
func (Issued) EventType() string { return "invoice.issued" }

// SchemaVersion implements domain.Event.
func (Issued) SchemaVersion() int { return 1 }
