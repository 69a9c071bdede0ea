package command_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/pgtest"
	"github.com/channeldesk/channeldesk/internal/pii"
)

// failingShredder fails every destruction.
type failingShredder struct{}

func (failingShredder) Destroy(context.Context, string) error {
	return errors.New("key store unreachable")
}

// TestForgetContactDestroysTheKey: through the sealing store, the contact's
// personal data reaches the store only sealed; ForgetContact records its
// event and destroys the key, after which the state (cached or read again,
// checked against each other) holds no personal value — its email is free
// again; a service without a key store refuses to forget; a destruction
// that failed after the append is completed by asking again.
func TestForgetContactDestroysTheKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, ids, acct := setup(t)
	keys := pii.NewKeys(pgtest.Pool(t, 2))
	if err := keys.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	codec := pii.New(keys)
	admin := command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}
	svc := command.New(codec.Store(store), ids, command.Config{Shredder: keys, CacheCheck: command.CheckAlways})
	person := command.AddContactInput{Name: "Hedwig Hidden", Email: "hedwig@acme.example", Phone: "+49 89 5550100",
		Roles: []string{account.RoleBilling}, Access: account.AccessRestricted}
	res, err := svc.AddContact(ctx, admin, acct, person)
	if err != nil {
		t.Fatal(err)
	}
	contact := res.ID
	raw, err := store.Load(ctx, account.StreamID(acct))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range raw {
		for _, v := range []string{person.Name, person.Email, person.Phone} {
			if strings.Contains(string(e.Data), v) {
				t.Fatalf("%s stored with %q in plaintext: %s", e.Type, v, e.Data)
			}
		}
	}

	if _, err := command.New(codec.Store(store), ids, command.Config{}).ForgetContact(ctx, admin, acct, contact); !errors.Is(err, command.ErrNoShredder) {
		t.Fatalf("without a key store: want ErrNoShredder, got %v", err)
	}
	if _, err := command.New(codec.Store(store), ids, command.Config{Shredder: failingShredder{}}).ForgetContact(ctx, admin, acct, contact); err == nil {
		t.Fatal("a failed key destruction was reported as done")
	}
	if k, _ := keys.Keys(ctx, []string{contact}); k[contact] == nil {
		t.Fatal("the failing shredder destroyed the key")
	}
	// Asking again completes it: the contact is forgotten already (rule),
	// and the key is destroyed now.
	_, err = svc.ForgetContact(ctx, admin, acct, contact)
	var rule *domain.RuleError
	if !errors.As(err, &rule) || rule.Rule != "account.contact_forgotten" {
		t.Fatalf("forget again: want account.contact_forgotten, got %v", err)
	}
	if k, _ := keys.Keys(ctx, []string{contact}); k[contact] != nil {
		t.Fatal("asking again did not destroy the key")
	}

	// The cached state, evolved by the forget, is what a read of the
	// store gives (CheckAlways compares them at the next command).
	if _, err := svc.TagAccount(ctx, admin, acct, command.TagAccountInput{Tag: "forgetful"}); err != nil {
		t.Fatal(err)
	}
	// A state read afresh holds no personal value: the email is free
	// again.
	again := person
	again.Name = "Another Person"
	if _, err := command.New(codec.Store(store), ids, command.Config{Shredder: keys}).AddContact(ctx, admin, acct, again); err != nil {
		t.Fatalf("the forgotten contact's email is still taken: %v", err)
	}
}
