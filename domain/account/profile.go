package account

import (
	"slices"

	"github.com/channeldesk/channeldesk/domain"
)

func changeAddress(s State, c ChangeAddress) ([]domain.Event, error) {
	var region string
	validate := func(p *domain.Problems) { region = checkAddress(p, "address", c.Address) }
	return run(s, staffOrContact, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		addr := trimAddress(c.Address)
		if addr == s.Address {
			return nil, domain.Rule("account.address_unchanged", "the account is already at this address")
		}
		return []domain.Event{AddressChanged{AccountID: s.ID,
			From: Location{Address: s.Address, Region: s.Region}, To: Location{Address: addr, Region: region}}}, nil
	})
}

func setVATNumber(s State, c SetVATNumber) ([]domain.Event, error) {
	validate := func(p *domain.Problems) { checkVAT(p, "vat_number", c.VATNumber) }
	return run(s, staffOrContact, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if c.VATNumber == s.VATNumber {
			return nil, domain.Rule("account.vat_number_unchanged", "the VAT number is already %q", c.VATNumber)
		}
		return []domain.Event{VATNumberSet{AccountID: s.ID, VATNumber: c.VATNumber, OldVATNumber: s.VATNumber}}, nil
	})
}

func checkTag(p *domain.Problems, tag string) {
	if !tagPattern.MatchString(tag) {
		p.Add("tag", "must be 1 to %d lower-case letters, digits, '-' or '_'", MaxTagLen)
	}
}

func tag(s State, c TagAccount) ([]domain.Event, error) {
	validate := func(p *domain.Problems) { checkTag(p, c.Tag) }
	return run(s, staffOrContact, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if slices.Contains(s.Tags, c.Tag) {
			return nil, domain.Rule("account.already_tagged", "the account is already tagged %q", c.Tag)
		}
		return []domain.Event{AccountTagged{AccountID: s.ID, Tag: c.Tag}}, nil
	})
}

func untag(s State, c UntagAccount) ([]domain.Event, error) {
	validate := func(p *domain.Problems) { checkTag(p, c.Tag) }
	return run(s, staffOrContact, c.AccountID, c.By, validate, func() ([]domain.Event, error) {
		if !slices.Contains(s.Tags, c.Tag) {
			return nil, domain.Rule("account.not_tagged", "the account is not tagged %q", c.Tag)
		}
		return []domain.Event{AccountUntagged{AccountID: s.ID, Tag: c.Tag}}, nil
	})
}
