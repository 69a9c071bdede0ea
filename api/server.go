package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/calendar"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/projections"
	"github.com/channeldesk/channeldesk/projections/activity"
	"github.com/channeldesk/channeldesk/projections/contracts"
)

// Authenticator turns a bearer token into a principal.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (domain.Principal, error)
}

// ReadModels reports on projections and waits for them.
type ReadModels interface {
	WaitFor(ctx context.Context, pos eventstore.Position, names ...string) error
	Status(ctx context.Context) ([]projections.Status, error)
}

// Check is a readiness probe: nil when the dependency is usable.
type Check func(ctx context.Context) error

// Config holds the server's dependencies.
type Config struct {
	Auth     Authenticator
	Commands *command.Service
	Reads    ReadModels
	// DB answers queries against the read models.
	DB *pgxpool.Pool
	// Spellings scores the close spellings of contract and VAT searches
	// in memory (nil: PostgreSQL's trigram index does); kept fresh by its
	// owner (Spellings.Run).
	Spellings *contracts.Spellings
	// Ready lists the readiness checks of /readyz by name.
	Ready  map[string]Check
	Logger *slog.Logger
	// StaleAfter bounds the wait for min_position (default 5s).
	StaleAfter time.Duration
	// Waits keeps the 6-hour wait of principals denied by an embargo hold;
	// without it denials carry no retry_after.
	Waits EmbargoWaits
	// Refusals records the commands that were refused or denied in the
	// activity log (accepted ones are projected from their events);
	// without it they are not recorded.
	Refusals RefusalLog
	// RateLimit is each caller's token bucket (zero: the defaults).
	RateLimit RateLimit
	// Holidays is the business calendar of the case SLA (the one the
	// licenses projection reckons resolution targets with); nil counts
	// weekends only.
	Holidays *calendar.Calendar
	// Topology is the NATS stream and subject prefix the relay publishes
	// under, as GET /asyncapi.json describes them (zero: broker.Default).
	Topology broker.Topology
	// Events is the event store GET /v1/events reads; FeedPoll how long a
	// follower waits to read again once caught up (default 250ms),
	// FeedHeartbeat how often an idle Server-Sent Events stream sends a
	// comment (default 15s).
	Events        EventFeed
	FeedPoll      time.Duration
	FeedHeartbeat time.Duration
}

// RefusalLog records commands that left no event (activity.Refusals).
type RefusalLog interface {
	Record(ctx context.Context, r activity.Refusal) error
}

// Server is the HTTP API. It is safe for concurrent use.
type Server struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler
	metrics *metrics
	// limiter is nil when rate limiting is off.
	limiter *rateLimiter
	// stop is closed by StopStreams: following feeds end.
	stop     chan struct{}
	stopOnce sync.Once
	// catalog upcasts the feed's events for shape=current.
	catalog *catalog.Catalog
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 5 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Logger, catalog: catalog.New(), metrics: newMetrics(cfg.Reads), limiter: newRateLimiter(cfg.RateLimit, cfg.Auth, time.Now),
		stop: make(chan struct{})}
	if s.limiter != nil {
		s.metrics.registry.MustRegister(s.limiter.limited)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	// Counts and timings only, no customer data: served without a token,
	// as /healthz, for the scraper.
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.Handle("POST /v1/accounts", s.command("POST /v1/accounts", s.registerAccount))
	mux.Handle("POST /v1/accounts/{id}/rename", s.command("POST /v1/accounts/{id}/rename", s.renameCompany))
	mux.Handle("GET /v1/accounts/{id}", s.authed(s.getAccount))
	mux.Handle("GET /v1/customers", s.authed(s.listCustomers))
	mux.Handle("GET /v1/customers/export", s.authed(s.exportCustomers))
	mux.Handle("GET /v1/activity", s.authed(s.listActivity))
	mux.Handle("GET /v1/activity/export", s.authed(s.exportActivity))
	mux.Handle("GET /v1/projections", s.authed(s.listProjections))
	mux.Handle("GET /v1/events", s.authed(s.eventFeed))
	s.accountRoutes(mux)
	s.businessRoutes(mux)
	s.orderQueries(mux)
	s.contractQueries(mux)
	s.licenseQueries(mux)
	s.openAPIRoutes(mux)
	s.asyncAPIRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeProblem(w, r, &requestError{status: http.StatusNotFound, detail: "no such endpoint: " + r.Method + " " + r.URL.Path})
	})
	// Cheap refusals first: the request line's limits need no lookup, the
	// rate limit may authenticate a token it does not know yet.
	s.handler = s.recoverer(s.correlate(s.limits(s.rateLimit(mux, s.methodNotAllowed(mux)))))
	return s
}

