package relay

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// jetStreamPublisher publishes with nats.go's jetstream async API: up to
// maxPending messages in flight, acknowledgements checked in order. The
// jetstream.JetStream it uses must fail futures after a timeout
// (jetstream.WithPublishAsyncTimeout), or a lost acknowledgement would be
// waited for until ctx ends.
type jetStreamPublisher struct {
	js         jetstream.JetStream
	stream     string
	maxPending int
	// duplicates counts the acknowledgements that reported a duplicate: a
	// message ID JetStream already held inside its duplicate window.
	duplicates atomic.Int64
}

func newJetStreamPublisher(js jetstream.JetStream, stream string, maxPending int) *jetStreamPublisher {
	return &jetStreamPublisher{js: js, stream: stream, maxPending: maxPending}
}

// Publish implements publisher.
//
// It waits for the acknowledgements once every message is sent, and then
// all at once (PublishAsyncComplete) rather than one future at a time:
// waking up for each acknowledgement as it arrived cost more CPU than the
// publish itself. When that wait is over every future is resolved, so
// reading them does not block.
func (p *jetStreamPublisher) Publish(ctx context.Context, msgs []*nats.Msg) (int, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	acked := 0
	// settle counts the acknowledged futures before end, in order from the
	// first not counted yet, and stops at the first failed one; with wait
	// it waits for each to be resolved, else it stops at the first that
	// is not.
	settle := func(end int, wait bool) error {
		for ; acked < end; acked++ {
			f := futures[acked]
			var ack *jetstream.PubAck
			var err error
			if wait {
				select {
				case ack = <-f.Ok():
				case err = <-f.Err():
				case <-ctx.Done():
					return ctx.Err()
				}
			} else {
				select {
				case ack = <-f.Ok():
				case err = <-f.Err():
				default:
					return nil
				}
			}
			if err != nil {
				return fmt.Errorf("publish %s: %w", msgs[acked].Header.Get(nats.MsgIdHdr), err)
			}
			if ack.Duplicate {
				p.duplicates.Add(1)
			}
			if ack.Stream != p.stream {
				return fmt.Errorf("publish %s: stored in stream %s, not %s", msgs[acked].Header.Get(nats.MsgIdHdr), ack.Stream, p.stream)
			}
		}
		return nil
	}
	for i, m := range msgs {
		if len(futures)-acked >= p.maxPending {
			// Only batches larger than maxPending get here.
			if err := settle(len(futures)-p.maxPending+1, true); err != nil {
				return acked, err
			}
		}
		if err := ctx.Err(); err != nil {
			_ = settle(len(futures), false)
			return acked, err
		}
		f, err := p.js.PublishMsgAsync(m)
		if err != nil {
			_ = settle(len(futures), false)
			return acked, fmt.Errorf("publish %s: %w", msgs[i].Header.Get(nats.MsgIdHdr), err)
		}
		futures = append(futures, f)
	}
	select {
	case <-p.js.PublishAsyncComplete():
	case <-ctx.Done():
		_ = settle(len(futures), false)
		return acked, ctx.Err()
	}
	err := settle(len(futures), true)
	return acked, err
}
