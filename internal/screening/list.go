package screening

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/channeldesk/channeldesk/deploy"
	"github.com/channeldesk/channeldesk/domain/names"
)

// Kinds of list entry. An entry without a kind is screened as both.
const (
	KindPerson       = "person"
	KindOrganisation = "organisation"
)

// Limits on an entry's fields, in characters. A hold records the entry as
// "source: name", which stays within the 500 characters a hold's matched
// entry may have.
const (
	MaxNameLen   = 200
	MaxSourceLen = 200
)

// Entry is one record of a restricted-party list.
type Entry struct {
	// Name as listed, without the trailing " *" of a wide entry.
	Name string
	// Kind is KindPerson, KindOrganisation, or "" for both.
	Kind string
	// Source is the list and reference the entry comes from; optional.
	Source string
	// Wide is true for a name that ended in " *": it matches every
	// organisation name that begins with its words, and every person name
	// that holds all its words.
	Wide bool
	// Line is where the entry is in its file.
	Line int
}

// String is the entry as a hold records it: "source: name", or the name
// alone.
func (e Entry) String() string {
	if e.Source == "" {
		return e.Name
	}
	return e.Source + ": " + e.Name
}

// ParseError is a record of a list that cannot be used, with its line.
type ParseError struct {
	// Name is the file (or "the sample list").
	Name string
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("restricted-party list %s, line %d: %s", e.Name, e.Line, e.Msg)
}

// List is a restricted-party list ready for screening. It never changes
// once parsed and is safe for concurrent use.
type List struct {
	orgs    map[string]Entry // by names.FoldCompany of the name
	persons map[string]Entry // by personKey of the name
	// Wide entries, in the order of the file.
	wideOrgs    []wide
	widePersons []wide
	n           int
}

type wide struct {
	words []string
	entry Entry
}

// Len is the number of entries of the list.
func (l *List) Len() int { return l.n }

// Organisation screens a company name (a customer account's or a
// partner's): the entry it matches, as a hold records it (Entry.String),
// and whether there is one. Only organisation entries and entries without
// a kind count. Exact on names.FoldCompany: "ACME, Inc." is "Acme", but
// "Acme Tools" is not "Acme" unless the list has "Acme *".
func (l *List) Organisation(name string) (string, bool) {
	key := names.FoldCompany(name)
	if key == "" {
		return "", false
	}
	if e, ok := l.orgs[key]; ok {
		return e.String(), true
	}
	words := strings.Fields(key)
	for _, w := range l.wideOrgs {
		if len(words) >= len(w.words) && slices.Equal(words[:len(w.words)], w.words) {
			return w.entry.String(), true
		}
	}
	return "", false
}

// Person screens a person's name (a customer or partner contact's): the
// entry it matches, as a hold records it, and whether there is one. Only
// person entries and entries without a kind count. Exact on names.Fold,
// in any word order ("Volkov, Dmitri" is "Dmitri Volkov"); a wide entry
// matches a name holding all its words.
func (l *List) Person(name string) (string, bool) {
	words := personWords(name)
	if len(words) == 0 {
		return "", false
	}
	if e, ok := l.persons[strings.Join(words, " ")]; ok {
		return e.String(), true
	}
	for _, w := range l.widePersons {
		if containsAll(words, w.words) {
			return w.entry.String(), true
		}
	}
	return "", false
}

// personWords is a person's name folded, as sorted words: the same for
// every order of the same words.
func personWords(name string) []string {
	words := strings.Fields(names.Fold(name))
	slices.Sort(words)
	return words
}

// containsAll reports whether sorted have holds every word of sorted want,
// each as often as want has it.
func containsAll(have, want []string) bool {
	i := 0
	for _, w := range want {
		for i < len(have) && have[i] < w {
			i++
		}
		if i == len(have) || have[i] != w {
			return false
		}
		i++
	}
	return true
}

// Load reads the list from the CSV file at path; with path "" it is the
// sample list shipped in deploy/restricted-parties.csv.
func Load(path string) (*List, error) {
	if path == "" {
		return Sample()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("restricted-party list: %w", err)
	}
	return Parse(bytes.NewReader(b), path)
}

