package activity

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"
)

// The hash chains (issue 5, item 5). Each of the two tables of the log is
// one chain: proj_activity.activity in position order (the projection
// computes it, so a rebuild gives the same hashes) and activity_refusals
// in insertion order (seq, assigned under a lock on the one-row table
// activity_refusals_head, so concurrent API instances extend one chain).
// Every record stores prev_hash, the hash of the record before it in its
// chain (genesis, 32 zero bytes, for the first), and hash:
//
//	hash = SHA-256(field(tag) || field(column 1) || … || field(column n) || field(prev_hash))
//	field(b) = len(b) as 8 bytes big endian || b
//
// tag is activityTag or refusalTag, so a record cannot be moved from one
// chain to the other. The columns are every stored column of the record, in
// the order hashActivity and hashRefusal list them, encoded as: text as its
// UTF-8 bytes; integers (position, seq) as 8 bytes big endian; a time as
// its microseconds since the Unix epoch (PostgreSQL's precision), 8 bytes
// big endian; changes (jsonb) as canonical JSON (canonicalChanges). The
// length prefix makes the encoding unambiguous: no two different records
// encode alike. The hash covers the bytes as stored: a value another part
// of the service stores encrypted is hashed as its ciphertext, so
// forgetting a person never rewrites a record.

// Tags of the two chains.
const (
	activityTag = "channeldesk activity v1"
	refusalTag  = "channeldesk activity_refusals v1"
)

// genesis is the prev_hash of the first record of a chain.
var genesis = make([]byte, sha256.Size)

// encoder writes fields into a running SHA-256.
type encoder struct {
	h   hash.Hash
	buf [8]byte
}

func newEncoder(tag string) *encoder {
	e := &encoder{h: sha256.New()}
	e.str(tag)
	return e
}

func (e *encoder) length(n int) {
	binary.BigEndian.PutUint64(e.buf[:], uint64(n))
	e.h.Write(e.buf[:])
}

func (e *encoder) bytes(b []byte) {
	e.length(len(b))
	e.h.Write(b)
}

func (e *encoder) str(s string) {
	e.length(len(s))
	io.WriteString(e.h, s)
}

func (e *encoder) int(v int64) {
	e.length(8)
	binary.BigEndian.PutUint64(e.buf[:], uint64(v))
	e.h.Write(e.buf[:])
}

func (e *encoder) time(t time.Time) { e.int(t.UnixMicro()) }

func (e *encoder) sum() []byte { return e.h.Sum(nil) }

// activityRow is a row of proj_activity.activity as stored, changes in
// canonical JSON.
type activityRow struct {
	id                                   string
	at                                   time.Time
	actor, onBehalfOf, operation         string
	resourceType, resourceID, customerID string
	changes                              []byte
	correlationID, clientIP, userAgent   string
	position                             int64
	prevHash, hash                       []byte
}

// hashActivity is the hash of r with r.prevHash.
func hashActivity(r *activityRow) []byte {
	e := newEncoder(activityTag)
	e.str(r.id)
	e.time(r.at)
	for _, s := range []string{r.actor, r.onBehalfOf, r.operation, r.resourceType, r.resourceID, r.customerID} {
		e.str(s)
	}
	e.bytes(r.changes)
	for _, s := range []string{r.correlationID, r.clientIP, r.userAgent} {
		e.str(s)
	}
	e.int(r.position)
	e.bytes(r.prevHash)
	return e.sum()
}

// refusalRow is a row of activity_refusals as stored.
type refusalRow struct {
	seq                                  int64
	id                                   string
	at                                   time.Time
	actor, onBehalfOf, operation         string
	resourceType, resourceID, customerID string
	status, code, detail                 string
	correlationID, clientIP, userAgent   string
	prevHash, hash                       []byte
}

// hashRefusal is the hash of r with r.prevHash. Migration
// 00002_chain.sql computes the same in SQL for the rows recorded before
// it; keep the two in step.
func hashRefusal(r *refusalRow) []byte {
	e := newEncoder(refusalTag)
	e.int(r.seq)
	e.str(r.id)
	e.time(r.at)
	for _, s := range []string{r.actor, r.onBehalfOf, r.operation, r.resourceType, r.resourceID, r.customerID,
		r.status, r.code, r.detail, r.correlationID, r.clientIP, r.userAgent} {
		e.str(s)
	}
	e.bytes(r.prevHash)
	return e.sum()
}

// maxExponent bounds the exponent pgNumber expands; PostgreSQL refuses
// numbers far smaller, so larger ones are never stored.
const maxExponent = 1 << 17

// pgNumber writes the JSON number s as PostgreSQL's numeric does (jsonb
// keeps numbers as numeric): no exponent, no sign on zero, and as many
// decimals as s has after its point less its exponent (1.50E1 → 15.0,
// 1e-2 → 0.01, 12e2 → 1200). s is valid JSON number syntax.
func pgNumber(s string) string {
	orig := s
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		var err error
		if exp, err = parseExponent(s[i+1:]); err != nil {
			return orig
		}
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	// value = digits × 10^shift, written with scale decimals.
	shift := exp - len(frac)
	scale := max(0, -shift)
	if shift > 0 {
		digits += strings.Repeat("0", shift)
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	whole, dec := digits[:len(digits)-scale], digits[len(digits)-scale:]
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	out := whole
	if scale > 0 {
		out += "." + dec
	}
	if neg && strings.Trim(whole+dec, "0") != "" {
		out = "-" + out
	}
	return out
}

func parseExponent(s string) (int, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("exponent %q", s)
		}
		if n = n*10 + int(c-'0'); n > maxExponent {
			return 0, fmt.Errorf("exponent %q too large", s)
		}
	}
	if neg {
		n = -n
	}
	return n, nil
}
