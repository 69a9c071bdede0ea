package names

import (
	"strings"
	"testing"
)

func TestFoldCompany(t *testing.T) {
	cases := []struct{ in, want string }{
		{"ABC, Ltd.", "abc"},
		{"abc ltd", "abc"},
		{"Müller GmbH", "muller"},
		{"  Acme   Widgets, Inc. ", "acme widgets"},
		{"Société Générale S.A.", "societe generale"},
		{"Łódź Sp. z o.o.", "lodz"},
		{"Ltd", "ltd"},
	}
	for _, c := range cases {
		if got := FoldCompany(c.in); got != c.want {
			t.Errorf("FoldCompany(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestEmailDomain(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"cfo@Acme.example", "acme.example", true},
		{"a@b", "", false},
		{"@acme.example", "", false},
		{"a b@acme.example", "", false},
		{"no-at-sign", "", false},
		{"a@acme..example", "", false},
	}
	for _, c := range cases {
		got, ok := EmailDomain(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("EmailDomain(%q) = %q, %v", c.in, got, ok)
		}
	}
}

func TestFold(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"lower case", "ACME Widgets", "acme widgets"},
		{"accents: French", "Société Générale", "societe generale"},
		{"accents: decomposed (combining marks dropped)", "Socie\u0301te\u0301", "societe"},
		{"accents: Polish", "Łódź Zażółć", "lodz zazolc"},
		{"accents: Czech", "Dvořák Škoda Ťě", "dvorak skoda te"},
		{"accents: Nordic", "Ørsted Ångström", "orsted angstrom"},
		{"accents: Turkish", "İstanbul Çelik Ğüneş", "istanbul celik gunes"},
		{"accents: German umlaut folds to the base letter", "Müller", "muller"},
		{"punctuation: dots dropped", "A.C.M.E.", "acme"},
		{"punctuation: apostrophe dropped", "O'Reilly", "oreilly"},
		{"punctuation: ampersand dropped", "Smith & Jones", "smith jones"},
		{"punctuation: comma before suffix", "Acme, Inc.", "acme inc"},
		{"punctuation: brackets and marks", "(Acme)!?", "acme"},
		{"punctuation only", "...!?&", ""},
		{"separators: hyphen, slash, underscore become spaces", "a-b/c_d", "a b c d"},
		{"separators: at the edges vanish", "-Acme-", "acme"},
		{"white space: runs collapse", "Acme \t\n  Widgets", "acme widgets"},
		{"white space: leading and trailing trimmed", "   Acme   ", "acme"},
		{"white space: no-break space", "Acme\u00a0Widgets", "acme widgets"},
		{"white space: em space", "Acme\u2003Widgets", "acme widgets"},
		{"white space and separators together collapse", "Acme - / Widgets", "acme widgets"},
		{"digits kept", "7-Eleven 3M", "7 eleven 3m"},
		{"other scripts kept", "株式会社 トヨタ", "株式会社 トヨタ"},
		{"other scripts lower-cased", "ГАЗПРОМ", "газпром"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Fold(c.in)
			if got != c.want {
				t.Errorf("Fold(%q) = %q, want %q", c.in, got, c.want)
			}
			if again := Fold(got); again != got {
				t.Errorf("Fold is not idempotent: Fold(%q) = %q", got, again)
			}
		})
	}
}

