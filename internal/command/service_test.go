package command_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/auth"
	"github.com/channeldesk/channeldesk/internal/command"
	"github.com/channeldesk/channeldesk/internal/numbering"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

// racingStore lets another writer slip an event into the stream just before
// the first `races` appends, as a concurrent request would.
type racingStore struct {
	*eventstore.Store
	races    int32
	from, to string
	appended atomic.Int32
}

func (r *racingStore) Append(ctx context.Context, s []eventstore.StreamAppend, md eventstore.Metadata, opts ...eventstore.AppendOption) ([]eventstore.Event, error) {
	if r.appended.Add(1) <= r.races {
		// Another writer renames the company first.
		other := command.New(r.Store, nil, command.Config{})
		st := s[0].StreamID[len("account-"):]
		if _, err := other.RenameCompany(ctx, command.Meta{Principal: auth.Staff("other", domain.RoleAdmin)}, st, rename(r.from, r.to)); err != nil {
			return nil, err
		}
	}
	return r.Store.Append(ctx, s, md, opts...)
}

func rename(from, to string) command.RenameCompanyInput {
	return command.RenameCompanyInput{NewName: to, Evidence: account.RenameEvidence{
		EmailConfirmation: account.EmailConfirmation{From: "legal@acme.example", Reference: "m1"},
		Document:          account.Document{Kind: account.DocLegalDocument, Reference: "d1", OldName: from, NewName: to},
	}}
}

func setup(t *testing.T) (*eventstore.Store, *numbering.Allocator, string) {
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
	svc := command.New(store, ids, command.Config{})
	res, err := svc.RegisterAccount(ctx, command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}, command.RegisterAccountInput{
		Name: "Acme Widgets GmbH", PrimaryDomain: "acme.example", Address: account.Address{Country: "DE"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return store, ids, res.ID
}

func TestConflictIsRetriedWithFreshState(t *testing.T) {
	t.Parallel()
	store, ids, id := setup(t)
	rs := &racingStore{Store: store, races: 1, from: "Acme Widgets GmbH", to: "Acme Tools GmbH"}
	svc := command.New(rs, ids, command.Config{})
	// The racing writer renamed to "Acme Tools GmbH" first; the retried
	// decision sees that name, and the document (naming the old name the
	// caller saw) no longer matches: the rule, not a blind overwrite, answers.
	_, err := svc.RenameCompany(context.Background(), command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}, id, rename("Acme Widgets GmbH", "Zenith GmbH"))
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Rule != "rename.document_names_both" {
		t.Fatalf("want the rename rule to refuse against the fresh state, got %v", err)
	}
	// A rename still consistent with the fresh state goes through after the
	// conflict: the racer only changes the legal form, which the document
	// check tolerates, and the retry appends at version 4.
	rs2 := &racingStore{Store: store, races: 1, from: "Acme Tools GmbH", to: "Acme Tools AG"}
	svc2 := command.New(rs2, ids, command.Config{})
	res, err := svc2.RenameCompany(context.Background(), command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}, id, rename("Acme Tools GmbH", "Zenith GmbH"))
	if err != nil || res.Version != 4 || rs2.appended.Load() != 2 {
		t.Fatalf("rename: %+v %v", res, err)
	}
}

// alwaysMoving makes every append conflict.
type alwaysMoving struct{ *eventstore.Store }

func (a alwaysMoving) Append(ctx context.Context, s []eventstore.StreamAppend, md eventstore.Metadata, opts ...eventstore.AppendOption) ([]eventstore.Event, error) {
	s[0].ExpectedVersion += 100
	return a.Store.Append(ctx, s, md, opts...)
}

func TestConflictRetriesAreBounded(t *testing.T) {
	t.Parallel()
	store, ids, id := setup(t)
	svc := command.New(alwaysMoving{store}, ids, command.Config{MaxAttempts: 3})
	_, err := svc.RenameCompany(context.Background(), command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}, id, rename("Acme Widgets GmbH", "Zenith GmbH"))
	if !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("want ErrConflict after bounded retries, got %v", err)
	}
	evs, _ := store.Load(context.Background(), account.StreamID(id))
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
}

func TestRefusedRegistrationDrawsNoNumber(t *testing.T) {
	t.Parallel()
	store, ids, _ := setup(t)
	svc := command.New(store, ids, command.Config{})
	ctx := context.Background()
	_, err := svc.RegisterAccount(ctx, command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}, command.RegisterAccountInput{Name: ""})
	if !errors.Is(err, domain.ErrValidation) {
		t.Fatal(err)
	}
	res, err := svc.RegisterAccount(ctx, command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin)}, command.RegisterAccountInput{
		Name: "Second GmbH", PrimaryDomain: "second.example", Address: account.Address{Country: "AT"}})
	if err != nil || res.ID != "100001HQ" {
		t.Fatalf("second account got %q (%v); a refused command used up a number", res.ID, err)
	}
}

// sameKeyStore lets, before the first append, the very same request (same
// idempotency key) sent to another instance win the race.
type sameKeyStore struct {
	*eventstore.Store
	ids  *numbering.Allocator
	m    command.Meta
	id   string
	in   command.RenameCompanyInput
	once sync.Once
	won  command.Result
	err  error
}

func (s *sameKeyStore) Append(ctx context.Context, a []eventstore.StreamAppend, md eventstore.Metadata, opts ...eventstore.AppendOption) ([]eventstore.Event, error) {
	s.once.Do(func() {
		s.won, s.err = command.New(s.Store, s.ids, command.Config{}).RenameCompany(ctx, s.m, s.id, s.in)
	})
	if s.err != nil {
		return nil, s.err
	}
	return s.Store.Append(ctx, a, md, opts...)
}

// TestConflictWithTheSameRequestIsAnsweredFromTheLog: a request sent twice
// under one idempotency key, the copy winning while the first decides,
// gets the copy's answer from the command log, not a decision on the state
// the copy left (which would refuse the rename as already done).
func TestConflictWithTheSameRequestIsAnsweredFromTheLog(t *testing.T) {
	t.Parallel()
	store, ids, id := setup(t)
	m := command.Meta{Principal: auth.Staff("ada", domain.RoleAdmin), IdempotencyKey: "rename-1", RequestHash: "h1"}
	in := rename("Acme Widgets GmbH", "Zenith GmbH")
	sk := &sameKeyStore{Store: store, ids: ids, m: m, id: id, in: in}
	res, err := command.New(sk, ids, command.Config{}).RenameCompany(context.Background(), m, id, in)
	if err != nil || sk.err != nil {
		t.Fatalf("got %v (the copy: %v)", err, sk.err)
	}
	if res.Position != sk.won.Position || res.Version != sk.won.Version || len(res.Events) != len(sk.won.Events) {
		t.Fatalf("answer %+v, want the copy's %+v", res, sk.won)
	}
	if evs, _ := store.Load(context.Background(), account.StreamID(id)); len(evs) != 2 {
		t.Fatalf("%d events on the account, want the registration and one rename", len(evs))
	}
}
