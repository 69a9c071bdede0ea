package contract

import (
	"slices"

	"github.com/channeldesk/channeldesk/domain"
)

// Status of an agreement.
const (
	StatusActive = "active"
	// StatusTerminated is an agreement that was terminated
	// (contract.terminated): it no longer counts as the account's active
	// one under its program, and accepts no further change.
	StatusTerminated = "terminated"
)

// State is a license agreement as its events made it. The zero State is an
// agreement that does not exist. Dates are YYYY-MM-DD.
//
// Maps and slices of a State are never written in place by Evolve, so
// states folded from a shared history may be kept side by side; a caller
// must not write them either.
type State struct {
	Number         string
	Program        string
	AccountID      string
	PrimaryAdmin   string
	SecondaryAdmin string
	DiscountLevel  int
	TermStart      string
	TermEnd        string
	// ManagedBy lists the partners with manage rights, in the order they
	// were granted.
	ManagedBy []string
	Status    string
	// TerminatedOn is the date of the termination, for a terminated
	// agreement.
	TerminatedOn string
}

// Exists reports whether the agreement was registered.
func (s State) Exists() bool { return s.Number != "" }

// ManagedByPartner reports whether partnerID holds manage rights.
func (s State) ManagedByPartner(partnerID string) bool {
	return partnerID != "" && slices.Contains(s.ManagedBy, partnerID)
}

// Evolve returns the state after event e. Events of other types leave the
// state unchanged. It never modifies the slices of s: states folded from a
// shared history stay independent.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case Registered:
		s = State{
			Number:         e.ContractNumber,
			Program:        e.Program,
			AccountID:      e.AccountID,
			PrimaryAdmin:   e.PrimaryAdmin,
			SecondaryAdmin: e.SecondaryAdmin,
			DiscountLevel:  e.DiscountLevel,
			TermStart:      e.TermStart,
			TermEnd:        e.TermEnd,
			Status:         StatusActive,
		}
	case AdministratorsChanged:
		s.PrimaryAdmin, s.SecondaryAdmin = e.PrimaryAdmin, e.SecondaryAdmin
	case DiscountLevelSet:
		s.DiscountLevel = e.DiscountLevel
	case ManageRightsGranted:
		s.ManagedBy = append(slices.Clip(s.ManagedBy), e.PartnerID)
	case ManageRightsRevoked:
		s.ManagedBy = slices.DeleteFunc(slices.Clone(s.ManagedBy), func(p string) bool { return p == e.PartnerID })
		if len(s.ManagedBy) == 0 {
			s.ManagedBy = nil
		}
	case OwnerChanged:
		s.AccountID = e.ToAccountID
	case Terminated:
		s.Status, s.TerminatedOn = StatusTerminated, e.TerminatedOn
	}
	return s
}
