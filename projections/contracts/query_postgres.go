package contracts

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/names"
	"github.com/channeldesk/channeldesk/projections/customers"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// Schema is the PostgreSQL schema queries read (projections.Schema(Name)).
const Schema = "proj_" + Name

// relationships is the customer list's table of the partners related to
// each customer, which decides what a partner may see; read only.
const relationships = customers.Schema + ".relationships"

// contractRels are the relationships that let a partner see a customer's
// contracts (DOMAIN.md "Who may see what"): it placed an order for the
// customer (or distributed one), holds manage rights under one of its
// agreements, or is its renewal partner. View rights and solution advice
// alone do not. Never written.
var contractRels = []string{account.RelOrderingPartner, account.RelDistributor, customers.RelManageRights, account.RelRenewalPartner}

// vatRegions are the regions whose customers VAT search covers [seed].
// Never written.
var vatRegions = []string{"EMEA", "APAC"}

// The errors of the read side (readmodel's), under this package's names.
var (
	// ErrNotFound is returned for a company ID that does not exist or that
	// the viewer may not see (for contracts: whose contracts it may not
	// see); the two are deliberately indistinguishable.
	ErrNotFound = readmodel.ErrNotFound
	// ErrBadCursor is returned for a cursor that was not issued for the
	// same query and kind of viewer.
	ErrBadCursor = readmodel.ErrBadCursor
	// ErrBadLimit is returned for a limit below 1 or above readmodel.MaxLimit.
	ErrBadLimit = readmodel.ErrBadLimit
	// ErrBadLetter is returned by Associated for a letter other than A to
	// Z (either case) or '#'.
	ErrBadLetter = errors.New("contracts: letter must be one of A to Z or #")
)

// RegionError is returned by VAT for a company ID the viewer may see but
// whose account is outside the regions VAT search covers (EMEA and APAC).
// It carries no VAT number.
type RegionError struct {
	AccountID, Region string
}

// Error implements error.
func (e *RegionError) Error() string {
	return fmt.Sprintf("VAT search covers customers in EMEA and APAC only; account %s is in %s", e.AccountID, e.Region)
}

// MaxMergeHops bounds how far a company ID is followed along a chain of
// merged accounts.
const MaxMergeHops = 16

// minSimilarRunes is the shortest folded name searched for close
// spellings: below three characters trigram similarity says little and
// matches half the table.
const minSimilarRunes = 3

// Querier runs queries: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type Querier = readmodel.Querier

// Filter selects and pages contracts: by Company (with the optional
// address fields) or by CompanyID, one of the two.
type Filter struct {
	// Company is a company name, compared folded (names.FoldCompany: case,
	// accents, punctuation and legal suffixes do not matter) with the
	// current and every former name of each company: names starting with
	// it come first (an exact match first of all), then names spelled
	// closely, most similar first: a pg_trgm similarity of at least 0.3,
	// and for a longer search at least that of a name two typos away
	// (threshold), so that a full name does not list every name sharing
	// one of its words; MaxClose companies at most.
	Company string
	// Country is an ISO 3166-1 alpha-2 code (either case); State and City
	// are compared folded (names.Fold). Empty ones do not filter.
	Country, State, City string
	// CompanyID is an account ID; a merged account's ID leads to the
	// account it was merged into.
	CompanyID string
	// Limit is the page size: 0 means readmodel.DefaultLimit; 1 to
	// readmodel.MaxLimit.
	Limit int
	// Cursor is the next cursor of the previous page, "" for the first.
	Cursor string
}

// Contract is a license agreement as the contract search shows it.
type Contract struct {
	ContractNumber string `json:"contract_number"`
	// Program is "enterprise" or "easy".
	Program string `json:"program"`
	// AccountID is the account holding the agreement now (after a merge,
	// the survivor).
	AccountID string `json:"account_id"`
	// CompanyName is the account's current name.
	CompanyName    string `json:"company_name"`
	PrimaryAdmin   string `json:"primary_admin"`
	SecondaryAdmin string `json:"secondary_admin,omitempty"`
	DiscountLevel  int    `json:"discount_level"`
	// TermStart and TermEnd are YYYY-MM-DD, the term inclusive.
	TermStart string `json:"term_start"`
	TermEnd   string `json:"term_end"`
	// Status is "active" or, once the agreement was terminated (through a
	// termination case), "terminated": a terminated agreement is still
	// found, as part of the account's history.
	Status string `json:"status"`
	// Country, State and City are the account's address.
	Country string `json:"country"`
	State   string `json:"state,omitempty"`
	City    string `json:"city,omitempty"`
	// FormerNames are the company's earlier names, oldest first; Renamed
	// reports that it has any.
	FormerNames []string `json:"former_names"`
	Renamed     bool     `json:"renamed"`
	// MatchedFormerName is the former name a company search found the
	// company by, when its current name did not match.
	MatchedFormerName string `json:"matched_former_name,omitempty"`
}

// Search returns the page of contracts f selects that viewer may see, and
// the cursor of the next page ("" on the last one).
//
// By CompanyID: the agreements of that account (of the account it was
// merged into, for a merged one) in contract number order, or ErrNotFound
// when the account does not exist or viewer may not see its contracts.
// By Company: the agreements of every active company found by the name
// that viewer may see, ranked as Filter.Company says, then by folded name,
// account ID and contract number; nothing found is an empty page.
//
// It returns ErrBadLimit or ErrBadCursor for a bad page request.
func Search(ctx context.Context, q Querier, viewer domain.Principal, f Filter) ([]Contract, string, error) {
	return (*Spellings)(nil).Search(ctx, q, viewer, f)
}

