package bench

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/geo"
	"github.com/channeldesk/channeldesk/domain/names"
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/internal/numbering"
)

// The events the figures write are customer registrations and renames with
// realistic names, addresses and evidence, generated deterministically from
// an account number, so that payload sizes match production ones.

var (
	nameHeads = []string{"Northwind", "Contoso", "Blue Harbor", "Alpenglow", "Fabrikam", "Tailspin",
		"Lindqvist", "Kestrel", "Sakura", "Rio Verde", "Baltic", "Meridian", "Ironbridge", "Oakridge",
		"Helios", "Nordlicht", "Cedar Point", "Silverline", "Aurora", "Vantage", "Bergmann", "Duarte",
		"Okafor", "Tanaka", "Kowalski", "Müller", "Søndergaard", "Château Lumière", "Ávila", "Zhou",
		"Great Lakes", "Red Rock", "Fjordhavn", "Santa Clara", "Maple Leaf", "Eastgate", "Pinecrest"}
	nameTrades = []string{"Logistics", "Software", "Foods", "Analytics", "Engineering", "Medical",
		"Textiles", "Energy", "Robotics", "Consulting", "Freight", "Pharma", "Media", "Retail",
		"Security", "Networks", "Solar", "Marine", "Print", "Data Systems", "Hospitality", "Tooling"}
	legalForms = []string{"GmbH", "Ltd", "Inc.", "S.A.", "B.V.", "AB", "Oy", "K.K.", "Pty Ltd",
		"SARL", "S.p.A.", "LLC", "Sp. z o.o.", "AG", "plc", "Corporation", ""}
	places = []account.Address{
		{Country: "US", State: "CA", City: "San Jose"}, {Country: "US", State: "NY", City: "Rochester"},
		{Country: "DE", City: "München"}, {Country: "DE", City: "Hamburg"}, {Country: "GB", City: "Leeds"},
		{Country: "FR", City: "Lyon"}, {Country: "NL", City: "Utrecht"}, {Country: "SE", City: "Göteborg"},
		{Country: "PL", City: "Kraków"}, {Country: "ES", City: "Valencia"}, {Country: "IT", City: "Torino"},
		{Country: "JP", State: "Osaka", City: "Osaka"}, {Country: "AU", State: "NSW", City: "Sydney"},
		{Country: "BR", State: "SP", City: "Campinas"}, {Country: "CA", State: "ON", City: "Ottawa"},
		{Country: "SG", City: "Singapore"}, {Country: "IN", State: "KA", City: "Bengaluru"},
		{Country: "ZA", City: "Cape Town"}, {Country: "FI", City: "Tampere"}, {Country: "MX", State: "JAL", City: "Guadalajara"},
	}
)

// company is one generated customer account.
type company struct {
	n int
}

// ID is the account's organisation ID.
func (c company) ID() string {
	id, err := numbering.OrgID(int64(c.n))
	if err != nil {
		panic(err) // n is far below the 600 million IDs there are
	}
	return id
}

// Stream is the account's event stream.
func (c company) Stream() string { return account.StreamID(c.ID()) }

// Name is the company's name after gen renames.
func (c company) Name(gen int) string {
	k := c.n + 7919*gen
	h := nameHeads[k%len(nameHeads)]
	t := nameTrades[(k/len(nameHeads)+gen)%len(nameTrades)]
	f := legalForms[(k/3+gen)%len(legalForms)]
	if f == "" {
		return h + " " + t
	}
	return h + " " + t + " " + f
}

// Domain is the company's primary domain.
func (c company) Domain() string {
	var b strings.Builder
	for _, r := range names.Fold(c.Name(0)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-") + "-" + strings.ToLower(c.ID()) + ".example"
}

func (c company) address() account.Address { return places[c.n%len(places)] }

// Registration is the account.registered event of the company.
func (c company) Registration() account.AccountRegistered {
	addr := c.address()
	region, _ := geo.RegionOf(addr.Country)
	var vat string
	if region == geo.EMEA {
		vat = fmt.Sprintf("%s%09d", addr.Country, 100000000+c.n%900000000)
	}
	return account.AccountRegistered{AccountID: c.ID(), Name: c.Name(0), PrimaryDomain: c.Domain(),
		Address: addr, Region: string(region), VATNumber: vat}
}

// Evidence is what backs the company's gen-th rename (from 1).
func (c company) Evidence(gen int) account.RenameEvidence {
	return account.RenameEvidence{
		EmailConfirmation: account.EmailConfirmation{From: "legal@" + c.Domain(), Reference: fmt.Sprintf("<%s.%d@mail.%s>", strings.ToLower(c.ID()), gen, c.Domain())},
		Document: account.Document{Kind: account.DocPressRelease, Reference: fmt.Sprintf("https://press.%s/2025/rename-%d", c.Domain(), gen),
			OldName: c.Name(gen - 1), NewName: c.Name(gen)},
	}
}

// Rename is the account.renamed event of the company's gen-th rename.
func (c company) Rename(gen int) account.CompanyRenamed {
	return account.CompanyRenamed{AccountID: c.ID(), OldName: c.Name(gen - 1), NewName: c.Name(gen), Evidence: c.Evidence(gen)}
}

// domainEvent is what the generated events have in common.
type domainEvent interface {
	EventType() string
	SchemaVersion() int
}

// newEvent wraps a domain event for the store, with a fresh UUIDv7 as the
// command service would draw.
func newEvent(ev domainEvent, at time.Time) eventstore.NewEvent {
	data, err := json.Marshal(ev)
	if err != nil {
		panic(err) // plain structs of strings
	}
	return eventstore.NewEvent{ID: uuid.Must(uuid.NewV7()), Type: ev.EventType(), SchemaVersion: ev.SchemaVersion(), Data: data, OccurredAt: at}
}

// metadata is the envelope of an event written by a staff command.
func metadata() eventstore.Metadata {
	cmd := uuid.Must(uuid.NewV7()).String()
	return eventstore.Metadata{Actor: "staff:bench", CorrelationID: uuid.Must(uuid.NewV7()).String(),
		CausationID: cmd, CommandID: cmd, ClientIP: "10.20.30.40"}
}

// renamePayloads returns n account.renamed payloads of distinct companies,
// which the append figures cycle through.
func renamePayloads(n int) []json.RawMessage {
	out := make([]json.RawMessage, n)
	for i := range out {
		data, err := json.Marshal(company{n: i}.Rename(1))
		if err != nil {
			panic(err)
		}
		out[i] = data
	}
	return out
}
