package activity_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections/activity"
	"github.com/channeldesk/channeldesk/projections/projtest"
)

// rebuild projects the whole store into the activity log by a rebuild in
// batches of batch events.
func rebuild(e *projtest.Env, batch int) {
	e.T.Helper()
	e.All() // waits for the store's horizon to pass every event, as Rebuild reads up to it
	cfg := e.Config(0)
	cfg.RebuildBatchSize = batch
	if err := e.Runner(cfg, activity.New()).Rebuild(e.Ctx, activity.Name); err != nil {
		e.T.Fatal(err)
	}
}

func verify(e *projtest.Env) activity.Report {
	e.T.Helper()
	rep, err := activity.Verify(e.Ctx, e.Pool)
	if err != nil {
		e.T.Fatal(err)
	}
	return rep
}

// refusal is the n-th test refusal.
func refusal(n int) activity.Refusal {
	return activity.Refusal{At: time.Now(), Actor: "partner:P1/c1", Operation: "SubmitOrder", ResourceType: "order",
		ResourceID: fmt.Sprintf("ORD-%07d", n), Status: activity.StatusDenied, Code: "forbidden",
		Detail: fmt.Sprintf("refusal %d: not yours — ünïcode ✓", n), CorrelationID: fmt.Sprintf("corr-%d", n),
		ClientIP: "10.0.0.9", UserAgent: "curl/8"}
}

