// Package orders is the orders read model (issue 4). A stub to be filled in: it
// creates no tables and applies nothing yet.
package orders

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/eventstore"
)

// Name is the projection's name; its tables live in schema "proj_orders".
const Name = "orders"

// Projection maintains the orders read model.
type Projection struct{}

// New returns the projection.
func New() *Projection { return &Projection{} }

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

// Setup implements projections.Projection.
func (*Projection) Setup(ctx context.Context, tx pgx.Tx, schema string) error { return nil }

// Apply implements projections.Projection.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, schema string, events []eventstore.Event) error {
	return nil
}
