package eventstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// eventFormats asks for every column of eventColumns in PostgreSQL's
// binary format, which decodeEvent reads.
var eventFormats = pgx.QueryResultFormats{
	pgx.BinaryFormatCode, pgx.BinaryFormatCode, pgx.BinaryFormatCode, pgx.BinaryFormatCode,
	pgx.BinaryFormatCode, pgx.BinaryFormatCode, pgx.BinaryFormatCode, pgx.BinaryFormatCode,
	pgx.BinaryFormatCode, pgx.BinaryFormatCode, pgx.BinaryFormatCode, pgx.BinaryFormatCode,
	pgx.BinaryFormatCode, pgx.BinaryFormatCode, pgx.BinaryFormatCode, pgx.BinaryFormatCode,
	pgx.BinaryFormatCode, pgx.BinaryFormatCode, pgx.BinaryFormatCode,
}

// collectEvents makes room for smallRead events at first, then for all
// limit events at once if limit is at most maxJump, or else twice as many.
const (
	smallRead = 64
	maxJump   = 1 << 14
)

// collectEvents reads every row of a query selecting eventColumns (with
// eventFormats), at most limit (0: unknown), and closes rows.
//
// ReadAll and ReadRange feed the relay and rebuilds, where pgx's
// per-column scan plans, the text round trip of uuid.UUID's sql.Scanner,
// one allocation per text column and growing the slice by doubling cost
// more than the database's own work. So the rows are decoded here from
// their binary form, and a read that returns more than a few events, as
// reads do while catching up, gets room for a batch of limit at once. Rows in another
// format (a pool configured for the simple protocol) go through pgx's Scan.
func collectEvents(rows pgx.Rows, limit int) ([]Event, error) {
	defer rows.Close()
	binary := binaryEventRows(rows.FieldDescriptions())
	var evs []Event
	for rows.Next() {
		if len(evs) == cap(evs) {
			n := smallRead
			switch {
			case len(evs) == 0 && limit > 0:
				n = min(limit, smallRead)
			case len(evs) > 0 && limit <= maxJump:
				n = max(limit, 2*len(evs))
			case len(evs) > 0:
				n = 2 * len(evs)
			}
			evs = append(make([]Event, 0, n), evs...)
		}
		evs = evs[:len(evs)+1]
		e := &evs[len(evs)-1]
		var err error
		if binary {
			err = decodeEvent(e, rows.RawValues())
		} else {
			*e, err = scanEvent(rows)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return evs, nil
}

func binaryEventRows(fields []pgconn.FieldDescription) bool {
	if len(fields) != len(eventFormats) {
		return false
	}
	for _, f := range fields {
		if f.Format != pgx.BinaryFormatCode {
			return false
		}
	}
	return true
}

// Indexes of eventColumns.
const (
	colPosition = iota
	colID
	colStreamID
	colStreamVersion
	colCategory
	colType
	colSchemaVersion
	colData
	colOccurredAt
	colRecordedAt
	colActor
	colOnBehalfOf
	colCorrelationID
	colCausationID
	colCommandID
	colClientIP
	colOperation
	colResource
	colUserAgent
	numColumns
)

// textColumns are the text columns of eventColumns, in the order their
// bytes are laid out in an event's one string.
var textColumns = [...]int{colStreamID, colCategory, colType, colActor, colOnBehalfOf,
	colCorrelationID, colCausationID, colCommandID, colClientIP, colOperation, colResource, colUserAgent}

var errBadColumn = errors.New("unexpected binary value")

// decodeEvent decodes one row of eventColumns in binary format. The text
// columns share one string allocation.
func decodeEvent(e *Event, v [][]byte) error {
	if len(v) != numColumns {
		return fmt.Errorf("scan event: %d columns, want %d", len(v), numColumns)
	}
	for i, b := range v {
		if b == nil {
			return fmt.Errorf("scan event: column %d is null", i)
		}
	}
	if len(v[colPosition]) != 8 || len(v[colID]) != 16 || len(v[colStreamVersion]) != 8 ||
		len(v[colSchemaVersion]) != 4 || len(v[colData]) < 1 || v[colData][0] != 1 {
		return fmt.Errorf("scan event: %w", errBadColumn)
	}
	e.Position = Position(binary.BigEndian.Uint64(v[colPosition]))
	copy(e.ID[:], v[colID])
	e.StreamVersion = int64(binary.BigEndian.Uint64(v[colStreamVersion]))
	e.SchemaVersion = int(int32(binary.BigEndian.Uint32(v[colSchemaVersion])))
	e.Data = append([]byte(nil), v[colData][1:]...) // jsonb: a version byte, then the text
	var err error
	if e.OccurredAt, err = decodeTimestamptz(v[colOccurredAt]); err != nil {
		return fmt.Errorf("scan event: occurred_at: %w", err)
	}
	if e.RecordedAt, err = decodeTimestamptz(v[colRecordedAt]); err != nil {
		return fmt.Errorf("scan event: recorded_at: %w", err)
	}

	n := 0
	for _, c := range textColumns {
		n += len(v[c])
	}
	buf := make([]byte, 0, n)
	for _, c := range textColumns {
		buf = append(buf, v[c]...)
	}
	all := string(buf)
	next := func(c int) string {
		s := all[:len(v[c])]
		all = all[len(v[c]):]
		return s
	}
	e.StreamID = next(colStreamID)
	e.Category = next(colCategory)
	e.Type = next(colType)
	e.Actor = next(colActor)
	e.OnBehalfOf = next(colOnBehalfOf)
	e.CorrelationID = next(colCorrelationID)
	e.CausationID = next(colCausationID)
	e.CommandID = next(colCommandID)
	e.ClientIP = next(colClientIP)
	e.Operation = next(colOperation)
	e.Resource = next(colResource)
	e.UserAgent = next(colUserAgent)
	return nil
}

// postgresEpoch is 2000-01-01 00:00:00 UTC in microseconds since the Unix
// epoch: binary timestamps count microseconds from it.
const postgresEpoch = 946_684_800 * 1_000_000

func decodeTimestamptz(b []byte) (time.Time, error) {
	if len(b) != 8 {
		return time.Time{}, errBadColumn
	}
	us := int64(binary.BigEndian.Uint64(b))
	if us == math.MaxInt64 || us == math.MinInt64 {
		return time.Time{}, errors.New("infinite timestamp")
	}
	us += postgresEpoch
	return time.Unix(us/1_000_000, us%1_000_000*1000).UTC(), nil
}

// insertedFormats asks for "RETURNING position, recorded_at" in binary.
var insertedFormats = pgx.QueryResultFormats{pgx.BinaryFormatCode, pgx.BinaryFormatCode}

// scanInserted reads the one row of "RETURNING position, recorded_at", if
// any, and closes rows. It saves the single-event append the cost of pgx's
// scan plans, a noticeable part of the client's work per append.
func scanInserted(rows pgx.Rows, pos *Position, at *time.Time) (bool, error) {
	defer rows.Close()
	if !rows.Next() {
		return false, rows.Err()
	}
	var err error
	if f := rows.FieldDescriptions(); len(f) == 2 && f[0].Format == pgx.BinaryFormatCode && f[1].Format == pgx.BinaryFormatCode {
		v := rows.RawValues()
		if len(v[0]) != 8 {
			return false, fmt.Errorf("scan position: %w", errBadColumn)
		}
		*pos = Position(binary.BigEndian.Uint64(v[0]))
		if *at, err = decodeTimestamptz(v[1]); err != nil {
			return false, fmt.Errorf("scan recorded_at: %w", err)
		}
	} else if err = rows.Scan(pos, at); err != nil {
		return false, err
	} else {
		*at = at.UTC()
	}
	rows.Close()
	return true, rows.Err()
}
