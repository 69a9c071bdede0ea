package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/eventstore"
)

// Opener turns the sealed personal data of events back into plaintext, or
// into the erased marker where the person was forgotten (pii.Codec). It
// returns events unmodified when none holds sealed data, and must not
// modify the slice it is given.
type Opener interface {
	Open(ctx context.Context, events []eventstore.Event) ([]eventstore.Event, error)
}

// Sealed is implemented by a projection that keeps personal data sealed in
// its rows and opens it when it is read (the activity log, whose records
// must never be rewritten by a forget): the Runner hands it the events as
// stored. Every other projection is handed the events opened, so it never
// sees a sealed value and needs no change for personal data.
type Sealed interface {
	KeepsSealed() bool
}

// open returns events as projection p is to see them: opened with the
// Runner's Opener unless p keeps them sealed or there is no Opener.
func (r *Runner) open(ctx context.Context, p Projection, events []eventstore.Event) ([]eventstore.Event, error) {
	if r.cfg.Opener == nil || len(events) == 0 {
		return events, nil
	}
	if s, ok := p.(Sealed); ok && s.KeepsSealed() {
		return events, nil
	}
	out, err := r.cfg.Opener.Open(ctx, events)
	if err != nil {
		return nil, fmt.Errorf("open personal data for %s: %w", p.Name(), err)
	}
	return out, nil
}

// apply applies events to schema with p.Apply, opened as p is to see
// them.
func (r *Runner) apply(ctx context.Context, p Projection, tx pgx.Tx, schema string, events []eventstore.Event) error {
	evs, err := r.open(ctx, p, events)
	if err != nil {
		return err
	}
	return p.Apply(ctx, tx, schema, evs)
}