// fixture is a log of 6 accepted commands (one of two events, split by the
// rebuild's batches of 2, one appended without a command) and 5 refusals,
// whose chains verify. It returns the activity records' IDs in position
// order.
func fixture(t *testing.T) (*projtest.Env, []string) {
	e := projtest.New(t, false)
	a := "740001HQ"
	command(e, "RegisterAccount", "account/"+a, on("account-"+a, 0,
		account.AccountRegistered{AccountID: a, Name: "Alpha GmbH", PrimaryDomain: "alpha.example", Address: account.Address{Country: "DE"}, Region: "EMEA"}))
	command(e, "RenameCompany", "account/"+a, on("account-"+a, 1,
		account.CompanyRenamed{AccountID: a, OldName: "Alpha GmbH", NewName: "Alpha AG <&> \"quoted\""}))
	command(e, "SubmitOrder", "order/ORD-0000001",
		on("order-ORD-0000001", 0, order.Submitted{OrderNumber: "ORD-0000001", PONumber: "PO-1", CustomerAccountID: a, PartnerID: "P1"}),
		on("account-"+a, 2, account.OrderAttached{AccountID: a, OrderNumber: "ORD-0000001", PartnerID: "P1"}))
	e.Append(on("account-740002HQ", 0, account.AccountRegistered{AccountID: "740002HQ", Name: "Direct Import"}))
	command(e, "RenameCompany", "account/"+a, on("account-"+a, 3,
		account.CompanyRenamed{AccountID: a, OldName: "Alpha AG <&> \"quoted\"", NewName: "Alpha SE"}))
	command(e, "TagAccount", "account/"+a, on("account-"+a, 4, account.AccountTagged{AccountID: a, Tag: "key-account"}))
	rebuild(e, 2)
	if err := activity.Migrate(e.Ctx, e.Pool); err != nil {
		t.Fatal(err)
	}
	r := activity.NewRefusals(e.Pool)
	for n := 1; n <= 5; n++ {
		if err := r.Record(e.Ctx, refusal(n)); err != nil {
			t.Fatal(err)
		}
	}
	rep := verify(e)
	if !rep.OK() || rep.Activity.Records != 6 || rep.Refusals.Records != 5 || rep.Activity.Head == "" || rep.Refusals.Head == "" {
		t.Fatalf("fresh log does not verify: %+v", rep)
	}
	rows, err := e.Pool.Query(e.Ctx, `SELECT id FROM proj_activity.activity ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil || len(ids) != 6 {
		t.Fatalf("ids %v: %v", ids, err)
	}
	return e, ids
}

// TestVerifyNamesTheFirstTamperedRecord tampers with the log with SQL, as
// someone with write access to the database would, and expects Verify to
// name the first record that no longer fits: the altered one, the one
// after a deleted one, the forged one; and nothing before it.
func TestVerifyNamesTheFirstTamperedRecord(t *testing.T) {
	t.Parallel()
	const act = `proj_activity.activity`
	type want struct {
		chain string
		index int64
		id    int // index into the activity IDs; -1: refusal, checked by key
		key   int64
		kinds []string
	}
	altered, link := []string{activity.BreakAltered}, []string{activity.BreakLink}
	for _, tc := range []struct {
		name string
		sql  string // $3RD: the ID of the 3rd activity record; $4TH: of the 4th
		want want
	}{
		{"activity: a column altered", `UPDATE ` + act + ` SET actor = 'staff:eve' WHERE id = '$3RD'`,
			want{activity.ChainActivity, 3, 2, 0, altered}},
		{"activity: a time moved by one microsecond", `UPDATE ` + act + ` SET at = at + interval '1 microsecond' WHERE id = '$4TH'`,
			want{activity.ChainActivity, 4, 3, 0, altered}},
		{"activity: an old value altered in changes", `UPDATE ` + act + ` SET changes = jsonb_set(changes, '{0,old,name}', '"Beta GmbH"')
			WHERE operation = 'RenameCompany' AND changes->0->'old'->>'name' = 'Alpha GmbH'`,
			want{activity.ChainActivity, 2, 1, 0, altered}},
		{"activity: altered with its hash recomputed by another rule", `UPDATE ` + act + ` SET customer_id = 'X',
			hash = sha256(convert_to(id || 'X', 'UTF8') || prev_hash) WHERE id = '$3RD'`,
			want{activity.ChainActivity, 3, 2, 0, altered}},
		{"activity: a record deleted", `DELETE FROM ` + act + ` WHERE id = '$3RD'`,
			want{activity.ChainActivity, 3, 3, 0, link}},
		{"activity: the first record deleted", `DELETE FROM ` + act + ` WHERE position = (SELECT min(position) FROM ` + act + `)`,
			want{activity.ChainActivity, 1, 1, 0, link}},
		{"activity: a forged record inserted, chained to the one before", `INSERT INTO ` + act + `
			SELECT 'forged', at, actor, on_behalf_of, 'DeleteAccount', resource_type, resource_id, customer_id, changes,
				correlation_id, client_ip, user_agent, position + 1, hash, hash FROM ` + act + ` WHERE id = '$3RD'`,
			want{activity.ChainActivity, 4, -2, 0, altered}},
		{"activity: two records moved to the end", `UPDATE ` + act + ` SET position = CASE WHEN id = '$3RD' THEN -1 ELSE -2 END
			WHERE id IN ('$3RD', '$4TH');
			UPDATE ` + act + ` SET position = (SELECT max(position) FROM ` + act + `) + 1 WHERE position = -1;
			UPDATE ` + act + ` SET position = (SELECT max(position) FROM ` + act + `) + 1 WHERE position = -2`,
			want{activity.ChainActivity, 3, 4, 0, link}},
		{"activity: a position changed, the order kept", `UPDATE ` + act + ` SET position = position + 1 WHERE id = '$3RD'`,
			want{activity.ChainActivity, 3, 2, 0, altered}},
		{"activity: the last record deleted", `DELETE FROM ` + act + ` WHERE position = (SELECT max(position) FROM ` + act + `)`,
			want{activity.ChainActivity, 6, 5, 0, []string{activity.BreakTruncated}}},
		{"activity: the last two records deleted", `DELETE FROM ` + act + ` WHERE position > (SELECT position FROM ` + act + ` WHERE id = '$4TH')`,
			want{activity.ChainActivity, 5, 4, 0, []string{activity.BreakTruncated}}},
		{"refusals: a detail altered", `UPDATE activity_refusals SET detail = 'nothing to see' WHERE seq = 2`,
			want{activity.ChainRefusals, 2, -1, 2, altered}},
		{"refusals: a record deleted", `DELETE FROM activity_refusals WHERE seq = 3`,
			want{activity.ChainRefusals, 3, -1, 4, link}},
		{"refusals: the last record deleted", `DELETE FROM activity_refusals WHERE seq = 5`,
			want{activity.ChainRefusals, 5, -1, 5, []string{activity.BreakTruncated}}},
		{"refusals: the last record deleted and the head rewound", `DELETE FROM activity_refusals WHERE seq = 5;
			UPDATE activity_refusals_head SET seq = 4`,
			want{activity.ChainRefusals, 5, -1, 4, []string{activity.BreakTruncated}}},
		{"refusals: a forged record inserted", `INSERT INTO activity_refusals
			SELECT id || '-forged', at, actor, on_behalf_of, operation, resource_type, resource_id, customer_id, 'refused',
				code, detail, correlation_id, client_ip, user_agent, 6, hash, sha256(hash) FROM activity_refusals WHERE seq = 5`,
			want{activity.ChainRefusals, 6, -1, 6, altered}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, ids := fixture(t)
			for _, stmt := range strings.Split(strings.NewReplacer("$3RD", ids[2], "$4TH", ids[3]).Replace(tc.sql), ";") {
				if _, err := e.Pool.Exec(e.Ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			rep := verify(e)
			got, other := rep.Activity, rep.Refusals
			if tc.want.chain == activity.ChainRefusals {
				got, other = rep.Refusals, rep.Activity
			}
			if rep.OK() || got.Broken == nil || other.Broken != nil {
				t.Fatalf("report %+v: want only %s broken", rep, tc.want.chain)
			}
			b := got.Broken
			if b.Index != tc.want.index || !slices.Equal(b.Kinds, tc.want.kinds) || b.Detail == "" {
				t.Fatalf("broken %+v, want index %d kinds %v", b, tc.want.index, tc.want.kinds)
			}
			switch {
			case tc.want.id >= 0 && b.ID != ids[tc.want.id]:
				t.Fatalf("broken record %s, want %s (the %d. record)", b.ID, ids[tc.want.id], tc.want.id+1)
			case tc.want.id == -2 && b.ID != "forged":
				t.Fatalf("broken record %s, want the forged one", b.ID)
			case tc.want.id == -1 && b.Key != tc.want.key:
				t.Fatalf("broken refusal seq %d, want %d", b.Key, tc.want.key)
			}
			if got.Records != tc.want.index-1 {
				t.Fatalf("%d whole records, want %d (those before the break)", got.Records, tc.want.index-1)
			}
		})
	}
}

// TestConcurrentRefusalWritersFormOneChain: writers on separate
// connections, as several API instances would be, extend one chain.
func TestConcurrentRefusalWritersFormOneChain(t *testing.T) {
	t.Parallel()
	e := projtest.New(t, false)
	if err := activity.Migrate(e.Ctx, e.Pool); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := activity.NewRefusals(e.Pool)
			for i := range each {
				if err := r.Record(context.Background(), refusal(w*each+i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rep := verify(e)
	if !rep.OK() || rep.Refusals.Records != writers*each {
		t.Fatalf("report %+v, want one whole chain of %d refusals", rep, writers*each)
	}
	var n, distinct, maxSeq int64
	if err := e.Pool.QueryRow(e.Ctx, `SELECT count(*), count(DISTINCT detail), max(seq) FROM activity_refusals`).
		Scan(&n, &distinct, &maxSeq); err != nil || n != writers*each || distinct != n || maxSeq != n {
		t.Fatalf("%d refusals, %d distinct, last seq %d: %v", n, distinct, maxSeq, err)
	}
}

// TestChainDoesNotDependOnBatches: live batches of one event and rebuilds
// in batches of 1, 2 and all give the same rows and hashes, including a
// command ID met again after another command's events, which makes a
// record of its own under "<command ID>/<its first event's ID>".
func TestChainDoesNotDependOnBatches(t *testing.T) {
	t.Parallel()
	e := projtest.New(t, true)
	live := e.Runner(e.Config(1), activity.New())
	stop := e.Start(live)
	a := "750001HQ"
	again := uuid.Must(uuid.NewV7()).String()
	md := eventstore.Metadata{Actor: "staff:ada", CommandID: again, Operation: "RegisterAccount", Resource: "account/" + a}
	if _, err := e.Store.Append(e.Ctx, []eventstore.StreamAppend{on("account-"+a, 0,
		account.AccountRegistered{AccountID: a, Name: "Gamma Ltd"}, account.AccountTagged{AccountID: a, Tag: "new"})}, md); err != nil {
		t.Fatal(err)
	}
	command(e, "RenameCompany", "account/"+a, on("account-"+a, 2,
		account.CompanyRenamed{AccountID: a, OldName: "Gamma Ltd", NewName: "Gamma plc"}))
	rec, err := e.Store.Append(e.Ctx, []eventstore.StreamAppend{on("account-"+a, 3,
		account.AccountTagged{AccountID: a, Tag: "again"}, account.AccountTagged{AccountID: a, Tag: "and again"})}, md)
	if err != nil {
		t.Fatal(err)
	}
	if err := live.WaitFor(e.Ctx, e.PublishAll(), activity.Name); err != nil {
		t.Fatal(err)
	}
	stop()
	liveRows := dump(e)
	var ids []string
	for _, r := range liveRows {
		for _, id := range []string{again, again + "/" + rec[0].ID.String()} {
			if strings.Contains(r, `"id":"`+id+`"`) {
				ids = append(ids, id)
			}
		}
	}
	if len(liveRows) != 3 || len(ids) != 2 {
		t.Fatalf("want 3 records, the command met again under its own ID:\n%s", strings.Join(liveRows, "\n"))
	}
	if rep := verify(e); !rep.OK() || rep.Activity.Records != 3 {
		t.Fatalf("live: %+v", rep)
	}
	for _, batch := range []int{1, 2, 100000} {
		rebuild(e, batch)
		if got := dump(e); !slices.Equal(got, liveRows) {
			t.Fatalf("rebuild in batches of %d:\n got %s\nwant %s", batch, strings.Join(got, "\n"), strings.Join(liveRows, "\n"))
		}
		if rep := verify(e); !rep.OK() || rep.Activity.Records != 3 {
			t.Fatalf("rebuild in batches of %d: %+v", batch, rep)
		}
	}
}

// TestVerifyWithoutTables: before the projection and the refusals exist,
// there is nothing to verify, and Verify says so rather than failing.
func TestVerifyWithoutTables(t *testing.T) {
	t.Parallel()
	e := projtest.New(t, false)
	rep := verify(e)
	if !rep.OK() || !rep.Activity.Missing || !rep.Refusals.Missing {
		t.Fatalf("report %+v", rep)
	}
}

// TestVerifyBeforeTheChainSaysSo: tables of the version before the chain
// are not "broken"; Verify says the log has no chain yet.
func TestVerifyBeforeTheChainSaysSo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, sql string }{
		{"activity", `CREATE SCHEMA proj_activity; CREATE TABLE proj_activity.activity (id text, position bigint)`},
		{"refusals", `CREATE TABLE activity_refusals (id text, seq bigint)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := projtest.New(t, false)
			for _, stmt := range strings.Split(tc.sql, ";") {
				if _, err := e.Pool.Exec(e.Ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := activity.Verify(e.Ctx, e.Pool); !errors.Is(err, activity.ErrNotChained) {
				t.Fatalf("Verify: %v, want ErrNotChained", err)
			}
		})
	}
}
