package screening_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/internal/screening"
)

// sample is the list shipped in deploy/restricted-parties.csv.
func sample(t *testing.T) *screening.List {
	t.Helper()
	l, err := screening.Sample()
	if err != nil {
		t.Fatalf("the shipped sample does not load: %v", err)
	}
	return l
}

func TestSampleLoads(t *testing.T) {
	l := sample(t)
	if l.Len() != 15 {
		t.Errorf("sample has %d entries, want the 15 of deploy/restricted-parties.csv", l.Len())
	}
	// Load without a file is the sample, and the file in deploy/ is the one
	// embedded.
	def, err := screening.Load("")
	if err != nil || def.Len() != l.Len() {
		t.Fatalf("Load(\"\") = %v entries, %v", def, err)
	}
	fromFile, err := screening.Load(filepath.Join("..", "..", "deploy", "restricted-parties.csv"))
	if err != nil || fromFile.Len() != l.Len() {
		t.Fatalf("Load(deploy file) = %v, %v", fromFile, err)
	}
}

// screenCase is a name screened and the entry it must match, as a hold
// records it ("" for no match).
type screenCase struct{ name, input, want string }

func runScreen(t *testing.T, what string, screen func(string) (string, bool), cases []screenCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := screen(tc.input)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("%s(%q) = %q, %v; want %q", what, tc.input, got, ok, tc.want)
			}
		})
	}
}

func TestOrganisation(t *testing.T) {
	l := sample(t)
	runScreen(t, "Organisation", l.Organisation, []screenCase{
		{"as listed", "Eastern Horizon Trading LLC", "SAMPLE-SDN-0001: Eastern Horizon Trading LLC"},
		{"case", "EASTERN HORIZON TRADING LLC", "SAMPLE-SDN-0001: Eastern Horizon Trading LLC"},
		{"legal suffix dropped", "Eastern Horizon Trading", "SAMPLE-SDN-0001: Eastern Horizon Trading LLC"},
		{"another legal suffix", "Eastern Horizon Trading GmbH", "SAMPLE-SDN-0001: Eastern Horizon Trading LLC"},
		{"punctuation and spacing", "  Eastern-Horizon   Trading, L.L.C. ", "SAMPLE-SDN-0001: Eastern Horizon Trading LLC"},
		{"listed with Ltd., asked with Limited", "Kestrel Maritime Services Limited", "SAMPLE-SDN-0002: Kestrel Maritime Services Ltd."},
		{"listed with GmbH, asked with Inc", "Nordwind Technik, Inc.", "SAMPLE-EU-0003: Nordwind Technik GmbH"},
		{"accents", "Nördwind Téchnik GmbH", "SAMPLE-EU-0003: Nordwind Technik GmbH"},
		{"stacked suffixes", "Zhong Yuan Advanced Materials", "SAMPLE-BIS-0009: Zhong Yuan Advanced Materials Co. Ltd."},
		{"S.A. as SA", "Crimson Delta Holdings SA", "SAMPLE-UK-0008: Crimson Delta Holdings S.A."},
		{"an entry without a kind screens companies", "Northern Star Logistics Ltd", "SAMPLE-SDN-0007: Northern Star Logistics"},
		{"a wide entry matches names beginning with its words", "Tehran Avionics Group Kish Branch Ltd", "SAMPLE-SDN-0010: Tehran Avionics Group"},
		{"a wide entry matches its words alone", "Tehran Avionics Group", "SAMPLE-SDN-0010: Tehran Avionics Group"},
		// Near names are not the listed party.
		{"a word more", "Eastern Horizon Trading Tools LLC", ""},
		{"a word less", "Eastern Horizon LLC", ""},
		{"a longer name that contains the listed one", "Greater Nordwind Technik GmbH", ""},
		{"a letter off", "Eastern Horizons Trading LLC", ""},
		{"the words of a wide entry not at the start", "Kish Tehran Avionics Group", ""},
		{"a wide entry's words, one missing", "Tehran Avionics Ltd", ""},
		{"a word joined to the next is another word", "Tehran AvionicsGroup", ""},
		{"person entries do not screen companies", "Volkov Dmitri Ltd", ""},
		{"person entries do not screen companies, even exactly", "Samira Qasemi", ""},
		{"a legal form alone", "Ltd", ""},
		{"empty", "", ""},
		{"punctuation only", "...", ""},
	})
}

func TestPerson(t *testing.T) {
	l := sample(t)
	runScreen(t, "Person", l.Person, []screenCase{
		{"listed surname first, asked given name first", "Dmitri Volkov", "SAMPLE-SDN-0011: Volkov, Dmitri"},
		{"as listed", "Volkov, Dmitri", "SAMPLE-SDN-0011: Volkov, Dmitri"},
		{"case and spacing", "  DMITRI   volkov ", "SAMPLE-SDN-0011: Volkov, Dmitri"},
		{"hyphen as space", "Jong Su Kim", "SAMPLE-UN-0013: Kim, Jong-su"},
		{"accents", "Samíra Qasemi", "SAMPLE-SDN-0012: Samira Qasemi"},
		{"punctuation dropped", "Leila  RAHIMI.", "SAMPLE-UK-0015: Leila Rahimi"},
		{"three names in another order", "Orlov Viktor Sergeyevich", "SAMPLE-EU-0014: Viktor Sergeyevich Orlov"},
		{"an entry without a kind screens people", "Northern Star Logistics", "SAMPLE-SDN-0007: Northern Star Logistics"},
		{"another given name", "Dmitri Volkova", ""},
		{"a name more", "Dmitri Ivanovich Volkov", ""},
		{"a name less", "Viktor Orlov", ""},
		{"the surname alone", "Volkov", ""},
		{"organisation entries do not screen people", "Eastern Horizon Trading", ""},
		{"empty", "", ""},
	})
}

