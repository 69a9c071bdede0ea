package names

import "testing"

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
