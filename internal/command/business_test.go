package command_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/numbering"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

// racingAccountStore lets another writer tag account `racer` just before
// each of the first `races` appends that issue licenses, as a concurrent
// request on the owner's account would.
type racingAccountStore struct {
	*eventstore.Store
	racer    string
	races    int32
	raced    atomic.Int32
	appended atomic.Int32
}

func (r *racingAccountStore) Append(ctx context.Context, s []eventstore.StreamAppend, md eventstore.Metadata, opts ...eventstore.AppendOption) ([]eventstore.Event, error) {
	r.appended.Add(1)
	issuesLicenses := false
	for _, sa := range s {
		issuesLicenses = issuesLicenses || strings.HasPrefix(sa.StreamID, "license-")
	}
	if issuesLicenses && r.raced.Add(1) <= r.races {
		if err := appendDirect(ctx, r.Store, account.StreamID(r.racer), account.AccountTagged{AccountID: r.racer, Tag: "raced-" + uuid.NewString()[:8]}); err != nil {
			return nil, err
		}
	}
	return r.Store.Append(ctx, s, md, opts...)
}

// appendDirect appends events to a stream at its current version, as
// another writer would.
func appendDirect(ctx context.Context, store *eventstore.Store, stream string, evs ...domain.Event) error {
	cur, err := store.Load(ctx, stream)
	if err != nil {
		return err
	}
	sa := eventstore.StreamAppend{StreamID: stream, ExpectedVersion: int64(len(cur))}
	for _, e := range evs {
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		sa.Events = append(sa.Events, eventstore.NewEvent{ID: uuid.Must(uuid.NewV7()), Type: e.EventType(), SchemaVersion: e.SchemaVersion(), Data: data, OccurredAt: time.Now()})
	}
	_, err = store.Append(ctx, []eventstore.StreamAppend{sa}, eventstore.Metadata{Actor: "staff:racer"})
	return err
}

