package ids

// Org reports whether id is an organisation ID: six digits and two capital
// letters, e.g. 123456HQ (customers, partners and distributors alike).
func Org(id string) bool {
	if len(id) != 8 {
		return false
	}
	for i := 0; i < 6; i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return id[6] >= 'A' && id[6] <= 'Z' && id[7] >= 'A' && id[7] <= 'Z'
}

// number reports whether s is prefix followed by a sequence number padded
// to digits places: exactly digits digits, or more without a leading zero
// once the sequence outgrows the padding (at most 19 digits).
func number(s, prefix string, digits int) bool {
	if len(s) <= len(prefix) || s[:len(prefix)] != prefix {
		return false
	}
	n := s[len(prefix):]
	if len(n) < digits || len(n) > 19 || (len(n) > digits && n[0] == '0') {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}

// Contact reports whether s is a contact ID such as C-000001.
func Contact(s string) bool { return number(s, "C-", 6) }

// Order reports whether s is an order number such as ORD-0000001.
func Order(s string) bool { return number(s, "ORD-", 7) }

// Invoice reports whether s is an invoice number such as INV-0000001.
func Invoice(s string) bool { return number(s, "INV-", 7) }

// License reports whether s is a license ID such as LIC-0000001.
func License(s string) bool { return number(s, "LIC-", 7) }

// Case reports whether s is a support case number such as CASE-000001.
func Case(s string) bool { return number(s, "CASE-", 6) }

// Contract programs.
const (
	ProgramEnterprise = "enterprise"
	ProgramEasy       = "easy"
)

// Contract reports the program of a contract number (ELA-000001 is
// enterprise, EASY-000001 is easy) and whether s is one.
func Contract(s string) (program string, ok bool) {
	switch {
	case number(s, "ELA-", 6):
		return ProgramEnterprise, true
	case number(s, "EASY-", 6):
		return ProgramEasy, true
	}
	return "", false
}
