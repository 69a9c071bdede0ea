package relay

import (
	"context"
	"fmt"

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
}

func newJetStreamPublisher(js jetstream.JetStream, stream string, maxPending int) *jetStreamPublisher {
	return &jetStreamPublisher{js: js, stream: stream, maxPending: maxPending}
}

// Publish implements publisher.
func (p *jetStreamPublisher) Publish(ctx context.Context, msgs []*nats.Msg) (int, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	acked := 0
	// await resolves the oldest unresolved future.
	await := func() error {
		f := futures[acked]
		select {
		case ack := <-f.Ok():
			if ack.Stream != p.stream {
				return fmt.Errorf("publish %s: stored in stream %s, not %s", msgs[acked].Header.Get(nats.MsgIdHdr), ack.Stream, p.stream)
			}
			acked++
			return nil
		case err := <-f.Err():
			return fmt.Errorf("publish %s: %w", msgs[acked].Header.Get(nats.MsgIdHdr), err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for i, m := range msgs {
		for len(futures)-acked >= p.maxPending {
			if err := await(); err != nil {
				return acked, err
			}
		}
		if err := ctx.Err(); err != nil {
			return acked, err
		}
		f, err := p.js.PublishMsgAsync(m)
		if err != nil {
			return acked, fmt.Errorf("publish %s: %w", msgs[i].Header.Get(nats.MsgIdHdr), err)
		}
		futures = append(futures, f)
	}
	for acked < len(futures) {
		if err := await(); err != nil {
			return acked, err
		}
	}
	return acked, nil
}
