package activity

import (
	"context"
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates the table of refused commands and its hash chain,
// chaining the records written before it.
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

// Refusals records refused commands. It is safe for concurrent use, and
// several processes may record into one database at once: each record
// extends the refusals' hash chain under a lock on its head.
type Refusals struct{ pool *pgxpool.Pool }

// NewRefusals returns the refusal log on pool.
func NewRefusals(pool *pgxpool.Pool) *Refusals { return &Refusals{pool: pool} }

// maxDetail bounds the detail kept of a refusal.
const maxDetail = 1000

// clean makes s storable as text: valid UTF-8 without NUL, which
// PostgreSQL refuses, so that a request's odd header never costs its
// record.
func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// Record records r as the next record of the refusals' chain. Writers
// queue on the head's row lock for the length of one short transaction.
func (l *Refusals) Record(ctx context.Context, r Refusal) error {
	if len(r.Detail) > maxDetail {
		r.Detail = r.Detail[:maxDetail]
	}
	row := refusalRow{id: uuid.Must(uuid.NewV7()).String(), at: r.At.UTC().Truncate(time.Microsecond),
		actor: clean(r.Actor), onBehalfOf: clean(r.OnBehalfOf), operation: clean(r.Operation),
		resourceType: clean(r.ResourceType), resourceID: clean(r.ResourceID), customerID: clean(r.CustomerID),
		status: r.Status, code: clean(r.Code), detail: clean(r.Detail), correlationID: clean(r.CorrelationID),
		clientIP: clean(r.ClientIP), userAgent: clean(r.UserAgent)}
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		var seq int64
		if err := tx.QueryRow(ctx, `SELECT seq, hash FROM activity_refusals_head FOR UPDATE`).Scan(&seq, &row.prevHash); err != nil {
			return fmt.Errorf("lock the chain's head: %w", err)
		}
		row.seq = seq + 1
		row.hash = hashRefusal(&row)
		_, err := tx.Exec(ctx, `WITH rec AS (
				INSERT INTO activity_refusals (seq, id, at, actor, on_behalf_of, operation, resource_type, resource_id,
					customer_id, status, code, detail, correlation_id, client_ip, user_agent, prev_hash, hash)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17))
			UPDATE activity_refusals_head SET seq = $1, hash = $17`,
			row.seq, row.id, row.at, row.actor, row.onBehalfOf, row.operation, row.resourceType, row.resourceID,
			row.customerID, row.status, row.code, row.detail, row.correlationID, row.clientIP, row.userAgent,
			row.prevHash, row.hash)
		return err
	})
	if err != nil {
		return fmt.Errorf("record refused %s: %w", r.Operation, err)
	}
	return nil
}
