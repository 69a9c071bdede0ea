package order

import (
	"slices"

	"github.com/channeldesk/channeldesk/domain"
)

// Status of an order.
const (
	StatusSubmitted = "submitted"
	StatusCancelled = "cancelled"
	StatusFulfilled = "fulfilled"
)

// State is an order as its events made it. The zero State is an order that
// does not exist.
//
// Maps and slices of a State are never written in place by Evolve, so
// states folded from a shared history may be kept side by side; a caller
// must not write them either.
type State struct {
	Number              string
	Status              string
	PONumber            string
	PODate              string
	OrderType           string
	Catalog             string
	Lines               []Line
	Currency            string
	TotalMinor          int64
	CustomerAccountID   string // the account it answers under: its customer, or where a merge moved it
	PartnerID           string
	DistributorID       string
	DistributorPONumber string
	// Set on fulfilment.
	LicenseIDs     []string
	InvoiceNumber  string
	OwnerAccountID string
}

// Exists reports whether the order was submitted.
func (s State) Exists() bool { return s.Number != "" }

// Evolve returns the state after event e. Events of other types leave the
// state unchanged. The returned state shares no slice with e or s.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case Submitted:
		s = State{
			Number:              e.OrderNumber,
			Status:              StatusSubmitted,
			PONumber:            e.PONumber,
			PODate:              e.PODate,
			OrderType:           e.OrderType,
			Catalog:             e.Catalog,
			Lines:               slices.Clone(e.Lines),
			Currency:            e.Currency,
			TotalMinor:          e.TotalMinor,
			CustomerAccountID:   e.CustomerAccountID,
			PartnerID:           e.PartnerID,
			DistributorID:       e.DistributorID,
			DistributorPONumber: e.DistributorPONumber,
		}
	case Cancelled:
		s.Status = StatusCancelled
	case Fulfilled:
		s.Status = StatusFulfilled
		s.LicenseIDs = slices.Clone(e.LicenseIDs)
		s.InvoiceNumber = e.InvoiceNumber
		s.OwnerAccountID = e.OwnerAccountID
	case CustomerChanged:
		s.CustomerAccountID = e.ToAccountID
	}
	return s
}
