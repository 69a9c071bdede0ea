package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Prefix starts every sealed value.
const Prefix = "pii:v1:"

// KeySize is the size of a person's key: AES-256.
const KeySize = 32

// ErrTampered is matched by the error of opening an envelope that does not
// authenticate: its ciphertext, subject, event type or field was altered,
// or it was sealed under another key.
var ErrTampered = errors.New("pii: sealed value does not open (altered, moved or sealed under another key)")

// ErrMalformed is matched by the error of opening a value that starts with
// Prefix but is not a well-formed envelope.
var ErrMalformed = errors.New("pii: malformed sealed value")

// ErrUnknownSubject is matched by the error of opening an envelope whose
// subject has no key row at all, neither live nor destroyed: the key store
// lost it, which is not the same as the person having been forgotten.
var ErrUnknownSubject = errors.New("pii: no key was ever created for the subject")

// ErrForgotten is matched by the error of sealing for a person who was
// forgotten: nothing new may be recorded about it.
var ErrForgotten = errors.New("pii: the person was forgotten")

// IsSealed reports whether v is a sealed value.
func IsSealed(v string) bool { return strings.HasPrefix(v, Prefix) }

// additional is the additional data that binds an envelope to where it
// belongs.
func additional(subject, eventType, field string) []byte {
	return []byte("channeldesk/pii/v1\x00" + subject + "\x00" + eventType + "\x00" + field)
}

func gcm(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("pii: key of %d bytes, want %d", len(key), KeySize)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// SealValue seals plaintext v of field (its JSON name) of an event of type
// eventType for subject under key.
func SealValue(key []byte, subject, eventType, field, v string) (string, error) {
	if strings.Contains(subject, ":") || subject == "" {
		return "", fmt.Errorf("pii: subject %q: must be non-empty, without ':'", subject)
	}
	a, err := gcm(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(v)+a.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("pii: nonce: %w", err)
	}
	blob := a.Seal(nonce, nonce, []byte(v), additional(subject, eventType, field))
	return Prefix + subject + ":" + base64.RawURLEncoding.EncodeToString(blob), nil
}

// Subject returns the subject of envelope v.
func Subject(v string) (string, error) {
	subject, _, err := parse(v)
	return subject, err
}

func parse(v string) (subject string, blob []byte, err error) {
	rest, ok := strings.CutPrefix(v, Prefix)
	if !ok {
		return "", nil, ErrMalformed
	}
	subject, enc, ok := strings.Cut(rest, ":")
	if !ok || subject == "" {
		return "", nil, ErrMalformed
	}
	blob, err = base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return subject, blob, nil
}

// OpenValue opens envelope v of field of an event of type eventType under
// key; a nil key (destroyed) gives Erased. The error matches ErrMalformed
// or ErrTampered.
func OpenValue(key []byte, eventType, field, v string) (string, error) {
	subject, blob, err := parse(v)
	if err != nil {
		return "", err
	}
	if key == nil {
		return Erased, nil
	}
	a, err := gcm(key)
	if err != nil {
		return "", err
	}
	if len(blob) < a.NonceSize()+a.Overhead() {
		return "", fmt.Errorf("%w: %d bytes", ErrMalformed, len(blob))
	}
	plain, err := a.Open(nil, blob[:a.NonceSize()], blob[a.NonceSize():], additional(subject, eventType, field))
	if err != nil {
		return "", fmt.Errorf("%w (subject %s, %s.%s)", ErrTampered, subject, eventType, field)
	}
	return string(plain), nil
}