// Search is the package's Search, with close spellings scored by the index
// sp (nil: by PostgreSQL's trigram index alone); the answer is the same.
func (sp *Spellings) Search(ctx context.Context, q Querier, viewer domain.Principal, f Filter) ([]Contract, string, error) {
	limit, err := readmodel.PageSize(f.Limit)
	if err != nil {
		return nil, "", err
	}
	var after *cursor
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		after = &c
	}
	v, err := viewOf(ctx, q, viewer)
	if err != nil {
		return nil, "", err
	}
	if f.CompanyID != "" {
		return contractsOf(ctx, q, v, f.CompanyID, after, limit)
	}
	fold := names.FoldCompany(f.Company)
	s := contractSearch(v, fold, strings.ToUpper(f.Country), names.Fold(f.State), names.Fold(f.City))
	s.sp = sp
	if err := s.check(after); err != nil {
		return nil, "", err
	}
	if fold == "" || v.scope == readmodel.SeeNothing {
		return []Contract{}, "", nil
	}
	return searchNames(ctx, q, s, after, limit,
		func(c *Contract) []any {
			return []any{&c.ContractNumber, &c.Program, &c.PrimaryAdmin, &c.SecondaryAdmin, &c.DiscountLevel,
				&c.TermStart, &c.TermEnd, &c.Status, &c.Country, &c.State, &c.City}
		},
		func(c *Contract, m *match) string {
			c.AccountID, c.CompanyName, c.FormerNames, c.Renamed = m.accountID, m.name, nonNil(m.formerNames), len(m.formerNames) > 0
			if m.former {
				c.MatchedFormerName = m.matched
			}
			return c.ContractNumber
		})
}

// contractSearch is the name search of Search: the agreements of the
// companies found, in the address given (folded state and city).
func contractSearch(v view, fold, country, state, city string) nameSearch {
	return nameSearch{
		fold: fold,
		bind: bind("contracts/company", fold, country, state, city, v.key()),
		v:    v,
		rels: contractRels,
		held: true,
		tie:  "c.contract_number",
		cols: `, c.contract_number, c.program, c.primary_admin, c.secondary_admin, c.discount_level,
			c.term_start, c.term_end, c.status, co.country, co.state, co.city`,
		join: ` JOIN ` + Schema + `.contracts c ON c.account_id = co.account_id`,
		where: func(a *args) []string {
			var w []string
			if country != "" {
				w = append(w, `co.country = `+a.add(country))
			}
			if state != "" {
				w = append(w, `co.state_fold = `+a.add(state))
			}
			if city != "" {
				w = append(w, `co.city_fold = `+a.add(city))
			}
			return w
		},
	}
}

