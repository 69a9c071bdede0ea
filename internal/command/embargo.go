package command

import (
	"context"
	"fmt"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/eventstore"
)

// Screener checks names against the restricted-party list (DOMAIN.md,
// embargo screening). Each method returns the entry a name matches, as the
// hold records it, and whether there is one. It must be safe for
// concurrent use (internal/screening's List is).
type Screener interface {
	// Organisation screens a company name: a customer's or a partner's.
	Organisation(name string) (entry string, ok bool)
	// Person screens a person's name: a customer or partner contact's.
	Person(name string) (entry string, ok bool)
}

// screenCompany and screenPerson screen a name, or match nothing without a
// Screener.
func (s *Service) screenCompany(name string) (string, bool) {
	if s.cfg.Screener == nil {
		return "", false
	}
	return s.cfg.Screener.Organisation(name)
}

func (s *Service) screenPerson(name string) (string, bool) {
	if s.cfg.Screener == nil {
		return "", false
	}
	return s.cfg.Screener.Person(name)
}

// withHold returns evs, decided on st, followed by the hold that screening
// calls for: place decides it on the state evs lead to, unless the name
// matched nothing (entry "") or party is on hold already. A match never
// refuses the command: it is accepted with the hold in the same atomic
// append, so the name is never recorded without its hold.
func withHold[S any](st S, evolve func(S, domain.Event) S, evs []domain.Event, entry string, held func(S) bool, place func(S) ([]domain.Event, error)) ([]domain.Event, error) {
	if entry == "" {
		return evs, nil
	}
	for _, e := range evs {
		st = evolve(st, e)
	}
	if held(st) {
		return evs, nil
	}
	more, err := place(st)
	if err != nil {
		return nil, err
	}
	return append(evs, more...), nil
}

// accountHold is withHold for party of account accountID.
func accountHold(st account.State, evs []domain.Event, accountID, party, entry string, by domain.Actor, at time.Time) ([]domain.Event, error) {
	return withHold(st, account.Evolve, evs, entry,
		func(s account.State) bool { _, ok := s.Holds[party]; return ok },
		func(s account.State) ([]domain.Event, error) {
			return account.Decide(s, account.PlaceEmbargoHold{AccountID: accountID, Party: party, MatchedEntry: entry, By: by, At: at})
		})
}

// partnerHold is withHold for party of partner partnerID.
func partnerHold(st partner.State, evs []domain.Event, partnerID, party, entry string, by domain.Actor, at time.Time) ([]domain.Event, error) {
	return withHold(st, partner.Evolve, evs, entry,
		func(s partner.State) bool { _, ok := s.Holds[party]; return ok },
		func(s partner.State) ([]domain.Event, error) {
			return partner.Decide(s, partner.PlaceEmbargoHold{PartnerID: partnerID, Party: party, MatchedEntry: entry, By: by, At: at})
		})
}

// Hold is an embargo hold that denies a principal access.
type Hold struct {
	// ID names the hold: the organisation's stream and the version of the
	// event that placed it, e.g. "account-123456HQ@4". A hold cleared and
	// placed again has another ID.
	ID string
	// Party is the organisation ("account" or "partner") or the contact
	// on hold; MatchedEntry the list entry its name matched.
	Party        string
	MatchedEntry string
}

// HoldOn returns the embargo hold that denies principal p all access, if
// any: for a customer contact a hold on its account or on itself, for a
// partner contact one on its partner or on itself. Staff are never held.
// It reads the organisation's stream, the source of truth, so a hold
// placed or cleared counts from the next request on, on every instance.
func (s *Service) HoldOn(ctx context.Context, p domain.Principal) (Hold, bool, error) {
	switch {
	case p.Kind == domain.KindCustomer && account.ValidID(p.AccountID):
		return holdOn(ctx, s, account.StreamID(p.AccountID), account.Evolve,
			func(e account.EmbargoHoldPlaced) string { return e.Party },
			func(st account.State) (string, string, bool) {
				h, ok := st.OnHold(p.ContactID)
				return h.Party, h.MatchedEntry, ok
			})
	case p.Kind == domain.KindPartner && partner.ValidID(p.PartnerID):
		return holdOn(ctx, s, partner.StreamID(p.PartnerID), partner.Evolve,
			func(e partner.EmbargoHoldPlaced) string { return e.Party },
			func(st partner.State) (string, string, bool) {
				h, ok := st.OnHold(p.ContactID)
				return h.Party, h.MatchedEntry, ok
			})
	}
	return Hold{}, false, nil
}

