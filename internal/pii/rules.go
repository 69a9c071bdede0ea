package pii

import "github.com/channeldesk/channeldesk/domain"

// Erased is what a sealed value reads as once its key is destroyed:
// domain.Erased, the one marker of a forgotten person everywhere.
const Erased = domain.Erased

// Rule says where the personal data of one event type sits in its
// payload, as JSON names.
type Rule struct {
	// List is the path of object keys to an array of persons; empty when
	// the payload itself is the person.
	List []string
	// Subject is the person's field that names it: its contact ID, the
	// subject its key is kept under.
	Subject string
	// Fields are the person's string fields that hold personal data.
	Fields []string
}

// contactFields are the personal fields of a contact, in every event that
// carries one.
var contactFields = []string{"name", "email", "phone"}

// Rules returns, by event type (every schema version), where its payload
// holds personal data: the one place that declares it. An event type not
// listed carries none. A test checks that every event of the catalog whose
// payload has a contact's fields is listed.
func Rules() map[string]Rule {
	contact := Rule{Subject: "contact_id", Fields: contactFields}
	moved := Rule{List: []string{"moved", "contacts"}, Subject: "id", Fields: contactFields}
	return map[string]Rule{
		"account.contact_added":  contact,
		"partner.contact_added":  contact,
		"account.merged":         moved,
		"account.merge_received": moved,
	}
}
