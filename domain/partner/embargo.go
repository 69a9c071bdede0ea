package partner

import (
	"strings"

	"github.com/channeldesk/channeldesk/domain"
)

// Embargo screening (DOMAIN.md [seed]) for partners, as for accounts: a
// name matching the restricted-party list puts a hold on the organisation
// or the contact; all its access is denied until compliance clears it. The
// partner records the holds; the API denies access while State.OnHold
// reports one (and enforces the 6-hour wait after a denial); Decide refuses
// the commands of a held partner contact (partner.embargo_hold).

// HoldPartner is the Party of an embargo hold on the partner organisation
// itself; any other Party is a contact ID.
const HoldPartner = "partner"

// Hold is an embargo hold on the partner or one of its contacts, placed
// when screening matched an entry of the restricted-party list.
type Hold struct {
	Party        string
	MatchedEntry string
}

// OnHold returns the embargo hold that denies contact contactID access: a
// hold on the partner itself, else one on the contact. With contactID ""
// it reports only a hold on the partner.
func (s State) OnHold(contactID string) (Hold, bool) {
	if h, ok := s.Holds[HoldPartner]; ok {
		return h, true
	}
	if contactID == "" {
		return Hold{}, false
	}
	h, ok := s.Holds[contactID]
	return h, ok
}

// notHeld refuses a contact of this partner while it, or the partner, is
// on hold. Staff are never held.
func notHeld(s State, by domain.Actor) error {
	if by.Kind != domain.KindPartner || by.PartnerID != s.ID {
		return nil
	}
	if _, held := s.OnHold(by.ContactID); held {
		return domain.Rule("partner.embargo_hold", "access is denied while compliance verifies a restricted-party match")
	}
	return nil
}

func checkParty(p *domain.Problems, party string) {
	if party != HoldPartner && !ValidContactID(party) {
		p.Add("party", "must be \"partner\" or a contact ID such as C-000001")
	}
}

// checkReference checks a required reference of at most MaxReferenceLen
// characters on one line.
func checkReference(p *domain.Problems, field, v string) {
	if strings.TrimSpace(v) == "" {
		p.Add(field, "is required")
		return
	}
	checkText(p, field, v, MaxReferenceLen)
}

func placeEmbargoHold(s State, c PlaceEmbargoHold) ([]domain.Event, error) {
	var p domain.Problems
	checkParty(&p, c.Party)
	checkReference(&p, "matched_entry", c.MatchedEntry)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := exists(s, c.PartnerID); err != nil {
		return nil, err
	}
	if _, ok := s.Contacts[c.Party]; !ok && c.Party != HoldPartner {
		return nil, domain.Rule("partner.contact_unknown", "partner %s has no contact %s", s.ID, c.Party)
	}
	if _, ok := s.Holds[c.Party]; ok {
		return nil, domain.Rule("partner.embargo_hold_exists", "%s of partner %s is already on hold", c.Party, s.ID)
	}
	return []domain.Event{EmbargoHoldPlaced{PartnerID: s.ID, Party: c.Party, MatchedEntry: c.MatchedEntry}}, nil
}

func clearEmbargoHold(s State, c ClearEmbargoHold) ([]domain.Event, error) {
	switch {
	case c.By.IsStaffWith(domain.RoleCompliance):
	case c.By.Kind == domain.KindPartner && c.By.PartnerID != c.PartnerID:
		// A contact of another partner may not learn that this one exists.
		return nil, domain.ErrNotFound
	default:
		return nil, domain.Forbidden("only compliance staff may clear an embargo hold")
	}
	var p domain.Problems
	checkParty(&p, c.Party)
	checkReference(&p, "note", c.Note)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := exists(s, c.PartnerID); err != nil {
		return nil, err
	}
	if _, ok := s.Holds[c.Party]; !ok {
		return nil, domain.Rule("partner.no_embargo_hold", "%s of partner %s is not on hold", c.Party, s.ID)
	}
	return []domain.Event{EmbargoHoldCleared{PartnerID: s.ID, Party: c.Party, Note: strings.TrimSpace(c.Note)}}, nil
}