func TestFoldCompanySuffixes(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Acme Co. Ltd.", "acme"},
		{"Acme Pty. Ltd.", "acme"},
		{"Acme Pte Ltd", "acme"},
		{"Acme, Inc", "acme"},
		{"ACME LLC", "acme"},
		{"Acme Corporation", "acme"},
		{"Acme B.V.", "acme"},
		{"Acme N.V.", "acme"},
		{"Acme AB", "acme"},
		{"Acme K.K.", "acme"},
		{"Acme S.p.A.", "acme"},
		{"Acme PLC", "acme"},
		{"Limited Brands Inc", "limited brands"}, // only trailing suffixes go
		{"Atlas", "atlas"},                       // a suffix inside a word stays
		{"Company Ltd", "company"},               // the name itself is never stripped away
		{"Inc", "inc"},
		{"", ""},
	}
	for _, c := range cases {
		if got := FoldCompany(c.in); got != c.want {
			t.Errorf("FoldCompany(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestInDomain(t *testing.T) {
	cases := []struct {
		name, host, domain string
		want               bool
	}{
		{"the domain itself", "acme.example", "acme.example", true},
		{"a subdomain", "uk.acme.example", "acme.example", true},
		{"a deeper subdomain", "mail.uk.acme.example", "acme.example", true},
		{"a look-alike ending in the name", "evilacme.example", "acme.example", false},
		{"the domain as a prefix of another", "acme.example.attacker.test", "acme.example", false},
		{"the parent domain", "acme.example", "uk.acme.example", false},
		{"a sibling", "us.acme.example", "uk.acme.example", false},
		{"the top-level label alone", "example", "acme.example", false},
		{"empty host", "", "acme.example", false},
		{"empty domain", "acme.example", "", false},
	}
	for _, c := range cases {
		if got := InDomain(c.host, c.domain); got != c.want {
			t.Errorf("%s: InDomain(%q, %q) = %v, want %v", c.name, c.host, c.domain, got, c.want)
		}
	}
}

func TestValidDomain(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	cases := []struct {
		name, in string
		want     bool
	}{
		{"two labels", "acme.example", true},
		{"shortest", "a.b", true},
		{"many labels", "my-company.co.uk", true},
		{"digits", "3m.com", true},
		{"punycode", "xn--mller-kva.example", true},
		{"63-character label", label63 + ".example", true},
		{"64-character label", label63 + "a.example", false},
		{"253 characters", label63 + "." + label63 + "." + label63 + "." + strings.Repeat("b", 61), true},
		{"254 characters", label63 + "." + label63 + "." + label63 + "." + strings.Repeat("b", 62), false},
		{"empty", "", false},
		{"one label", "acme", false},
		{"too short", "a.", false},
		{"upper case", "Acme.example", false},
		{"leading dot", ".acme.example", false},
		{"trailing dot", "acme.example.", false},
		{"empty label", "acme..example", false},
		{"leading hyphen", "-acme.example", false},
		{"trailing hyphen", "acme-.example", false},
		{"underscore", "acme_uk.example", false},
		{"space", "acme corp.example", false},
		{"non-ASCII", "müller.example", false},
		{"port", "acme.example:443", false},
		{"path", "acme.example/", false},
		{"email", "cfo@acme.example", false},
	}
	for _, c := range cases {
		if got := ValidDomain(c.in); got != c.want {
			t.Errorf("%s: ValidDomain(%q) = %v, want %v", c.name, c.in, got, c.want)
		}
	}
}

func TestClean(t *testing.T) {
	cases := []struct {
		name, in string
		want     bool
	}{
		{"empty", "", true},
		{"ASCII", "ACME Ltd.", true},
		{"spaces", "  Acme  ", true},
		{"accents", "Société Générale", true},
		{"other scripts", "株式会社 トヨタ", true},
		{"emoji", "Acme 🚀", true},
		{"NUL", "Acme\x00", false},
		{"tab", "Acme\tLtd", false},
		{"newline", "Acme\nLtd", false},
		{"carriage return", "Acme\rLtd", false},
		{"escape sequence", "\x1b[31mAcme", false},
		{"DEL", "Acme\x7f", false},
		{"C1 next line", "Acme\u0085Ltd", false},
		{"C1 last", "Acme\u009f", false},
		{"invalid UTF-8: stray byte", "Acme\xff", false},
		{"invalid UTF-8: bad continuation", "\xc3\x28", false},
		{"invalid UTF-8: truncated sequence", "Acme \xe2\x82", false},
		{"invalid UTF-8: overlong encoding", "\xc0\xaf", false},
		{"invalid UTF-8: encoded surrogate", "\xed\xa0\x80", false},
	}
	for _, c := range cases {
		if got := Clean(c.in); got != c.want {
			t.Errorf("%s: Clean(%q) = %v, want %v", c.name, c.in, got, c.want)
		}
	}
}

func TestEmailDomainEdges(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"cfo@uk.acme.example", "uk.acme.example", true},
		{"first.last+rename@acme.example", "acme.example", true},
		{"", "", false},
		{"cfo@", "", false},
		{"cfo@acme.example.", "", false},
		{"a@b@acme.example", "", false},
		{"<cfo@acme.example>", "", false},
		{"CFO <cfo@acme.example>", "", false},
		{"cfo\x00@acme.example", "", false},
		{"cfo\xff@acme.example", "", false},
		{"cfo@acme_uk.example", "", false},
		{strings.Repeat("a", 250) + "@a.example", "", false},
	}
	for _, c := range cases {
		got, ok := EmailDomain(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("EmailDomain(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestFoldCompanyLongSuffixesAndInvisibleCharacters(t *testing.T) {
	for in, want := range map[string]string{"Acme S.A. de C.V.": "acme", "Dupont S.à r.l.": "dupont"} {
		if got := FoldCompany(in); got != want {
			t.Errorf("FoldCompany(%q) = %q, want %q", in, got, want)
		}
	}
	for _, s := range []string{"Acme\u202eCorp", "Ac\u200bme"} {
		if Clean(s) {
			t.Errorf("Clean(%q) accepted an invisible format character", s)
		}
	}
}

func TestCleanText(t *testing.T) {
	for s, want := range map[string]bool{
		"Notice given.\nSigned,\tthe CFO\r\n": true,
		"bell\a":                              false,
		"nul\x00":                             false,
		"right-to-left\u202eoverride":         false,
		"zero\u200bwidth":                     false,
		"broken \xff":                         false,
	} {
		if got := CleanText(s); got != want {
			t.Errorf("CleanText(%q) = %v, want %v", s, got, want)
		}
	}
}
