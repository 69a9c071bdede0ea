package catalog

import (
	"encoding/json"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/license"
)

// Upcaster turns a stored payload of event type Type at schema version From
// into version From+1. An upcaster is pure: the same payload always gives
// the same result, and it reads nothing but the payload.
type Upcaster struct {
	Type string
	From int
	Up   func(data json.RawMessage) (json.RawMessage, error)
}

// Upcasters returns every upcaster, in a fixed order. Every version of a
// type but its newest has exactly one (a test checks it), so that a payload
// of any version the catalog lists can be read as the current one.
//
// To change an event's shape: keep the old struct under a new Go name
// with its SchemaVersion (its golden file and docs/schemas file stay), give
// the event type's struct the next version, list both in Entries (the old
// first, without emitting commands), and add the upcaster here.
func Upcasters() []Upcaster {
	return []Upcaster{
		{Type: account.AddressChangedV1{}.EventType(), From: 1, Up: account.UpcastAddressChangedV1},
		{Type: license.TransferredV1{}.EventType(), From: 1, Up: license.UpcastTransferredV1},
	}
}
