package contracts

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/projections/customers"
	"github.com/channeldesk/channeldesk/projections/projtest"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// TestQueriesUseIndexes: on tables of 100 000 companies, the planner
// serves every name search from the indexes Setup creates — the name
// btree for prefixes and first letters, close_names and its trigram
// indexes for close spellings, a partner's relationships — and never
// scans a whole table of names; each query stays well within a page's
// time.
func TestQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	e := projtest.New(t, false)
	tx, err := e.Pool.Begin(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		schema string
		setup  func() error
	}{
		{Schema, func() error { return New().Setup(e.Ctx, tx, Schema) }},
		{customers.Schema, func() error { return customers.New().Setup(e.Ctx, tx, customers.Schema) }},
	} {
		if _, err := tx.Exec(e.Ctx, `CREATE SCHEMA `+s.schema); err != nil {
			t.Fatal(err)
		}
		if err := s.setup(); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(e.Ctx); err != nil {
		t.Fatal(err)
	}
	// Names of two random words; every company has an agreement and a
	// related partner, one in ten a former name.
	e.Exec(`INSERT INTO proj_contracts.companies (account_id, name, name_fold, country, region, registered_at, updated_at, position)
		SELECT lpad(i::text, 6, '0') || 'QQ', w, w, 'DE', 'EMEA', now(), now(), i
		FROM generate_series(1, 100000) i, LATERAL (SELECT substr(md5(i::text), 1, 8) || ' ' || substr(md5((i * 7)::text), 1, 6) AS w) x`)
	e.Exec(`INSERT INTO proj_contracts.company_names (account_id, name_fold, name, former, held)
		SELECT account_id, name_fold, name, false, true FROM proj_contracts.companies
		UNION ALL
		SELECT account_id, 'old ' || name_fold, 'Old ' || name, true, true FROM proj_contracts.companies WHERE position % 10 = 0`)
	e.Exec(`INSERT INTO proj_contracts.former_names (account_id, name_fold, name)
		SELECT account_id, name_fold, name FROM proj_contracts.company_names WHERE former`)
	e.Exec(`INSERT INTO proj_contracts.contracts (contract_number, program, account_id, discount_level, status, registered_at, updated_at, position)
		SELECT 'ELA-' || lpad(position::text, 6, '0'), 'enterprise', account_id, 1, 'active', now(), now(), position FROM proj_contracts.companies`)
	e.Exec(`INSERT INTO proj_customers.relationships (account_id, party_id, party_kind, relationship, since_position)
		SELECT account_id, lpad((position % 500)::text, 6, '0') || 'PP', 'partner', 'ordering_partner', position FROM proj_contracts.companies`)
	e.Exec(`UPDATE proj_customers.relationships r SET name_fold = c.name_fold FROM proj_contracts.companies c WHERE c.account_id = r.account_id`)
	e.Exec(`ANALYZE proj_contracts.companies, proj_contracts.company_names, proj_contracts.former_names, proj_contracts.spellings, proj_contracts.spelling_trigrams, proj_contracts.contracts,
		proj_customers.relationships`)

	staff := view{scope: readmodel.SeeAll}
	partner := view{scope: readmodel.SeeRelated, partnerID: "000007PP"}
	var fold string
	if err := e.Pool.QueryRow(e.Ctx, `SELECT name_fold FROM proj_contracts.companies WHERE account_id = '004242QQ'`).Scan(&fold); err != nil {
		t.Fatal(err)
	}
	typo := fold[:3] + "x" + fold[4:] // one character off
	word := typo[:8]                  // a partner scores its customers for a word, no longer than maxScanTrigrams
	if ts, _ := trigrams(word); len(ts) > maxScanTrigrams {
		t.Fatalf("%q has %d trigrams", word, len(ts))
	}
	type query struct {
		name string
		sql  string
		args []any
		want string // the indexes the plan may use, one at least, separated by |
	}
	var qs []query
	add := func(name, want string, sql string, args []any) {
		qs = append(qs, query{name, sql, args, want})
	}
	for _, v := range []struct {
		who string
		v   view
	}{{"staff", staff}, {"partner", partner}} {
		for _, s := range []struct {
			what string
			s    nameSearch
		}{{"contracts", contractSearch(v.v, "", "", "", "")}, {"vat", vatSearch(v.v, "")}} {
			qs := []struct {
				phase int
				fold  string
				want  string
			}{
				{phasePrefix, fold[:2], "company_names_fold_idx"},
				{phasePrefix, fold, "company_names_fold_idx"},
				{phaseSimilar, typo, "close_spellings"},
				{phaseSimilar, word, "close_spellings"},
			}
			if v.who == "partner" {
				// Its relationships, then the names by key; former names
				// from theirs.
				qs[0].want, qs[1].want = "relationships_party_idx", "relationships_party_idx"
				qs[3].want = "relationships_party_idx"
			}
			for _, q := range qs {
				s.s.fold = q.fold
				sql, args := s.s.query(q.phase, nil, 51)
				add(v.who+" "+s.what+" "+q.fold, q.want, sql, args)
				after := &cursor{F: q.fold, A: "000001QQ", T: "ELA-000001", S: 0.5}
				if s.s.tie == "" {
					after.T = ""
				}
				sql, args = s.s.query(q.phase, after, 51)
				add(v.who+" "+s.what+" "+q.fold+", next page", q.want, sql, args)
			}
		}
		for _, l := range []string{"a", "#"} {
			// A partner's few customers may as well be read from its
			// relationships.
			sql, args := letterQuery(v.v, l, nil, 51)
			add(v.who+" letter "+l, "companies_name_fold_idx|relationships_party_idx", sql, args)
		}
	}
	for _, q := range qs {
		rows, err := e.Pool.Query(e.Ctx, `EXPLAIN `+q.sql, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		plan := strings.Join(lines, "\n")
		uses := false
		for _, idx := range strings.Split(q.want, "|") {
			uses = uses || strings.Contains(plan, idx)
		}
		if !uses || strings.Contains(plan, "Seq Scan on company_names") ||
			strings.Contains(plan, "Seq Scan on companies") {
			t.Errorf("%s: plan without %s or with a scan of all names:\n%s", q.name, q.want, plan)
		}
		start := time.Now()
		rows, err = e.Pool.Query(e.Ctx, q.sql, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		t.Logf("%s: %s", q.name, time.Since(start))
	}

	// close_names reads a trigram index, whatever the planner thinks of
	// scoring every name.
	for _, c := range []struct{ sql, table, cond, want string }{
		{closeSpellingsSQL, "proj_contracts.spelling_trigrams", " AND t.held", "spelling_trigrams_held_idx"},
		{closeSpellingsSQL, "proj_contracts.spelling_trigrams", "", "spelling_trigrams_idx"},
		{closeNamesSQL, "proj_contracts.former_names", "", "former_names_trgm_idx"},
		// With the in-process index: the spellings that are not ASCII.
		{closeSpellingsSQL, "proj_contracts.spelling_trigrams", " AND t.held AND octet_length(t.name_fold) <> char_length(t.name_fold)", "spelling_trigrams_wide_idx"},
	} {
		tx, err := e.Pool.Begin(e.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		var inner string
		if err := tx.QueryRow(e.Ctx, `SELECT format($1::text, $2::regclass, $3::text)`, c.sql, c.table, c.cond).Scan(&inner); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(e.Ctx, `SET LOCAL pg_trgm.similarity_threshold = 0.45; SET LOCAL enable_seqscan = off;
			SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off`); err != nil {
			t.Fatal(err)
		}
		rows, err := tx.Query(e.Ctx, `EXPLAIN `+inner, typo)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if plan := strings.Join(lines, "\n"); !strings.Contains(plan, c.want) {
			t.Errorf("%s%s: plan without %s:\n%s", c.table, c.cond, c.want, plan)
		}
		if err := tx.Rollback(e.Ctx); err != nil {
			t.Fatal(err)
		}
	}

	// With the in-process index, close_spellings scores the rows changed
	// since it read them, from the btree of change numbers.
	{
		tx, err := e.Pool.Begin(e.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		var inner string
		if err := tx.QueryRow(e.Ctx, `SELECT format($1::text, 'proj_contracts.spelling_trigrams'::regclass, ' AND t.held')`,
			changedSpellingsSQL).Scan(&inner); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(e.Ctx, `SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off`); err != nil {
			t.Fatal(err)
		}
		rows, err := tx.Query(e.Ctx, `EXPLAIN `+inner, typo, 0.5, int64(90000))
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if plan := strings.Join(lines, "\n"); !strings.Contains(plan, "spelling_trigrams_change_idx") {
			t.Errorf("changed spellings: plan without the btree of change numbers:\n%s", plan)
		}
		if err := tx.Rollback(e.Ctx); err != nil {
			t.Fatal(err)
		}
	}

	// The searches themselves find the company by prefix and by typo.
	p := domain.Principal{ID: "staff:x", Kind: domain.KindStaff, Roles: []domain.Role{domain.RoleSupport}}
	for _, q := range []string{fold[:5], typo} {
		got, _, err := Search(e.Ctx, e.Pool, p, Filter{Company: q, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range got {
			found = found || c.AccountID == "004242QQ"
		}
		if !found {
			t.Errorf("%q does not find %q", q, fold)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ p, want string }{
		{"", ""},
		{"a", "b"},
		{"fe", "ff"},
		{"az", "a{"},
		{"aé", "aê"},
		{"a\uD7FF", "a\uE000"},
		{"ab\U0010FFFF", "ac"},
		{"\U0010FFFF", ""},
	} {
		if got := prefixEnd(c.p); got != c.want {
			t.Errorf("prefixEnd(%q) = %q, want %q", c.p, got, c.want)
		}
	}
}
