package account_test

import (
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
)

var london = account.Address{Country: "GB", State: "England", City: "London"}

func TestChangeAddress(t *testing.T) {
	munich := account.Address{Country: "DE", State: "Bayern", City: "München"}
	move := func(a account.Address) account.ChangeAddress {
		return account.ChangeAddress{AccountID: acmeID, Address: a, By: as(admin), At: at}
	}
	moved := func(a account.Address, region string) account.AddressChanged {
		return account.AddressChanged{AccountID: acmeID, From: account.Location{Address: london, Region: "EMEA"}, To: account.Location{Address: a, Region: region}}
	}
	region := func(country, region string) scenario {
		return scenario{
			Name:  "ChangeAddress/region is derived again: " + country + " is " + region,
			Given: history(),
			When:  move(account.Address{Country: country}),
			Then:  events(moved(account.Address{Country: country}, region)),
		}
	}
	bad := func(name string, a account.Address, fields ...string) scenario {
		return scenario{Name: "ChangeAddress/" + name, Given: history(), When: move(a), Then: invalid(fields...)}
	}
	cases := []scenario{
		{Name: "ChangeAddress/happy path: the account moves and the event keeps the old address", Given: history(), When: move(munich), Then: events(moved(munich, "EMEA"))},
		region("US", "AMER"),
		region("JP", "APAC"),
		region("ZA", "EMEA"),
		{
			Name:  "ChangeAddress/region: the old region is the one derived when the account last moved",
			Given: history(moved(account.Address{Country: "US"}, "AMER")),
			When:  move(account.Address{Country: "JP"}),
			Then: events(account.AddressChanged{AccountID: acmeID, From: account.Location{Address: account.Address{Country: "US"}, Region: "AMER"},
				To: account.Location{Address: account.Address{Country: "JP"}, Region: "APAC"}}),
		},
		{
			Name:  "ChangeAddress/state and city are recorded without surrounding white space",
			Given: history(),
			When:  move(account.Address{Country: "DE", State: " Bayern ", City: "München\u00a0"}),
			Then:  events(moved(munich, "EMEA")),
		},
		{Name: "ChangeAddress/a new city alone is a change", Given: history(), When: move(account.Address{Country: "GB", State: "England", City: "Leeds"}),
			Then: events(moved(account.Address{Country: "GB", State: "England", City: "Leeds"}, "EMEA"))},
		{Name: "ChangeAddress/unchanged: the current address is refused", Given: history(), When: move(london), Then: rule("account.address_unchanged")},
		{Name: "ChangeAddress/unchanged: the current address with white space around is refused", Given: history(),
			When: move(account.Address{Country: "GB", State: "England ", City: " London"}), Then: rule("account.address_unchanged")},
		bad("country code: required", account.Address{City: "London"}, "address.country"),
		bad("country code: upper case", account.Address{Country: "de"}, "address.country"),
		bad("country code: assigned", account.Address{Country: "XX"}, "address.country"),
		bad("state length: at most 100 characters", account.Address{Country: "DE", State: strings.Repeat("s", account.MaxPlaceLen+1)}, "address.state"),
		bad("city: no control characters", account.Address{Country: "DE", City: "Mün\nchen"}, "address.city"),
		bad("validation: every problem is reported at once", account.Address{Country: "", State: "\x00", City: strings.Repeat("c", 101)},
			"address.country", "address.state", "address.city"),
	}
	cases = append(cases, whoCase{
		name: "ChangeAddress", policy: staffOrContact, given: history(),
		mk: func(by domain.Actor) account.Command {
			c := move(munich)
			c.By = by
			return c
		},
		bad: func(by domain.Actor) account.Command {
			return account.ChangeAddress{AccountID: acmeID, Address: account.Address{Country: "Germany"}, By: by, At: at}
		},
		badFields: []string{"address.country"},
		want:      events(moved(munich, "EMEA")),
	}.scenarios()...)
	runAll(t, cases)
}

func TestSetVATNumber(t *testing.T) {
	set := func(v string) account.SetVATNumber {
		return account.SetVATNumber{AccountID: acmeID, VATNumber: v, By: as(admin), At: at}
	}
	bad := func(name, v string) scenario {
		return scenario{Name: "SetVATNumber/" + name, Given: history(), When: set(v), Then: invalid("vat_number")}
	}
	noVAT := func(s *account.State) { s.VATNumber = "" }
	cases := []scenario{
		{Name: "SetVATNumber/happy path: a new VAT number replaces the old one", Given: history(), When: set("GB987654321"),
			Then: events(account.VATNumberSet{AccountID: acmeID, VATNumber: "GB987654321", OldVATNumber: "GB123456789"})},
		{Name: "SetVATNumber/an account without one gets one", Given: history(), Adjust: noVAT, When: set("GB987654321"),
			Then: events(account.VATNumberSet{AccountID: acmeID, VATNumber: "GB987654321"})},
		{Name: "SetVATNumber/an empty VAT number removes it (it is optional)", Given: history(), When: set(""),
			Then: events(account.VATNumberSet{AccountID: acmeID, OldVATNumber: "GB123456789"})},
		{Name: "SetVATNumber/unchanged: the current VAT number is refused", Given: history(), When: set("GB123456789"), Then: rule("account.vat_number_unchanged")},
		{Name: "SetVATNumber/unchanged: removing a VAT number the account does not have is refused", Given: history(), Adjust: noVAT, When: set(""),
			Then: rule("account.vat_number_unchanged")},
		bad("VAT format: upper case", "gb987654321"),
		bad("VAT format: at least 2 characters", "G"),
		bad("VAT format: at most 30 characters", "GB"+strings.Repeat("1", account.MaxVATLen-1)),
		bad("VAT format: no slash", "GB987/654"),
		bad("VAT format: no leading space", " GB987654321"),
	}
	cases = append(cases, whoCase{
		name: "SetVATNumber", policy: staffOrContact, given: history(),
		mk: func(by domain.Actor) account.Command {
			c := set("GB987654321")
			c.By = by
			return c
		},
		bad:       func(by domain.Actor) account.Command { c := set("vat"); c.By = by; return c },
		badFields: []string{"vat_number"},
		want:      events(account.VATNumberSet{AccountID: acmeID, VATNumber: "GB987654321", OldVATNumber: "GB123456789"}),
	}.scenarios()...)
	runAll(t, cases)
}