// contractsOf answers Search by company ID.
func contractsOf(ctx context.Context, q Querier, v view, companyID string, after *cursor, limit int) ([]Contract, string, error) {
	b := bind("contracts/id", companyID, v.key())
	if after != nil && (after.B != b || after.P != 0 || after.S != 0 || after.F != "" || after.A != "" || after.T == "") {
		return nil, "", ErrBadCursor
	}
	id, err := v.open(ctx, q, companyID, contractRels)
	if err != nil {
		return nil, "", err
	}
	from := ""
	if after != nil {
		from = after.T
	}
	rows, err := q.Query(ctx, `SELECT c.contract_number, c.program, c.account_id, co.name, c.primary_admin, c.secondary_admin,
			c.discount_level, c.term_start, c.term_end, c.status, co.country, co.state, co.city, co.former_names
		FROM `+Schema+`.contracts c JOIN `+Schema+`.companies co ON co.account_id = c.account_id
		WHERE c.account_id = $1 AND c.contract_number > $2
		ORDER BY c.contract_number LIMIT $3`, id, from, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("contracts of %s: %w", id, err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Contract, error) {
		var c Contract
		err := row.Scan(&c.ContractNumber, &c.Program, &c.AccountID, &c.CompanyName, &c.PrimaryAdmin, &c.SecondaryAdmin,
			&c.DiscountLevel, &c.TermStart, &c.TermEnd, &c.Status, &c.Country, &c.State, &c.City, &c.FormerNames)
		c.FormerNames = nonNil(c.FormerNames)
		c.Renamed = len(c.FormerNames) > 0
		return c, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("contracts of %s: %w", id, err)
	}
	if len(items) <= limit {
		return items, "", nil
	}
	next := cursor{B: b, T: items[limit-1].ContractNumber}
	return items[:limit], next.encode(), nil
}

// LetterFilter selects and pages the associated customers.
type LetterFilter struct {
	// Letter is one of A to Z (either case), or '#' for names starting
	// with anything else (a digit, a letter outside A to Z, nothing).
	Letter string
	// Limit is the page size: 0 means readmodel.DefaultLimit; 1 to
	// readmodel.MaxLimit.
	Limit int
	// Cursor is the next cursor of the previous page, "" for the first.
	Cursor string
}

// AssociatedCustomer is one customer of the associated customers list.
type AssociatedCustomer struct {
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
}

// Associated returns the page of the viewer's customers whose current
// name, folded (names.FoldCompany: "Élan Ltd" is under E), starts with
// f.Letter, in folded name and account ID order, each once, and the cursor
// of the next page ("" on the last one). A viewer's customers: every
// active account for staff with a role; its own for a customer contact;
// for a partner, every account it has any relationship with (as the
// customer list). It returns ErrBadLetter, ErrBadLimit or ErrBadCursor
// for a bad request.
func Associated(ctx context.Context, q Querier, viewer domain.Principal, f LetterFilter) ([]AssociatedCustomer, string, error) {
	letter := strings.ToLower(f.Letter)
	if len(letter) != 1 || !(letter == "#" || letter[0] >= 'a' && letter[0] <= 'z') {
		return nil, "", ErrBadLetter
	}
	limit, err := readmodel.PageSize(f.Limit)
	if err != nil {
		return nil, "", err
	}
	v, err := viewOf(ctx, q, viewer)
	if err != nil {
		return nil, "", err
	}
	b := bind("associated", letter, v.key())
	var after *cursor
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		if c.B != b || c.P != 0 || c.S != 0 || c.A == "" || c.T != "" {
			return nil, "", ErrBadCursor
		}
		after = &c
	}
	if v.scope == readmodel.SeeNothing {
		return []AssociatedCustomer{}, "", nil
	}
	sql, list := letterQuery(v, letter, after, limit+1)
	rows, err := q.Query(ctx, sql, list...)
	if err != nil {
		return nil, "", fmt.Errorf("associated customers: %w", err)
	}
	type listed struct {
		AssociatedCustomer
		fold string
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (listed, error) {
		var l listed
		err := row.Scan(&l.AccountID, &l.Name, &l.fold)
		return l, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("associated customers: %w", err)
	}
	out := make([]AssociatedCustomer, 0, min(len(items), limit))
	for _, l := range items[:min(len(items), limit)] {
		out = append(out, l.AssociatedCustomer)
	}
	if len(items) <= limit {
		return out, "", nil
	}
	last := items[limit-1]
	return out, cursor{B: b, F: last.fold, A: last.AccountID}.encode(), nil
}

// letterQuery returns the statement of Associated: up to limit active
// companies visible to v whose folded name starts with letter (a to z, or
// '#'), after c.
//
// Folded names are lower case: a letter's names are the range [letter,
// next letter). '#' is everything before "a" and from "{" (the byte after
// "z") on: two ranges, each walked in order on the name index.
func letterQuery(v view, letter string, c *cursor, limit int) (string, []any) {
	type span struct{ lo, hi string }
	spans := []span{{letter, string(rune(letter[0] + 1))}}
	if letter == "#" {
		spans = []span{{"", "a"}, {"{", ""}}
	}
	a := &args{}
	n := a.add(limit)
	var parts []string
	for _, sp := range spans {
		w := []string{`co.status = 'active'`, `co.name_fold >= ` + a.add(sp.lo), v.cond(a, "co.account_id", nil)}
		if sp.hi != "" {
			w = append(w, `co.name_fold < `+a.add(sp.hi))
		}
		if c != nil {
			w = append(w, `(co.name_fold, co.account_id) > (`+a.add(c.F)+`, `+a.add(c.A)+`)`)
		}
		parts = append(parts, `(SELECT co.account_id, co.name, co.name_fold FROM `+Schema+`.companies co
			WHERE `+strings.Join(w, " AND ")+` ORDER BY co.name_fold, co.account_id LIMIT `+n+`)`)
	}
	if len(parts) == 1 {
		return parts[0], a.list
	}
	return `SELECT * FROM (` + strings.Join(parts, " UNION ALL ") + `) u ORDER BY name_fold, account_id LIMIT ` + n, a.list
}

// VATFilter selects a VAT search: by CompanyID or by Company, one of the
// two.
type VATFilter struct {
	// CompanyID is an account ID; a merged account's ID leads to the
	// account it was merged into.
	CompanyID string
	// Company is a company name, searched as Filter.Company.
	Company string
	// Limit is the page size: 0 means readmodel.DefaultLimit; 1 to
	// readmodel.MaxLimit.
	Limit int
	// Cursor is the next cursor of the previous page, "" for the first.
	Cursor string
}

// VATEntry is a customer's VAT number as VAT search shows it.
type VATEntry struct {
	AccountID string `json:"account_id"`
	// Name is the company's current name.
	Name    string `json:"name"`
	Country string `json:"country"`
	// Region is EMEA or APAC: VAT search covers no other.
	Region string `json:"region"`
	// VATNumber is "" when the customer has none recorded.
	VATNumber string `json:"vat_number"`
	// FormerNames are the company's earlier names, oldest first; Renamed
	// reports that it has any.
	FormerNames []string `json:"former_names"`
	Renamed     bool     `json:"renamed"`
	// MatchedFormerName is the former name a search by name found the
	// company by, when its current name did not match.
	MatchedFormerName string `json:"matched_former_name,omitempty"`
}

// VAT returns the VAT numbers of the customers in EMEA and APAC that f
// selects and viewer may see (its customers, as Associated counts them),
// and the cursor of the next page ("" on the last one).
//
// By CompanyID: that account (or the one it was merged into), a page of
// one; ErrNotFound when it does not exist or viewer may not see it, a
// *RegionError when viewer may see it but it is outside EMEA and APAC. By
// Company: the customers in EMEA and APAC found by the name, ranked as
// Filter.Company says; customers elsewhere are not listed.
//
// It returns ErrBadLimit or ErrBadCursor for a bad page request.
func VAT(ctx context.Context, q Querier, viewer domain.Principal, f VATFilter) ([]VATEntry, string, error) {
	return (*Spellings)(nil).VAT(ctx, q, viewer, f)
}

// VAT is the package's VAT, with close spellings scored by the index sp
// (nil: by PostgreSQL's trigram index alone); the answer is the same.
func (sp *Spellings) VAT(ctx context.Context, q Querier, viewer domain.Principal, f VATFilter) ([]VATEntry, string, error) {
	limit, err := readmodel.PageSize(f.Limit)
	if err != nil {
		return nil, "", err
	}
	var after *cursor
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		after = &c
	}
	v, err := viewOf(ctx, q, viewer)
	if err != nil {
		return nil, "", err
	}
	if f.CompanyID != "" {
		if after != nil {
			return nil, "", ErrBadCursor // a lookup by ID is one page
		}
		id, err := v.open(ctx, q, f.CompanyID, nil)
		if err != nil {
			return nil, "", err
		}
		var e VATEntry
		err = q.QueryRow(ctx, `SELECT account_id, name, former_names, country, region, vat_number
			FROM `+Schema+`.companies WHERE account_id = $1`, id).
			Scan(&e.AccountID, &e.Name, &e.FormerNames, &e.Country, &e.Region, &e.VATNumber)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, "", ErrNotFound
		}
		if err != nil {
			return nil, "", fmt.Errorf("vat of %s: %w", id, err)
		}
		if !inVATRegion(e.Region) {
			return nil, "", &RegionError{AccountID: e.AccountID, Region: e.Region}
		}
		e.FormerNames = nonNil(e.FormerNames)
		e.Renamed = len(e.FormerNames) > 0
		return []VATEntry{e}, "", nil
	}
	fold := names.FoldCompany(f.Company)
	s := vatSearch(v, fold)
	s.sp = sp
	if err := s.check(after); err != nil {
		return nil, "", err
	}
	if fold == "" || v.scope == readmodel.SeeNothing {
		return []VATEntry{}, "", nil
	}
	return searchNames(ctx, q, s, after, limit,
		func(e *VATEntry) []any { return []any{&e.Country, &e.Region, &e.VATNumber} },
		func(e *VATEntry, m *match) string {
			e.AccountID, e.Name, e.FormerNames, e.Renamed = m.accountID, m.name, nonNil(m.formerNames), len(m.formerNames) > 0
			if m.former {
				e.MatchedFormerName = m.matched
			}
			return ""
		})
}

