package pii

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/channeldesk/channeldesk/eventstore"
)

// KeyStore keeps the people's keys; *Keys is the PostgreSQL one.
type KeyStore interface {
	// Ensure returns the live keys of subjects, creating the missing ones.
	// It fails with an error matching ErrForgotten if one was destroyed.
	Ensure(ctx context.Context, subjects []string) (map[string][]byte, error)
	// Keys returns the keys of subjects: a destroyed one as nil, a subject
	// that never had one absent.
	Keys(ctx context.Context, subjects []string) (map[string][]byte, error)
}

// Codec seals the personal data of events before they are stored and
// opens it when they are read. It is safe for concurrent use.
type Codec struct {
	keys  KeyStore
	rules map[string]Rule
}

// New returns a Codec keeping its keys in keys.
func New(keys KeyStore) *Codec { return &Codec{keys: keys, rules: Rules()} }

// person is one person's object in a decoded payload.
type person struct {
	subject string
	fields  map[string]any
}

// persons returns the persons rule finds in doc.
func persons(doc any, rule Rule) ([]person, error) {
	var objs []any
	v := doc
	for _, k := range rule.List {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, nil
		}
		v = m[k]
	}
	if len(rule.List) == 0 {
		objs = []any{v}
	} else if list, ok := v.([]any); ok {
		objs = list
	}
	var out []person
	for _, o := range objs {
		m, ok := o.(map[string]any)
		if !ok {
			continue
		}
		subject, _ := m[rule.Subject].(string)
		if subject == "" || strings.Contains(subject, ":") {
			return nil, fmt.Errorf("pii: person without a valid %s", rule.Subject)
		}
		out = append(out, person{subject: subject, fields: m})
	}
	return out, nil
}

// toSeal reports whether a personal value is stored sealed: not empty and
// not the erased marker. A value that looks sealed already is sealed all
// the same: it is what a person typed, and Open opens every value it finds
// sealed at a personal field.
func toSeal(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok && s != "" && s != Erased
}

func decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// Seal returns events with the personal fields of their payloads sealed
// (Rules), in a new slice; events is not modified. It creates the keys of
// people seen for the first time, and fails (ErrForgotten) for a person
// forgotten before.
func (c *Codec) Seal(ctx context.Context, events []eventstore.NewEvent) ([]eventstore.NewEvent, error) {
	type pending struct {
		i   int
		doc any
		ps  []person
	}
	var todo []pending
	var subjects []string
	for i, e := range events {
		rule, ok := c.rules[e.Type]
		if !ok {
			continue
		}
		doc, err := decode(e.Data)
		if err != nil {
			return nil, fmt.Errorf("seal %s: %w", e.Type, err)
		}
		ps, err := persons(doc, rule)
		if err != nil {
			return nil, fmt.Errorf("seal %s: %w", e.Type, err)
		}
		for _, p := range ps {
			for _, f := range rule.Fields {
				if _, ok := toSeal(p.fields[f]); ok && !slices.Contains(subjects, p.subject) {
					subjects = append(subjects, p.subject)
				}
			}
		}
		todo = append(todo, pending{i, doc, ps})
	}
	if len(subjects) == 0 {
		return events, nil
	}
	keys, err := c.keys.Ensure(ctx, subjects)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out := slices.Clone(events)
	for _, t := range todo {
		e := &out[t.i]
		rule := c.rules[e.Type]
		for _, p := range t.ps {
			for _, f := range rule.Fields {
				v, ok := toSeal(p.fields[f])
				if !ok {
					continue
				}
				if p.fields[f], err = SealValue(keys[p.subject], p.subject, e.Type, f, v); err != nil {
					return nil, fmt.Errorf("seal %s: %w", e.Type, err)
				}
			}
		}
		if e.Data, err = json.Marshal(t.doc); err != nil {
			return nil, fmt.Errorf("seal %s: %w", e.Type, err)
		}
	}
	return out, nil
}

