package invoice

import (
	"slices"

	"github.com/channeldesk/channeldesk/domain"
)

// State is an invoice as its events made it. The zero State is an invoice
// that was not issued.
//
// Maps and slices of a State are never written in place by Evolve, so
// states folded from a shared history may be kept side by side; a caller
// must not write them either.
type State struct {
	Number      string
	OrderNumber string
	AccountID   string
	PONumber    string
	AmountMinor int64
	Currency    string
	IssuedOn    string
	DueDate     string
	Delivery    Delivery
}

// Exists reports whether the invoice was issued.
func (s State) Exists() bool { return s.Number != "" }

// Evolve returns the state after event e. Events of other types leave the
// state unchanged. The returned state shares no slice with e or s.
func Evolve(s State, e domain.Event) State {
	if e, ok := e.(Issued); ok {
		s = State{
			Number:      e.InvoiceNumber,
			OrderNumber: e.OrderNumber,
			AccountID:   e.AccountID,
			PONumber:    e.PONumber,
			AmountMinor: e.AmountMinor,
			Currency:    e.Currency,
			IssuedOn:    e.IssuedOn,
			DueDate:     e.DueDate,
			Delivery:    Delivery{Mode: e.Delivery.Mode, Recipients: slices.Clone(e.Delivery.Recipients)},
		}
	}
	return s
}
