package ids

import "testing"

func TestShapes(t *testing.T) {
	cases := []struct {
		name string
		f    func(string) bool
		good []string
		bad  []string
	}{
		{"Org", Org, []string{"123456HQ", "000000AA"}, []string{"", "12345HQ", "1234567HQ", "123456hq", "123456H", "12345AHQ", "ABCDEFHQ"}},
		{"Contact", Contact, []string{"C-000001", "C-999999", "C-1000000"}, []string{"C-1", "C-00001", "C-0000001", "c-000001", "C-00000A", "C000001", "C-"}},
		{"Order", Order, []string{"ORD-0000001", "ORD-12345678"}, []string{"ORD-000001", "ORD-01234567", "ORD-000000X", "ORD-0000001 "}},
		{"Invoice", Invoice, []string{"INV-0000001"}, []string{"INV-1", "LIC-0000001"}},
		{"License", License, []string{"LIC-0000001"}, []string{"LIC-000001", "LIC-00000001"}},
		{"Case", Case, []string{"CASE-000001", "CASE-1000000"}, []string{"CASE-00001", "CASE-0000001"}},
	}
	for _, c := range cases {
		for _, s := range c.good {
			if !c.f(s) {
				t.Errorf("%s(%q) = false", c.name, s)
			}
		}
		for _, s := range c.bad {
			if c.f(s) {
				t.Errorf("%s(%q) = true", c.name, s)
			}
		}
	}
	for s, want := range map[string]string{"ELA-000001": ProgramEnterprise, "EASY-000042": ProgramEasy, "ELA-1": "", "EASY-0000001": "", "XYZ-000001": ""} {
		if p, ok := Contract(s); p != want || ok != (want != "") {
			t.Errorf("Contract(%q) = %q, %v", s, p, ok)
		}
	}
	long := "ORD-" + "1234567890123456789"
	if !Order(long) || Order(long+"0") {
		t.Error("19-digit limit not applied")
	}
}