func businessSetup(t *testing.T) (*pgxpool.Pool, *eventstore.Store, *numbering.Allocator, string) {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(t, 4)
	store, ids := eventstore.New(pool), numbering.New(pool)
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ids.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := command.New(store, ids, command.Config{}).RegisterAccount(ctx, command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}, command.RegisterAccountInput{
		Name: "Acme Widgets GmbH", PrimaryDomain: "acme.example", Address: account.Address{Country: "DE"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return pool, store, ids, res.ID
}

// submitted registers an active reseller and submits an order of one line
// per quantity for customer, by staff on the reseller's behalf.
func submitted(t *testing.T, svc *command.Service, customer string, quantities ...int) string {
	t.Helper()
	admin := command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}
	reseller, err := svc.RegisterPartner(context.Background(), admin, command.RegisterPartnerInput{Name: "Reseller " + uuid.NewString()[:8],
		Kinds: []string{partner.KindResellerIndirect}, Address: partner.Address{Country: "DE"}, Status: domain.PartnerActive})
	if err != nil {
		t.Fatal(err)
	}
	in := command.SubmitOrderInput{PONumber: "PO-" + uuid.NewString()[:8], PODate: "2024-06-01", OrderType: order.TypeNew, Catalog: order.CatalogSoftware,
		CustomerAccountID: customer, PartnerID: reseller.ID}
	for _, q := range quantities {
		in.Lines = append(in.Lines, order.Line{SKU: "WS-ENT", Product: "Workspace", Edition: "Enterprise", Quantity: q, UnitPriceMinor: 1000, Currency: "EUR"})
	}
	res, err := svc.SubmitOrder(context.Background(), admin, in)
	if err != nil {
		t.Fatal(err)
	}
	return res.ID
}

func countEvents(t *testing.T, pool *pgxpool.Pool, where string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE `+where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFulfilmentIsOneAppend: a fulfilment whose owner account moves under
// it on every attempt fails as a conflict and leaves no event on any
// stream (no order.fulfilled, no license, no invoice, no link); one that
// loses a single race is decided again and appended once, with the license
// IDs and invoice number drawn only once.
func TestFulfilmentIsOneAppend(t *testing.T) {
	t.Parallel()
	pool, store, ids, customer := businessSetup(t)
	ctx := context.Background()
	admin := command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}
	number := submitted(t, command.New(store, ids, command.Config{}), customer, 10, 20)

	always := &racingAccountStore{Store: store, racer: customer, races: 1 << 20}
	_, err := command.New(always, ids, command.Config{MaxAttempts: 3}).FulfilOrder(ctx, admin, number, command.FulfilOrderInput{})
	if !errors.Is(err, eventstore.ErrConflict) || always.raced.Load() != 3 {
		t.Fatalf("want a conflict after 3 attempts, got %v after %d", err, always.raced.Load())
	}
	if n := countEvents(t, pool, `category IN ('license', 'invoice') OR event_type IN ('order.fulfilled', 'account.license_attached')`); n != 0 {
		t.Fatalf("a failed fulfilment left %d events", n)
	}

	once := &racingAccountStore{Store: store, racer: customer, races: 1}
	res, err := command.New(once, ids, command.Config{}).FulfilOrder(ctx, admin, number, command.FulfilOrderInput{})
	if err != nil || once.appended.Load() != 2 {
		t.Fatalf("fulfil after one race: %+v %v (%d appends)", res, err, once.appended.Load())
	}
	var types []string
	for _, e := range res.Events {
		types = append(types, e.Type)
	}
	want := "order.fulfilled license.issued license.issued invoice.issued account.license_attached account.license_attached"
	if strings.Join(types, " ") != want || res.Version != 2 || res.Stream != order.StreamID(number) {
		t.Fatalf("answer %+v", res)
	}
	// The numbers drawn on the first, refused-by-conflict attempts were
	// kept for the retries within that command only; the successful
	// command drew its own once.
	evs, _ := store.Load(ctx, order.StreamID(number))
	var f order.Fulfilled
	if err := json.Unmarshal(evs[len(evs)-1].Data, &f); err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.LicenseIDs, ",") != "LIC-0000003,LIC-0000004" || f.InvoiceNumber != "INV-0000002" {
		t.Fatalf("fulfilled with %v and %s", f.LicenseIDs, f.InvoiceNumber)
	}
	if n := countEvents(t, pool, `event_type = 'account.license_attached'`); n != 2 {
		t.Fatalf("%d licenses attached", n)
	}
}

// TestSplitIsOneAppend: a split whose owner account moves under it on
// every attempt leaves the license whole and no part anywhere.
func TestSplitIsOneAppend(t *testing.T) {
	t.Parallel()
	pool, store, ids, customer := businessSetup(t)
	ctx := context.Background()
	admin := command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}
	svc := command.New(store, ids, command.Config{})
	number := submitted(t, svc, customer, 10)
	if _, err := svc.FulfilOrder(ctx, admin, number, command.FulfilOrderInput{}); err != nil {
		t.Fatal(err)
	}
	before := countEvents(t, pool, `true`)
	in := command.SplitLicenseInput{Parts: []command.SplitPartInput{{Quantity: 4}, {Quantity: 6}},
		EmailAuthorisation: license.EmailAuthorisation{From: "it@acme.example", Reference: "MSG-7"}}

	always := &racingAccountStore{Store: store, racer: customer, races: 1 << 20}
	_, err := command.New(always, ids, command.Config{MaxAttempts: 2}).SplitLicense(ctx, admin, "LIC-0000001", in)
	if !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("want a conflict, got %v", err)
	}
	if n := countEvents(t, pool, `category <> 'account' OR event_type <> 'account.tagged'`); n != before {
		t.Fatalf("a failed split left %d events", n-before)
	}
	evs, _ := store.Load(ctx, license.StreamID("LIC-0000001"))
	if len(evs) != 1 {
		t.Fatalf("the original license has %d events", len(evs))
	}

	res, err := svc.SplitLicense(ctx, admin, "LIC-0000001", in)
	if err != nil || len(res.Events) != 7 || res.Version != 3 {
		t.Fatalf("split: %+v %v", res, err)
	}
	acct, _ := store.Load(ctx, account.StreamID(customer))
	last := acct[len(acct)-3:]
	if last[0].Type != "account.license_detached" || last[1].Type != "account.license_attached" || last[2].Type != "account.license_attached" {
		t.Fatalf("account stream ends with %s %s %s", last[0].Type, last[1].Type, last[2].Type)
	}
}

// countingStore counts the streams loaded and lets another writer run
// before the first append.
type countingStore struct {
	*eventstore.Store
	loads    atomic.Int32 // round trips
	streams  atomic.Int32 // streams read
	appended atomic.Int32
	before   func(ctx context.Context) error // before the first append
}

func (c *countingStore) Load(ctx context.Context, streamID string) ([]eventstore.Event, error) {
	c.loads.Add(1)
	c.streams.Add(1)
	return c.Store.Load(ctx, streamID)
}

func (c *countingStore) LoadMany(ctx context.Context, streamIDs []string) (map[string][]eventstore.Event, error) {
	c.loads.Add(1)
	c.streams.Add(int32(len(streamIDs)))
	return c.Store.LoadMany(ctx, streamIDs)
}

func (c *countingStore) Append(ctx context.Context, s []eventstore.StreamAppend, md eventstore.Metadata, opts ...eventstore.AppendOption) ([]eventstore.Event, error) {
	if c.appended.Add(1) == 1 && c.before != nil {
		if err := c.before(ctx); err != nil {
			return nil, err
		}
	}
	return c.Store.Append(ctx, s, md, opts...)
}

// TestCreateDecidesOnWhatItsProbeRead: a command that creates under a
// drawn number is first decided with a placeholder (so that a refusal
// draws none); the decision with the number drawn reuses what that look
// read instead of loading the facts again, and a fact that moved in
// between is caught by the append's version checks: the partner expires
// after the look, the append conflicts, and the order decided again on
// the fresh partner is refused. Nothing of it is recorded.
func TestCreateDecidesOnWhatItsProbeRead(t *testing.T) {
	t.Parallel()
	pool, store, ids, customer := businessSetup(t)
	ctx := context.Background()
	admin := command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}
	reseller, err := command.New(store, ids, command.Config{}).RegisterPartner(ctx, admin, command.RegisterPartnerInput{Name: "Reseller Probe GmbH",
		Kinds: []string{partner.KindResellerIndirect}, Address: partner.Address{Country: "DE"}, Status: domain.PartnerActive})
	if err != nil {
		t.Fatal(err)
	}
	in := func(po string) command.SubmitOrderInput {
		return command.SubmitOrderInput{PONumber: po, PODate: "2024-06-01", OrderType: order.TypeNew, Catalog: order.CatalogSoftware,
			CustomerAccountID: customer, PartnerID: reseller.ID,
			Lines: []order.Line{{SKU: "WS-ENT", Product: "Workspace", Edition: "Enterprise", Quantity: 5, UnitPriceMinor: 1000, Currency: "EUR"}}}
	}

	// The customer and the partner are read once, in one round trip; the
	// PO reservation is taken to be new (the append proves it). A second
	// order on the same service reads nothing: the states are cached.
	counted := &countingStore{Store: store}
	warm := command.New(counted, ids, command.Config{CacheCheck: command.CheckNever})
	if _, err := warm.SubmitOrder(ctx, admin, in("PO-1")); err != nil {
		t.Fatal(err)
	}
	if n, trips := counted.streams.Load(), counted.loads.Load(); n != 2 || trips != 1 {
		t.Fatalf("%d streams loaded in %d round trips, want 2 (customer, partner), each once, in 1", n, trips)
	}
	if _, err := warm.SubmitOrder(ctx, admin, in("PO-1b")); err != nil {
		t.Fatal(err)
	}
	if n := counted.streams.Load(); n != 2 {
		t.Fatalf("the second order read %d streams, want none", n-2)
	}
	// The same PO again: the reservation, taken to be new, conflicts at
	// the append, and the order decided again from the store is refused.
	if _, err := warm.SubmitOrder(ctx, admin, in("po-1")); !errors.Is(err, domain.ErrDuplicate) {
		t.Fatalf("the same PO again: %v, want a duplicate", err)
	}

	before := countEvents(t, pool, `true`)
	racing := &countingStore{Store: store, before: func(ctx context.Context) error {
		_, err := command.New(store, ids, command.Config{}).ChangePartnerStatus(ctx, admin, reseller.ID,
			command.ChangePartnerStatusInput{Status: domain.PartnerExpired, Reason: "contract ended"})
		return err
	}}
	_, err = command.New(racing, ids, command.Config{}).SubmitOrder(ctx, admin, in("PO-2"))
	if !errors.Is(err, domain.ErrRuleViolation) || !strings.Contains(err.Error(), "order.partner_inactive") {
		t.Fatalf("want order.partner_inactive after the partner expired, got %v", err)
	}
	if n := countEvents(t, pool, `true`); n != before+1 {
		t.Fatalf("%d events recorded, want only the status change", n-before)
	}
}

// TestCachedStateOfAnotherInstanceIsNeverTrusted: two instances of the
// service share one store, and each caches the states it read. A partner
// that instance B expires is refused by instance A although A cached it
// active (the append's check of the partner's version conflicts and A
// decides again from the store); reactivated by B, it is accepted by A
// although A cached it expired (a refusal on a cached state is decided
// again from the store before it is answered).
func TestCachedStateOfAnotherInstanceIsNeverTrusted(t *testing.T) {
	t.Parallel()
	pool, store, ids, customer := businessSetup(t)
	ctx := context.Background()
	admin := command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}
	a := command.New(store, ids, command.Config{CacheCheck: command.CheckNever})
	b := command.New(store, ids, command.Config{CacheCheck: command.CheckNever})
	reseller, err := b.RegisterPartner(ctx, admin, command.RegisterPartnerInput{Name: "Reseller Two Instances GmbH",
		Kinds: []string{partner.KindResellerIndirect}, Address: partner.Address{Country: "DE"}, Status: domain.PartnerActive})
	if err != nil {
		t.Fatal(err)
	}
	order := func(po string) command.SubmitOrderInput {
		return command.SubmitOrderInput{PONumber: po, PODate: "2024-06-01", OrderType: order.TypeNew, Catalog: order.CatalogSoftware,
			CustomerAccountID: customer, PartnerID: reseller.ID,
			Lines: []order.Line{{SKU: "WS-ENT", Product: "Workspace", Edition: "Enterprise", Quantity: 5, UnitPriceMinor: 1000, Currency: "EUR"}}}
	}
	status := func(s string) {
		t.Helper()
		if _, err := b.ChangePartnerStatus(ctx, admin, reseller.ID, command.ChangePartnerStatusInput{Status: s, Reason: "program review"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.SubmitOrder(ctx, admin, order("PO-1")); err != nil {
		t.Fatal(err)
	}
	status(domain.PartnerExpired)
	before := countEvents(t, pool, `true`)
	if _, err := a.SubmitOrder(ctx, admin, order("PO-2")); !errors.Is(err, domain.ErrRuleViolation) || !strings.Contains(err.Error(), "order.partner_inactive") {
		t.Fatalf("instance A, partner expired by B: %v, want order.partner_inactive", err)
	}
	if n := countEvents(t, pool, `true`); n != before {
		t.Fatalf("a refused order recorded %d events", n-before)
	}
	status(domain.PartnerActive)
	if _, err := a.SubmitOrder(ctx, admin, order("PO-3")); err != nil {
		t.Fatalf("instance A, partner reactivated by B: %v", err)
	}
}
