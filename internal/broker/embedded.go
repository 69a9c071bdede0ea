package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// EmbeddedConfig configures the in-process NATS server.
type EmbeddedConfig struct {
	// DataDir holds JetStream's files; required.
	DataDir string
	// Host and Port to listen on; Port -1 picks a free port, 0 means 4222.
	Host string
	Port int
}

// StartEmbedded starts a real nats-server with JetStream inside this
// process and waits until it accepts connections. Call Shutdown and
// WaitForShutdown on the result to stop it.
func StartEmbedded(cfg EmbeddedConfig) (*server.Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("embedded nats: data directory required")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	opts := &server.Options{
		ServerName: "channeldesk-embedded",
		Host:       cfg.Host,
		Port:       cfg.Port,
		JetStream:  true,
		StoreDir:   cfg.DataDir,
		NoSigs:     true,
		NoLog:      true,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("embedded nats: not ready after 10s (port %d in use?)", cfg.Port)
	}
	return ns, nil
}

// Connect connects to url with reconnection forever, so that a NATS restart
// is survived by every user of the connection.
func Connect(url, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.RetryOnFailedConnect(false),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w (start one with nats-server -js, or omit --nats-url to use the embedded server)", url, err)
	}
	return nc, nil
}

// StreamConfig is the configuration of the event stream.
func (t Topology) StreamConfig(replicas int) jetstream.StreamConfig {
	if replicas < 1 {
		replicas = 1
	}
	return jetstream.StreamConfig{
		Name:        t.Stream,
		Description: "Every channeldesk event, published by the relay in commit order.",
		Subjects:    []string{t.AllSubjects()},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		// Inside this window JetStream drops a republished event by its
		// message ID; a relay that stops for longer republishes from its
		// checkpoint and consumers dedupe by position or event ID.
		Duplicates: 10 * time.Minute,
		Replicas:   replicas,
	}
}

// EnsureStream creates the event stream if it does not exist yet and
// returns it. An existing stream is left as it is.
func (t Topology) EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.Stream, error) {
	st, err := js.Stream(ctx, t.Stream)
	if err == nil {
		return st, nil
	}
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("look up stream %s: %w", t.Stream, err)
	}
	st, err = js.CreateStream(ctx, t.StreamConfig(replicas))
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return js.Stream(ctx, t.Stream)
	}
	if err != nil {
		return nil, fmt.Errorf("create stream %s: %w", t.Stream, err)
	}
	return st, nil
}