// StopStreams ends every following GET /v1/events stream (now and
// later), so that a graceful shutdown (http.Server.RegisterOnShutdown) is
// not held up by clients that never hang up. Idempotent.
func (s *Server) StopStreams() { s.stopOnce.Do(func() { close(s.stop) }) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

type ctxKey int

const (
	keyCorrelation ctxKey = iota
	keyPrincipal
	keyOperation
)

func correlationID(ctx context.Context) string {
	id, _ := ctx.Value(keyCorrelation).(string)
	return id
}

func principal(ctx context.Context) domain.Principal {
	p, _ := ctx.Value(keyPrincipal).(domain.Principal)
	return p
}

// recoverer turns a panic into a 500 problem; no panic reaches a client.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "panic", fmt.Sprint(v), "path", logPath(r.URL.Path), "stack", string(debug.Stack()))
				s.writeProblem(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// correlate accepts X-Correlation-ID (or generates one) and echoes it.
func (s *Server) correlate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Correlation-ID")
		if !validCorrelationID(id) {
			id = uuid.Must(uuid.NewV7()).String()
		}
		w.Header().Set("X-Correlation-ID", id)
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		// The mux records the matched pattern in this request (Pattern).
		rr := r.WithContext(context.WithValue(r.Context(), keyCorrelation, id))
		defer func() { s.metrics.observe(rr, sw.status, time.Since(start)) }()
		next.ServeHTTP(sw, rr)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("method", r.Method), slog.String("path", logPath(r.URL.Path)),
			slog.Int("status", sw.status), slog.Duration("took", time.Since(start)), slog.String("correlation_id", id))
	})
}

// validCorrelationID accepts 1-128 characters of letters, digits and
// -_.:; anything else is replaced by a generated ID, and so is what may be
// a bearer token sent by mistake (the ID is logged and recorded).
func validCorrelationID(id string) bool {
	if id == "" || len(id) > 128 || looksLikeToken(id) {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (flushes and
// write deadlines of streamed answers).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// methodNotAllowed turns the mux's plain-text 405 into a problem.
func (s *Server) methodNotAllowed(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		if pattern == "" || pattern == "/" {
			probe := r.Clone(r.Context())
			for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
				probe.Method = m
				if _, p := mux.Handler(probe); p != "" && p != "/" {
					w.Header().Set("Allow", m)
					s.writeProblem(w, r, &requestError{status: http.StatusMethodNotAllowed, detail: r.Method + " is not allowed on " + r.URL.Path})
					return
				}
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// authed requires a valid bearer token, refuses a principal under an
// embargo hold (admit) and puts the principal in the request context.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return s.authedFor(h, "")
}

// command is authed for a handler that runs a command through the command
// service: the hold is checked from the service's state cache first and
// again within the command (a hold found there is denied the same way).
//
// pattern is the route's: it names the operation (api/operations.go) that
// the command's events and the activity log record.
func (s *Server) command(pattern string, h func(http.ResponseWriter, *http.Request) error) http.Handler {
	op := operation(pattern)
	return s.authedFor(func(w http.ResponseWriter, r *http.Request) error {
		return h(w, r.WithContext(context.WithValue(r.Context(), keyOperation, op)))
	}, op)
}

// authed requires a valid bearer token, refuses a principal under an
// embargo hold and puts the principal in the request context. op is the
// operation of a command route ("" for a query): its hold check may use the
// command service's cache, and a refusal or denial is recorded in the
// activity log.
func (s *Server) authedFor(h func(http.ResponseWriter, *http.Request) error, op string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(authz, "Bearer ")
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="channeldesk"`)
			s.writeProblem(w, r, errUnauthenticated)
			return
		}
		p, err := s.cfg.Auth.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="channeldesk", error="invalid_token"`)
			s.writeProblem(w, r, err)
			return
		}
		if err := s.admit(r.Context(), p, op != ""); err != nil {
			s.refused(r, p, op, err)
			s.writeProblem(w, r, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), keyPrincipal, p))
		err = h(w, r)
		var held *command.HoldError
		if errors.As(err, &held) {
			err = s.deny(r.Context(), p, held.Hold)
		}
		if err != nil {
			if op != "" {
				s.refused(r, p, op, err)
			}
			s.writeProblem(w, r, err)
		}
	})
}

// meta builds a command's metadata from the request.
func meta(r *http.Request, body []byte) (command.Meta, error) {
	op, _ := r.Context().Value(keyOperation).(string)
	m := command.Meta{
		Principal:     principal(r.Context()),
		CorrelationID: correlationID(r.Context()),
		ClientIP:      clientIP(r),
		Operation:     op,
		UserAgent:     userAgent(r),
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if len(key) > 200 || !printableASCII(key) {
			return m, badRequest("Idempotency-Key must be 1-200 printable ASCII characters",
				domain.FieldProblem{Field: "Idempotency-Key", Message: "1-200 printable ASCII characters"})
		}
		sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
		m.IdempotencyKey, m.RequestHash = key, hex.EncodeToString(sum[:])
	}
	return m, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// maxUserAgent bounds the user agent a command records.
const maxUserAgent = 256

// userAgent is the request's User-Agent as recorded: cut to maxUserAgent
// bytes at a character boundary, control characters dropped.
func userAgent(r *http.Request) string {
	ua := strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return -1
		}
		return c
	}, strings.ToValidUTF8(r.UserAgent(), ""))
	for len(ua) > maxUserAgent {
		_, size := utf8.DecodeLastRuneInString(ua)
		ua = ua[:len(ua)-size]
	}
	return ua
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	status := http.StatusOK
	for name, check := range s.cfg.Ready {
		if err := check(ctx); err != nil {
			checks[name] = err.Error()
			status = http.StatusServiceUnavailable
		} else {
			checks[name] = "ok"
		}
	}
	word := "ready"
	if status != http.StatusOK {
		word = "not ready"
	}
	writeJSON(w, status, map[string]any{"status": word, "checks": checks})
}
