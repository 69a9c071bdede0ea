package partner

import "github.com/channeldesk/channeldesk/domain"

// forgetContact forgets a partner contact at the person's request: the
// command service destroys the key its personal data was sealed with, and
// the event records that it did. Who may manage the partner's contacts may
// forget one; a contact may not forget itself.
func forgetContact(s State, c ForgetContact) ([]domain.Event, error) {
	if err := mayManageContacts(c.PartnerID, c.By); err != nil {
		return nil, err
	}
	if !ValidContactID(c.ContactID) {
		var p domain.Problems
		p.Add("contact_id", "must be C- and six digits, e.g. C-000001")
		return nil, p.Err()
	}
	if err := exists(s, c.PartnerID); err != nil {
		return nil, err
	}
	if err := mayActHere(s, c.By); err != nil {
		return nil, err
	}
	if err := notHeld(s, c.By); err != nil {
		return nil, err
	}
	ct, ok := s.Contacts[c.ContactID]
	if !ok {
		return nil, domain.ErrNotFound
	}
	if ct.Forgotten {
		return nil, forgottenContact(ct.ID)
	}
	if c.By.Kind == domain.KindPartner && c.By.ContactID == ct.ID {
		return nil, domain.Rule("partner.contact_forget_self", "a partner contact cannot forget itself: staff or another org admin of the partner can")
	}
	return []domain.Event{ContactForgotten{PartnerID: s.ID, ContactID: ct.ID}}, nil
}

// forgotten is ct once its person was forgotten: its personal values read
// as domain.Erased, as they do in its sealed events once the key is gone.
func forgotten(ct Contact) Contact {
	ct.Name, ct.Email = domain.Erased, domain.Erased
	if ct.Phone != "" {
		ct.Phone = domain.Erased
	}
	ct.Forgotten = true
	return ct
}

func forgottenContact(id string) error {
	return domain.Rule("partner.contact_forgotten", "contact %s was forgotten at its request", id)
}
