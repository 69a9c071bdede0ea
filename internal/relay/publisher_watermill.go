package relay

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
)

// watermillPublisher publishes through watermill-nats' publisher with
// JetStream enabled, one synchronous publish per message, each waiting at
// most the JetStream context's MaxWait for its acknowledgement.
//
// The publisher is never closed: watermill's Close would close nc, which
// the relay does not own.
type watermillPublisher struct {
	pub *wmnats.Publisher
}

func newWatermillPublisher(nc *nats.Conn, timeout time.Duration, log *slog.Logger) (*watermillPublisher, error) {
	pub, err := wmnats.NewPublisherWithNatsConn(nc, wmnats.PublisherPublishConfig{
		Marshaler:         headerMarshaler{},
		SubjectCalculator: wmnats.DefaultSubjectCalculator,
		// No AutoProvision: it would create a stream named after each
		// subject; the relay creates the topology's stream itself. No
		// TrackMsgId: it takes the message ID from watermill's own UUID
		// header, which headerMarshaler does not send; Nats-Msg-Id travels
		// as metadata instead.
		JetStream: wmnats.JetStreamConfig{
			ConnectOptions: []nats.JSOpt{nats.MaxWait(timeout)},
		},
	}, watermill.NewSlogLogger(log))
	if err != nil {
		return nil, fmt.Errorf("open watermill publisher: %w", err)
	}
	return &watermillPublisher{pub: pub}, nil
}

// Publish implements publisher. A publish in flight when ctx ends is
// waited for (watermill's Publish takes no context).
func (p *watermillPublisher) Publish(ctx context.Context, msgs []*nats.Msg) (int, error) {
	for i, m := range msgs {
		if err := ctx.Err(); err != nil {
			return i, err
		}
		wm, err := toWatermill(m)
		if err != nil {
			return i, err
		}
		if err := p.pub.Publish(m.Subject, wm); err != nil {
			return i, fmt.Errorf("publish %s: %w", wm.UUID, err)
		}
	}
	return len(msgs), nil
}

// toWatermill carries a NATS message as a watermill message: the payload is
// the body, the metadata are the headers (single-valued, as
// broker.Topology.Message sets them), the UUID is the message ID.
func toWatermill(m *nats.Msg) (*message.Message, error) {
	wm := message.NewMessage(m.Header.Get(nats.MsgIdHdr), m.Data)
	for k, vs := range m.Header {
		if len(vs) != 1 {
			return nil, fmt.Errorf("publish %s: header %s has %d values, watermill metadata carries one", wm.UUID, k, len(vs))
		}
		wm.Metadata.Set(k, vs[0])
	}
	return wm, nil
}

// headerMarshaler turns a watermill message made by toWatermill back into
// the NATS message it came from: topic as subject, metadata as headers
// (Nats-Msg-Id included), payload as body. watermill-nats' NATSMarshaler
// would add a _watermill_message_uuid header that the relay's wire contract
// does not have.
type headerMarshaler struct{}

// Marshal implements wmnats.Marshaler.
func (headerMarshaler) Marshal(topic string, msg *message.Message) (*nats.Msg, error) {
	h := make(nats.Header, len(msg.Metadata))
	for k, v := range msg.Metadata {
		h.Set(k, v)
	}
	if h.Get(nats.MsgIdHdr) == "" {
		return nil, fmt.Errorf("marshal %s: no %s metadata", msg.UUID, nats.MsgIdHdr)
	}
	return &nats.Msg{Subject: topic, Data: msg.Payload, Header: h}, nil
}