// vatSearch is the name search of VAT: the companies found in vatRegions.
func vatSearch(v view, fold string) nameSearch {
	return nameSearch{
		fold: fold,
		bind: bind("vat/company", fold, v.key()),
		v:    v,
		cols: `, co.country, co.region, co.vat_number`,
		where: func(a *args) []string {
			return []string{`co.region = ANY(` + a.add(vatRegions) + `::text[])`}
		},
	}
}

func inVATRegion(r string) bool {
	for _, v := range vatRegions {
		if r == v {
			return true
		}
	}
	return false
}

// view is what a viewer may see, resolved once per query.
type view struct {
	scope     readmodel.Scope
	partnerID string
	// own is, for a customer contact, the account it answers under: its
	// own, or the one its own was merged into.
	own string
}

func viewOf(ctx context.Context, q Querier, p domain.Principal) (view, error) {
	v := view{scope: readmodel.ScopeOf(p), partnerID: p.PartnerID}
	if v.scope == readmodel.SeeOwn {
		own, err := resolve(ctx, q, p.AccountID)
		if errors.Is(err, ErrNotFound) {
			own = p.AccountID
		} else if err != nil {
			return view{}, err
		}
		v.own = own
	}
	return v, nil
}

// key binds cursors to the kind of viewer.
func (v view) key() string { return strconv.Itoa(int(v.scope)) }

// cond returns the SQL condition under which the account in column col
// is visible: to a partner, through one of rels (any relationship when
// rels is nil).
func (v view) cond(a *args, col string, rels []string) string {
	switch v.scope {
	case readmodel.SeeAll:
		return "TRUE"
	case readmodel.SeeOwn:
		return col + " = " + a.add(v.own)
	case readmodel.SeeRelated:
		c := `EXISTS (SELECT 1 FROM ` + relationships + ` r WHERE r.account_id = ` + col + ` AND r.party_id = ` + a.add(v.partnerID)
		if rels != nil {
			c += ` AND r.relationship = ANY(` + a.add(rels) + `::text[])`
		}
		return c + `)`
	}
	return "FALSE"
}

// open resolves companyID along merges and returns the account it leads
// to if it exists and is visible to v through rels (see cond), and
// ErrNotFound if not.
func (v view) open(ctx context.Context, q Querier, companyID string, rels []string) (string, error) {
	if v.scope == readmodel.SeeNothing {
		return "", ErrNotFound
	}
	id, err := resolve(ctx, q, companyID)
	if err != nil {
		return "", err
	}
	a := &args{}
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+Schema+`.companies co
		WHERE co.account_id = `+a.add(id)+` AND `+v.cond(a, "co.account_id", rels)+`)`, a.list...).Scan(&ok); err != nil {
		return "", fmt.Errorf("company %s: %w", id, err)
	}
	if !ok {
		return "", ErrNotFound
	}
	return id, nil
}

// resolve follows id along merges (at most MaxMergeHops) to the account
// that answers for it; ErrNotFound if there is no such company.
func resolve(ctx context.Context, q Querier, id string) (string, error) {
	for hop := 0; ; hop++ {
		var status, into string
		err := q.QueryRow(ctx, `SELECT status, merged_into FROM `+Schema+`.companies WHERE account_id = $1`, id).Scan(&status, &into)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", ErrNotFound
		}
		if err != nil {
			return "", fmt.Errorf("company %s: %w", id, err)
		}
		if status != statusMerged || into == "" || hop == MaxMergeHops {
			return id, nil
		}
		id = into
	}
}

// args collects the arguments of a statement being built.
type args struct{ list []any }

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	a.list = append(a.list, v)
	return "$" + strconv.Itoa(len(a.list))
}

