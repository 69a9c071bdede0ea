package command

import (
	"context"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/supportcase"
)

// CloseUnanswered closes case number whose request for information went
// unanswered past its deadline, at the service's clock. Only the system
// principal (supportcase.SystemPrincipalID with the admin role) may send
// it: internal/timer does, once the deadline passed, with an idempotency
// key of the timer so that a timer fired twice appends once.
func (s *Service) CloseUnanswered(ctx context.Context, m Meta, number string) (Result, error) {
	at := s.cfg.Now()
	return s.onCase(ctx, m, number, func(by domain.Actor) supportcase.Command {
		return supportcase.CloseUnanswered{CaseNumber: number, By: by, At: at}
	})
}