func TestWidePerson(t *testing.T) {
	l, err := screening.Parse(strings.NewReader("Petrov Ivan *,person,X-1\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	for input, want := range map[string]bool{
		"Ivan Petrov": true, "Ivan Sergeyevich Petrov": true, "Petrov, Ivan Ivanovich": true,
		"Ivan Petrova": false, "Petrov": false, "Ivan": false, "Ivanov Petrov": false,
	} {
		if _, ok := l.Person(input); ok != want {
			t.Errorf("Person(%q) = %v, want %v", input, ok, want)
		}
	}
	if _, ok := l.Organisation("Petrov Ivan Holdings"); ok {
		t.Error("a person entry screened a company")
	}
}

func TestParse(t *testing.T) {
	t.Run("format", func(t *testing.T) {
		in := "\uFEFFName,Kind,Source\n" +
			"# a comment\n" +
			"\n" +
			"Acme Trading Ltd\n" +
			"  Globex Corporation , Organization ,  List A ref 1\n" +
			"\"Doe, Jane\",PERSON,\n" +
			"Acme Trading Limited,organisation,duplicate of line 4\n"
		l, err := screening.Parse(strings.NewReader(in), "test.csv")
		if err != nil {
			t.Fatal(err)
		}
		if l.Len() != 4 {
			t.Errorf("Len = %d, want 4", l.Len())
		}
		for _, c := range []struct {
			screen func(string) (string, bool)
			input  string
			want   string
		}{
			{l.Organisation, "ACME TRADING", "Acme Trading Ltd"}, // the first of two alike is recorded
			{l.Person, "Trading Acme Ltd", "Acme Trading Ltd"},   // no kind: both
			{l.Organisation, "Globex Corp.", "List A ref 1: Globex Corporation"},
			{l.Person, "Jane Doe", "Doe, Jane"},
		} {
			if got, ok := c.screen(c.input); !ok || got != c.want {
				t.Errorf("%q: got %q, %v; want %q", c.input, got, ok, c.want)
			}
		}
		if _, ok := l.Person("Globex Corporation"); ok {
			t.Error("an organization entry screened a person")
		}
		if _, ok := l.Organisation("Doe Jane"); ok {
			t.Error("a person entry screened a company")
		}
	})

	bad := []struct {
		name string
		in   string
		line int
		msg  string
	}{
		{"unknown kind", "name,kind,source\nAcme,company,x\n", 2, `kind "company"`},
		{"too many fields", "# list\nAcme,organisation,x,y\n", 2, "4 fields"},
		{"no name", "Acme\n,person,x\n", 2, "name is required"},
		{"a star alone", "Acme\n*,organisation\n", 2, "name is required"},
		{"no letters or digits", "Acme\n\n--- ,organisation\n", 3, "letters or digits"},
		{"control character", "Acme\nAc\x01me\n", 2, "control characters"},
		{"a line break in a quoted name", "Acme\n\"Multi\nLine Works\",organisation\n", 2, "control characters"},
		{"invalid UTF-8", "Acme\nAc\xffme\n", 2, "UTF-8"},
		{"name too long", "Acme\n" + strings.Repeat("n", screening.MaxNameLen+1) + "\n", 2, "at most 200"},
		{"source too long", "Acme,," + strings.Repeat("s", screening.MaxSourceLen+1) + "\n", 1, "source must be at most 200"},
		{"broken quoting", "Acme\nBeta\n\"Gamma,organisation\n", 3, "quote"},
		{"stray quote", "Acme\nBe\"ta,organisation\n", 2, "quote"},
	}
	for _, tc := range bad {
		t.Run("bad: "+tc.name, func(t *testing.T) {
			_, err := screening.Parse(strings.NewReader(tc.in), "bad.csv")
			var pe *screening.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a ParseError", err)
			}
			if pe.Line != tc.line || pe.Name != "bad.csv" || !strings.Contains(err.Error(), tc.msg) ||
				!strings.Contains(err.Error(), "bad.csv, line ") {
				t.Errorf("got %q (line %d), want line %d and %q", err, pe.Line, tc.line, tc.msg)
			}
		})
	}
	for name, in := range map[string]string{"empty": "", "comments and a header only": "# nothing\nname,kind,source\n"} {
		t.Run("bad: "+name, func(t *testing.T) {
			if _, err := screening.Parse(strings.NewReader(in), "empty.csv"); err == nil || !strings.Contains(err.Error(), "no entries") {
				t.Errorf("got %v, want a list without entries refused", err)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	if err := os.WriteFile(good, []byte("Only Entry GmbH,organisation,T-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := screening.Load(good)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := l.Organisation("only entry"); !ok || got != "T-1: Only Entry GmbH" {
		t.Errorf("got %q, %v", got, ok)
	}
	if _, ok := l.Organisation("Eastern Horizon Trading LLC"); ok {
		t.Error("a list from a file also holds the sample")
	}
	if _, err := screening.Load(filepath.Join(dir, "missing.csv")); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: %v", err)
	}
}
