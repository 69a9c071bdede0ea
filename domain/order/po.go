package order

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/channeldesk/channeldesk/domain"
)

// NormalisePO returns the form in which two PO numbers are the same PO:
// surrounding white space dropped, inner runs of white space collapsed to
// one space, letters upper-cased. "po 42-a" and " PO  42-A" are one PO;
// "PO42-A" and "PO-42-A" are not.
func NormalisePO(po string) string {
	return strings.ToUpper(strings.Join(strings.Fields(po), " "))
}

// POReservationStream is the stream on which partnerID reserves po:
// orderpo-<partnerID>_<the first 16 hex digits of the SHA-256 of
// NormalisePO(po)>. Hashing keeps any PO number (spaces, slashes, non-ASCII)
// out of the stream ID and bounds its length; 64 bits make an accidental
// collision between two POs of one partner negligible (it would refuse the
// second PO as a duplicate, never accept a duplicate). The result depends
// only on its arguments and never changes: it is part of the store's
// layout.
func POReservationStream(partnerID, po string) string {
	sum := sha256.Sum256([]byte(NormalisePO(po)))
	return "orderpo-" + partnerID + "_" + hex.EncodeToString(sum[:8])
}

// POReservation is the state of a PO reservation stream. The zero value is
// a PO that no order of the partner used.
type POReservation struct {
	PartnerID   string
	PONumber    string
	OrderNumber string
}

// Exists reports whether the PO is reserved: the command service sets
// SubmitOrder.POAlreadyUsed from it.
func (r POReservation) Exists() bool { return r.OrderNumber != "" }

// EvolvePOReservation returns the reservation after event e. Events of
// other types leave it unchanged; a second POReserved (which the expected
// version 0 of the append prevents) does not move the first.
func EvolvePOReservation(r POReservation, e domain.Event) POReservation {
	if e, ok := e.(POReserved); ok && !r.Exists() {
		r = POReservation{PartnerID: e.PartnerID, PONumber: e.PONumber, OrderNumber: e.OrderNumber}
	}
	return r
}
