package account_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
)

func TestPlaceEmbargoHold(t *testing.T) {
	place := func(party string) account.PlaceEmbargoHold {
		return account.PlaceEmbargoHold{AccountID: acmeID, Party: party, MatchedEntry: "SDN list: ACME TRADING LLC", By: as(support), At: at}
	}
	cases := []scenario{
		{Name: "PlaceEmbargoHold/happy path: the organisation's name matched", Given: history(), When: place(account.HoldAccount),
			Then: events(hold(account.HoldAccount))},
		{Name: "PlaceEmbargoHold/a contact's name matched", Given: history(), When: place(annID), Then: events(hold(annID))},
		{Name: "PlaceEmbargoHold/a contact is held beside the organisation", Given: history(hold(account.HoldAccount)), When: place(annID),
			Then: events(hold(annID))},
		{Name: "PlaceEmbargoHold/a party cleared before may be held again", Given: history(hold(annID),
			account.EmbargoHoldCleared{AccountID: acmeID, Party: annID, Note: "false positive"}), When: place(annID), Then: events(hold(annID))},
		{Name: "PlaceEmbargoHold/on hold already: a second hold on the same party is refused", Given: history(hold(annID)), When: place(annID),
			Then: rule("account.embargo_hold_exists")},
		{Name: "PlaceEmbargoHold/unknown contact: a contact the account does not have is refused", Given: history(), When: place("C-000009"),
			Then: rule("account.contact_unknown")},
		{Name: "PlaceEmbargoHold/party: \"account\" or a contact ID", Given: history(), When: place("Account"), Then: invalid("party")},
		{Name: "PlaceEmbargoHold/party: required", Given: history(), When: place(""), Then: invalid("party")},
		{Name: "PlaceEmbargoHold/matched entry: required", Given: history(),
			When: func() account.PlaceEmbargoHold { c := place(annID); c.MatchedEntry = " "; return c }(), Then: invalid("matched_entry")},
		{Name: "PlaceEmbargoHold/matched entry: at most 500 characters", Given: history(),
			When: func() account.PlaceEmbargoHold {
				c := place(annID)
				c.MatchedEntry = strings.Repeat("m", account.MaxReferenceLen+1)
				return c
			}(),
			Then: invalid("matched_entry")},
	}
	cases = append(cases, systemCase{name: "PlaceEmbargoHold", given: history(),
		mk:   func(by domain.Actor) account.Command { c := place(annID); c.By = by; return c },
		want: events(hold(annID))}.scenarios()...)
	runAll(t, cases)
}

