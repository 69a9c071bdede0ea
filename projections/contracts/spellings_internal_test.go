package contracts

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/projections/projtest"
)

// setupSchema creates the live schema with the projection's tables and
// functions, empty.
func setupSchema(e *projtest.Env) {
	e.T.Helper()
	e.Exec(`CREATE SCHEMA ` + Schema)
	tx, err := e.Pool.Begin(e.Ctx)
	if err != nil {
		e.T.Fatal(err)
	}
	if err := New().Setup(e.Ctx, tx, Schema); err != nil {
		e.T.Fatal(err)
	}
	if err := tx.Commit(e.Ctx); err != nil {
		e.T.Fatal(err)
	}
}

// randomText returns a string of words drawn from a small alphabet, so
// that strings share trigrams, with the separators, capitals and digits
// pg_trgm splits and folds.
func randomText(rng *rand.Rand) string {
	const letters = "abcdeorsAB019"
	seps := []string{" ", " ", " ", "  ", "-", ", ", ".", "&"}
	var b strings.Builder
	for w := range rng.IntN(5) {
		if w > 0 {
			b.WriteString(seps[rng.IntN(len(seps))])
		}
		for range 1 + rng.IntN(9) {
			b.WriteByte(letters[rng.IntN(len(letters))])
		}
	}
	return b.String()
}