// Sample is the sample list shipped in deploy/restricted-parties.csv:
// invented entries, for demonstrations and tests.
func Sample() (*List, error) {
	return Parse(strings.NewReader(deploy.RestrictedParties()), "deploy/restricted-parties.csv (the built-in sample)")
}

// Parse reads a restricted-party list from r, named name in errors. The
// format is CSV (RFC 4180, UTF-8), one entry per record:
//
//	name,kind,source
//
// name is required (at most MaxNameLen characters, with letters or
// digits; a trailing " *" makes the entry wide, see Entry.Wide); kind is
// person, organisation (or organization), or empty for both; source is
// optional free text (at most MaxSourceLen characters). Lines starting
// with # are comments, blank lines are skipped, and a first record whose
// name is "name" is a header. Any other problem is a *ParseError naming
// the line; a list without entries is refused too, as a file that cannot
// be the one meant.
func Parse(r io.Reader, name string) (*List, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	l := &List{orgs: map[string]Entry{}, persons: map[string]Entry{}}
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &ParseError{Name: name, Line: pe.Line, Msg: pe.Err.Error()}
		}
		if err != nil {
			return nil, fmt.Errorf("restricted-party list %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			rec[0] = strings.TrimPrefix(rec[0], "\uFEFF")
			if strings.EqualFold(strings.TrimSpace(rec[0]), "name") {
				continue
			}
		}
		e, msg := entry(rec, line)
		if msg != "" {
			return nil, &ParseError{Name: name, Line: line, Msg: msg}
		}
		l.add(e)
	}
	if l.n == 0 {
		return nil, fmt.Errorf("restricted-party list %s has no entries (a record is name,kind,source)", name)
	}
	return l, nil
}

// entry checks one record; msg says what is wrong with it.
func entry(rec []string, line int) (e Entry, msg string) {
	if len(rec) > 3 {
		return e, fmt.Sprintf("%d fields; a record is name,kind,source (quote a name that holds a comma)", len(rec))
	}
	for len(rec) < 3 {
		rec = append(rec, "")
	}
	e = Entry{Name: strings.TrimSpace(rec[0]), Kind: strings.ToLower(strings.TrimSpace(rec[1])), Source: strings.TrimSpace(rec[2]), Line: line}
	if n, ok := strings.CutSuffix(e.Name, "*"); ok {
		e.Name, e.Wide = strings.TrimSpace(n), true
	}
	switch e.Kind {
	case "", KindPerson, KindOrganisation:
	case "organization":
		e.Kind = KindOrganisation
	default:
		return e, fmt.Sprintf("kind %q: must be person, organisation or empty", rec[1])
	}
	switch {
	case e.Name == "":
		return e, "the name is required"
	case !names.Clean(e.Name):
		return e, "the name must be valid UTF-8 without control characters"
	case utf8.RuneCountInString(e.Name) > MaxNameLen:
		return e, fmt.Sprintf("the name must be at most %d characters", MaxNameLen)
	case names.Fold(e.Name) == "":
		return e, "the name must contain letters or digits"
	case !names.Clean(e.Source):
		return e, "the source must be valid UTF-8 without control characters"
	case utf8.RuneCountInString(e.Source) > MaxSourceLen:
		return e, fmt.Sprintf("the source must be at most %d characters", MaxSourceLen)
	}
	return e, ""
}

// add indexes e; of two entries with the same normalised name the first
// is the one a hold records.
func (l *List) add(e Entry) {
	l.n++
	if e.Kind != KindPerson {
		key := names.FoldCompany(e.Name)
		if e.Wide {
			l.wideOrgs = append(l.wideOrgs, wide{words: strings.Fields(key), entry: e})
		} else if _, dup := l.orgs[key]; !dup {
			l.orgs[key] = e
		}
	}
	if e.Kind != KindOrganisation {
		words := personWords(e.Name)
		if e.Wide {
			l.widePersons = append(l.widePersons, wide{words: words, entry: e})
		} else if key := strings.Join(words, " "); l.persons[key].Name == "" {
			l.persons[key] = e
		}
	}
}
