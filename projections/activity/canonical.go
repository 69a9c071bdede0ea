package activity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// canonicalChanges concatenates the JSON arrays parts and writes the
// result canonically: no insignificant space; object members sorted by
// key (bytewise), a key given twice keeping its last value (as jsonb
// does); strings with only '"', '\' and control characters escaped ('"'
// and '\' with a backslash, control characters as \u00xx) and everything
// else as its UTF-8; numbers as PostgreSQL's jsonb writes them (pgNumber).
// jsonb stores neither the spelling nor the key order it was given, so the
// hash covers the value: the projection hashes what it is about to store
// and Verify what it reads back, and both canonicalize alike.
func canonicalChanges(parts ...[]byte) ([]byte, error) {
	out := make([]byte, 0, 256)
	out = append(out, '[')
	for _, p := range parts {
		c := canonParser{src: p}
		c.space()
		if c.peek() != '[' {
			return nil, errors.New("changes are not a JSON array")
		}
		arr, err := c.value(nil)
		if err != nil {
			return nil, fmt.Errorf("changes: %w", err)
		}
		if c.space(); c.i != len(c.src) {
			return nil, fmt.Errorf("changes: data after the JSON array at byte %d", c.i)
		}
		if inner := arr[1 : len(arr)-1]; len(inner) > 0 {
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = append(out, inner...)
		}
	}
	return append(out, ']'), nil
}

// canonParser reads one JSON text, writing it canonically.
type canonParser struct {
	src []byte
	i   int
}

func (c *canonParser) space() {
	for c.i < len(c.src) && (c.src[c.i] == ' ' || c.src[c.i] == '\t' || c.src[c.i] == '\n' || c.src[c.i] == '\r') {
		c.i++
	}
}

func (c *canonParser) peek() byte {
	if c.i < len(c.src) {
		return c.src[c.i]
	}
	return 0
}

func (c *canonParser) eat(b byte) bool {
	if c.peek() == b {
		c.i++
		return true
	}
	return false
}

// member is an object member: its key and its canonical value.
type member struct {
	key string
	val []byte
}

// value appends the canonical form of the value at c.i to dst.
func (c *canonParser) value(dst []byte) ([]byte, error) {
	c.space()
	switch b := c.peek(); {
	case b == '{':
		return c.object(dst)
	case b == '[':
		c.i++
		dst = append(dst, '[')
		c.space()
		for first := true; !c.eat(']'); first = false {
			if !first {
				if !c.eat(',') {
					return nil, fmt.Errorf("want , or ] at byte %d", c.i)
				}
				dst = append(dst, ',')
			}
			var err error
			if dst, err = c.value(dst); err != nil {
				return nil, err
			}
			c.space()
		}
		return append(dst, ']'), nil
	case b == '"':
		s, err := c.string()
		if err != nil {
			return nil, err
		}
		return appendCanonicalString(dst, s), nil
	case b == 't' || b == 'f' || b == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(c.src[c.i:], []byte(lit)) {
				c.i += len(lit)
				return append(dst, lit...), nil
			}
		}
	case b == '-' || b >= '0' && b <= '9':
		start := c.i
		for c.i < len(c.src) && strings.IndexByte("+-.eE0123456789", c.src[c.i]) >= 0 {
			c.i++
		}
		num := string(c.src[start:c.i])
		if !validNumber(num) {
			return nil, fmt.Errorf("invalid number %q at byte %d", num, start)
		}
		return append(dst, pgNumber(num)...), nil
	}
	return nil, fmt.Errorf("unexpected %q at byte %d", c.peek(), c.i)
}

// object appends the canonical form of the object at c.i to dst.
func (c *canonParser) object(dst []byte) ([]byte, error) {
	c.i++
	var ms []member
	c.space()
	for first := true; !c.eat('}'); first = false {
		if !first {
			if !c.eat(',') {
				return nil, fmt.Errorf("want , or } at byte %d", c.i)
			}
			c.space()
		}
		if c.peek() != '"' {
			return nil, fmt.Errorf("want a key at byte %d", c.i)
		}
		k, err := c.string()
		if err != nil {
			return nil, err
		}
		c.space()
		if !c.eat(':') {
			return nil, fmt.Errorf("want : at byte %d", c.i)
		}
		v, err := c.value(nil)
		if err != nil {
			return nil, err
		}
		ms = append(ms, member{k, v})
		c.space()
	}
	slices.SortStableFunc(ms, func(a, b member) int { return strings.Compare(a.key, b.key) })
	dst = append(dst, '{')
	n := 0
	for i, m := range ms {
		if i+1 < len(ms) && ms[i+1].key == m.key {
			continue // a later value of the same key wins
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = appendCanonicalString(dst, m.key)
		dst = append(dst, ':')
		dst = append(dst, m.val...)
		n++
	}
	return append(dst, '}'), nil
}

// string reads the string at c.i (at its opening quote).
func (c *canonParser) string() (string, error) {
	start := c.i
	c.i++
	escaped := false
	for ; c.i < len(c.src); c.i++ {
		switch b := c.src[c.i]; {
		case b == '\\':
			escaped = true
			c.i++
		case b == '"':
			c.i++
			tok := c.src[start:c.i]
			if !escaped && utf8.Valid(tok) {
				return string(tok[1 : len(tok)-1]), nil
			}
			// Escapes, or invalid UTF-8 (each bad byte becomes U+FFFD):
			// as encoding/json decodes them.
			var s string
			if err := json.Unmarshal(tok, &s); err != nil {
				return "", fmt.Errorf("invalid string at byte %d: %w", start, err)
			}
			return s, nil
		case b < 0x20:
			return "", fmt.Errorf("control character in a string at byte %d", c.i)
		}
	}
	return "", fmt.Errorf("unterminated string at byte %d", start)
}

// appendCanonicalString appends s as a canonical JSON string; invalid
// UTF-8 becomes U+FFFD, as encoding/json decodes it.
func appendCanonicalString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		b := s[i]
		switch {
		case b == '"' || b == '\\':
			dst = append(dst, '\\', b)
		case b < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
		case b < utf8.RuneSelf:
			dst = append(dst, b)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return append(dst, '"')
}

// validNumber reports whether s is a JSON number.
func validNumber(s string) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
