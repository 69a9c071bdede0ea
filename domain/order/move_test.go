package order_test

import (
	"reflect"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/domaintest"
	"github.com/channeldesk/channeldesk/domain/order"
)

// moving is a command that stands for Move, so that the merge runs through
// the same Given/When/Then checks as Decide.
type moving struct {
	To string
	By domain.Actor
}

func TestMove(t *testing.T) {
	mover := domaintest.Aggregate[order.State, moving]{
		Evolve: order.Evolve,
		Decide: func(s order.State, m moving) ([]domain.Event, error) { return order.Move(s, m.To, m.By, at) },
	}
	moved := func(from string) domaintest.Then {
		return events(order.CustomerChanged{OrderNumber: orderNo, FromAccountID: from, ToAccountID: targetID, Reason: order.ReasonMerge})
	}
	refused := func(name string, a domain.Actor) domaintest.Scenario[order.State, moving] {
		return domaintest.Scenario[order.State, moving]{Name: "MergeAccounts/who: " + name, Given: placed(), When: moving{To: targetID, By: a}, Then: fails(domain.ErrForbidden)}
	}
	domaintest.RunAll(t, mover, []domaintest.Scenario[order.State, moving]{
		{Name: "MergeAccounts/the customer's orders answer under the target account", Given: placed(),
			When: moving{To: targetID, By: admin}, Then: moved(customerID)},
		{Name: "MergeAccounts/support staff merge too", Given: placed(), When: moving{To: targetID, By: support}, Then: moved(customerID)},
		{Name: "MergeAccounts/a fulfilled order moves too: it is the account's history", Given: append(placed(), fulfilledEvent()),
			When: moving{To: targetID, By: admin}, Then: moved(customerID)},
		{Name: "MergeAccounts/a cancelled order moves too: it is the account's history",
			Given: append(placed(), order.Cancelled{OrderNumber: orderNo, Reason: "x"}), When: moving{To: targetID, By: admin}, Then: moved(customerID)},
		{Name: "MergeAccounts/an order moved by an earlier merge moves on from where it is",
			Given: append(placed(), order.CustomerChanged{OrderNumber: orderNo, FromAccountID: customerID, ToAccountID: "111111AA", Reason: order.ReasonMerge}),
			When:  moving{To: targetID, By: admin}, Then: moved("111111AA")},

		refused("the submitting partner does not merge", reseller),
		refused("the customer does not merge", customer),
		refused("an auditor does not merge", auditor),
		refused("compliance does not merge", compliance),
		refused("an integration does not merge", integration),
		refused("staff without roles do not merge", noRoles),
		refused("the zero actor does not merge", domain.Actor{}),
		{Name: "MergeAccounts/who: checked before the order is looked at", When: moving{To: targetID, By: reseller}, Then: fails(domain.ErrForbidden)},

		{Name: "MergeAccounts/the target is required", Given: placed(), When: moving{By: admin}, Then: invalid("to_account_id")},
		{Name: "MergeAccounts/the target is an account ID", Given: placed(), When: moving{To: "654321ab", By: admin}, Then: invalid("to_account_id")},
		{Name: "MergeAccounts/an unknown order is not found", When: moving{To: targetID, By: admin}, Then: fails(domain.ErrNotFound)},
		{Name: "MergeAccounts/merging into the order's own customer is refused", Given: placed(),
			When: moving{To: customerID, By: admin}, Then: rule("order.customer_unchanged")},
	})
}

func TestEvolveCustomerChanged(t *testing.T) {
	fold := func(given ...domain.Event) order.State { return domaintest.Fold(aggregate, given, nil) }
	before := fold(submitted(), fulfilledEvent())
	after := fold(submitted(), fulfilledEvent(),
		order.CustomerChanged{OrderNumber: orderNo, FromAccountID: customerID, ToAccountID: targetID, Reason: order.ReasonMerge})
	// Only the customer changes: the partner, the distributor and the
	// account the licenses and invoice were issued to stay.
	want := before
	want.CustomerAccountID = targetID
	if !reflect.DeepEqual(after, want) || after.OwnerAccountID != customerID {
		t.Fatalf("after the move:\n got %#v\nwant %#v", after, want)
	}
}