// holdOn folds an organisation's stream into its state S, noting the
// version of the latest hold placed (event P) on each party, and returns
// the hold onHold reports on the state.
func holdOn[S any, P domain.Event](ctx context.Context, s *Service, stream string, evolve func(S, domain.Event) S,
	party func(P) string, onHold func(S) (party, entry string, ok bool)) (Hold, bool, error) {
	type folded struct {
		st      S
		version int64
		placed  map[string]int64 // by party; written in place: the fold is this function's own
	}
	agg := Aggregate[folded]{Evolve: func(f folded, e domain.Event) folded {
		f.st, f.version = evolve(f.st, e), f.version+1
		if h, ok := e.(P); ok {
			if f.placed == nil {
				f.placed = map[string]int64{}
			}
			f.placed[party(h)] = f.version
		}
		return f
	}}
	f, _, err := load(ctx, s, agg, stream)
	if err != nil {
		return Hold{}, false, err
	}
	held, entry, ok := onHold(f.st)
	if !ok {
		return Hold{}, false, nil
	}
	return Hold{ID: fmt.Sprintf("%s@%d", stream, f.placed[held]), Party: held, MatchedEntry: entry}, true, nil
}

// HoldError refuses a command of a principal under an embargo hold.
type HoldError struct{ Hold Hold }

func (e *HoldError) Error() string {
	return "access is denied while compliance verifies a restricted-party match (" + e.Hold.Party + ")"
}

// AdmitCommand is HoldOn for a request that runs a command, which checks
// the hold again within every attempt (Unit.checkHold) and commits only if
// the organisation's stream did not move: it may answer "not held" from
// the state cache, without a read. Any request that does not run a command
// takes HoldOn, which always reads the store.
func (s *Service) AdmitCommand(ctx context.Context, p domain.Principal) (Hold, bool, error) {
	if held, known := s.cachedHold(p); known && !held {
		return Hold{}, false, nil
	}
	return s.HoldOn(ctx, p)
}

// cachedHold tells whether the cached state of p's organisation holds p,
// and whether it is cached at all.
func (s *Service) cachedHold(p domain.Principal) (held, known bool) {
	switch {
	case p.Kind == domain.KindCustomer && account.ValidID(p.AccountID):
		st, _, ok := cachedState[account.State](s.cache, account.StreamID(p.AccountID))
		if !ok {
			return false, false
		}
		_, held = st.OnHold(p.ContactID)
		return held, true
	case p.Kind == domain.KindPartner && partner.ValidID(p.PartnerID):
		st, _, ok := cachedState[partner.State](s.cache, partner.StreamID(p.PartnerID))
		if !ok {
			return false, false
		}
		_, held = st.OnHold(p.ContactID)
		return held, true
	}
	return false, true
}

// checkHold refuses the attempt with a HoldError when principal p is on
// hold in the state of its organisation this attempt loads (the stream is
// then checked at the append like every stream read, so a hold placed
// meanwhile makes the command conflict and be decided again).
func (u *Unit) checkHold(p domain.Principal) error {
	var held bool
	var stream string
	switch {
	case p.Kind == domain.KindCustomer && account.ValidID(p.AccountID):
		stream = account.StreamID(p.AccountID)
		st, err := Load(u, accounts, stream)
		if err != nil {
			return err
		}
		_, held = st.OnHold(p.ContactID)
	case p.Kind == domain.KindPartner && partner.ValidID(p.PartnerID):
		stream = partner.StreamID(p.PartnerID)
		st, err := Load(u, partners, stream)
		if err != nil {
			return err
		}
		_, held = st.OnHold(p.ContactID)
	}
	if !held {
		return nil
	}
	h, held, err := u.s.HoldOn(u.ctx, p)
	if err != nil {
		return err
	}
	if !held {
		// Cleared since this attempt's state was read: decide again.
		return &eventstore.ConflictError{StreamID: stream, Expected: u.versions[stream], Actual: -1}
	}
	return &HoldError{Hold: h}
}
