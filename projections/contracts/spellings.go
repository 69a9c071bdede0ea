package contracts

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Spellings is an in-process trigram index of the spellings the close
// spelling phase of a name search looks up (spelling_trigrams: the
// distinct folded company names, some 50 000 at a million companies).
// PostgreSQL's trigram index answers "which spellings share enough
// trigrams with the search" only roughly: for a company's full name it
// yields every spelling that shares its last two words (some 1 300 for
// "baekdu medical devices"), and rechecks each against the table, which
// took most of a search's time. Here every spelling's trigrams are kept
// in memory, so the similarity of every candidate is known exactly
// (pg_trgm's: shared trigrams over the union of both, in float4) in well
// under a millisecond, and the statement receives only the close ones.
//
// It is never trusted to be fresh. Every row of spelling_trigrams carries
// a change number (change_seq, from a sequence, renewed when the row is
// written or its held changes); the index knows the table (its OID, which
// a rebuild changes) and every change up to a number, and the statement
// scores in SQL the rows changed after it (close_spellings with since),
// read from a btree. Changes are numbered in commit order, since only the
// holder of the projection's checkpoint lock writes the live schema. A
// spelling deleted, or no longer held, since the index read it may still
// be listed: the statement follows it to names, held ones for a contract
// search, and finds none. Spellings that are not ASCII (a folded name keeps
// letters of other scripts) are left to SQL and its trigram index: only
// for ASCII are pg_trgm's words and trigrams surely ours.
//
// So a search answers as without the index, provided its snapshot is not
// older than the index's last read: true of the service, whose queries
// are single statements on the primary the index reads, but not of a
// REPEATABLE READ transaction begun before that read, or of a replica
// lagging behind the primary (a spelling made unheld or deleted since
// would be missed). An index not refreshed for SpellingsStale is not used:
// the rows changed since would all be scored without an index.
//
// A nil *Spellings, or one not read yet, searches with PostgreSQL's
// trigram index alone. A Spellings is safe for concurrent use.
type Spellings struct {
	q      Querier
	logger *slog.Logger

	// reading serialises reads of the table, so that changes are put in
	// the order of their numbers; failing is whether the last read failed
	// (logged once until one succeeds).
	reading sync.Mutex
	failing bool
	mu      sync.RWMutex
	ix      *spellingIndex // nil until read
	// seen are scratch arrays of near, one per concurrent search.
	seen sync.Pool
}

// SpellingsRefresh is how often Run reads the spellings changed since the
// last read; SpellingsReload how often it reads them all again, which
// drops the spellings no name bears any more; SpellingsStale how long
// after its last successful read the index is still used; spellingsRead
// bounds one read.
const (
	SpellingsRefresh = time.Second
	SpellingsReload  = 10 * time.Minute
	SpellingsStale   = time.Minute
	spellingsRead    = 30 * time.Second
)

// NewSpellings returns an index of the spellings in q (a pool: Run reads
// it for as long as the service runs), empty until Refresh or Run reads
// them. logger reports failed reads (nil: discarded).
func NewSpellings(q Querier, logger *slog.Logger) *Spellings {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Spellings{q: q, logger: logger}
}

