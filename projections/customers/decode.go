package customers

import (
	"strings"
	"unicode/utf8"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
)

// The projection reads a handful of string fields from each payload. A
// rebuild does so for every account event in the store, and
// encoding/json, which validates the whole payload, then decodes every
// field (a rename's evidence too) into fresh strings, cost more than
// everything else the rebuild does in Go. So the payloads the projection
// uses are read by the scanner below, which takes only the plain case and
// gives up on anything else, leaving it to encoding/json through the
// catalog: the values are always those encoding/json would give.
//
// The scanner relies on the payload being valid JSON, which it is: the
// store keeps payloads as jsonb.

// decodeFast decodes the payload of an account.registered or
// account.renamed event at the schema version of the projection's structs;
// ok is false when the payload is not plain enough (see member) or the type
// or version is another.
func decodeFast(typ string, version int, data []byte) (ev domain.Event, ok bool) {
	switch {
	case typ == account.AccountRegistered{}.EventType() && version == account.AccountRegistered{}.SchemaVersion():
		var r account.AccountRegistered
		ok = members(data, func(key, value []byte) bool {
			switch string(key) {
			case "account_id":
				r.AccountID, ok = plainString(value)
			case "name":
				r.Name, ok = plainString(value)
			case "primary_domain":
				r.PrimaryDomain, ok = plainString(value)
			case "region":
				r.Region, ok = plainString(value)
			case "vat_number":
				r.VATNumber, ok = plainString(value)
			case "address":
				ok = members(value, func(key, value []byte) bool {
					switch string(key) {
					case "country":
						r.Address.Country, ok = plainString(value)
					case "state":
						r.Address.State, ok = plainString(value)
					case "city":
						r.Address.City, ok = plainString(value)
					default:
						return !foldsTo(key, "country", "state", "city")
					}
					return ok
				})
			default:
				return !foldsTo(key, "account_id", "name", "primary_domain", "region", "vat_number", "address")
			}
			return ok
		})
		return r, ok
	case typ == account.CompanyRenamed{}.EventType() && version == account.CompanyRenamed{}.SchemaVersion():
		// The evidence is not shown in the customer list, but a value that
		// encoding/json would refuse must still fail the event.
		var r account.CompanyRenamed
		ok = members(data, func(key, value []byte) bool {
			switch string(key) {
			case "account_id":
				r.AccountID, ok = plainString(value)
			case "old_name":
				r.OldName, ok = plainString(value)
			case "new_name":
				r.NewName, ok = plainString(value)
			case "evidence":
				ok = fits(value, evidenceShape)
			default:
				return !foldsTo(key, "account_id", "old_name", "new_name", "evidence")
			}
			return ok
		})
		return r, ok
	}
	return nil, false
}

// shape is the members of a JSON object that encoding/json would decode
// into a struct: a nil shape is a string.
type shape map[string]shape

var evidenceShape = shape{
	"email_confirmation": {"from": nil, "reference": nil},
	"document":           {"kind": nil, "reference": nil, "old_name": nil, "new_name": nil},
}

// fits reports whether encoding/json would decode the JSON value v into a
// struct of shape s without error, and without matching a key in another
// case.
func fits(v []byte, s shape) bool {
	switch {
	case string(v) == "null":
		return true
	case s == nil:
		return v[0] == '"'
	}
	return members(v, func(key, value []byte) bool {
		sub, ok := s[string(key)]
		if ok {
			return fits(value, sub)
		}
		for k := range s {
			if strings.EqualFold(string(key), k) {
				return false
			}
		}
		return true
	})
}

// foldsTo reports whether key could be taken by encoding/json for one of
// the fields, which it matches without regard to case.
func foldsTo(key []byte, fields ...string) bool {
	for _, f := range fields {
		if strings.EqualFold(string(key), f) {
			return true
		}
	}
	return false
}

// members calls fn with the key (without quotes) and the raw value of each
// member of the JSON object data, in order, until fn returns false. It
// returns false if fn did, if data is not an object, or if a key holds an
// escape sequence.
func members(data []byte, fn func(key, value []byte) bool) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return true
	}
	for i < len(data) {
		end := skipString(data, i)
		if end < 0 {
			return false
		}
		key := data[i+1 : end-1]
		if len(key) == 0 || strings.IndexByte(string(key), '\\') >= 0 {
			return false
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		end = skipValue(data, i)
		if end < 0 || !fn(key, data[i:end]) {
			return false
		}
		i = skipSpace(data, end)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case '}':
			return true
		case ',':
			i = skipSpace(data, i+1)
		default:
			return false
		}
	}
	return false
}

// plainString returns the JSON string v as it is written, if it is one
// without escape sequences: valid UTF-8 and no control characters, which
// JSON does not allow unescaped.
func plainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	s := v[1 : len(v)-1]
	for _, c := range s {
		if c < 0x20 || c == '\\' || c == '"' {
			return "", false
		}
	}
	if !utf8.Valid(s) {
		return "", false
	}
	return string(s), true
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the JSON string starting at i, or -1.
func skipString(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the index after the JSON value starting at i, or -1.
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				end := skipString(data, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	default:
		start := i
		for i < len(data) && !strings.ContainsRune(",}] \t\n\r", rune(data[i])) {
			i++
		}
		if i == start {
			return -1
		}
		return i
	}
}