// cursor is the sort key of the last row of a page, and B, which binds it
// to the query and kind of viewer it was issued for.
type cursor struct {
	B string `json:"b"`
	// P is the phase of a name search (phasePrefix, phaseSimilar), 0
	// elsewhere; S the similarity of the row in phaseSimilar.
	P int     `json:"p,omitempty"`
	S float32 `json:"s,omitempty"`
	// F and A are the folded name and the account ID; T the contract
	// number, where one orders the rows.
	F string `json:"f,omitempty"`
	A string `json:"a,omitempty"`
	T string `json:"t,omitempty"`
}

func (c cursor) encode() string { return readmodel.EncodeCursor(c) }

func decodeCursor(s string) (cursor, error) {
	var c cursor
	if err := readmodel.DecodeCursor(s, &c); err != nil || c.B == "" {
		return cursor{}, ErrBadCursor
	}
	return c, nil
}

// bind returns a short digest of a query's parts, to bind a cursor to it.
func bind(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(h[:9])
}

// Phases of a name search: the names starting with the search (an exact
// match first, as the shortest of them), then the names spelled closely.
const (
	phasePrefix  = 1
	phaseSimilar = 2
)

// prefixEnd returns the least string above every string starting with p
// (in byte order, which is code point order in UTF-8): p with its last
// character incremented, so that [p, prefixEnd(p)) is exactly the strings
// starting with p. A bound of a real character, unlike p followed by
// U+10FFFF, lets the planner estimate the range from its histogram. It
// returns "" (no bound) for "" and for a p of only U+10FFFF.
func prefixEnd(p string) string {
	for p != "" {
		r, n := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-n]
		switch {
		case r == utf8.MaxRune || r == utf8.RuneError && n == 1:
			continue // no next character: the bound is one character shorter
		case r+1 == 0xD800:
			return p + string(rune(0xE000)) // past the surrogates
		default:
			return p + string(r+1)
		}
	}
	return ""
}

// nameSearch is a company-name search over company_names, the rows it
// leads to (joined to the match m and the company co) and their order.
type nameSearch struct {
	fold string
	bind string
	// v is the viewer; rels the relationships that let a partner see a
	// company (nil: any, see view.cond).
	v    view
	rels []string
	// held is set when the rows are a company's agreements: only companies
	// that hold one are listed, and their names have an index of their own
	// (company_names.held).
	held bool
	// join joins the rows each company leads to (none: the company);
	// cols are the columns selected after the match's; tie orders the
	// rows of one company ("" when there is one).
	join, cols, tie string
	// where returns the search's own conditions on the company co (its
	// address, its region); who may see it is the view's.
	where func(a *args) []string
	// sp scores close spellings in memory (nil: SQL alone; see
	// spellings); near are the close spellings it found for the search
	// (nil: none looked for yet, or no index), which searchNames looks
	// for before the close-spelling phase.
	sp   *Spellings
	near *nearSpellings
}

// similar reports whether the search looks for close spellings too.
func (s nameSearch) similar() bool { return utf8.RuneCountInString(s.fold) >= minSimilarRunes }

// check refuses a cursor not issued for this search.
func (s nameSearch) check(c *cursor) error {
	if c == nil {
		return nil
	}
	ok := c.B == s.bind && c.A != "" && (c.T != "") == (s.tie != "")
	switch c.P {
	case phasePrefix:
		ok = ok && c.S == 0
	case phaseSimilar:
		ok = ok && s.similar()
	default:
		ok = false
	}
	if !ok {
		return ErrBadCursor
	}
	return nil
}

// match is how a company was found, and the company.
type match struct {
	fold, matched string // the name row that matched: folded, as written
	former        bool
	score         float32
	accountID     string
	name          string // the company's current name
	formerNames   []string
}

func (m *match) targets() []any {
	return []any{&m.fold, &m.former, &m.matched, &m.score, &m.accountID, &m.name, &m.formerNames}
}

// MaxClose is the most companies the close-spelling phase of a name
// search lists: the closest ones (by pg_trgm similarity, among those the
// viewer may see and the search's own conditions select). Should more be
// as close as the last of them, those tied with it are left out with it,
// so that the phase lists the same companies on every page. A search for
// close spellings wants the nearest few; the rest of a long tail of weak
// matches is noise, and scoring it costs every search.
const MaxClose = 100

// closeTypos is how many trigrams (pg_trgm: a word padded with two spaces
// in front and one behind, cut in threes) a close spelling of a long
// search may lack and add: 6, what two typos change at most.
const closeTypos = 6

// minSimilarity is the least similarity of any close spelling, pg_trgm's
// default threshold.
const minSimilarity = 0.3

// threshold returns the SQL expression of the least similarity of a close
// spelling of the search in placeholder q (close_threshold): 0.3, or for a
// search of n trigrams (n-6)/(n+6), the similarity of a name that differs
// from it in two typos (it lacks six of its trigrams and has six others),
// whichever is higher. A long search (a company's full name) otherwise
// finds every name that shares one of its words: "Redwood Consulting" some
// 2 700 names, not spelled closely, and each of them scored. A millionth
// less, so that a name at exactly the bound passes whatever the rounding
// of its similarity. A scalar subquery: evaluated once, not for each row.
func threshold(q string) string {
	return `(SELECT ` + Schema + `.close_threshold(` + q + `))`
}