// Run keeps the index fresh until ctx ends: the changes every
// SpellingsRefresh, everything every SpellingsReload. A failed read is
// logged (once, until a read succeeds again) and tried again at the next
// tick; searches meanwhile score more rows in SQL, never fewer. It returns
// ctx's error.
func (s *Spellings) Run(ctx context.Context) error {
	tick := time.NewTicker(SpellingsRefresh)
	defer tick.Stop()
	var full time.Time
	for {
		all := time.Since(full) >= SpellingsReload
		if all {
			full = time.Now()
		}
		err := s.refresh(ctx, all)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.reading.Lock()
		switch {
		case err != nil && !s.failing:
			s.logger.Warn("contract search: reading the spellings failed; searches score them in PostgreSQL until a read succeeds", "err", err)
		case err == nil && s.failing:
			s.logger.Info("contract search: spellings read again")
		}
		s.failing = err != nil
		s.reading.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Refresh brings the index up to date: it reads the spellings changed
// since its last read, or all of them when it has read none yet or the
// table is not the one it read (a rebuild replaced it). Until the read
// model's tables exist it stays empty.
func (s *Spellings) Refresh(ctx context.Context) error { return s.refresh(ctx, false) }

// refresh is Refresh; with all it reads every spelling, into an index that
// replaces the one searches use once it is built.
func (s *Spellings) refresh(ctx context.Context, all bool) error {
	s.reading.Lock()
	defer s.reading.Unlock()
	ctx, cancel := context.WithTimeout(ctx, spellingsRead)
	defer cancel()
	var table *uint32
	if err := s.q.QueryRow(ctx, `SELECT to_regclass($1)::oid`, Schema+".spelling_trigrams").Scan(&table); err != nil {
		return fmt.Errorf("spellings: %w", err)
	}
	ix := s.ix // written only under reading
	if table == nil {
		s.mu.Lock()
		s.ix = nil
		s.mu.Unlock()
		return nil
	}
	if all || ix == nil || ix.table != *table {
		// Read after the table's OID: if a rebuild swaps the table in
		// between, the rows are the new table's under the old OID, which
		// no search trusts, and the next refresh reads again. Built
		// before searches see it, without a lock.
		rows, err := s.changes(ctx, 0)
		if err != nil {
			return err
		}
		fresh := newSpellingIndex(*table)
		for _, r := range rows {
			fresh.put(r.fold, r.held, r.seq)
		}
		fresh.read = time.Now()
		s.mu.Lock()
		s.ix = fresh
		s.mu.Unlock()
		return nil
	}
	rows, err := s.changes(ctx, ix.since)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rows {
		ix.put(r.fold, r.held, r.seq)
	}
	ix.read = time.Now()
	return nil
}

// spellingRow is a row of spelling_trigrams.
type spellingRow struct {
	fold string
	held bool
	seq  int64
}

// changes returns the rows of spelling_trigrams changed after since, in
// the order of their change numbers.
func (s *Spellings) changes(ctx context.Context, since int64) ([]spellingRow, error) {
	rows, err := s.q.Query(ctx, `SELECT name_fold, held, change_seq FROM `+Schema+`.spelling_trigrams
		WHERE change_seq > $1 ORDER BY change_seq`, since)
	if err != nil {
		return nil, fmt.Errorf("spellings: %w", err)
	}
	var got []spellingRow
	var r spellingRow
	if _, err := pgx.ForEachRow(rows, []any{&r.fold, &r.held, &r.seq}, func() error {
		got = append(got, r)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("spellings: %w", err)
	}
	return got, nil
}

// nearSpellings are the close spellings of one search the index found,
// and what it knew: the table (OID) and the changes up to since.
type nearSpellings struct {
	table  uint32
	since  int64
	folds  []string
	scores []float32
}

// near returns the spellings of the index at least closeThreshold similar
// to the folded search fold (held ones only, with held) that do not start
// with it, each with its pg_trgm similarity; nil when there is no index
// yet or fold is not ASCII (then SQL scores every spelling).
func (s *Spellings) near(fold string, held bool) *nearSpellings {
	if s == nil {
		return nil
	}
	q, ok := pgTrigrams(fold)
	if !ok || len(q) == 0 {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ix == nil || time.Since(s.ix.read) > SpellingsStale {
		return nil
	}
	seen, _ := s.seen.Get().(*[]uint16)
	if seen == nil || len(*seen) < len(s.ix.folds) {
		c := make([]uint16, len(s.ix.folds)+len(s.ix.folds)/8)
		seen = &c
	}
	out := s.ix.near(q, fold, held, *seen)
	s.seen.Put(seen)
	return out
}

// spellingIndex is the trigrams of the ASCII spellings of one
// spelling_trigrams table: each spelling has a slot, posts lists the slots
// of the spellings holding each trigram.
type spellingIndex struct {
	table uint32
	since int64     // every change up to it is here
	read  time.Time // when it was last read
	slot  map[string]int32
	folds []string
	held  []bool
	trgs  [][]uint32 // the trigrams of each spelling, sorted
	posts map[uint32][]int32
}

func newSpellingIndex(table uint32) *spellingIndex {
	return &spellingIndex{table: table, slot: map[string]int32{}, posts: map[uint32][]int32{}}
}

// put records fold, held or not, changed at seq. A fold already there
// only changes held.
func (ix *spellingIndex) put(fold string, held bool, seq int64) {
	ix.since = max(ix.since, seq)
	if i, ok := ix.slot[fold]; ok {
		ix.held[i] = held
		return
	}
	ts, ok := pgTrigrams(fold)
	if !ok {
		return // SQL scores it, whatever the change number
	}
	i := int32(len(ix.folds))
	ix.slot[fold] = i
	ix.folds = append(ix.folds, fold)
	ix.held = append(ix.held, held)
	ix.trgs = append(ix.trgs, ts)
	for _, t := range ts {
		ix.posts[t] = append(ix.posts[t], i)
	}
}

// near is Spellings.near on the index, for the trigrams q of fold;
// seen is zeroed scratch space of at least one count per spelling, left
// zeroed.
//
// Two ways find the same spellings; near takes the one that touches less.
// Counting: every spelling holding one of the search's trigrams is counted
// once per trigram it shares, which costs the spellings of all n trigrams.
// Candidates: a spelling at least t similar shares at least t·n of the
// search's n trigrams (similarity c/(n+m-c) is at most c/n), hence at
// least one of any n-⌈t·n⌉+1 of them; the candidates are the spellings of
// the rarest ones, each compared with the search trigram by trigram. A
// full name's threshold is high, so its candidates are few; a short
// search's low threshold lets in common trigrams, whose spellings are
// cheaper counted.
func (ix *spellingIndex) near(q []uint32, fold string, held bool, seen []uint16) *nearSpellings {
	return ix.nearBy(q, fold, held, seen, nearAuto)
}

// The ways of nearBy.
const (
	nearAuto = iota
	nearCounting
	nearCandidates
)

// nearBy is near, the way how says.
func (ix *spellingIndex) nearBy(q []uint32, fold string, held bool, seen []uint16, how int) *nearSpellings {
	n := len(q)
	t := closeThreshold(n)
	// A little below t·n: float rounding may only add candidates.
	need := int(math.Ceil(t*float64(n) - 1e-4))
	lists := make([][]int32, 0, n)
	all := 0
	for _, tr := range q {
		lists = append(lists, ix.posts[tr])
		all += len(ix.posts[tr])
	}
	slices.SortFunc(lists, func(a, b []int32) int { return len(a) - len(b) })
	rare := lists
	if need > 0 {
		rare = lists[:n-need+1]
	}
	if how == nearAuto {
		cand := 0
		for _, l := range rare {
			cand += len(l)
		}
		// A comparison walks both trigram lists (some n+20 steps), a count
		// is one increment.
		how = nearCounting
		if cand*(n+20) < 2*all {
			how = nearCandidates
		}
	}
	out := &nearSpellings{table: ix.table, since: ix.since, folds: []string{}, scores: []float32{}}
	keep := func(i, c int32) {
		if held && !ix.held[i] {
			return
		}
		m := int32(len(ix.trgs[i]))
		sml := float32(c) / float32(int32(n)+m-c) // pg_trgm's CALCSML, in float4
		if float64(sml) >= t && !strings.HasPrefix(ix.folds[i], fold) {
			out.folds = append(out.folds, ix.folds[i])
			out.scores = append(out.scores, sml)
		}
	}
	var touched []int32
	if how == nearCounting {
		for _, l := range lists {
			for _, i := range l {
				if seen[i] == 0 {
					touched = append(touched, i)
				}
				seen[i]++
			}
		}
		for _, i := range touched {
			c := int32(seen[i])
			seen[i] = 0
			if int(c) >= need {
				keep(i, c)
			}
		}
		return out
	}
	for _, l := range rare {
		for _, i := range l {
			if seen[i] != 0 {
				continue
			}
			seen[i] = 1
			touched = append(touched, i)
			keep(i, int32(shared(q, ix.trgs[i])))
		}
	}
	for _, i := range touched {
		seen[i] = 0
	}
	return out
}

// shared counts the trigrams two sorted lists have in common.
func shared(a, b []uint32) int {
	c := 0
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0] == b[0]:
			c++
			a, b = a[1:], b[1:]
		case a[0] < b[0]:
			a = a[1:]
		default:
			b = b[1:]
		}
	}
	return c
}

// closeThreshold is close_threshold for a search of n distinct trigrams
// (see threshold), computed as PostgreSQL computes it, in float8.
func closeThreshold(n int) float64 {
	return math.Max(minSimilarity, float64(n-closeTypos)/float64(n+closeTypos)) - 1e-6
}

// pgTrigrams returns the distinct trigrams of s as pg_trgm makes them, each
// packed in a uint32, sorted, and false when s is not ASCII. pg_trgm lower
// cases s and splits it into words at every character that is not a
// letter or digit; for ASCII those are [A-Za-z0-9]. (Folded names are in
// lower case already: a Turkish locale, which lower cases "I" to a dotless
// i, never sees one.) Each word is padded with two spaces in front and one
// behind and cut in threes.
func pgTrigrams(s string) ([]uint32, bool) {
	var out []uint32
	word := make([]byte, 0, 32)
	flush := func() {
		if len(word) == 0 {
			return
		}
		p := append(append([]byte{' ', ' '}, word...), ' ')
		for i := 0; i+3 <= len(p); i++ {
			out = append(out, uint32(p[i])<<16|uint32(p[i+1])<<8|uint32(p[i+2]))
		}
		word = word[:0]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return nil, false
		case c >= 'A' && c <= 'Z':
			word = append(word, c+'a'-'A')
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			word = append(word, c)
		default:
			flush()
		}
	}
	flush()
	slices.Sort(out)
	return slices.Compact(out), true
}
