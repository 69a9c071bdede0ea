package activity

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/channeldesk/channeldesk/internal/pgmigrate"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

// TestNumbersAsPostgreSQLWritesThem: pgNumber writes every number as jsonb
// gives it back, so the hash the projection computes before storing
// changes is the hash Verify computes from what it reads.
func TestNumbersAsPostgreSQLWritesThem(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, 2)
	ctx := context.Background()
	for _, n := range []string{"0", "-0", "-0.00", "0.0e5", "0e-3", "-0e3", "7", "-7", "1.0", "1e2", "1E+2", "1.50E1",
		"1e-2", "12e2", "-1.23e-5", "100e-2", "5e-1", "-5.00e1", "1.5e0", "0.00012e3", "123456789012345678901234567890",
		"3.14159265358979323846264338327950288", "1e300", "-2.5E-300", "9007199254740993"} {
		var want string
		if err := pool.QueryRow(ctx, `SELECT $1::jsonb::text`, n).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got := pgNumber(n); got != want {
			t.Errorf("pgNumber(%s) = %s, PostgreSQL writes %s", n, got, want)
		}
		if got := pgNumber(want); got != want {
			t.Errorf("pgNumber(%s) = %s: not idempotent", want, got)
		}
	}
}

// TestCanonicalChangesIgnoresHowJSONIsSpelt: the JSON the projection
// writes and the text jsonb gives back canonicalize alike.
func TestCanonicalChangesIgnoresHowJSONIsSpelt(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, 2)
	ctx := context.Background()
	written := `[{"event":"x","new":{"zz":1.50E1,"a":"<&> \u00e9\n","nested":{"b":[1e2,true,null],"aa":-0}},"old":{"k":""}}]`
	var stored string
	if err := pool.QueryRow(ctx, `SELECT $1::jsonb::text`, written).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	a, err := canonicalChanges([]byte(written))
	if err != nil {
		t.Fatal(err)
	}
	b, err := canonicalChanges([]byte(stored))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Fatalf("written %s\nstored  %s", a, b)
	}
	// A merge of two parts is the canonical form of their concatenation.
	c, err := canonicalChanges([]byte(`[{"event":"a"}]`), []byte(stored))
	if err != nil || string(c) != `[{"event":"a"},`+string(a[1:]) {
		t.Fatalf("merged %s: %v", c, err)
	}
	for _, bad := range []string{`{}`, `[1] [2]`, `nope`} {
		if _, err := canonicalChanges([]byte(bad)); err == nil {
			t.Errorf("canonicalChanges(%s): no error", bad)
		}
	}
}