// Open returns events with the sealed personal values of their payloads
// opened: the plaintext, or Erased where the person was forgotten. Only
// the places Rules declares are opened, so a string that merely looks
// sealed elsewhere (a company name typed as "pii:v1:…") is left as it is.
// Events without sealed values (including those recorded before sealing
// began) are returned as they are; events is not modified. It reads the
// keys it needs in one statement. A value that does not open fails the
// whole call (ErrTampered, ErrMalformed, ErrUnknownSubject): never a silent
// plaintext or a silent erasure.
func (c *Codec) Open(ctx context.Context, events []eventstore.Event) ([]eventstore.Event, error) {
	var idx []int
	var docs []any
	var subjects []string
	for i, e := range events {
		rule, ok := c.rules[e.Type]
		if !ok || !bytes.Contains(e.Data, []byte(Prefix)) {
			continue
		}
		doc, err := decode(e.Data)
		if err != nil {
			return nil, fmt.Errorf("open event %d (%s): %w", e.Position, e.Type, err)
		}
		if subjects, err = collect(doc, rule, subjects); err != nil {
			return nil, fmt.Errorf("open event %d (%s): %w", e.Position, e.Type, err)
		}
		idx, docs = append(idx, i), append(docs, doc)
	}
	if len(subjects) == 0 {
		return events, nil
	}
	keys, err := c.keys.Keys(ctx, subjects)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	out := slices.Clone(events)
	for j, i := range idx {
		e := &out[i]
		if err := openIn(docs[j], c.rules[e.Type], e.Type, keys); err != nil {
			return nil, fmt.Errorf("open event %d (%s): %w", e.Position, e.Type, err)
		}
		if e.Data, err = json.Marshal(docs[j]); err != nil {
			return nil, fmt.Errorf("open event %d (%s): %w", e.Position, e.Type, err)
		}
	}
	return out, nil
}

// Subjects returns the subjects of the sealed values in payload, the JSON
// payload (or the part of it the activity log keeps) of an event of type
// eventType, appended to into without repeats.
func Subjects(eventType string, payload []byte, into []string) ([]string, error) {
	rule, ok := Rules()[eventType]
	if !ok || !bytes.Contains(payload, []byte(Prefix)) {
		return into, nil
	}
	doc, err := decode(payload)
	if err != nil {
		return into, err
	}
	return collect(doc, rule, into)
}

// OpenPayload opens the sealed values in payload as Open does, with keys
// as KeyStore.Keys gives them. It is what reads personal data kept sealed
// outside the store (the activity log).
func OpenPayload(eventType string, payload []byte, keys map[string][]byte) ([]byte, error) {
	rule, ok := Rules()[eventType]
	if !ok || !bytes.Contains(payload, []byte(Prefix)) {
		return payload, nil
	}
	doc, err := decode(payload)
	if err != nil {
		return nil, err
	}
	if err := openIn(doc, rule, eventType, keys); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

// sealedFields calls f with every sealed personal value of doc under rule,
// and puts back what f returns. The envelope's subject must be the
// person's: a value moved from another person does not open.
func sealedFields(doc any, rule Rule, f func(subject, field, v string) (string, error)) error {
	ps, err := persons(doc, rule)
	if err != nil {
		return err
	}
	for _, p := range ps {
		for _, field := range rule.Fields {
			v, ok := p.fields[field].(string)
			if !ok || !IsSealed(v) {
				continue
			}
			subject, err := Subject(v)
			if err != nil {
				return err
			}
			if subject != p.subject {
				return fmt.Errorf("%w: %s sealed for %s is in %s's %s", ErrTampered, field, subject, p.subject, field)
			}
			if p.fields[field], err = f(subject, field, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// collect appends the subjects of the sealed values of doc to into.
func collect(doc any, rule Rule, into []string) ([]string, error) {
	err := sealedFields(doc, rule, func(subject, _, v string) (string, error) {
		if !slices.Contains(into, subject) {
			into = append(into, subject)
		}
		return v, nil
	})
	return into, err
}

// openIn opens the sealed values of doc in place.
func openIn(doc any, rule Rule, eventType string, keys map[string][]byte) error {
	return sealedFields(doc, rule, func(subject, field, v string) (string, error) {
		key, ok := keys[subject]
		if !ok {
			return "", fmt.Errorf("%w: %s", ErrUnknownSubject, subject)
		}
		return OpenValue(key, eventType, field, v)
	})
}
