package main

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/pgtest"
	"github.com/channeldesk/channeldesk/projections/activity"
)

// runBin runs the binary and returns its stdout, stderr and exit status.
func runBin(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errOut.String(), 0
	case errors.As(err, &exit):
		return out.String(), errOut.String(), exit.ExitCode()
	}
	t.Fatalf("%v: %v", args, err)
	return "", "", -1
}

// TestAuditVerifyExitStatus runs the real binary: `audit verify` exits 0
// on a whole log and prints each chain's count, 1 naming the first broken
// record once a row was edited with SQL, and 2 on a usage error.
func TestAuditVerifyExitStatus(t *testing.T) {
	bin := binary(t)
	url := pgtest.URL(t)
	db := "--database-url=" + url
	if _, errOut, code := runBin(t, bin, "migrate", db); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errOut)
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// Three accepted commands, projected by a rebuild, and three refusals.
	store := eventstore.New(pool)
	for i, name := range []string{"Audit One", "Audit Two", "Audit Three"} {
		id := []string{"760001HQ", "760002HQ", "760003HQ"}[i]
		data, _ := json.Marshal(account.AccountRegistered{AccountID: id, Name: name})
		md := eventstore.Metadata{Actor: "staff:ada", CommandID: uuid.Must(uuid.NewV7()).String(), Operation: "RegisterAccount",
			Resource: "account/" + id}
		if _, err := store.Append(ctx, []eventstore.StreamAppend{{StreamID: "account-" + id, Events: []eventstore.NewEvent{{
			ID: uuid.Must(uuid.NewV7()), Type: "account.registered", SchemaVersion: 1, Data: data, OccurredAt: time.Now()}}}}, md); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		evs, err := store.ReadAll(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store's horizon did not pass the 3 events (%d)", len(evs))
		}
	}
	if _, errOut, code := runBin(t, bin, "projections", "rebuild", db, "activity"); code != 0 {
		t.Fatalf("rebuild: exit %d: %s", code, errOut)
	}
	refusals := activity.NewRefusals(pool)
	for range 3 {
		if err := refusals.Record(ctx, activity.Refusal{At: time.Now(), Actor: "staff:bob", Operation: "MergeAccounts",
			Status: activity.StatusDenied, Code: "forbidden"}); err != nil {
			t.Fatal(err)
		}
	}

	out, errOut, code := runBin(t, bin, "audit", "verify", db)
	if code != 0 || !strings.Contains(out, "activity: OK, 3 records, head ") || !strings.Contains(out, "activity_refusals: OK, 3 records, head ") {
		t.Fatalf("whole log: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = runBin(t, bin, "audit", "verify", "--json", db)
	var rep activity.Report
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || !rep.OK() || rep.Activity.Records != 3 || rep.Refusals.Records != 3 {
		t.Fatalf("--json: exit %d %v\n%s", code, err, out)
	}

	for _, args := range [][]string{{"audit"}, {"audit", "check"}, {"audit", "verify", "--nope", db}, {"audit", "verify", db, "extra"}} {
		if _, errOut, code := runBin(t, bin, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, want 2 with a message (%q)", args, code, errOut)
		}
	}

	var refusalID, activityID string
	if err := pool.QueryRow(ctx, `UPDATE activity_refusals SET code = 'none' WHERE seq = 2 RETURNING id`).Scan(&refusalID); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `WITH gone AS (DELETE FROM proj_activity.activity WHERE position =
			(SELECT min(position) FROM proj_activity.activity) RETURNING position)
		SELECT id FROM proj_activity.activity WHERE position > (SELECT position FROM gone) ORDER BY position LIMIT 1`).Scan(&activityID); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runBin(t, bin, "audit", "verify", db)
	if code != 1 || !strings.Contains(out, `activity_refusals: BROKEN at record 2 (id "`+refusalID+`", seq 2): altered — `) ||
		!strings.Contains(out, `activity: BROKEN at record 1 (id "`+activityID+`"`) || !strings.Contains(out, "): broken link — ") ||
		!strings.Contains(errOut, "hash chain is broken") {
		t.Fatalf("tampered log: exit %d, want 1 naming refusal %s and activity record %s\n%s%s", code, refusalID, activityID, out, errOut)
	}
	t.Logf("tampered log:\n%s%s", out, errOut)

	if _, errOut, code := runBin(t, bin, "audit", "verify", "--database-url=postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"); code != 1 || !strings.Contains(errOut, "cannot reach PostgreSQL") {
		t.Fatalf("unreachable database: exit %d: %s", code, errOut)
	}
}