func TestClearEmbargoHold(t *testing.T) {
	clearing := func(party string, by domain.Principal) account.ClearEmbargoHold {
		return account.ClearEmbargoHold{AccountID: acmeID, Party: party, Note: "verified: not the listed entity", By: as(by), At: at}
	}
	cleared := func(party string) account.EmbargoHoldCleared {
		return account.EmbargoHoldCleared{AccountID: acmeID, Party: party, Note: "verified: not the listed entity"}
	}
	// held is ACME with holds on the organisation and Ann, then more.
	heldThen := func(more ...domain.Event) []domain.Event {
		return history(append([]domain.Event{hold(account.HoldAccount), hold(annID)}, more...)...)
	}
	held := heldThen()
	refused := func(name string, p domain.Principal) scenario {
		return scenario{Name: "ClearEmbargoHold/who: " + name, Given: held, When: clearing(annID, p), Then: fails(domain.ErrForbidden)}
	}
	cases := []scenario{
		{Name: "ClearEmbargoHold/happy path: compliance staff lift the hold on the organisation", Given: held, When: clearing(account.HoldAccount, compliance),
			Then: events(cleared(account.HoldAccount))},
		{Name: "ClearEmbargoHold/compliance staff lift the hold on a contact", Given: held, When: clearing(annID, compliance), Then: events(cleared(annID))},
		{Name: "ClearEmbargoHold/who: staff holding compliance among other roles may clear", Given: held,
			When: clearing(annID, staff("cleo", domain.RoleAuditor, domain.RoleCompliance)), Then: events(cleared(annID))},
		refused("compliance staff only: admin may not clear", admin),
		refused("compliance staff only: support may not clear", support),
		refused("compliance staff only: an auditor may not clear", auditor),
		refused("compliance staff only: an integration may not clear", integration),
		refused("compliance staff only: staff without roles may not clear", noRoles),
		refused("compliance staff only: a partner may not clear", partner),
		refused("compliance staff only: an unrestricted org admin of the account may not clear", carolP),
		refused("compliance staff only: the zero principal may not clear", domain.Principal{}),
		{Name: "ClearEmbargoHold/who: a contact of another account is told the account does not exist", Given: held, When: clearing(annID, outsider),
			Then: fails(domain.ErrNotFound)},
		{Name: "ClearEmbargoHold/who: checked before validation, so the refused learn nothing", Given: held, When: clearing("", admin),
			Then: fails(domain.ErrForbidden)},
		{Name: "ClearEmbargoHold/no hold: a party not on hold is refused", Given: held, When: clearing(carolID, compliance), Then: rule("account.no_embargo_hold")},
		{Name: "ClearEmbargoHold/no hold: a hold cleared before is gone", Given: heldThen(cleared(annID)), When: clearing(annID, compliance),
			Then: rule("account.no_embargo_hold")},
		{Name: "ClearEmbargoHold/no hold: the organisation's hold, once cleared, is gone",
			Given: heldThen(cleared(account.HoldAccount)), When: clearing(account.HoldAccount, compliance), Then: rule("account.no_embargo_hold")},
		{Name: "ClearEmbargoHold/clearing the organisation's hold leaves a contact's hold to clear",
			Given: heldThen(cleared(account.HoldAccount)), When: clearing(annID, compliance), Then: events(cleared(annID))},
		{Name: "ClearEmbargoHold/note: required (what compliance verified)", Given: held,
			When: func() account.ClearEmbargoHold { c := clearing(annID, compliance); c.Note = ""; return c }(), Then: invalid("note")},
		{Name: "ClearEmbargoHold/party: \"account\" or a contact ID", Given: held, When: clearing("everyone", compliance), Then: invalid("party")},
		{Name: "ClearEmbargoHold/validation: every problem is reported at once", Given: held,
			When: account.ClearEmbargoHold{AccountID: acmeID, By: as(compliance), At: at}, Then: invalid("party", "note")},
		{Name: "ClearEmbargoHold/account: an unknown account is not found", When: clearing(annID, compliance), Then: fails(domain.ErrNotFound)},
		{Name: "ClearEmbargoHold/account: a merged account accepts no further commands", Given: append(history(), mergedAway()),
			When: clearing(annID, compliance), Then: rule("account.merged")},
	}
	runAll(t, cases)
}

func TestOnHold(t *testing.T) {
	cases := []struct {
		name    string
		given   []domain.Event
		contact string
		want    bool
		party   string
	}{
		{"no hold", history(), annID, false, ""},
		{"a hold on the organisation denies every contact", history(hold(account.HoldAccount)), bobID, true, account.HoldAccount},
		{"a hold on the organisation is reported without a contact", history(hold(account.HoldAccount)), "", true, account.HoldAccount},
		{"a hold on a contact denies that contact", history(hold(annID)), annID, true, annID},
		{"a hold on a contact does not deny another", history(hold(annID)), bobID, false, ""},
		{"a hold on a contact is not a hold on the organisation", history(hold(annID)), "", false, ""},
		{"a cleared hold is gone", history(hold(annID), account.EmbargoHoldCleared{AccountID: acmeID, Party: annID, Note: "ok"}), annID, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, ok := fold(tc.given, nil).OnHold(tc.contact)
			if ok != tc.want || h.Party != tc.party {
				t.Errorf("OnHold(%q) = %#v, %v; want party %q, %v", tc.contact, h, ok, tc.party, tc.want)
			}
			if ok && !reflect.DeepEqual(h, account.Hold{Party: tc.party, MatchedEntry: hold(tc.party).MatchedEntry}) {
				t.Errorf("hold %#v does not record the match", h)
			}
		})
	}
}
