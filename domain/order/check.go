package order

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/names"
)

// Limits on commands. Lengths are in characters, not bytes. Quantity,
// product and edition are bounded as the license package bounds a license,
// so that every accepted order can be fulfilled.
const (
	MaxPOLen        = 50
	MaxLines        = 100
	MaxQuantity     = 1_000_000
	MaxSKULen       = 40
	MaxProductLen   = 100
	MaxEditionLen   = 100
	MaxCommentsLen  = 2000
	MaxReferenceLen = 500
	MaxReasonLen    = 500
)

// maxUTCOffset is the furthest any time zone is ahead of UTC (UTC+14,
// Kiribati): at instant t the latest calendar date anywhere is the date of
// t + 14h.
const maxUTCOffset = 14 * time.Hour

// System-allocated numbers: a prefix and seven digits, more once seven are
// used up (internal/numbering), never with a superfluous leading zero.
var (
	skuPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._-]*$`)
)

// ValidNumber reports whether n has the form of an order number, e.g.
// ORD-0000042.
func ValidNumber(n string) bool { return ids.Order(n) }

func checkOrgID(p *domain.Problems, field, v string, required bool) {
	switch {
	case v == "" && !required:
	case v == "":
		p.Add(field, "is required")
	case !ids.Org(v):
		p.Add(field, "must be six digits and two capital letters, e.g. 123456HQ")
	}
}

// checkPO checks a PO number and returns it without surrounding white
// space: 1 to MaxPOLen printable characters.
func checkPO(p *domain.Problems, field, v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		p.Add(field, "is required")
	case !printable(v):
		p.Add(field, "must be printable characters (no control, format or line-breaking characters)")
	case utf8.RuneCountInString(v) > MaxPOLen:
		p.Add(field, "must be at most %d characters", MaxPOLen)
	}
	return v
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// checkReference checks an optional reference to a stored document and
// returns it without surrounding white space: one line, at most
// MaxReferenceLen characters.
func checkReference(p *domain.Problems, field, v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
	case !names.Clean(v):
		p.Add(field, "must be valid UTF-8 without control characters")
	case utf8.RuneCountInString(v) > MaxReferenceLen:
		p.Add(field, "must be at most %d characters", MaxReferenceLen)
	}
	return v
}

// checkName checks a product or edition name and returns it without
// surrounding white space: required, one line, at most max characters,
// with letters or digits.
func checkName(p *domain.Problems, field, v string, max int) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		p.Add(field, "is required")
	case !names.Clean(v):
		p.Add(field, "must be valid UTF-8 without control characters")
	case utf8.RuneCountInString(v) > max:
		p.Add(field, "must be at most %d characters", max)
	case names.Fold(v) == "":
		p.Add(field, "must contain letters or digits")
	}
	return v
}

// checkLongText checks a free text that may span lines (tabs and line
// breaks allowed, no other control or format characters) and returns it
// without surrounding white space.
func checkLongText(p *domain.Problems, field, v string, max int, required bool) string {
	v = strings.TrimSpace(v)
	clean := utf8.ValidString(v)
	for _, r := range v {
		if r != '\n' && r != '\r' && r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			clean = false
		}
	}
	switch {
	case v == "" && !required:
	case v == "":
		p.Add(field, "is required")
	case !clean:
		p.Add(field, "must be valid UTF-8 without control characters other than tabs and line breaks")
	case utf8.RuneCountInString(v) > max:
		p.Add(field, "must be at most %d characters", max)
	}
	return v
}

// parseDate parses a YYYY-MM-DD date, exactly in that form.
func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Format(time.DateOnly) != s {
		return time.Time{}, false
	}
	return t, true
}

// latestDate is the latest calendar date anywhere on Earth at instant at,
// as a UTC midnight.
func latestDate(at time.Time) time.Time {
	y, m, d := at.UTC().Add(maxUTCOffset).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
