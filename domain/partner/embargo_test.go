package partner_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/domaintest"
	"github.com/channeldesk/channeldesk/domain/partner"
)

const matched = "SAMPLE-SDN-0007: NORTHERN STAR LOGISTICS"

// held is the event of a hold on party of the reseller.
func held(party string) partner.EmbargoHoldPlaced {
	return partner.EmbargoHoldPlaced{PartnerID: resellerID, Party: party, MatchedEntry: matched}
}

// lifted is the event of compliance clearing the hold on party.
func lifted(party string) partner.EmbargoHoldCleared {
	return partner.EmbargoHoldCleared{PartnerID: resellerID, Party: party, Note: "verified: not the listed entity"}
}

func activeThen(more ...domain.Event) []domain.Event { return append(active(), more...) }

func TestPlaceEmbargoHold(t *testing.T) {
	place := func(party string) partner.PlaceEmbargoHold {
		return partner.PlaceEmbargoHold{PartnerID: resellerID, Party: party, MatchedEntry: matched, By: admin, At: at}
	}
	with := func(party string, edit func(*partner.PlaceEmbargoHold)) partner.PlaceEmbargoHold {
		c := place(party)
		edit(&c)
		return c
	}
	cases := []scenario{
		{Name: "PlaceEmbargoHold/happy path: the partner's name matched", Given: active(), When: place(partner.HoldPartner),
			Then: events(held(partner.HoldPartner))},
		{Name: "PlaceEmbargoHold/a contact's name matched", Given: active(), When: place(salesID), Then: events(held(salesID))},
		{Name: "PlaceEmbargoHold/a contact is held beside the partner", Given: activeThen(held(partner.HoldPartner)), When: place(salesID),
			Then: events(held(salesID))},
		{Name: "PlaceEmbargoHold/a party cleared before may be held again", Given: activeThen(held(salesID), lifted(salesID)),
			When: place(salesID), Then: events(held(salesID))},
		{Name: "PlaceEmbargoHold/the screening's actor is not checked: issued alongside a command authorised there",
			Given: active(), When: with(orgAdminID, func(c *partner.PlaceEmbargoHold) { c.By = resellerContact(domain.PartnerActive, orgAdminID) }),
			Then: events(held(orgAdminID))},
		{Name: "PlaceEmbargoHold/partner.embargo_hold_exists: a second hold on the same party is refused",
			Given: activeThen(held(salesID)), When: place(salesID), Then: rule("partner.embargo_hold_exists")},
		{Name: "PlaceEmbargoHold/partner.contact_unknown: a contact the partner does not have is refused", Given: active(),
			When: place(strangerID), Then: rule("partner.contact_unknown")},
		{Name: "PlaceEmbargoHold/partner: an unknown partner is not found", When: place(partner.HoldPartner), Then: fails(domain.ErrNotFound)},
		{Name: "PlaceEmbargoHold/party: \"partner\" or a contact ID", Given: active(), When: place("Partner"), Then: invalid("party")},
		{Name: "PlaceEmbargoHold/party: \"account\" is a customer's party, not a partner's", Given: active(), When: place("account"), Then: invalid("party")},
		{Name: "PlaceEmbargoHold/matched entry: required", Given: active(),
			When: with(salesID, func(c *partner.PlaceEmbargoHold) { c.MatchedEntry = " " }), Then: invalid("matched_entry")},
		{Name: "PlaceEmbargoHold/matched entry: at most 500 characters", Given: active(),
			When: with(salesID, func(c *partner.PlaceEmbargoHold) { c.MatchedEntry = strings.Repeat("m", partner.MaxReferenceLen+1) }),
			Then: invalid("matched_entry")},
		{Name: "PlaceEmbargoHold/validation: every problem at once, before existence",
			When: partner.PlaceEmbargoHold{PartnerID: resellerID, MatchedEntry: "bad\x00", By: admin, At: at}, Then: invalid("party", "matched_entry")},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestClearEmbargoHold(t *testing.T) {
	clearing := func(party string, by domain.Actor) partner.ClearEmbargoHold {
		return partner.ClearEmbargoHold{PartnerID: resellerID, Party: party, Note: "verified: not the listed entity", By: by, At: at}
	}
	heldThen := func(more ...domain.Event) []domain.Event {
		return activeThen(append([]domain.Event{held(partner.HoldPartner), held(salesID)}, more...)...)
	}
	onHold := heldThen()
	refused := func(name string, by domain.Actor) scenario {
		return scenario{Name: "ClearEmbargoHold/who: " + name, Given: onHold, When: clearing(salesID, by), Then: fails(domain.ErrForbidden)}
	}
	cases := []scenario{
		{Name: "ClearEmbargoHold/happy path: compliance staff lift the hold on the partner", Given: onHold,
			When: clearing(partner.HoldPartner, compliance), Then: events(lifted(partner.HoldPartner))},
		{Name: "ClearEmbargoHold/compliance staff lift the hold on a contact", Given: onHold, When: clearing(salesID, compliance),
			Then: events(lifted(salesID))},
		{Name: "ClearEmbargoHold/the note is recorded trimmed", Given: onHold,
			When: func() partner.ClearEmbargoHold {
				c := clearing(salesID, compliance)
				c.Note = "  " + c.Note + " "
				return c
			}(),
			Then: events(lifted(salesID))},
		{Name: "ClearEmbargoHold/who: staff holding compliance among other roles may clear", Given: onHold,
			When: clearing(salesID, staff("cleo", domain.RoleAuditor, domain.RoleCompliance)), Then: events(lifted(salesID))},
		refused("compliance staff only: admin may not clear", admin),
		refused("compliance staff only: support may not clear", support),
		refused("compliance staff only: an auditor may not clear", auditor),
		refused("compliance staff only: an integration may not clear", integration),
		refused("compliance staff only: staff without roles may not clear", noRoles),
		refused("compliance staff only: a customer contact may not clear", customer),
		refused("compliance staff only: the partner's own org admin may not clear", resellerContact(domain.PartnerActive, orgAdminID)),
		refused("compliance staff only: the zero actor may not clear", domain.Actor{}),
		{Name: "ClearEmbargoHold/who: a contact of another partner is told the partner does not exist", Given: onHold,
			When: clearing(salesID, otherAdmin()), Then: fails(domain.ErrNotFound)},
		{Name: "ClearEmbargoHold/who: checked before validation, so the refused learn nothing", Given: onHold,
			When: clearing("", admin), Then: fails(domain.ErrForbidden)},
		{Name: "ClearEmbargoHold/partner.no_embargo_hold: a party not on hold is refused", Given: onHold,
			When: clearing(execID, compliance), Then: rule("partner.no_embargo_hold")},
		{Name: "ClearEmbargoHold/partner.no_embargo_hold: a hold cleared before is gone", Given: heldThen(lifted(salesID)),
			When: clearing(salesID, compliance), Then: rule("partner.no_embargo_hold")},
		{Name: "ClearEmbargoHold/clearing the partner's hold leaves a contact's hold to clear", Given: heldThen(lifted(partner.HoldPartner)),
			When: clearing(salesID, compliance), Then: events(lifted(salesID))},
		{Name: "ClearEmbargoHold/note: required (what compliance verified)", Given: onHold,
			When: func() partner.ClearEmbargoHold { c := clearing(salesID, compliance); c.Note = " "; return c }(), Then: invalid("note")},
		{Name: "ClearEmbargoHold/party: \"partner\" or a contact ID", Given: onHold, When: clearing("everyone", compliance), Then: invalid("party")},
		{Name: "ClearEmbargoHold/validation: every problem is reported at once", Given: onHold,
			When: partner.ClearEmbargoHold{PartnerID: resellerID, By: compliance, At: at}, Then: invalid("party", "note")},
		{Name: "ClearEmbargoHold/partner: an unknown partner is not found", When: clearing(salesID, compliance), Then: fails(domain.ErrNotFound)},
	}
	domaintest.RunAll(t, aggregate, cases)
}

// TestEmbargoHoldDeniesContacts: partner.embargo_hold refuses the commands
// of a held partner contact, as account.embargo_hold does for customers.
func TestEmbargoHoldDeniesContacts(t *testing.T) {
	adding := func(h []domain.Event, by string) partner.AddPartnerContact {
		return partner.AddPartnerContact{PartnerID: resellerID, ContactID: "C-000020", Name: "Nina New", Email: "nina@partners.example",
			Roles: []string{domain.ContactSalesAgent}, Access: domain.AccessRestricted, By: actorIn(h, resellerID, by), At: at}
	}
	added := partner.PartnerContactAdded{PartnerID: resellerID, ContactID: "C-000020", Name: "Nina New", Email: "nina@partners.example",
		Roles: []string{domain.ContactSalesAgent}, Access: domain.AccessRestricted}
	sc := func(name string, h []domain.Event, by string, then domaintest.Then) scenario {
		return scenario{Name: "AddPartnerContact/" + name, Given: h, When: adding(h, by), Then: then}
	}
	onPartner := activeThen(held(partner.HoldPartner))
	onAdmin := activeThen(held(orgAdminID))
	onExec := activeThen(held(execID))
	clearedAdmin := activeThen(held(orgAdminID), lifted(orgAdminID))
	settingOnHold := activeThen(held(orgAdminID))
	cases := []scenario{
		sc("partner.embargo_hold: a contact is denied while the partner is on hold", onPartner, orgAdminID, rule("partner.embargo_hold")),
		sc("partner.embargo_hold: a contact on hold is denied", onAdmin, orgAdminID, rule("partner.embargo_hold")),
		sc("partner.embargo_hold: a hold on another contact does not deny this one", onExec, orgAdminID, events(added)),
		sc("partner.embargo_hold: a contact whose hold compliance cleared acts again", clearedAdmin, orgAdminID, events(added)),
		{Name: "AddPartnerContact/partner.embargo_hold: staff still act on a partner on hold", Given: onPartner,
			When: func() partner.AddPartnerContact { c := adding(onPartner, orgAdminID); c.By = admin; return c }(), Then: events(added)},
		{Name: "SetContactAccess/partner.embargo_hold: a contact on hold is denied", Given: settingOnHold,
			When: partner.SetContactAccess{PartnerID: resellerID, ContactID: salesID, Access: domain.AccessRestricted,
				By: actorIn(settingOnHold, resellerID, orgAdminID), At: at},
			Then: rule("partner.embargo_hold")},
	}
	domaintest.RunAll(t, aggregate, cases)
}

func TestOnHold(t *testing.T) {
	cases := []struct {
		name    string
		given   []domain.Event
		contact string
		want    bool
		party   string
	}{
		{"no hold", active(), salesID, false, ""},
		{"a hold on the partner denies every contact", activeThen(held(partner.HoldPartner)), execID, true, partner.HoldPartner},
		{"a hold on the partner is reported without a contact", activeThen(held(partner.HoldPartner)), "", true, partner.HoldPartner},
		{"a hold on a contact denies that contact", activeThen(held(salesID)), salesID, true, salesID},
		{"a hold on a contact does not deny another", activeThen(held(salesID)), execID, false, ""},
		{"a hold on a contact is not a hold on the partner", activeThen(held(salesID)), "", false, ""},
		{"a cleared hold is gone", activeThen(held(salesID), lifted(salesID)), salesID, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, ok := domaintest.Fold(aggregate, tc.given, nil).OnHold(tc.contact)
			if ok != tc.want || h.Party != tc.party {
				t.Errorf("OnHold(%q) = %#v, %v; want party %q, %v", tc.contact, h, ok, tc.party, tc.want)
			}
			if ok && !reflect.DeepEqual(h, partner.Hold{Party: tc.party, MatchedEntry: matched}) {
				t.Errorf("hold %#v does not record the match", h)
			}
		})
	}
	t.Run("states from a shared history do not share holds", func(t *testing.T) {
		base := domaintest.Fold(aggregate, activeThen(held(salesID)), nil)
		one := partner.Evolve(base, held(execID))
		two := partner.Evolve(base, lifted(salesID))
		if len(base.Holds) != 1 || len(one.Holds) != 2 || len(two.Holds) != 0 {
			t.Errorf("holds: base %v, one %v, two %v", base.Holds, one.Holds, two.Holds)
		}
	})
}
