package api

import (
	"context"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/command"
)

// EmbargoWaits keeps the 6-hour wait of principals denied access by an
// embargo hold (internal/screening's Waits). It must be safe for
// concurrent use and shared by every instance of the service.
type EmbargoWaits interface {
	// Deny records that principalID was denied because of hold and returns
	// when it may try again.
	Deny(ctx context.Context, principalID, hold string) (retryAfter time.Time, err error)
}

// embargoError denies a principal all access while an embargo hold
// stands: 403 embargo_hold, with retry_after when the wait applies.
type embargoError struct {
	retryAfter time.Time // zero: no wait recorded
}

func (e *embargoError) Error() string {
	return "access is denied while compliance verifies a restricted-party match"
}

// admit refuses every request of a principal under an embargo hold
// (DOMAIN.md: "all access is denied while compliance verifies"), whatever
// the endpoint, before anything is read or decided for it. Staff are never
// held. The first denial starts the 6-hour wait; answers within it name
// the same instant. Once compliance clears the hold, the next request is
// admitted at once: clearing ends the wait.
func (s *Server) admit(ctx context.Context, p domain.Principal, runsCommand bool) error {
	if p.Kind == domain.KindStaff {
		return nil
	}
	hold := s.cfg.Commands.HoldOn
	if runsCommand {
		// The command checks the hold again in every attempt and commits
		// only on an unmoved organisation, so "not held" may come from
		// the command service's state cache.
		hold = s.cfg.Commands.AdmitCommand
	}
	h, held, err := hold(ctx, p)
	if err != nil || !held {
		return err
	}
	return s.deny(ctx, p, h)
}

// deny answers principal p, on hold h: 403 embargo_hold, starting the wait
// (or naming the one running).
func (s *Server) deny(ctx context.Context, p domain.Principal, h command.Hold) error {
	if s.cfg.Waits == nil {
		return &embargoError{}
	}
	at, err := s.cfg.Waits.Deny(ctx, p.ID, h.ID)
	if err != nil {
		return err
	}
	return &embargoError{retryAfter: at}
}
