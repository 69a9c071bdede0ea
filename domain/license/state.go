package license

import (
	"maps"

	"github.com/channeldesk/channeldesk/domain"
)

// Status of a license.
const (
	StatusActive    = "active"
	StatusRescinded = "rescinded"
)

// Allocation is what of a license is allocated to one license server.
type Allocation struct {
	HostIDType string
	HostID     string
	Quantity   int
}

// State is a license as its events made it. The zero State is a license
// that does not exist.
//
// Maps and slices of a State are never written in place by Evolve, so
// states folded from a shared history may be kept side by side; a caller
// must not write them either.
type State struct {
	ID             string
	Product        string
	Edition        string
	Quantity       int
	Owner          string // account ID
	SourceOrder    string
	MaintenanceEnd string // YYYY-MM-DD
	// Allocations by host ID; nil when nothing is allocated.
	Allocations map[string]Allocation
	Status      string
	// ParentLicense is the license this one was split from, if any.
	ParentLicense string
	// ReplacedBy lists the licenses that replaced a rescinded one.
	ReplacedBy []string
}

// Exists reports whether the license was issued.
func (s State) Exists() bool { return s.ID != "" }

// Allocated is the number of users allocated to license servers.
func (s State) Allocated() int {
	n := 0
	for _, a := range s.Allocations {
		n += a.Quantity
	}
	return n
}

// Evolve returns the state after event e. Events of other types leave the
// state unchanged. It never modifies the maps or slices of s: states folded
// from a shared history stay independent.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case Issued:
		s = State{
			ID:             e.LicenseID,
			Product:        e.Product,
			Edition:        e.Edition,
			Quantity:       e.Quantity,
			Owner:          e.OwnerAccountID,
			SourceOrder:    e.SourceOrder,
			MaintenanceEnd: e.MaintenanceEnd,
			Status:         StatusActive,
			ParentLicense:  e.ParentLicenseID,
		}
	case Allocated:
		s.Allocations = allocate(maps.Clone(s.Allocations), e.HostIDType, e.HostID, e.Quantity)
	case AllocationReturned:
		s.Allocations = release(maps.Clone(s.Allocations), e.HostID)
	case Reallocated:
		s.Allocations = allocate(release(maps.Clone(s.Allocations), e.FromHostID), e.ToHostIDType, e.ToHostID, e.Quantity)
	case LicenseSplit:
		// The Rescinded recorded with it changes the state.
	case Rescinded:
		s.Status = StatusRescinded
		s.ReplacedBy = append([]string(nil), e.ReplacedBy...)
	case Transferred:
		s.Owner = e.ToAccountID
	case MaintenanceRenewed:
		s.MaintenanceEnd = e.To
	case OwnerChanged:
		s.Owner = e.ToAccountID
	}
	return s
}

// allocate adds quantity on host to m, which the caller owns.
func allocate(m map[string]Allocation, hostIDType, hostID string, quantity int) map[string]Allocation {
	if m == nil {
		m = map[string]Allocation{}
	}
	a := m[hostID]
	m[hostID] = Allocation{HostIDType: hostIDType, HostID: hostID, Quantity: a.Quantity + quantity}
	return m
}

// release removes host from m, which the caller owns.
func release(m map[string]Allocation, hostID string) map[string]Allocation {
	delete(m, hostID)
	if len(m) == 0 {
		return nil
	}
	return m
}
