package command

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/partner"
)

// Shredder destroys the key a person's personal data is sealed with, for
// good (crypto-shredding; pii.Keys). Destroy must be idempotent.
type Shredder interface {
	Destroy(ctx context.Context, subject string) error
}

// ErrNoShredder is returned by ForgetContact on a Service configured
// without a Shredder.
var ErrNoShredder = errors.New("command: no key store to forget people with")

// ForgetContact forgets contact contactID of a customer account at the
// person's request: it records account.contact_forgotten, then destroys
// the person's key, so that every personal value recorded about it reads
// as erased from then on. The key is destroyed only once the event is
// appended, so that a decision taken on a stale cached state (and then
// refused from the store) never destroys anything. Should the destruction
// fail after the append, asking again completes it: the refusal of an
// already forgotten contact destroys the key too (idempotent).
func (s *Service) ForgetContact(ctx context.Context, m Meta, accountID, contactID string) (Result, error) {
	if !ids.Contact(contactID) {
		return Result{}, domain.ErrNotFound
	}
	return s.forget(ctx, contactID, "account.contact_forgotten", func() (Result, error) {
		return s.onAccount(ctx, m, accountID, func(_ *Unit, st account.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
			return account.Decide(st, account.ForgetContact{AccountID: accountID, ContactID: contactID, By: by, At: at})
		})
	})
}

// ForgetPartnerContact is ForgetContact for a contact of a partner.
func (s *Service) ForgetPartnerContact(ctx context.Context, m Meta, partnerID, contactID string) (Result, error) {
	if !partner.ValidContactID(contactID) {
		return Result{}, domain.ErrNotFound
	}
	return s.forget(ctx, contactID, "partner.contact_forgotten", func() (Result, error) {
		return s.onPartner(ctx, m, partnerID, func(st partner.State, by domain.Actor, at time.Time) ([]domain.Event, error) {
			return partner.Decide(st, partner.ForgetContact{PartnerID: partnerID, ContactID: contactID, By: by, At: at})
		})
	})
}

// forget runs a forget command and destroys the key of subject once it is
// accepted, or once it is refused as already done (rule alreadyRule: the
// caller was authorised, and an earlier destruction may have failed).
func (s *Service) forget(ctx context.Context, subject, alreadyRule string, run func() (Result, error)) (Result, error) {
	if s.cfg.Shredder == nil {
		return Result{}, ErrNoShredder
	}
	res, err := run()
	var rule *domain.RuleError
	if err != nil && !(errors.As(err, &rule) && rule.Rule == alreadyRule) {
		return res, err
	}
	// The request's own context may end now; the destruction must not
	// be cut short by it.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if derr := s.cfg.Shredder.Destroy(dctx, subject); derr != nil {
		return Result{}, fmt.Errorf("forget %s: recorded, but its key was not destroyed (ask again): %w", subject, derr)
	}
	return res, err
}
