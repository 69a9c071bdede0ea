package command_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/numbering"
)

// drawCounter counts the numbers drawn of each kind.
type drawCounter struct {
	command.IDs
	invoices, orders atomic.Int32
}

func (d *drawCounter) Next(ctx context.Context, k numbering.Kind, n int) ([]string, error) {
	switch k {
	case numbering.Invoice:
		d.invoices.Add(int32(n))
	case numbering.Order:
		d.orders.Add(int32(n))
	}
	return d.IDs.Next(ctx, k, n)
}

// TestStaleCachedOrderFulfilmentIsRefused: instance A cached an order (it
// submitted it); instance B fulfils it. A fulfilment of the same order on A
// is decided on A's stale state, conflicts at the append and is refused on
// the store's state (already fulfilled): nothing is recorded, and at most
// the one invoice number drawn for the stale decision is left unused (the
// gap of a refused fulfilment, see FulfilOrder).
func TestStaleCachedOrderFulfilmentIsRefused(t *testing.T) {
	t.Parallel()
	pool, store, ids, customer := businessSetup(t)
	ctx := context.Background()
	admin := command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}
	counted := &drawCounter{IDs: ids}
	a := command.New(store, counted, command.Config{CacheCheck: command.CheckNever})
	b := command.New(store, ids, command.Config{CacheCheck: command.CheckNever})
	number := submitted(t, a, customer, 3)
	if _, err := b.FulfilOrder(ctx, admin, number, command.FulfilOrderInput{}); err != nil {
		t.Fatal(err)
	}
	before := countEvents(t, pool, `true`)
	_, err := a.FulfilOrder(ctx, admin, number, command.FulfilOrderInput{})
	if !errors.Is(err, domain.ErrRuleViolation) {
		t.Fatalf("the second fulfilment, on A: %v, want a refusal", err)
	}
	if n := countEvents(t, pool, `true`); n != before {
		t.Fatalf("the refused fulfilment recorded %d events", n-before)
	}
	if n := counted.invoices.Load(); n > 1 {
		t.Fatalf("a fulfilment refused (%v) drew %d invoice numbers, want at most the one of its stale decision", err, n)
	}
}

// TestDuplicatePOAcrossInstancesIsADuplicate: the PO reservation is taken
// to be new without a read (LoadNew); the same PO submitted at once on two
// instances, each several times, is accepted once and every other
// submission is refused as a duplicate (never a conflict or another
// error), with the state cache warm or cold.
func TestDuplicatePOAcrossInstancesIsADuplicate(t *testing.T) {
	t.Parallel()
	_, store, ids, customer := businessSetup(t)
	ctx := context.Background()
	admin := command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}
	a := command.New(store, ids, command.Config{CacheCheck: command.CheckNever})
	b := command.New(store, ids, command.Config{CacheCheck: command.CheckNever})
	reseller, err := a.RegisterPartner(ctx, admin, command.RegisterPartnerInput{Name: "Reseller Review GmbH",
		Kinds: []string{partner.KindResellerIndirect}, Address: partner.Address{Country: "DE"}, Status: domain.PartnerActive})
	if err != nil {
		t.Fatal(err)
	}
	in := func(po string) command.SubmitOrderInput {
		return command.SubmitOrderInput{PONumber: po, PODate: "2024-06-01", OrderType: order.TypeNew, Catalog: order.CatalogSoftware,
			CustomerAccountID: customer, PartnerID: reseller.ID,
			Lines: []order.Line{{SKU: "WS-ENT", Product: "Workspace", Edition: "Enterprise", Quantity: 1, UnitPriceMinor: 1000, Currency: "EUR"}}}
	}
	// Warm both caches with the customer and the partner.
	if _, err := a.SubmitOrder(ctx, admin, in("WARM-A")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SubmitOrder(ctx, admin, in("WARM-B")); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		po := "PO-RACE-" + string(rune('A'+round))
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			svc := a
			if i%2 == 1 {
				svc = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = svc.SubmitOrder(ctx, admin, in(po))
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, domain.ErrDuplicate):
			default:
				t.Errorf("%s: %v, want accepted or a duplicate", po, err)
			}
		}
		if ok != 1 {
			t.Errorf("%s accepted %d times, want once", po, ok)
		}
	}
}
