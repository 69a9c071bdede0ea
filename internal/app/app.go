package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/channeldesk/channeldesk/api"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/calendar"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/numbering"
	"github.com/channeldesk/channeldesk/internal/pii"
	"github.com/channeldesk/channeldesk/internal/relay"
	"github.com/channeldesk/channeldesk/internal/screening"
	"github.com/channeldesk/channeldesk/internal/timer"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/activity"
	"github.com/channeldesk/channeldesk/projections/contracts"
	"github.com/channeldesk/channeldesk/projections/customers"
	"github.com/channeldesk/channeldesk/projections/licenses"
	"github.com/channeldesk/channeldesk/projections/orders"
)

// Config configures the service. The zero value plus a DataDir runs on
// the local PostgreSQL and an embedded NATS server.
type Config struct {
	DatabaseURL string
	// NATSURL of an external server or cluster; empty starts the embedded
	// server with its data under DataDir.
	NATSURL string
	DataDir string
	// EmbeddedNATSPort is the embedded server's client port (default 4223;
	// -1 picks a free one).
	EmbeddedNATSPort int
	// HTTPAddr to listen on (default 127.0.0.1:8080).
	HTTPAddr string
	// MaxConns of the PostgreSQL pool (default 32).
	MaxConns int32
	Topology broker.Topology
	// StreamReplicas is the replica count of the event stream when the
	// relay creates it (1; 3 on a three-node cluster).
	StreamReplicas int
	// RelayPublisher: "jetstream" (default) or "watermill".
	RelayPublisher string
	Logger         *slog.Logger
	// StaleAfter bounds how long a query waits for min_position (default 5s).
	StaleAfter time.Duration
	// RestrictedParties is the CSV file of the restricted-party list that
	// embargo screening checks names against (format: screening.Parse);
	// empty uses the sample shipped in deploy/restricted-parties.csv.
	RestrictedParties string
	// RateLimit is each API caller's token bucket (zero value: the
	// defaults of api.RateLimit; a negative PerSecond turns it off).
	RateLimit api.RateLimit
	// FeedPoll and FeedHeartbeat pace GET /v1/events (zero: the defaults
	// of api.Config).
	FeedPoll, FeedHeartbeat time.Duration
	// TLSCert and TLSKey are the PEM files of the HTTPS certificate (chain)
	// and its private key: both or neither; neither serves plain HTTP.
	TLSCert, TLSKey string
	// TimerInterval is how often the case timers are fed and fired
	// (default timer.DefaultInterval).
	TimerInterval time.Duration
	// TimerLease is how long a claimed timer stays this instance's
	// (default timer.DefaultLease).
	TimerLease time.Duration
	// Holidays is the file of the business calendar's holidays (one
	// YYYY-MM-DD a line; calendar.Parse) that case resolution targets skip
	// besides weekends; empty: none.
	Holidays string
}

