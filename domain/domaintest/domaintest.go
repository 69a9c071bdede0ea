package domaintest

import (
	"errors"
	"reflect"
	"sort"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
)

// Aggregate is the pair of pure functions of one aggregate with state S and
// commands C.
type Aggregate[S, C any] struct {
	Evolve func(S, domain.Event) S
	Decide func(S, C) ([]domain.Event, error)
}

// Then is the expected outcome: exactly Events, or an error matching Err.
// For domain.ErrRuleViolation, Rule is the RuleError's identifier; for
// domain.ErrValidation, Fields is exactly the set of fields named.
type Then struct {
	Events []domain.Event
	Err    error
	Rule   string
	Fields []string
}

// Events expects exactly these events.
func Events(es ...domain.Event) Then { return Then{Events: es} }

// Rule expects a *domain.RuleError with identifier r.
func Rule(r string) Then { return Then{Err: domain.ErrRuleViolation, Rule: r} }

// Invalid expects a *domain.ValidationError naming exactly fields.
func Invalid(fields ...string) Then { return Then{Err: domain.ErrValidation, Fields: fields} }

// Fails expects an error matching sentinel (e.g. domain.ErrForbidden).
func Fails(sentinel error) Then { return Then{Err: sentinel} }

// Scenario is one Given / When / Then case. Name should name the DOMAIN.md
// rule it covers.
type Scenario[S, C any] struct {
	Name   string
	Given  []domain.Event
	Adjust func(*S)
	When   C
	Then   Then
}

// Fold builds a state from events, then applies adjust if set.
func Fold[S, C any](agg Aggregate[S, C], given []domain.Event, adjust func(*S)) S {
	var s S
	for _, e := range given {
		s = agg.Evolve(s, e)
	}
	if adjust != nil {
		adjust(&s)
	}
	return s
}

// RunAll runs every scenario as a subtest named by its Name.
func RunAll[S, C any](t *testing.T, agg Aggregate[S, C], scenarios []Scenario[S, C]) {
	t.Helper()
	names := map[string]bool{}
	for _, sc := range scenarios {
		if names[sc.Name] {
			t.Errorf("two scenarios named %q", sc.Name)
		}
		names[sc.Name] = true
		t.Run(sc.Name, func(t *testing.T) { Run(t, agg, sc) })
	}
}

// Run decides sc.When against the Given state and checks the outcome.
func Run[S, C any](t *testing.T, agg Aggregate[S, C], sc Scenario[S, C]) {
	t.Helper()
	s := Fold(agg, sc.Given, sc.Adjust)
	got, err := agg.Decide(s, sc.When)
	if again, err2 := agg.Decide(Fold(agg, sc.Given, sc.Adjust), sc.When); !reflect.DeepEqual(got, again) || !reflect.DeepEqual(err, err2) {
		t.Errorf("Decide is not pure: first (%#v, %v), then (%#v, %v)", got, err, again, err2)
	}
	if !reflect.DeepEqual(s, Fold(agg, sc.Given, sc.Adjust)) {
		t.Errorf("Decide changed its input state: %#v", s)
	}
	want := sc.Then
	if want.Err == nil {
		if err != nil {
			t.Fatalf("want events %#v, got error %v", want.Events, err)
		}
		if !reflect.DeepEqual(got, want.Events) {
			t.Fatalf("events:\n got %#v\nwant %#v", got, want.Events)
		}
		return
	}
	if err == nil {
		t.Fatalf("want error %v, got events %#v", want.Err, got)
	}
	if got != nil {
		t.Errorf("refused command also returned events %#v", got)
	}
	if !errors.Is(err, want.Err) {
		t.Fatalf("error %v (%T) does not match %v", err, err, want.Err)
	}
	switch want.Err {
	case domain.ErrRuleViolation:
		var re *domain.RuleError
		if !errors.As(err, &re) {
			t.Fatalf("error %v is not a *domain.RuleError", err)
		}
		if re.Rule != want.Rule {
			t.Errorf("rule %q (%s), want %q", re.Rule, re.Detail, want.Rule)
		}
	case domain.ErrValidation:
		var ve *domain.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("error %v is not a *domain.ValidationError", err)
		}
		var fields []string
		for _, p := range ve.Problems {
			fields = append(fields, p.Field)
		}
		sort.Strings(fields)
		wantFields := append([]string(nil), want.Fields...)
		sort.Strings(wantFields)
		if !reflect.DeepEqual(fields, wantFields) {
			t.Errorf("problems with %q, want %q (%v)", fields, wantFields, err)
		}
	case domain.ErrForbidden:
		var fe *domain.ForbiddenError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v is not a *domain.ForbiddenError", err)
		}
	}
}
