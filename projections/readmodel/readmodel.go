// Package readmodel holds what every read model's queries share: who may
// see what (Scope), page sizes and opaque cursors, and the errors the API
// turns into answers. A read model's package implements its queries on top
// of it; the HTTP layer maps the errors below.
package readmodel

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
)

// Querier runs queries: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ErrNotFound is returned by a lookup when the thing does not exist or the
// viewer may not see it; the two are deliberately indistinguishable (404).
var ErrNotFound = errors.New("readmodel: not found")

// ErrBadCursor is returned for a cursor the read model did not issue, or
// issued for another viewer or query (400).
var ErrBadCursor = errors.New("readmodel: malformed cursor")

// ErrBadFilter is returned for a filter value a query cannot take (out of
// its range, an unknown status) that the HTTP layer did not refuse first
// (400).
var ErrBadFilter = errors.New("readmodel: filter value out of range")

// ErrBadLimit is returned for a page size outside 1 to MaxLimit (400).
var ErrBadLimit = errors.New("readmodel: limit must be between 1 and 500")

// Paging limits of API.md.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// PageSize returns the page size a limit asks for: DefaultLimit for 0.
func PageSize(limit int) (int, error) {
	if limit == 0 {
		return DefaultLimit, nil
	}
	if limit < 1 || limit > MaxLimit {
		return 0, ErrBadLimit
	}
	return limit, nil
}

// Scope is what a principal may see of the customers' data.
type Scope int

const (
	// SeeNothing: no principal, or staff without a role.
	SeeNothing Scope = iota
	// SeeAll: staff with a role (support, compliance, auditor, admin).
	SeeAll
	// SeeOwn: a customer contact, its own account.
	SeeOwn
	// SeeRelated: a partner contact, what its partner's relationships
	// open (DOMAIN.md, "Who may see what").
	SeeRelated
)

// ScopeOf returns what principal p may see.
func ScopeOf(p domain.Principal) Scope {
	switch {
	case p.Kind == domain.KindStaff && len(p.Roles) > 0:
		return SeeAll
	case p.Kind == domain.KindCustomer && p.AccountID != "":
		return SeeOwn
	case p.Kind == domain.KindPartner && p.PartnerID != "":
		return SeeRelated
	}
	return SeeNothing
}

// maxCursorLen bounds what DecodeCursor reads; real cursors are far
// shorter.
const maxCursorLen = 2048

// EncodeCursor makes an opaque cursor of v (a struct of the sort key of a
// page's last row): base64url of its JSON.
func EncodeCursor(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // cursor structs hold plain fields
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor decodes a cursor made by EncodeCursor into v, refusing
// anything else (unknown fields, trailing data, oversize): ErrBadCursor. A
// read model checks the decoded values fit the query and viewer.
func DecodeCursor(s string, v any) error {
	if len(s) > maxCursorLen {
		return ErrBadCursor
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return ErrBadCursor
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return ErrBadCursor
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrBadCursor
	}
	// A NUL (JSON \u0000) is no character of a real cursor, and PostgreSQL
	// refuses it in text.
	if bytes.Contains(raw, []byte(`\u0000`)) {
		return ErrBadCursor
	}
	return nil
}
