package command

import (
	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/partner"
)

var partners = Aggregate[partner.State]{Evolve: partner.Evolve}

// Actor resolves the acting principal of m into a domain.Actor within u:
// a partner contact from its partner organisation (program status, the
// contact's roles and access), a customer contact from its account; staff
// as they are. The organisation's stream is loaded in the same attempt, and
// the command's append checks its version even when it writes nothing
// there (see Unit), so a change to it committed between the read and the
// append (say the partner expired) conflicts with the command and it is
// decided again.
func (u *Unit) Actor(m Meta) (domain.Actor, error) {
	p := m.Principal
	switch p.Kind {
	case domain.KindPartner:
		st, err := Load(u, partners, partner.StreamID(p.PartnerID))
		if err != nil {
			return domain.Actor{}, err
		}
		return st.Actor(p), nil
	case domain.KindCustomer:
		st, err := Load(u, accounts, account.StreamID(p.AccountID))
		if err != nil {
			return domain.Actor{}, err
		}
		return st.Actor(p), nil
	}
	return domain.Actor{Principal: p}, nil
}

// actorStream is the stream Unit.Actor loads for principal p: its
// organisation's; "" for staff.
func actorStream(p domain.Principal) string {
	switch p.Kind {
	case domain.KindPartner:
		return partner.StreamID(p.PartnerID)
	case domain.KindCustomer:
		return account.StreamID(p.AccountID)
	}
	return ""
}

// Account loads an account within u and returns its state and the OrgRef
// fact other aggregates' decisions take.
func (u *Unit) Account(id string) (account.State, domain.OrgRef, error) {
	st, err := Load(u, accounts, account.StreamID(id))
	if err != nil {
		return st, domain.OrgRef{}, err
	}
	return st, domain.OrgRef{ID: id, Exists: st.Exists(), MergedInto: st.MergedInto}, nil
}

// Partner loads a partner organisation within u and returns its state and
// the OrgRef fact other aggregates' decisions take.
func (u *Unit) Partner(id string) (partner.State, domain.OrgRef, error) {
	st, err := Load(u, partners, partner.StreamID(id))
	if err != nil {
		return st, domain.OrgRef{}, err
	}
	return st, domain.OrgRef{ID: id, Exists: st.Exists()}, nil
}