// TestPgTrigramsAreExact: for thousands of ASCII strings, pgTrigrams counts
// the trigrams pg_trgm makes, the similarity computed from them is
// pg_trgm's to the last bit, and closeThreshold is close_threshold's.
func TestPgTrigramsAreExact(t *testing.T) {
	t.Parallel()
	e := projtest.New(t, false)
	setupSchema(e)
	rng := rand.New(rand.NewPCG(5, 8))
	var as, bs []string
	for range 3000 {
		a := randomText(rng)
		b := randomText(rng)
		if rng.IntN(3) == 0 && a != "" { // a close spelling: one letter changed
			r := []byte(a)
			r[rng.IntN(len(r))] = 'x'
			b = string(r)
		}
		as, bs = append(as, a), append(bs, b)
	}
	as = append(as, "", " ", "a", "ab", "a b", "a  b", "A", "9", "--", "abc abc", "abcabc")
	bs = append(bs, "a", "", "a", "abc", "b a", "ab", "a", "99", "-", "abc", "abc")
	rows, err := e.Pool.Query(e.Ctx, `SELECT similarity(a, b), cardinality(show_trgm(a)), `+Schema+`.close_threshold(a)
		FROM unnest($1::text[], $2::text[]) WITH ORDINALITY u(a, b, i) ORDER BY i`, as, bs)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	var sml float32
	var n int
	var thr float64
	if _, err := pgx.ForEachRow(rows, []any{&sml, &n, &thr}, func() error {
		ta, _ := pgTrigrams(as[i])
		tb, _ := pgTrigrams(bs[i])
		c := 0
		for _, x := range ta {
			if _, ok := slices.BinarySearch(tb, x); ok {
				c++
			}
		}
		var got float32
		if len(ta) > 0 && len(tb) > 0 {
			got = float32(c) / float32(len(ta)+len(tb)-c)
		}
		if got != sml || len(ta) != n {
			t.Errorf("%q ~ %q: similarity %v and %d trigrams, pg_trgm %v and %d", as[i], bs[i], got, len(ta), sml, n)
		}
		if n > 0 && closeThreshold(n) != thr {
			t.Errorf("%q: threshold %v, close_threshold %v", as[i], closeThreshold(n), thr)
		}
		i++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if i != len(as) {
		t.Fatalf("%d rows for %d pairs", i, len(as))
	}
	if _, ok := pgTrigrams("zoë"); ok {
		t.Error("a string that is not ASCII is taken as pg_trgm's")
	}
}

// TestSpellingsFindWhatCloseSpellingsFinds: the statement of the close
// spellings with the in-process index (its candidates and the rows
// changed since it read them) returns exactly what close_spellings
// returns from PostgreSQL's trigram index, held ones or all: right after
// the index is read, after spellings are added and made held behind its
// back, once it has read them, and after the table is replaced (as a
// rebuild does) before it reads the new one.
func TestSpellingsFindWhatCloseSpellingsFinds(t *testing.T) {
	t.Parallel()
	e := projtest.New(t, false)
	setupSchema(e)
	rng := rand.New(rand.NewPCG(9, 1))
	heads := []string{"redwood", "rosewood", "redwod", "northwind", "oakridge", "oak ridge", "kestrel", "blue harbour", "blue harbor"}
	trades := []string{"consulting", "consultants", "logistics", "logistic", "software", "freight", "medical devices"}
	spelling := func() string {
		s := heads[rng.IntN(len(heads))] + " " + trades[rng.IntN(len(trades))]
		switch rng.IntN(4) {
		case 0:
			s += " group"
		case 1:
			s += fmt.Sprintf(" %d", rng.IntN(50))
		}
		return s
	}
	// add writes n spellings as the projection's trigger does (a new one,
	// or one made held), a few of them not ASCII.
	add := func(n int) {
		for i := range n {
			s := spelling()
			if i%40 == 0 {
				s = strings.Replace(s, "o", "ø", 1)
			}
			e.Exec(`INSERT INTO `+Schema+`.spelling_trigrams AS t (name_fold, held) VALUES ($1, $2)
				ON CONFLICT (name_fold) DO UPDATE SET held = EXCLUDED.held, change_seq = EXCLUDED.change_seq
				WHERE t.held <> EXCLUDED.held`, s, rng.IntN(3) > 0)
		}
	}
	add(600)
	sp := NewSpellings(e.Pool, nil)
	searches := []string{"redwood consulting", "redwoox consultinx", "blue harbour logistics group", "oak ridge software 12",
		"kestrl freigt", "northwinx medical devices", "rosewod", "consulting", "oakridge", "redwood consultinf 7"}
	// check compares the two; exact says the index has read every change.
	// Otherwise it may also list spellings no longer held, or gone, which
	// it read before (no name of a company holding an agreement bears
	// them, so the names they lead to are not listed).
	check := func(when string, indexed, exact bool) {
		t.Helper()
		found := 0
		for _, q := range searches {
			for _, held := range []bool{true, false} {
				s := nameSearch{fold: q, held: held, near: sp.near(q, held)}
				if indexed != (s.near != nil) {
					t.Fatalf("%s: index in use %v, want %v", when, !indexed, indexed)
				}
				got := closeRows(e, s)
				s.near = nil
				want := closeRows(e, s)
				if len(want) > 0 {
					found++
				}
				var extra []string
				for _, r := range got {
					if !slices.Contains(want, r) {
						extra = append(extra, r)
					}
				}
				for _, r := range want {
					if !slices.Contains(got, r) {
						t.Errorf("%s: %q (held %v): %s found without the index only", when, q, held, r)
					}
				}
				for _, r := range extra {
					fold := r[:strings.LastIndexByte(r, ' ')]
					var isHeld bool
					err := e.Pool.QueryRow(e.Ctx, `SELECT held FROM `+Schema+`.spelling_trigrams WHERE name_fold = $1`, fold).Scan(&isHeld)
					if exact || err == nil && !(held && !isHeld) {
						t.Errorf("%s: %q (held %v): %s found with the index only (%v)", when, q, held, r, err)
					}
				}
			}
		}
		if found < len(searches)*3/2 {
			t.Errorf("%s: %d of %d searches find close spellings", when, found, 2*len(searches))
		}
	}
	check("before the index is read", false, true)
	if err := sp.Refresh(e.Ctx); err != nil {
		t.Fatal(err)
	}
	check("index read", true, true)
	add(200)
	check("changes since", true, false)
	if err := sp.Refresh(e.Ctx); err != nil {
		t.Fatal(err)
	}
	check("changes read", true, true)
	if sp.ix.since == 0 || len(sp.ix.folds) < 200 {
		t.Fatalf("index of %d spellings up to %d", len(sp.ix.folds), sp.ix.since)
	}
	// Searches while the whole index is read again (under -race).
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			if sp.near("redwood consulting", true) == nil {
				t.Error("no index while it is read again")
				return
			}
		}
	}()
	if err := sp.refresh(e.Ctx, true); err != nil {
		t.Fatal(err)
	}
	<-done
	check("read again", true, true)
	// An index not read for too long is not used.
	sp.mu.Lock()
	sp.ix.read = sp.ix.read.Add(-SpellingsStale - time.Second)
	sp.mu.Unlock()
	if sp.near("redwood consulting", true) != nil {
		t.Error("a stale index is used")
	}
	if err := sp.Refresh(e.Ctx); err != nil || sp.near("redwood consulting", true) == nil {
		t.Fatalf("refreshed (%v): index not used", err)
	}
	// A rebuild's table: another OID, change numbers from 1 again.
	e.Exec(`DROP SCHEMA ` + Schema + ` CASCADE`)
	setupSchema(e)
	add(300)
	check("table replaced", true, false)
	if err := sp.Refresh(e.Ctx); err != nil {
		t.Fatal(err)
	}
	check("new table read", true, true)
	e.Exec(`DROP SCHEMA ` + Schema + ` CASCADE`)
	if err := sp.Refresh(e.Ctx); err != nil || sp.near("redwood", true) != nil {
		t.Fatalf("table gone: %v, index still in use", err)
	}
}

