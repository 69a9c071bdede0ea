package natstest

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

// Server is an embedded NATS server started for one test.
type Server struct {
	*server.Server
	Dir  string
	Port int
}

// URL is the client URL of the server.
func (s *Server) URL() string { return s.ClientURL() }

// Restart stops the server and starts it again on the same port and data
// directory, as a NATS restart in production would.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Shutdown()
	s.WaitForShutdown()
	ns, err := broker.StartEmbedded(broker.EmbeddedConfig{DataDir: s.Dir, Port: s.Port})
	if err != nil {
		t.Fatalf("restart embedded NATS: %v", err)
	}
	s.Server = ns
}

// Start starts an embedded NATS server with JetStream on a random port with
// its own temporary directory, stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	ns, err := broker.StartEmbedded(broker.EmbeddedConfig{DataDir: dir, Port: -1})
	if err != nil {
		t.Fatalf("start embedded NATS: %v", err)
	}
	s := &Server{Server: ns, Dir: dir, Port: ns.Addr().(*net.TCPAddr).Port}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// ExternalURL is the machine's NATS server.
const ExternalURL = "nats://127.0.0.1:4222"

// External connects to the machine's NATS server; unreachable skips the
// test, or fails it under CI.
func External(t testing.TB) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(ExternalURL, nats.Timeout(3*time.Second))
	if err != nil {
		pgtest.Unavailable(t, "NATS at "+ExternalURL, err)
	}
	t.Cleanup(nc.Close)
	return nc
}
