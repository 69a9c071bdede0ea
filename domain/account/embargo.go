package account

import (
	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/ids"
)

// Embargo screening (DOMAIN.md [seed]): a name matching the restricted-party
// list puts a hold on the organisation or the contact; all its access is
// denied until compliance clears it. The account records the holds; the
// API denies access while State.OnHold reports one (and enforces the 6-hour
// wait after a denial); Decide refuses the commands of a held customer
// contact (account.embargo_hold).

func checkParty(p *domain.Problems, party string) {
	if party != HoldAccount && !ids.Contact(party) {
		p.Add("party", "must be \"account\" or a contact ID such as C-000001")
	}
}

func placeEmbargoHold(s State, c PlaceEmbargoHold) ([]domain.Event, error) {
	validate := func(p *domain.Problems) {
		checkParty(p, c.Party)
		checkReference(p, "matched_entry", c.MatchedEntry)
	}
	return run(s, system, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if _, ok := s.Contacts[c.Party]; !ok && c.Party != HoldAccount {
			return nil, unknownContact(c.Party)
		}
		if _, ok := s.Holds[c.Party]; ok {
			return nil, domain.Rule("account.embargo_hold_exists", "%s of account %s is already on hold", c.Party, s.ID)
		}
		return []domain.Event{EmbargoHoldPlaced{AccountID: s.ID, Party: c.Party, MatchedEntry: c.MatchedEntry}}, nil
	})
}

func clearEmbargoHold(s State, c ClearEmbargoHold) ([]domain.Event, error) {
	validate := func(p *domain.Problems) {
		checkParty(p, c.Party)
		checkReference(p, "note", c.Note)
	}
	return run(s, compliance, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if _, ok := s.Holds[c.Party]; !ok {
			return nil, domain.Rule("account.no_embargo_hold", "%s of account %s is not on hold", c.Party, s.ID)
		}
		return []domain.Event{EmbargoHoldCleared{AccountID: s.ID, Party: c.Party, Note: c.Note}}, nil
	})
}
