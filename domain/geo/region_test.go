package geo

import (
	"strings"
	"testing"
)

func TestRegionOf(t *testing.T) {
	cases := []struct {
		code string
		want Region
		ok   bool
	}{
		{"US", AMER, true}, {"BR", AMER, true}, {"DE", EMEA, true}, {"ZA", EMEA, true},
		{"AE", EMEA, true}, {"JP", APAC, true}, {"AU", APAC, true}, {"IN", APAC, true},
		{"us", "", false}, {"XX", "", false}, {"", "", false}, {"USA", "", false}, {"S ", "", false},
		{"S", "", false}, {"G ", "", false},
	}
	for _, c := range cases {
		got, ok := RegionOf(c.code)
		if got != c.want || ok != c.ok {
			t.Errorf("RegionOf(%q) = %q, %v; want %q, %v", c.code, got, ok, c.want, c.ok)
		}
	}
}

func TestEveryCodeOnce(t *testing.T) {
	seen := map[string]bool{}
	n := 0
	for _, list := range []string{amerCodes, emeaCodes, apacCodes} {
		for _, c := range strings.Fields(list) {
			if len(c) != 2 || seen[c] {
				t.Errorf("bad or repeated code %q", c)
			}
			seen[c] = true
			n++
		}
	}
	if n != 249 {
		t.Errorf("%d codes, ISO 3166-1 assigns 249", n)
	}
}

func TestCurrency(t *testing.T) {
	for code, want := range map[string]int{"EUR": 2, "JPY": 0, "KWD": 3, "USD": 2, "CHF": 2} {
		if d, ok := Currency(code); !ok || d != want {
			t.Errorf("Currency(%q) = %d, %v; want %d", code, d, ok, want)
		}
	}
	for _, bad := range []string{"eur", "XXX", "EU", "EURO", "", ":2 ", "R:2"} {
		if _, ok := Currency(bad); ok {
			t.Errorf("Currency(%q) accepted", bad)
		}
	}
	for _, pair := range strings.Fields(currencies) {
		if len(pair) != 5 || pair[3] != ':' {
			t.Errorf("malformed entry %q", pair)
		}
	}
}