// TestRefusalsRecordedBeforeTheChainAreChained: migration 00002 chains the
// refusals an older version recorded, in SQL, with the encoding of
// hashRefusal, and new records extend that chain.
func TestRefusalsRecordedBeforeTheChainAreChained(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, 4)
	ctx := context.Background()
	first, err := fs.ReadFile(migrations, "migrations/00001_refusals.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := pgmigrate.Up(ctx, pool, fstest.MapFS{"00001_refusals.sql": {Data: first}}, "goose_activity"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 9, 30, 0, 123456000, time.UTC)
	for i, v := range [][]string{
		{"0190a0a0-0000-7000-8000-000000000002", "staff:ada", "", "denied", "ünïcode ✓ — détail"},
		{"0190a0a0-0000-7000-8000-000000000001", "partner:P1/c1", "customer:A/c2", "refused", ""},
		{"0190a0a0-0000-7000-8000-000000000003", "", "", "invalid", "a\nb"},
	} {
		if _, err := pool.Exec(ctx, `INSERT INTO activity_refusals (id, at, actor, on_behalf_of, operation, status, detail,
				user_agent) VALUES ($1, $2, $3, $4, 'SubmitOrder', $5, $6, 'ua/1')`,
			v[0], at.Add(time.Duration(i/2)*time.Second), v[1], v[2], v[3], v[4]); err != nil {
			t.Fatal(err)
		}
	}
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, pool)
	if err != nil || !rep.OK() || rep.Refusals.Records != 3 {
		t.Fatalf("legacy refusals: %+v %v", rep, err)
	}
	var order []string
	rows, err := pool.Query(ctx, `SELECT id FROM activity_refusals ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		order = append(order, id[len(id)-1:])
	}
	if rows.Err() != nil || len(order) != 3 || order[0] != "1" || order[1] != "2" || order[2] != "3" {
		t.Fatalf("chained in the order %v, want by time then ID: 1 2 3 (%v)", order, rows.Err())
	}
	if err := NewRefusals(pool).Record(ctx, Refusal{At: time.Now(), Actor: "staff:bob", Status: StatusFailed}); err != nil {
		t.Fatal(err)
	}
	if rep, err := Verify(ctx, pool); err != nil || !rep.OK() || rep.Refusals.Records != 4 {
		t.Fatalf("after a new record: %+v %v", rep, err)
	}
}

// TestRecordStoresOddTextItHashes: a request's invalid UTF-8 or NUL does
// not cost the refusal its record, and what is hashed is what is stored.
func TestRecordStoresOddTextItHashes(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, 2)
	ctx := context.Background()
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := NewRefusals(pool).Record(ctx, Refusal{At: time.Now(), Actor: "staff:ada", Status: StatusInvalid,
		UserAgent: "bad\xff\x00agent", ResourceID: "ü"[:1], Detail: string(make([]byte, 2000))}); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, pool)
	if err != nil || !rep.OK() || rep.Refusals.Records != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
}

// FuzzCanonicalChanges: for any JSON array encoding/json accepts, the
// canonical form holds the same value (numbers as PostgreSQL writes
// them), does not depend on how the input was spelt (re-encoded by
// encoding/json, indented), and is its own canonical form.
func FuzzCanonicalChanges(f *testing.F) {
	for _, s := range []string{`[]`, ` [ ] `, `[{"event":"x","new":{"b":1,"a":[1.50E1,"<&>\u2028",null,true,false,{}]}}]`,
		`[{"k":1,"k":2},{"b":{"z":[],"a":{}}}]`, `["\u00e9\n\t\"\\ \ud83d\ude00 \u001f"]`, `[-0.0e-3, 1e2, 0.5E+1]`,
		"[\"\xff\xfe\", {\"\xff\":1, \"\xfe\":2}]", `[1,]`, `[{"a" 1}]`, `{}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return
		}
		dec := json.NewDecoder(strings.NewReader(in))
		dec.UseNumber()
		var want []any
		if err := dec.Decode(&want); err != nil {
			return
		}
		got, err := canonicalChanges([]byte(in))
		if err != nil {
			t.Fatalf("canonicalChanges(%q): %v", in, err)
		}
		dec = json.NewDecoder(bytes.NewReader(got))
		dec.UseNumber()
		var back []any
		if err := dec.Decode(&back); err != nil {
			t.Fatalf("canonical %q of %q is not JSON: %v", got, in, err)
		}
		for i := range want {
			want[i] = pgNumbers(want[i])
		}
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("canonical %q of %q holds %v, want %v", got, in, back, want)
		}
		marshalled, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		var indented bytes.Buffer
		if err := json.Indent(&indented, []byte(in), "", "  "); err != nil {
			t.Fatal(err)
		}
		for _, spelling := range [][]byte{got, marshalled, indented.Bytes()} {
			if c, err := canonicalChanges(spelling); err != nil || !bytes.Equal(c, got) {
				t.Fatalf("canonical of %q is %q (%v), of %q %q", spelling, c, err, in, got)
			}
		}
	})
}

// pgNumbers rewrites every number in v with pgNumber.
func pgNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		return json.Number(pgNumber(string(x)))
	case []any:
		for i := range x {
			x[i] = pgNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = pgNumbers(x[k])
		}
	}
	return v
}
