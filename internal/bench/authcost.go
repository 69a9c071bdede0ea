package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/channeldesk/channeldesk/api"
	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/internal/app"
	"github.com/channeldesk/channeldesk/internal/auth"
)

// Figure 7e (issue 5): what authentication and rate limiting cost a query.
// GET /v1/customers (a support agent's first page of 50) through HTTP by
// authClients clients, as the service serves it — the bearer token
// authenticated by the token registry (its cache kept by the LISTEN watch,
// as in serve) and charged to the caller's token bucket, at a limit no
// client reaches so that every request pays for the check but none is
// refused — against the same API on the same database with a fixed
// principal and no rate limiting. authRounds rounds of three times
// Sizes.Round each, alternating.

// authClients is how many HTTP clients figure 7e runs; authRounds how many
// rounds each side gets.
const (
	authClients = 8
	authRounds  = 3
)

// fixedPrincipal authenticates every request as p: the API without
// authentication.
type fixedPrincipal struct{ p domain.Principal }

func (f fixedPrincipal) Authenticate(context.Context, string) (domain.Principal, error) {
	return f.p, nil
}

func (e *env) authCost(ctx context.Context, url string) (Row, error) {
	dir, err := os.MkdirTemp("", "channeldesk-bench-auth-")
	if err != nil {
		return Row{}, err
	}
	defer os.RemoveAll(dir)
	a, err := app.Open(ctx, app.Config{DatabaseURL: url, EmbeddedNATSPort: -1, DataDir: dir, MaxConns: 2 * authClients,
		Logger: e.cfg.Logger, RateLimit: api.RateLimit{PerSecond: 1e9, Burst: 1 << 30}})
	if err != nil {
		return Row{}, err
	}
	defer a.Close()
	wctx, stopWatch := context.WithCancel(ctx)
	var watching sync.WaitGroup
	watching.Go(func() { _ = a.Tokens.Watch(wctx) })
	defer watching.Wait()
	defer stopWatch()

	staff := auth.Staff("bench", domain.RoleSupport)
	token, _, err := a.Tokens.Create(ctx, staff, time.Hour, "bench auth cost")
	if err != nil {
		return Row{}, err
	}
	bare := api.New(api.Config{Auth: fixedPrincipal{staff}, Commands: a.Commands, Reads: a.Projections, DB: a.Pool,
		Logger: e.cfg.Logger, RateLimit: api.RateLimit{PerSecond: -1}})
	serve := func(h http.Handler) (string, func(), error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		return "http://" + ln.Addr().String() + "/v1/customers?limit=50", func() { _ = srv.Close() }, nil
	}
	withURL, closeWith, err := serve(a.API)
	if err != nil {
		return Row{}, err
	}
	defer closeWith()
	bareURL, closeBare, err := serve(bare)
	if err != nil {
		return Row{}, err
	}
	defer closeBare()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: authClients}}
	round := func(url string) (float64, error) {
		var n atomic.Int64
		var first atomic.Value
		deadline := time.Now().Add(3 * e.sizes.Round)
		var wg sync.WaitGroup
		for range authClients {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
					req.Header.Set("Authorization", "Bearer "+token)
					resp, err := client.Do(req)
					if err == nil {
						_, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if err == nil && resp.StatusCode != http.StatusOK {
							err = fmt.Errorf("GET /v1/customers: %s", resp.Status)
						}
					}
					if err != nil {
						first.CompareAndSwap(nil, err)
						return
					}
					n.Add(1)
				}
			})
		}
		start := time.Now()
		wg.Wait()
		if err, _ := first.Load().(error); err != nil {
			return 0, err
		}
		return float64(n.Load()) / time.Since(start).Seconds(), nil
	}
	var with, without float64
	for range authRounds {
		w, err := round(withURL)
		if err != nil {
			return Row{}, err
		}
		b, err := round(bareURL)
		if err != nil {
			return Row{}, err
		}
		with, without = with+w/authRounds, without+b/authRounds
	}
	e.progress("  GET /v1/customers: %.0f requests/s authenticated and rate limited, %.0f without", with, without)
	return Row{Figure: "7. GET /v1/customers (page of 50), with authentication and rate limiting against without (context)",
		Ours: with, Raw: without, Unit: "requests/s"}, nil
}
