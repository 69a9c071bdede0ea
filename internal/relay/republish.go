package relay

import (
	"context"
	"errors"
	"fmt"

	"github.com/channeldesk/channeldesk/eventstore"
)

// RepublishResult is what a republish did.
type RepublishResult struct {
	// Sent counts the events published and acknowledged by JetStream.
	Sent int
	// Duplicates counts those JetStream reported as duplicates: it still
	// held their message ID (the event ID) inside its duplicate window and
	// did not store them again.
	Duplicates int
	// Last is the position of the last event sent (0: none).
	Last eventstore.Position
}

// ErrBadRange is returned by Republish for a range that selects nothing by
// construction (from above to).
var ErrBadRange = errors.New("relay: republish range: from is after to")

// Republish re-sends the events with from <= position <= to (to 0: up to
// the last event committed when each batch is read) from the store to
// JetStream, exactly as the relay publishes them: the same subjects,
// headers and body (Relay.messages, broker.Topology.Message), Nats-Msg-Id
// the event ID, and the previous-position header the position of the event
// before each one in the store. JetStream drops, and the result counts as
// duplicates, the events it still holds inside its duplicate window (two
// minutes, broker.Topology.StreamConfig); older ones are stored again, so
// a consumer that lost its data (or a stream that lost its messages) gets
// them back, and one that did not applies them idempotently by position.
//
// Republish reads gap-free (eventstore.Store.ReadAll) in batches of
// Config.BatchSize and always with the jetstream publisher, whose
// acknowledgements tell duplicates. It neither takes the relay's lock nor
// moves its checkpoint: it may run beside a relay, on any instance. It
// creates the stream if it is missing. On failure it returns what was sent
// so far with the error; run it again from Last to go on.
func (r *Relay) Republish(ctx context.Context, from, to eventstore.Position) (RepublishResult, error) {
	var res RepublishResult
	if from < 0 || to < 0 {
		return res, fmt.Errorf("relay: republish range: negative position")
	}
	if to != 0 && from > to {
		return res, ErrBadRange
	}
	ectx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
	_, err := r.cfg.Topology.EnsureStream(ectx, r.js, r.cfg.Replicas)
	cancel()
	if err != nil {
		return res, err
	}
	// The event before the range, for the first message's previous
	// position.
	prev, err := r.store.PositionBefore(ctx, from)
	if err != nil {
		return res, err
	}
	pub := newJetStreamPublisher(r.js, r.cfg.Topology.Stream, r.cfg.MaxPending)
	after := prev
	for {
		evs, err := r.store.ReadAll(ctx, after, r.cfg.BatchSize)
		if err != nil {
			return res, err
		}
		if to != 0 {
			n := 0
			for n < len(evs) && evs[n].Position <= to {
				n++
			}
			evs = evs[:n]
		}
		if len(evs) == 0 {
			return res, nil
		}
		msgs, err := r.messages(evs, after)
		if err != nil {
			return res, err
		}
		before := pub.duplicates.Load()
		acked, err := pub.Publish(ctx, msgs)
		res.Sent += acked
		res.Duplicates += int(pub.duplicates.Load() - before)
		if acked > 0 {
			res.Last = evs[acked-1].Position
		}
		if err != nil {
			return res, err
		}
		after = evs[len(evs)-1].Position
	}
}