func TestTagAccount(t *testing.T) {
	tag := func(tg string) account.TagAccount {
		return account.TagAccount{AccountID: acmeID, Tag: tg, By: as(admin), At: at}
	}
	tagged := func(tg string) account.AccountTagged { return account.AccountTagged{AccountID: acmeID, Tag: tg} }
	ok := func(name, tg string) scenario {
		return scenario{Name: "TagAccount/" + name, Given: history(), When: tag(tg), Then: events(tagged(tg))}
	}
	bad := func(name, tg string) scenario {
		return scenario{Name: "TagAccount/" + name, Given: history(), When: tag(tg), Then: invalid("tag")}
	}
	cases := []scenario{
		ok("happy path: an account is tagged", "key-account"),
		ok("tag form: digits and underscores are allowed", "fy_2025"),
		ok("tag form: one character is enough", "a"),
		ok("tag form: exactly 40 characters are accepted", strings.Repeat("t", account.MaxTagLen)),
		bad("tag form: required", ""),
		bad("tag form: at most 40 characters", strings.Repeat("t", account.MaxTagLen+1)),
		bad("tag form: lower case only", "Key-Account"),
		bad("tag form: no spaces", "key account"),
		bad("tag form: no dots", "key.account"),
		bad("tag form: ASCII letters only", "größe"),
		bad("tag form: no trailing newline", "key\n"),
		{Name: "TagAccount/tagging twice: a tag the account has is refused", Given: history(tagged("key-account")), When: tag("key-account"),
			Then: rule("account.already_tagged")},
		{Name: "TagAccount/tagging twice: another tag is added beside it", Given: history(tagged("key-account")), When: tag("emea-north"),
			Then: events(tagged("emea-north"))},
		{Name: "TagAccount/tagging twice: a tag taken off may be put on again", Given: history(tagged("key-account"),
			account.AccountUntagged{AccountID: acmeID, Tag: "key-account"}), When: tag("key-account"), Then: events(tagged("key-account"))},
	}
	cases = append(cases, whoCase{
		name: "TagAccount", policy: staffOrContact, given: history(),
		mk:        func(by domain.Actor) account.Command { c := tag("key-account"); c.By = by; return c },
		bad:       func(by domain.Actor) account.Command { c := tag("Key Account"); c.By = by; return c },
		badFields: []string{"tag"},
		want:      events(tagged("key-account")),
	}.scenarios()...)
	runAll(t, cases)
}

func TestUntagAccount(t *testing.T) {
	untag := func(tg string) account.UntagAccount {
		return account.UntagAccount{AccountID: acmeID, Tag: tg, By: as(admin), At: at}
	}
	tagged := func(tg string) account.AccountTagged { return account.AccountTagged{AccountID: acmeID, Tag: tg} }
	untagged := func(tg string) account.AccountUntagged { return account.AccountUntagged{AccountID: acmeID, Tag: tg} }
	given := history(tagged("key-account"), tagged("emea-north"))
	cases := []scenario{
		{Name: "UntagAccount/happy path: a tag is taken off", Given: given, When: untag("key-account"), Then: events(untagged("key-account"))},
		{Name: "UntagAccount/untagging absent: a tag the account does not have is refused", Given: given, When: untag("apac"),
			Then: rule("account.not_tagged")},
		{Name: "UntagAccount/untagging absent: a tag already taken off is refused", Given: append(given, untagged("key-account")),
			When: untag("key-account"), Then: rule("account.not_tagged")},
		{Name: "UntagAccount/untagging absent: an account with no tags has none to take off", Given: history(), When: untag("key-account"),
			Then: rule("account.not_tagged")},
		{Name: "UntagAccount/tag form: a malformed tag is invalid, not absent", Given: given, When: untag("Key-Account"), Then: invalid("tag")},
		{Name: "UntagAccount/tag form: required", Given: given, When: untag(""), Then: invalid("tag")},
	}
	cases = append(cases, whoCase{
		name: "UntagAccount", policy: staffOrContact, given: given,
		mk:        func(by domain.Actor) account.Command { c := untag("key-account"); c.By = by; return c },
		bad:       func(by domain.Actor) account.Command { c := untag(""); c.By = by; return c },
		badFields: []string{"tag"},
		want:      events(untagged("key-account")),
	}.scenarios()...)
	runAll(t, cases)
}