// tlsConfig loads the certificate and key of c, or returns nil for plain
// HTTP. It is called before anything connects, so that a bad pair stops
// the start at once.
func (c *Config) tlsConfig() (*tls.Config, error) {
	switch {
	case c.TLSCert == "" && c.TLSKey == "":
		return nil, nil
	case c.TLSCert == "" || c.TLSKey == "":
		return nil, errors.New("TLS needs both a certificate and its key (--tls-cert and --tls-key), or neither for plain HTTP")
	}
	pair, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate %s and key %s: %w", c.TLSCert, c.TLSKey, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

func (c *Config) defaults() {
	if c.DatabaseURL == "" {
		c.DatabaseURL = DefaultDatabaseURL
	}
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	if c.EmbeddedNATSPort == 0 {
		c.EmbeddedNATSPort = 4223
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:8080"
	}
	if c.MaxConns == 0 {
		c.MaxConns = 32
	}
	if c.Topology == (broker.Topology{}) {
		c.Topology = broker.Default()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Projections returns every projection the service keeps, with a
// business calendar of weekends only (ProjectionsWith).
func Projections() []projections.Projection { return ProjectionsWith(nil) }

// ProjectionsWith returns every projection the service keeps, the case
// resolution targets reckoned with the holidays of cal.
func ProjectionsWith(cal *calendar.Calendar) []projections.Projection {
	return []projections.Projection{customers.New(), orders.New(), contracts.New(), licenses.New(licenses.WithCalendar(cal)), activity.New()}
}

// DB is the PostgreSQL side of the service, enough for the command-line
// tools: the pool, migrated, with the event store and token registry.
type DB struct {
	Pool   *pgxpool.Pool
	Store  *eventstore.Store
	Tokens *auth.Registry
	IDs    *numbering.Allocator
	// Waits keeps the 6-hour wait of principals denied by an embargo hold.
	Waits *screening.Waits
	// Keys keeps the people's keys their personal data is sealed with, and
	// PII seals and opens it (crypto-shredding).
	Keys *pii.Keys
	PII  *pii.Codec
}

// OpenDB connects to PostgreSQL (creating the database if missing) and
// applies every migration.
func OpenDB(ctx context.Context, cfg Config) (*DB, error) {
	cfg.defaults()
	pool, err := OpenPostgres(ctx, cfg.DatabaseURL, cfg.MaxConns)
	if err != nil {
		return nil, err
	}
	d := &DB{Pool: pool, Store: eventstore.New(pool), Tokens: auth.NewRegistry(pool, nil), IDs: numbering.New(pool), Waits: screening.NewWaits(pool, nil), Keys: pii.NewKeys(pool)}
	d.PII = pii.New(d.Keys)
	for _, m := range []func(context.Context) error{
		d.Store.Migrate, d.Tokens.Migrate, d.IDs.Migrate, d.Waits.Migrate, d.Keys.Migrate,
		func(ctx context.Context) error { return relay.Migrate(ctx, pool) },
		func(ctx context.Context) error { return projections.Migrate(ctx, pool) },
		func(ctx context.Context) error { return activity.Migrate(ctx, pool) },
		func(ctx context.Context) error { return timer.Migrate(ctx, pool) },
	} {
		if err := m(ctx); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return d, nil
}

// Close closes the pool.
func (d *DB) Close() { d.Pool.Close() }

// App is the whole running service.
type App struct {
	*DB
	cfg Config
	// tlsConfig is nil for plain HTTP.
	tlsConfig   *tls.Config
	NATS        *nats.Conn
	embedded    *server.Server
	Relay       *relay.Relay
	Projections *projections.Runner
	// Spellings is the contract search's in-process index of spellings,
	// which Run keeps fresh.
	Spellings *contracts.Spellings
	Commands  *command.Service
	API       *api.Server
	// Screening is the restricted-party list commands are screened with.
	Screening *screening.List
	// Holidays is the business calendar of the case SLA.
	Holidays *calendar.Calendar
	// Timers closes the cases whose requests for information went
	// unanswered; every instance runs one (each fires only what it claims).
	Timers *timer.Scheduler
}

// Open connects everything the service needs. Run starts it.
func Open(ctx context.Context, cfg Config) (*App, error) {
	cfg.defaults()
	// The list and the certificate first: a bad file stops the start
	// before anything connects.
	list, err := screening.Load(cfg.RestrictedParties)
	if err != nil {
		return nil, err
	}
	holidays, err := calendar.Load(cfg.Holidays)
	if err != nil {
		return nil, err
	}
	tlsCfg, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	d, err := OpenDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &App{DB: d, cfg: cfg, tlsConfig: tlsCfg, Screening: list, Holidays: holidays}
	url := cfg.NATSURL
	if url == "" {
		dir := filepath.Join(cfg.DataDir, "nats")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			a.Close()
			return nil, fmt.Errorf("create NATS data directory: %w", err)
		}
		a.embedded, err = broker.StartEmbedded(broker.EmbeddedConfig{DataDir: dir, Port: cfg.EmbeddedNATSPort})
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("%w (choose another port with --embedded-nats-port, or use an external server with --nats-url)", err)
		}
		url = a.embedded.ClientURL()
	}
	a.NATS, err = broker.Connect(url, "channeldesk")
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Relay, err = relay.New(d.Pool, d.Store, a.NATS, relay.Config{Topology: cfg.Topology, Replicas: cfg.StreamReplicas, Publisher: cfg.RelayPublisher, Logger: cfg.Logger})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Projections, err = projections.NewRunner(d.Pool, d.Store, a.NATS, projections.Config{Topology: cfg.Topology, Logger: cfg.Logger, Opener: d.PII}, ProjectionsWith(holidays)...)
	if err != nil {
		a.Close()
		return nil, err
	}
	// The read models' tables exist before the first query, whichever
	// instance's projectors run them and however far they are.
	if err := a.Projections.Prepare(ctx); err != nil {
		a.Close()
		return nil, err
	}
	// The command service sees plaintext; the store holds personal data
	// only sealed.
	a.Commands = command.New(d.PII.Store(d.Store), numbering.NewBlocks(d.IDs, 0), command.Config{Committed: a.Relay.Nudge, Screener: list, Shredder: d.Keys})
	a.Timers, err = timer.New(d.Pool, d.Store, a.Commands, timer.Config{Interval: cfg.TimerInterval, Lease: cfg.TimerLease, Logger: cfg.Logger})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Spellings = contracts.NewSpellings(d.Pool, cfg.Logger)
	a.API = api.New(api.Config{
		Auth:       d.Tokens,
		Commands:   a.Commands,
		Reads:      a.Projections,
		DB:         d.Pool,
		Spellings:  a.Spellings,
		Logger:     cfg.Logger,
		StaleAfter: cfg.StaleAfter,
		Waits:      d.Waits,
		Refusals:   activity.NewRefusals(d.Pool),
		RateLimit:  cfg.RateLimit,
		Holidays:   holidays,
		Topology:   cfg.Topology,
		Ready: map[string]api.Check{
			"postgres":   func(ctx context.Context) error { return d.Pool.Ping(ctx) },
			"migrations": func(ctx context.Context) error { return migrated(ctx, d.Store) },
			"nats": func(ctx context.Context) error {
				if !a.NATS.IsConnected() {
					return errors.New("not connected")
				}
				return a.NATS.FlushWithContext(ctx)
			},
		},

		// The event feed reads the store itself.
		Events:        d.Store,
		FeedPoll:      cfg.FeedPoll,
		FeedHeartbeat: cfg.FeedHeartbeat,
	})
	return a, nil
}

func migrated(ctx context.Context, s *eventstore.Store) error {
	ok, err := s.Migrated(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("migrations pending")
	}
	return nil
}

// Run serves HTTP and runs the relay and the projectors until ctx ends,
// then stops cleanly: the HTTP server drains, the relay and projectors
// finish or abandon their current batch in its transaction (nothing half
// applied, no checkpoint lost). ready, if not nil, is called with the
// listening address once the server accepts connections; the server speaks
// HTTPS when the configuration has a certificate (TLS reports which).
func (a *App) Run(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with --addr)", a.cfg.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler:           a.API,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		// Past it Go answers 431 itself; a bearer token and the usual
		// headers take well under 1 KiB (api.MaxHeaderBytes says why it
		// is larger).
		MaxHeaderBytes: api.MaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(a.cfg.Logger.Handler(), slog.LevelWarn),
	}
	// Following event feeds never end by themselves: Shutdown ends them.
	srv.RegisterOnShutdown(a.API.StopStreams)
	if a.tlsConfig != nil {
		// The listener, not ServeTLS: the configuration is loaded once, in
		// Open, where a bad file is reported before anything connects.
		srv.TLSConfig = a.tlsConfig.Clone()
		srv.TLSConfig.NextProtos = []string{"h2", "http/1.1"}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	bg, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(bg); err != nil && !errors.Is(err, context.Canceled) {
				errs <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	run("relay", a.Relay.Run)
	run("projections", a.Projections.Run)
	run("tokens", a.Tokens.Watch)
	run("timers", a.Timers.Run)
	run("spellings", a.Spellings.Run)
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errs:
	case err := <-httpDone:
		if !errors.Is(err, http.ErrServerClosed) {
			runErr = err
		}
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		a.cfg.Logger.Warn("http shutdown", "error", err)
	}
	stop()
	wg.Wait()
	return runErr
}

// TLS reports whether Run serves HTTPS.
func (a *App) TLS() bool { return a.tlsConfig != nil }

// Close releases NATS and PostgreSQL.
func (a *App) Close() {
	if a.NATS != nil {
		a.NATS.Drain()
		a.NATS.Close()
	}
	if a.embedded != nil {
		a.embedded.Shutdown()
		a.embedded.WaitForShutdown()
	}
	if a.DB != nil {
		a.DB.Close()
	}
}