// closeRows runs the close spellings statement of s and returns its rows,
// "fold score", sorted.
func closeRows(e *projtest.Env, s nameSearch) []string {
	e.T.Helper()
	a := &args{}
	q := a.add(s.fold)
	rows, err := e.Pool.Query(e.Ctx, `SELECT name_fold || ' ' || score::text FROM (`+s.spellings(a, q)+`) s`, a.list...)
	if err != nil {
		e.T.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		e.T.Fatal(err)
	}
	slices.Sort(got)
	return got
}

// syntheticIndex returns an index of n spellings of two to four words
// drawn from a vocabulary, as company names are: many share words.
func syntheticIndex(n int) *spellingIndex {
	rng := rand.New(rand.NewPCG(1, 2))
	words := make([]string, 4000)
	for i := range words {
		w := make([]byte, 3+rng.IntN(7))
		for j := range w {
			w[j] = byte('a' + rng.IntN(26))
		}
		words[i] = string(w)
	}
	trades := []string{"consulting", "logistics", "medical devices", "software", "trading", "holdings", "systems"}
	ix := newSpellingIndex(1)
	for i := 0; len(ix.folds) < n; i++ {
		s := words[rng.IntN(len(words))] + " " + trades[rng.IntN(len(trades))]
		if rng.IntN(2) == 0 {
			s = words[rng.IntN(len(words))] + " " + s
		}
		ix.put(s, rng.IntN(3) > 0, int64(i+1))
	}
	return ix
}

// BenchmarkSpellingsNear: the close spellings of a company's full name
// among 50 000 spellings, the size of a million companies' (docs/READ-SIDE.md).
func BenchmarkSpellingsNear(b *testing.B) {
	ix := syntheticIndex(50000)
	fold := ix.folds[777]
	q, _ := pgTrigrams(fold)
	seen := make([]uint16, len(ix.folds))
	b.ResetTimer()
	for b.Loop() {
		ix.near(q, fold[:len(fold)-1]+"x", true, seen)
	}
}

// BenchmarkSpellingsBuild: reading 50 000 spellings into a new index.
func BenchmarkSpellingsBuild(b *testing.B) {
	for b.Loop() {
		syntheticIndex(50000)
	}
}

// TestNearFindsEveryCloseSpelling: near, counting or drawing candidates
// from the rarest trigrams, misses no spelling a similarity computed for
// every spelling finds, and finds no other, for searches that are spellings of the index with a
// letter changed, cut short, or extended.
func TestNearFindsEveryCloseSpelling(t *testing.T) {
	t.Parallel()
	ix := syntheticIndex(3000)
	rng := rand.New(rand.NewPCG(7, 7))
	seen := make([]uint16, len(ix.folds))
	for range 2000 {
		fold := ix.folds[rng.IntN(len(ix.folds))]
		switch rng.IntN(4) {
		case 0:
			b := []byte(fold)
			b[rng.IntN(len(b))] = byte('a' + rng.IntN(26))
			fold = string(b)
		case 1:
			fold = fold[:1+rng.IntN(len(fold))]
		case 2:
			fold += " " + ix.folds[rng.IntN(len(ix.folds))][:3]
		}
		q, _ := pgTrigrams(fold)
		if len(q) == 0 {
			continue
		}
		held := rng.IntN(2) == 0
		var want []string
		thr := closeThreshold(len(q))
		for i, f := range ix.folds {
			c := shared(q, ix.trgs[i])
			sml := float32(c) / float32(len(q)+len(ix.trgs[i])-c)
			if float64(sml) >= thr && (!held || ix.held[i]) && !strings.HasPrefix(f, fold) {
				want = append(want, fmt.Sprintf("%s %v", f, sml))
			}
		}
		slices.Sort(want)
		for _, how := range []int{nearAuto, nearCounting, nearCandidates} {
			got := ix.nearBy(q, fold, held, seen, how)
			var have []string
			for i, f := range got.folds {
				have = append(have, fmt.Sprintf("%s %v", f, got.scores[i]))
			}
			slices.Sort(have)
			if !slices.Equal(have, want) {
				t.Fatalf("%q (held %v, way %d): near finds %v, every spelling scored %v", fold, held, how, have, want)
			}
			if slices.ContainsFunc(seen, func(s uint16) bool { return s != 0 }) {
				t.Fatalf("way %d: scratch counts left set", how)
			}
		}
	}
}
