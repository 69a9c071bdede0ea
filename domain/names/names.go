package names

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold returns s in a form where names that a person would call the same
// compare equal: lower case, accents removed (for Latin letters),
// punctuation dropped, runs of white space collapsed to one space.
func Fold(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		r = unicode.ToLower(foldAccent(r))
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		case unicode.IsSpace(r) || r == '-' || r == '/' || r == '_':
			space = true
		}
	}
	return b.String()
}

// legalSuffixes are dropped from the end of a folded company name by
// FoldCompany, each with the space before it, longest first so that
// "sa de cv" goes before "cv" does.
var legalSuffixes = []string{
	" incorporated",
	" corporation",
	" sa de cv",
	" sp z o o",
	" company",
	" limited",
	" pte ltd",
	" pty ltd",
	" sp z oo",
	" sa rl",
	" spzoo",
	" corp",
	" gmbh",
	" sarl",
	" aps",
	" inc",
	" lda",
	" llc",
	" llp",
	" ltd",
	" ohg",
	" plc",
	" pte",
	" pty",
	" sas",
	" spa",
	" srl",
	" ab",
	" ag",
	" as",
	" bv",
	" co",
	" cv",
	" kg",
	" kk",
	" lp",
	" nv",
	" oy",
	" sa",
	" se",
	" sl",
	" ug",
}

// FoldCompany is Fold with trailing legal-form suffixes (Ltd, GmbH, Inc,
// S.A., Sp. z o.o. …) removed, so "ABC, Ltd." and "abc" compare equal.
func FoldCompany(s string) string {
	f := Fold(s)
	for changed := true; changed; {
		changed = false
		for _, suf := range legalSuffixes {
			if len(f) > len(suf) && strings.HasSuffix(f, suf) {
				f = f[:len(f)-len(suf)]
				changed = true
			}
		}
	}
	return f
}

// foldAccent maps accented Latin letters to their base letter.
func foldAccent(r rune) rune {
	if r < 0xC0 || r > 0x17F {
		return r
	}
	const from = "ÀÁÂÃÄÅàáâãäåÇçĆćČčÈÉÊËèéêëĘęĚěÌÍÎÏìíîïÑñŃńŇňÒÓÔÕÖØòóôõöøŚśŠšŞşÙÚÛÜùúûüŮůÝýÿŹźŻżŽžŁłĐđĎďŤťŘřĞğİı"
	const to = "AAAAAAaaaaaaCcCcCcEEEEeeeeEeEeIIIIiiiiNnNnNnOOOOOOooooooSsSsSsUUUUuuuuUuYyyZzZzZzLlDdDdTtRrGgIi"
	i := 0
	for _, f := range from {
		if f == r {
			return rune(to[i])
		}
		i++
	}
	return r
}

// Clean reports whether s is valid UTF-8 without control characters or
// invisible format characters (bidirectional overrides, zero-width spaces),
// which could make one name look like another.
func Clean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// CleanText is Clean for a free text that may span lines: tabs, line
// feeds and carriage returns are allowed, other control and format
// characters are not.
func CleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '\t' && r != '\n' && r != '\r' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			return false
		}
	}
	return true
}

// ValidDomain reports whether d is a lower-case DNS name with at least two
// labels, e.g. "acme.example".
func ValidDomain(d string) bool {
	if len(d) < 3 || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// EmailDomain returns the lower-cased domain of a plausible email address
// (one '@', a non-empty local part without spaces, a valid domain).
func EmailDomain(email string) (string, bool) {
	local, dom, ok := strings.Cut(email, "@")
	if !ok || local == "" || len(email) > 254 || strings.ContainsAny(local, " \t\r\n<>\"@,;") || !Clean(local) {
		return "", false
	}
	dom = strings.ToLower(dom)
	if !ValidDomain(dom) {
		return "", false
	}
	return dom, true
}

// InDomain reports whether host is domain or one of its subdomains.
func InDomain(host, domain string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}
