package relay

import (
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/internal/broker"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // fragments of the error, one per problem; none for valid
	}{
		{name: "zero value means defaults", cfg: Config{}},
		{name: "everything set", cfg: Config{
			Topology: broker.Topology{Stream: "EVENTS_2", Prefix: "acme.events"}, Replicas: 3, BatchSize: 500,
			PollInterval: time.Second, Publisher: PublisherWatermill, MaxPending: 100,
			PublishTimeout: time.Second, MaxBackoff: time.Minute,
		}},
		{name: "jetstream publisher", cfg: Config{Publisher: PublisherJetStream}},
		{name: "stream name with a dot", cfg: Config{Topology: broker.Topology{Stream: "A.B", Prefix: "a"}}, want: []string{"stream name"}},
		{name: "stream without prefix", cfg: Config{Topology: broker.Topology{Stream: "A"}}, want: []string{"prefix"}},
		{name: "wildcard prefix", cfg: Config{Topology: broker.Topology{Stream: "A", Prefix: "a.>"}}, want: []string{"prefix"}},
		{name: "empty prefix token", cfg: Config{Topology: broker.Topology{Stream: "A", Prefix: "a..b"}}, want: []string{"prefix"}},
		{name: "unknown publisher", cfg: Config{Publisher: "kafka"}, want: []string{`unknown publisher "kafka"`}},
		{name: "every problem at once", cfg: Config{
			Topology: broker.Topology{Prefix: "a b"}, Replicas: -1, BatchSize: -1, PollInterval: -1,
			Publisher: "x", MaxPending: -1, PublishTimeout: -1, MaxBackoff: -1,
		}, want: []string{"stream name", "prefix", "replicas", "batch size", "poll interval", "publisher", "max pending", "publish timeout", "max backoff"}},
		{name: "batch too large", cfg: Config{BatchSize: maxBatchSize + 1}, want: []string{"batch size"}},
		{name: "too many replicas", cfg: Config{Replicas: 6}, want: []string{"replicas"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors about %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("Validate() reported %d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v; nothing about %q", err, w)
				}
			}
		})
	}
}

func TestNewRefusesMissingDependencies(t *testing.T) {
	_, err := New(nil, nil, nil, Config{Publisher: "x"})
	if err == nil {
		t.Fatal("New(nil, nil, nil, bad config) = nil error")
	}
	for _, w := range []string{"nil pool", "nil store", "nil NATS connection", "unknown publisher"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("New error %q says nothing about %q", err, w)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	var c Config
	c.setDefaults()
	if c.Topology != broker.Default() || c.Replicas != 1 || c.BatchSize != 1000 || c.PollInterval != 10*time.Millisecond ||
		c.Publisher != PublisherJetStream || c.MaxPending <= 0 || c.PublishTimeout <= 0 || c.MaxBackoff <= 0 || c.Logger == nil {
		t.Errorf("defaults = %+v", c)
	}
}
