package activity

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/channeldesk/channeldesk/internal/pii"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// KeepsSealed implements projections.Sealed: the log keeps the personal
// data of its records sealed as the events carry it, and opens it when it
// is read (openRecords), so that forgetting a person never rewrites a
// record (whose hash chains it to the next) and yet every list and export
// shows the person as erased from then on.
func (*Projection) KeepsSealed() bool { return true }

// openRecords opens the sealed personal values in recs' changes in place:
// the plaintext, or pii.Erased where the person was forgotten. It reads
// the keys it needs with q in one statement, and only when there are
// sealed values (so a database without the key table serves records
// without any).
func openRecords(ctx context.Context, q readmodel.Querier, recs []Record) error {
	var subjects []string
	var err error
	for _, r := range recs {
		if subjects, err = changeSubjects(r.Changes, subjects); err != nil {
			return fmt.Errorf("record %s: %w", r.ID, err)
		}
	}
	if len(subjects) == 0 {
		return nil
	}
	keys, err := pii.Lookup(ctx, q, subjects)
	if err != nil {
		return err
	}
	for i := range recs {
		if err := openChanges(recs[i].Changes, keys); err != nil {
			return fmt.Errorf("record %s: %w", recs[i].ID, err)
		}
	}
	return nil
}

// keyCache keeps the keys an export has read, so that a stream of records
// reads each person's key once.
type keyCache map[string][]byte

// open opens the sealed values of r's changes, reading the keys not read
// yet with q (which must be able to query while the export's rows are
// open: a pool).
func (c keyCache) open(ctx context.Context, q readmodel.Querier, r *Record) error {
	subjects, err := changeSubjects(r.Changes, nil)
	if err != nil || len(subjects) == 0 {
		return err
	}
	var missing []string
	for _, s := range subjects {
		if _, ok := c[s]; !ok {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		got, err := pii.Lookup(ctx, q, missing)
		if err != nil {
			return err
		}
		for _, s := range missing {
			if k, ok := got[s]; ok {
				c[s] = k
			}
		}
	}
	if err := openChanges(r.Changes, c); err != nil {
		return fmt.Errorf("record %s: %w", r.ID, err)
	}
	return nil
}

// changePayload is the part of an event's payload a change keeps under the
// events' own names: its new values (a personal field is never an old_ or
// new_ one).
func changePayload(c Change) ([]byte, error) { return json.Marshal(c.New) }

func changeSubjects(changes []Change, into []string) ([]string, error) {
	for _, c := range changes {
		payload, err := changePayload(c)
		if err != nil {
			return into, err
		}
		if into, err = pii.Subjects(c.Event, payload, into); err != nil {
			return into, err
		}
	}
	return into, nil
}

// openChanges opens the sealed personal values of changes in place.
func openChanges(changes []Change, keys map[string][]byte) error {
	for i, c := range changes {
		payload, err := changePayload(c)
		if err != nil {
			return err
		}
		opened, err := pii.OpenPayload(c.Event, payload, keys)
		if err != nil {
			return err
		}
		if bytes.Equal(opened, payload) {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(opened, &m); err != nil {
			return err
		}
		changes[i].New = m
	}
	return nil
}
