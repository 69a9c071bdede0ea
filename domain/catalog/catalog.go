package catalog

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
)

// Entry describes one event type at one schema version.
type Entry struct {
	Type      string
	Version   int
	Category  string
	EmittedBy []string
	// Zero is the zero value of the event type.
	Zero domain.Event
	// Decode turns a stored payload into the event value.
	Decode func(data []byte) (domain.Event, error)
}

// ErrUnknownEvent is returned by Decode for a type or version that is not in
// the catalog.
var ErrUnknownEvent = errors.New("catalog: unknown event type or version")

func entry[E domain.Event](category string, emittedBy ...string) Entry {
	var zero E
	return Entry{
		Type:      zero.EventType(),
		Version:   zero.SchemaVersion(),
		Category:  category,
		EmittedBy: emittedBy,
		Zero:      zero,
		Decode: func(data []byte) (domain.Event, error) {
			var e E
			if err := json.Unmarshal(data, &e); err != nil {
				return nil, err
			}
			return e, nil
		},
	}
}

// Entries returns every event type of the domain, in a fixed order.
func Entries() []Entry {
	return []Entry{
		entry[account.AccountRegistered]("account", "RegisterAccount"),
		entry[account.CompanyRenamed]("account", "RenameCompany"),
	}
}

// Catalog looks event types up by name and version. It is safe for
// concurrent use once built.
type Catalog struct {
	byKey map[string]Entry
}

// New builds a Catalog of Entries.
func New() *Catalog {
	c := &Catalog{byKey: map[string]Entry{}}
	for _, e := range Entries() {
		c.byKey[key(e.Type, e.Version)] = e
	}
	return c
}

func key(t string, v int) string { return fmt.Sprintf("%s@%d", t, v) }

// Decode decodes a stored payload of type t at schema version v.
func (c *Catalog) Decode(t string, v int, data []byte) (domain.Event, error) {
	e, ok := c.byKey[key(t, v)]
	if !ok {
		return nil, fmt.Errorf("%w: %s v%d", ErrUnknownEvent, t, v)
	}
	ev, err := e.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s v%d: %w", t, v, err)
	}
	return ev, nil
}

// Lookup returns the entry for type t at version v.
func (c *Catalog) Lookup(t string, v int) (Entry, bool) {
	e, ok := c.byKey[key(t, v)]
	return e, ok
}