// trigrams returns the distinct trigrams of the folded string fold as
// pg_trgm makes them (each word padded with two spaces in front and one
// behind, cut in threes), and false when fold is not ASCII: only then are
// its words and letters surely pg_trgm's too (a folded string is lower
// case letters and digits, words separated by one space).
func trigrams(fold string) ([]string, bool) {
	seen := map[string]bool{}
	var out []string
	for _, w := range strings.Fields(fold) {
		p := "  " + w + " "
		for i := 0; i+3 <= len(p); i++ {
			t := p[i : i+3]
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	for i := 0; i < len(fold); i++ {
		if c := fold[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == ' ') {
			return nil, false
		}
	}
	return out, true
}

// maxScanTrigrams is the most trigrams a search may have for a partner's
// close-spelling phase to score each of the partner's customers
// (relationships) rather than read the trigram index: a short search (a
// word) matches a good part of the index at the low threshold it gets, and
// its prefilter (see prefilter) is cheap; a long one is the other way
// round.
const maxScanTrigrams = 12

// maxJoinSpellings is the most close spellings the in-process index
// (Spellings) may find for a partner's short search to be joined to the
// partner's relationships by name, one index lookup each, rather than
// every relationship scored: the index knows how many there are before
// the statement is written, which the trigram index did not.
const maxJoinSpellings = 300

// prefilter returns a condition on the folded name in col that every name
// at least threshold(s.fold) similar to the search meets, and that costs a
// string search per trigram of the search instead of a similarity (which
// makes the trigrams of both strings again for every row): the name holds
// at least ⌈t·n⌉ of the search's n trigrams. (A similarity c/(n+m-c), c
// the trigrams in common, m the name's, of at least t needs c >= t·n,
// since c <= m.) In ' ' || name || ' ' a trigram of the search shows as
// itself, with one space where pg_trgm pads a word with two in front. A
// name that is not ASCII is left to the similarity. "" when the search is
// not ASCII or has more than maxScanTrigrams trigrams: then the partner's
// search reads the trigram index.
func (s nameSearch) prefilter(a *args, col string) string {
	ts, ok := trigrams(s.fold)
	if !ok || len(ts) == 0 || len(ts) > maxScanTrigrams {
		return ""
	}
	n := len(ts)
	t := closeThreshold(n)
	need := int(math.Ceil(t * float64(n)))
	terms := make([]string, n)
	for i, tr := range ts {
		terms[i] = `(strpos(' ' || ` + col + ` || ' ', ` + a.add(strings.Replace(tr, "  ", " ", 1)) + `) > 0)::int`
	}
	return `(octet_length(` + col + `) <> char_length(` + col + `) OR ` + strings.Join(terms, " + ") + ` >= ` + strconv.Itoa(need) + `)`
}

// names returns the statement of the names a phase matches among the
// companies v may see (through s.rels): account_id, name_fold, former,
// name and score (the similarity to the search; 0 in the prefix phase).
// q is the search's placeholder. Staff's close spellings are not here but
// in closest, which stops at MaxClose companies.
//
// Staff read the btree of the names for prefixes. A customer contact reads
// its own account's names. A partner starts from its relationships, whose
// index holds each customer's current folded name (kept by the customer
// list), for prefixes (a range of it) and for close spellings of a short
// search (every customer of the partner, prefiltered and scored): what it
// costs is what the partner's customers number, not what the names
// sharing a common word or a first letter do; former names, which
// relationships do not hold, come from former_names and their company's
// relationships. Close spellings of a long search are the close spellings
// (spellings) joined to the partner's relationships by name, and to the
// former names that bear them. A relationship's name is only a way in:
// the match is the company_names row with that name.
func (s nameSearch) names(a *args, phase int, q string) string {
	var match func(col string) string
	var score string
	if phase == phasePrefix {
		// The strings starting with the search: [q, prefixEnd(q)).
		end := prefixEnd(s.fold)
		hi := ""
		if end != "" {
			hi = a.add(end)
		}
		match = func(col string) string {
			if hi == "" {
				return col + ` >= ` + q + ` AND starts_with(` + col + `, ` + q + `)`
			}
			return col + ` >= ` + q + ` AND ` + col + ` < ` + hi
		}
		score = `0::real`
	} else {
		t := threshold(q)
		match = func(col string) string { return `similarity(` + col + `, ` + q + `) >= ` + t }
		score = `similarity(n.name_fold, ` + q + `)`
	}
	sel := func(table string) string {
		return `SELECT n.account_id, n.name_fold, n.former, n.name, ` + score + ` AS score FROM ` + Schema + `.` + table + ` n`
	}
	closeNames := func(table string, held bool) string {
		return `SELECT n.account_id COLLATE "C" AS account_id, n.name_fold COLLATE "C" AS name_fold, n.former, n.name, n.score
			FROM ` + Schema + `.close_names(` + a.add(Schema+"."+table) + `::regclass, ` + q + `, ` + threshold(q) + `, ` + strconv.FormatBool(held) + `) n`
	}
	switch s.v.scope {
	case readmodel.SeeOwn:
		return sel("company_names") + ` WHERE n.account_id = ` + a.add(s.v.own) + ` AND ` + match("n.name_fold")
	case readmodel.SeeRelated:
		p := a.add(s.v.partnerID)
		rels := ""
		if s.rels != nil {
			rels = ` AND r.relationship = ANY(` + a.add(s.rels) + `::text[])`
		}
		visible := `EXISTS (SELECT 1 FROM ` + relationships + ` r WHERE r.account_id = n.account_id AND r.party_id = ` + p + rels + ` OFFSET 0)`
		rel := match("r.name_fold")
		former := sel("former_names") + ` WHERE ` + match("n.name_fold") + ` AND ` + visible
		if phase == phaseSimilar {
			pre := ""
			if s.near == nil || len(s.near.folds) > maxJoinSpellings {
				pre = s.prefilter(a, "r.name_fold")
			}
			if pre == "" {
				// The close spellings, then the partner's customers of each
				// by its current name and the former names of that spelling.
				return `WITH s AS (SELECT s.name_fold, s.score, c.formers FROM (` + s.spellings(a, q) + `) s
						JOIN ` + Schema + `.spellings c ON c.name_fold = s.name_fold)
					SELECT n.* FROM (SELECT DISTINCT r.account_id, r.name_fold, s.score FROM s JOIN ` + relationships + ` r
							ON r.party_id = ` + p + ` AND r.name_fold = s.name_fold` + rels + `) r
						CROSS JOIN LATERAL (SELECT n.account_id, n.name_fold, n.former, n.name, r.score FROM ` + Schema + `.company_names n
							WHERE n.account_id = r.account_id AND n.name_fold = r.name_fold AND NOT n.former OFFSET 0) n
					UNION ALL
					SELECT n.account_id, n.name_fold, n.former, n.name, s.score FROM s JOIN ` + Schema + `.former_names n
						ON n.name_fold = s.name_fold
						WHERE s.formers > 0 AND ` + visible
			}
			rel = `CASE WHEN ` + pre + ` THEN ` + rel + ` END` // scored only if it may reach the threshold
			former = `SELECT * FROM (` + closeNames("former_names", false) + `) n WHERE ` + visible
		}
		// OFFSET 0: each of the partner's names looks its row up by key,
		// never a join that reads all names.
		return `SELECT n.* FROM (SELECT DISTINCT r.account_id, r.name_fold FROM ` + relationships + ` r
				WHERE r.party_id = ` + p + rels + ` AND ` + rel + `) r
			CROSS JOIN LATERAL (` + sel("company_names") + ` WHERE n.account_id = r.account_id AND n.name_fold = r.name_fold AND NOT n.former OFFSET 0) n
			UNION ALL ` + former
	}
	return sel("company_names") + ` WHERE ` + match("n.name_fold")
}

// spellings returns the statement of the close spellings of the search in
// placeholder q (close_spellings): the distinct folded names at least
// threshold(q) similar to it that do not start with it (of companies
// holding an agreement, for a contract search), each with its similarity
// (score). Scoring distinct spellings costs what the spellings sharing the
// search's trigrams number, not what the companies bearing them do.
//
// With an index of the spellings (s.sp, read), the close spellings it
// holds come as arrays of spellings and similarities, and close_spellings
// scores only the rows changed since it read them (and those it leaves
// out), unless the table is not the one it read: then the arrays are
// ignored and it scores all of them. A spelling both hold (changed since)
// is listed once. The arrays may hold spellings gone, or no longer held,
// since the index read them: every caller follows a spelling to the names
// bearing it (held ones, or of companies holding an agreement, for a
// contract search), so such a spelling leads nowhere.
func (s nameSearch) spellings(a *args, q string) string {
	table := a.add(Schema + ".spelling_trigrams")
	fn := Schema + `.close_spellings(` + table + `::regclass, ` + q + `, ` + threshold(q) + `, ` + strconv.FormatBool(s.held)
	near := s.near
	if near == nil {
		return `SELECT * FROM ` + fn + `)`
	}
	known := a.add(near.table)
	return `SELECT * FROM (SELECT DISTINCT ON (k.name_fold) k.name_fold, k.score FROM (
			SELECT * FROM unnest(` + a.add(near.folds) + `::text[], ` + a.add(near.scores) + `::real[]) k(name_fold, score)
				WHERE ` + known + `::oid = ` + table + `::regclass::oid
			UNION ALL SELECT * FROM ` + fn + `, ` + known + `::oid, ` + a.add(near.since) + `::bigint)) k) k`
}

// closest returns the statement of the close-spelling phase's companies
// for staff (named f in query), who may see every company: the close
// spellings, most similar first, each joined to the names that bear it
// and their companies (that meet cond), until MaxClose+1 are found. A
// company is listed by its best name only (most similar; a current name
// before a former one; then the smallest fold): it tells from the company
// row whether another of its names beats the one at hand. What it costs
// is what the spellings close to the search number plus the names of the
// closest ones, not what every company bearing a close spelling does.
func (s nameSearch) closest(a *args, q, k string, cond []string) string {
	held := ""
	if s.held {
		held = ` AND n.held`
	}
	best := `NOT (n.former AND co.name_fold <> n.name_fold AND similarity(co.name_fold, ` + q + `) >= s.score)
		AND NOT EXISTS (SELECT 1 FROM unnest(co.former_folds) g WHERE g <> n.name_fold AND g <> co.name_fold
			AND (similarity(g, ` + q + `) > s.score OR similarity(g, ` + q + `) = s.score AND n.former AND g < n.name_fold))`
	return `SELECT n.account_id, n.name_fold, n.former, n.name, s.score
		FROM (` + s.spellings(a, q) + ` ORDER BY score DESC) s
		CROSS JOIN LATERAL (SELECT n.account_id, n.name_fold, n.former, n.name FROM ` + Schema + `.company_names n
			WHERE n.name_fold = s.name_fold` + held + ` OFFSET 0) n
		JOIN ` + Schema + `.companies co ON co.account_id = n.account_id
		WHERE ` + strings.Join(cond, " AND ") + ` AND ` + best + `
		ORDER BY s.score DESC LIMIT ` + k + ` + 1`
}

// query returns the statement of one phase, for up to limit rows after c.
//
// Each company is found once, by its best name: in the prefix phase its
// current name if that matches, else the smallest matching former fold;
// in the similar phase its most similar name (ties as before), and only if
// no name of it starts with the search (those were found by the prefix
// phase). Both tell from the company row (its current and former folds)
// whether another of its names wins, never from another scan of the
// names. The prefix phase of staff walks the name btree in order and
// stops after a page; the similar phase ranks the companies found and
// keeps the MaxClose closest before it joins their rows.
func (s nameSearch) query(phase int, c *cursor, limit int) (string, []any) {
	a := &args{}
	q := a.add(s.fold)
	var where []string // on the rows joined to m
	// prefixed is true when a name of the company starts with the search.
	prefixed := `(starts_with(co.name_fold, ` + q + `) OR EXISTS (SELECT 1 FROM unnest(co.former_folds) f WHERE starts_with(f, ` + q + `)))`
	var m string
	if phase == phasePrefix {
		m = `WITH m AS (` + s.names(a, phase, q) + `)`
		where = append(where, `co.status = 'active'`, `(NOT m.former OR NOT starts_with(co.name_fold, `+q+`)
			AND NOT EXISTS (SELECT 1 FROM unnest(co.former_folds) f WHERE starts_with(f, `+q+`) AND f < m.name_fold))`)
		where = append(where, s.where(a)...)
	} else {
		// The best name of each company, the companies listed ranked, the
		// MaxClose closest (less a tie at the edge).
		cond := append([]string{`co.status = 'active'`, `NOT ` + prefixed}, s.where(a)...)
		if s.held {
			cond = append(cond, `EXISTS (SELECT 1 FROM `+Schema+`.contracts h WHERE h.account_id = co.account_id OFFSET 0)`)
		}
		// The companies are joined in descending score, until MaxClose+1
		// are listed. (OFFSET 0 keeps each EXISTS a lookup by key for the
		// row at hand: a generic plan would otherwise hash every
		// agreement, or every relationship of the partner, to join them.)
		k := a.add(MaxClose)
		f := ""
		if s.v.scope == readmodel.SeeAll {
			f = s.closest(a, q, k, cond)
		} else {
			f = `SELECT b.* FROM (SELECT * FROM (SELECT DISTINCT ON (n.account_id) n.account_id, n.name_fold, n.former, n.name, n.score
					FROM (` + s.names(a, phase, q) + `) n WHERE NOT starts_with(n.name_fold, ` + q + `)
					ORDER BY n.account_id, n.score DESC, n.former, n.name_fold) b ORDER BY b.score DESC) b
				JOIN ` + Schema + `.companies co ON co.account_id = b.account_id
				WHERE ` + strings.Join(cond, " AND ") + `
				ORDER BY b.score DESC LIMIT ` + k + ` + 1`
		}
		m = `WITH f AS (` + f + `),
			m AS (SELECT f.* FROM f WHERE (SELECT count(*) FROM f) <= ` + k + ` OR f.score > (SELECT min(score) FROM f))`
	}
	key := "m.name_fold, m.account_id"
	if s.tie != "" {
		key += ", " + s.tie
	}
	if c != nil {
		vals := a.add(c.F) + ", " + a.add(c.A)
		if s.tie != "" {
			vals += ", " + a.add(c.T)
		}
		cmp := "(" + key + ") > (" + vals + ")"
		if phase == phaseSimilar {
			sc := a.add(c.S)
			cmp = "(m.score < " + sc + "::real OR (m.score = " + sc + "::real AND " + cmp + "))"
		}
		where = append(where, cmp)
	}
	if len(where) == 0 {
		where = []string{"TRUE"}
	}
	order := key
	if phase == phaseSimilar {
		order = "m.score DESC, " + key
	}
	return m + `
		SELECT m.name_fold, m.former, m.name, m.score, co.account_id, co.name, co.former_names` + s.cols + `
		FROM m JOIN ` + Schema + `.companies co ON co.account_id = m.account_id` + s.join + `
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY ` + order + ` LIMIT ` + a.add(limit), a.list
}

// searchNames runs s from after: the prefix phase (unless after is in the
// similar one) and, while the page is not full, the similar phase. targets
// returns the scan targets of an item's own columns (s.cols); finish
// completes an item from its match and returns its tie key.
func searchNames[T any](ctx context.Context, q Querier, s nameSearch, after *cursor, limit int,
	targets func(*T) []any, finish func(*T, *match) string) ([]T, string, error) {
	var items []T
	var keys []cursor
	run := func(phase int, after *cursor, n int) error {
		sql, list := s.query(phase, after, n)
		rows, err := q.Query(ctx, sql, list...)
		if err != nil {
			return fmt.Errorf("search %q: %w", s.fold, err)
		}
		defer rows.Close()
		for rows.Next() {
			var it T
			var m match
			if err := rows.Scan(append(m.targets(), targets(&it)...)...); err != nil {
				return fmt.Errorf("search %q: %w", s.fold, err)
			}
			k := cursor{B: s.bind, P: phase, F: m.fold, A: m.accountID, T: finish(&it, &m)}
			if phase == phaseSimilar {
				k.S = m.score
			}
			items, keys = append(items, it), append(keys, k)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("search %q: %w", s.fold, err)
		}
		return nil
	}
	if after == nil || after.P == phasePrefix {
		if err := run(phasePrefix, after, limit+1); err != nil {
			return nil, "", err
		}
	}
	if len(items) <= limit && s.similar() {
		if s.v.scope == readmodel.SeeAll || s.v.scope == readmodel.SeeRelated {
			s.near = s.sp.near(s.fold, s.held)
		}
		var from *cursor
		if after != nil && after.P == phaseSimilar {
			from = after
		}
		if err := run(phaseSimilar, from, limit+1-len(items)); err != nil {
			return nil, "", err
		}
	}
	if items == nil {
		items = []T{}
	}
	if len(items) <= limit {
		return items, "", nil
	}
	return items[:limit], keys[limit-1].encode(), nil
}
