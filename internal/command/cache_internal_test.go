package command

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/catalog"
)

// TestEvolveNeverWritesItsInput: the state cache shares one state between
// commands and folds new events onto it (see stateCache), which is sound
// only if Evolve never writes the state it is given. For every aggregate
// whose states are cached, every event type of its category (the fully
// populated golden example of domain/catalog) is evolved onto a state,
// twice over, and the state given must read the same afterwards; and two
// events evolved from one state must not disturb each other's results (a
// slice appended in place would share its spare room).
func TestEvolveNeverWritesItsInput(t *testing.T) {
	events := map[string][]domain.Event{}
	for _, e := range catalog.Entries() {
		name := fmt.Sprintf("%s.v%d", e.Type, e.Version)
		data, err := os.ReadFile(filepath.Join("..", "..", "domain", "catalog", "testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := e.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		events[e.Category] = append(events[e.Category], ev)
	}
	read := func(st any) string {
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for cat, agg := range cachedAggregates {
		evs := events[cat]
		if len(evs) == 0 {
			t.Errorf("%s: no event types", cat)
			continue
		}
		st := agg.zero()
		for round := range 2 {
			for _, e := range evs {
				before := read(st)
				next, ok := agg.evolve(st, e)
				if !ok {
					t.Fatalf("%s: state of the wrong type", cat)
				}
				if after := read(st); after != before {
					t.Errorf("%s, round %d: Evolve(%s) wrote the state it was given:\nbefore %s\nafter  %s", cat, round, e.EventType(), before, after)
				}
				st = next
			}
		}
		for _, e := range evs {
			one, _ := agg.evolve(st, e)
			want := read(one)
			for _, f := range evs {
				agg.evolve(st, f)
			}
			if got := read(one); got != want {
				t.Errorf("%s: the state Evolve(%s) gave changed when other events were evolved from the same state:\nwas %s\nnow %s", cat, e.EventType(), want, got)
			}
		}
	}
}
