package activity

import (
	"context"
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates the table of refused commands.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgmigrate.Up(ctx, pool, migrations, "goose_activity")
}

// Statuses of a record.
const (
	StatusAccepted = "accepted"
	// StatusRefused: the command was decided and refused (a business
	// rule, a duplicate, not found, a conflict after every retry).
	StatusRefused = "refused"
	// StatusDenied: the caller may not do it (forbidden, embargo hold).
	StatusDenied = "denied"
	// StatusInvalid: the request was malformed or failed validation.
	StatusInvalid = "invalid"
	// StatusFailed: the service failed (5xx).
	StatusFailed = "failed"
)

// Refusal is a command that left no event, as the HTTP layer records it.
type Refusal struct {
	At                                   time.Time
	Actor, OnBehalfOf, Operation         string
	ResourceType, ResourceID, CustomerID string
	Status, Code, Detail                 string
	CorrelationID, ClientIP, UserAgent   string
}

// Refusals records refused commands. It is safe for concurrent use.
type Refusals struct{ pool *pgxpool.Pool }

// NewRefusals returns the refusal log on pool.
func NewRefusals(pool *pgxpool.Pool) *Refusals { return &Refusals{pool: pool} }

// maxDetail bounds the detail kept of a refusal.
const maxDetail = 1000

// Record records r.
func (l *Refusals) Record(ctx context.Context, r Refusal) error {
	if len(r.Detail) > maxDetail {
		r.Detail = strings.ToValidUTF8(r.Detail[:maxDetail], "")
	}
	_, err := l.pool.Exec(ctx, `INSERT INTO activity_refusals (id, at, actor, on_behalf_of, operation, resource_type,
			resource_id, customer_id, status, code, detail, correlation_id, client_ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		uuid.Must(uuid.NewV7()).String(), r.At.UTC(), r.Actor, r.OnBehalfOf, r.Operation, r.ResourceType, r.ResourceID,
		r.CustomerID, r.Status, r.Code, r.Detail, r.CorrelationID, r.ClientIP, r.UserAgent)
	if err != nil {
		return fmt.Errorf("record refused %s: %w", r.Operation, err)
	}
	return nil
}
