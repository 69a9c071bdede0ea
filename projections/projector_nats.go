package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
)

// ConsumerName is the durable JetStream consumer of the projection named
// name. Deleting it replays the stream to the projection, which is harmless.
func ConsumerName(name string) string { return "proj_" + name }

// gather is how long a projector waits for more messages after the first
// of a batch: messages already delivered are taken at once, and the batch
// closes as soon as none is waiting.
const gather = time.Millisecond

var errIdle = errors.New("no message")

// project is one projector's life while it holds its projection's lock:
// consume, apply in batches, acknowledge.
func (r *Runner) project(ctx context.Context, p Projection) error {
	if err := ensureLive(ctx, r.pool, p); err != nil {
		return err
	}
	js, err := jetstream.New(r.nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, r.cfg.Topology.Stream, jetstream.ConsumerConfig{
		Durable:       ConsumerName(p.Name()),
		Description:   "channeldesk projection " + p.Name(),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckAllPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: max(1000, 4*r.cfg.BatchSize),
		FilterSubject: r.cfg.Topology.AllSubjects(),
	})
	if err != nil {
		return fmt.Errorf("consumer %s on stream %s: %w", ConsumerName(p.Name()), r.cfg.Topology.Stream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(r.cfg.BatchSize))
	if err != nil {
		return fmt.Errorf("consume %s: %w", ConsumerName(p.Name()), err)
	}
	defer release(it)
	for {
		first, err := r.next(ctx, it)
		if errors.Is(err, errIdle) {
			if err := r.catchUp(ctx, p); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		batch := []jetstream.Msg{first}
		for len(batch) < r.cfg.BatchSize {
			m, err := it.Next(jetstream.NextMaxWait(gather))
			if err != nil {
				break // timeout: nothing more waiting; anything else shows on the next call
			}
			batch = append(batch, m)
		}
		if err := r.handle(ctx, p, batch); err != nil {
			return err
		}
	}
}

// release stops consuming and hands back the messages already delivered
// to this projector but not handled, so that whoever consumes next gets
// them at once rather than after the acknowledgement timeout.
func release(it jetstream.MessagesContext) {
	it.Drain()
	for {
		m, err := it.Next(jetstream.NextMaxWait(50 * time.Millisecond))
		if err != nil {
			return
		}
		_ = m.Nak()
	}
}

// next blocks for the next message; errIdle when none came for
// Config.IdleCheck.
func (r *Runner) next(ctx context.Context, it jetstream.MessagesContext) (jetstream.Msg, error) {
	if r.cfg.IdleCheck < 0 {
		return it.Next(jetstream.NextContext(ctx))
	}
	wctx, cancel := context.WithTimeout(ctx, r.cfg.IdleCheck)
	defer cancel()
	m, err := it.Next(jetstream.NextContext(wctx))
	if err != nil && ctx.Err() == nil && errors.Is(wctx.Err(), context.DeadlineExceeded) {
		return nil, errIdle
	}
	if err != nil {
		return nil, fmt.Errorf("next message: %w", err)
	}
	return m, nil
}

// handle applies a batch of messages and acknowledges it once committed.
// A message without position headers is logged and terminated. If applying
// fails, the batch is handed back to JetStream (Nak) for prompt redelivery.
func (r *Runner) handle(ctx context.Context, p Projection, batch []jetstream.Msg) error {
	items := make([]item, 0, len(batch))
	var last jetstream.Msg
	for _, m := range batch {
		it, err := parse(m)
		if err != nil {
			meta, _ := m.Metadata()
			var seq uint64
			if meta != nil {
				seq = meta.Sequence.Stream
			}
			r.log.Error("malformed event message terminated", "projection", p.Name(),
				"subject", m.Subject(), "stream_seq", seq, "err", err)
			if err := m.Term(); err != nil {
				r.log.Warn("terminate message", "projection", p.Name(), "err", err)
			}
			continue
		}
		items = append(items, it)
		last = m
	}
	if len(items) == 0 {
		return nil
	}
	if err := r.applyMessages(ctx, p, items); err != nil {
		for _, it := range items {
			_ = it.msg.Nak()
		}
		return err
	}
	// The consumer acknowledges all: this acknowledges the whole batch.
	if err := last.Ack(); err != nil {
		r.log.Warn("acknowledge batch; it will be redelivered and skipped", "projection", p.Name(), "err", err)
	}
	return nil
}

// item is one parsed message. event is nil when the body is unusable; the
// event is then read from the store.
type item struct {
	msg       jetstream.Msg
	pos, prev eventstore.Position
	event     *eventstore.Event
}

func parse(m jetstream.Msg) (item, error) {
	pos, prev, err := broker.Positions(m.Headers())
	if err != nil {
		return item{}, fmt.Errorf("position headers: %w", err)
	}
	if pos <= 0 || prev < 0 || prev >= pos {
		return item{}, fmt.Errorf("position %d after %d: out of order", pos, prev)
	}
	it := item{msg: m, pos: pos, prev: prev}
	var e eventstore.Event
	if json.Unmarshal(m.Data(), &e) == nil && e.Position == pos && e.Type != "" {
		it.event = &e
	}
	return it, nil
}

// applyMessages applies the events of items not applied yet, filling any
// gap from the store, in transactions of at most Config.RebuildBatchSize
// events.
func (r *Runner) applyMessages(ctx context.Context, p Projection, items []item) error {
	for {
		done, err := r.applyChunk(ctx, p, func(cp eventstore.Position, limit int) ([]eventstore.Event, bool, error) {
			return r.plan(ctx, items, cp, limit)
		})
		if err != nil || done {
			return err
		}
	}
}

// plan lists the events to apply after checkpoint cp for items: the events
// of messages above cp, preceded by whatever the store holds between
// consecutive ones when a message's previous position is not the last event
// planned (JetStream lost or reordered messages). It stops at limit events;
// done reports whether it planned everything.
func (r *Runner) plan(ctx context.Context, items []item, cp eventstore.Position, limit int) (events []eventstore.Event, done bool, err error) {
	for _, it := range items {
		if it.pos <= cp {
			continue // applied before: a redelivery or a replay
		}
		if it.prev == cp && it.event != nil {
			if len(events) == limit {
				return events, false, nil
			}
			events = append(events, *it.event)
			cp = it.pos
			continue
		}
		// The message's predecessor is not what was applied last: read
		// everything up to and including it from the store. The range is
		// complete, since the relay published it from below the horizon.
		for cp < it.pos {
			if len(events) == limit {
				return events, false, nil
			}
			got, err := r.store.ReadRange(ctx, cp, it.pos+1, limit-len(events))
			if err != nil {
				return nil, false, fmt.Errorf("fill gap after %d: %w", cp, err)
			}
			if len(got) == 0 {
				break
			}
			events = append(events, got...)
			cp = got[len(got)-1].Position
		}
	}
	return events, true, nil
}

// catchUp applies what the store holds past the checkpoint: after a quiet
// spell, an event whose message JetStream lost at the tail of the stream.
func (r *Runner) catchUp(ctx context.Context, p Projection) error {
	cps, err := checkpoints(ctx, r.pool, []string{p.Name()})
	if err != nil {
		return err
	}
	h, err := r.store.Horizon(ctx)
	if err != nil {
		return err
	}
	pending, err := r.store.ReadRange(ctx, cps[p.Name()].pos, h, 1)
	if err != nil || len(pending) == 0 {
		return err
	}
	r.log.Info("applying events from the store that JetStream has not delivered",
		"projection", p.Name(), "after", cps[p.Name()].pos)
	for {
		done, err := r.applyChunk(ctx, p, func(cp eventstore.Position, limit int) ([]eventstore.Event, bool, error) {
			evs, err := r.store.ReadRange(ctx, cp, h, limit)
			return evs, len(evs) < limit, err
		})
		if err != nil || done {
			return err
		}
	}
}
