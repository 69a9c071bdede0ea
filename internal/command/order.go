package command

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/invoice"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/order"
	"github.com/channeldesk/channeldesk/domain/partner"
	"github.com/channeldesk/channeldesk/internal/numbering"
)

var (
	orders         = Aggregate[order.State]{Evolve: order.Evolve}
	poReservations = Aggregate[order.POReservation]{Evolve: order.EvolvePOReservation}
)

// invoiceDue is how long after its issue an invoice falls due, unless the
// fulfilment names a due date.
const invoiceDue = 30 * 24 * time.Hour

// maxOwnerHops bounds how far a command follows a chain of merged accounts
// to the account that now answers for one.
const maxOwnerHops = 16

// draw allocates n numbers of kind k.
func (s *Service) draw(ctx context.Context, k numbering.Kind, n int) ([]string, error) {
	nums, err := s.ids.Next(ctx, k, n)
	if err == nil && len(nums) != n {
		err = fmt.Errorf("command: asked for %d %s numbers, got %d", n, k, len(nums))
	}
	return nums, err
}

// placeholderBase starts the numbers decisions are first taken with: 18
// digits, of the form of every numbered kind (ORD-, LIC-, INV-, ELA-,
// EASY-, CASE-), and out of reach of internal/numbering's sequences.
const placeholderBase = 900_000_000_000_000_000

// placeholders returns n distinct numbers of the form prefix+digits that are
// never allocated. A command that creates something under a drawn number is
// first decided with them, so that a refused command draws no number. A
// refusal that only the append finds (a stream taken to be new that
// exists, as a duplicate PO; a cached state another instance moved) comes
// after the draw: that number is skipped. Order, contract, case and
// contact numbers come from blocks, where skipped numbers are expected;
// an invoice number skipped so is a gap of a refused fulfilment (see
// FulfilOrder).
func placeholders(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.FormatInt(placeholderBase+int64(i), 10)
	}
	return out
}

// probe runs attempt once, as Run would, and discards what it emits: it
// tells whether the command would be refused before numbers are drawn for
// it. It returns what it loaded, for the first attempt of the command
// itself to decide on without reading it again.
func (s *Service) probe(ctx context.Context, p domain.Principal, attempt func(u *Unit) error) (map[string]loadedState, error) {
	try := func(cached bool) (*Unit, error) {
		u := newUnit(ctx, s, nil, cached)
		if err := u.checkHold(p); err != nil {
			return u, err
		}
		return u, attempt(u)
	}
	u, err := try(true)
	if err != nil && u.fromCache {
		// Refused on a cached state, or it conflicted: look again at the
		// store's (see Run).
		u, err = try(false)
	}
	if err != nil {
		return nil, err
	}
	return u.states, nil
}

// create runs a command that creates something under a number of kind k
// (an aggregate, or a contact within its organisation's stream):
// it is decided first with a placeholder number (see probe), then with the
// number drawn, by Run. An idempotent repeat is answered from the command
// log before anything is decided or drawn. stream names the created
// aggregate's stream from its number.
func (s *Service) create(ctx context.Context, m Meta, k numbering.Kind, prefix string, stream func(number string) string, attempt func(u *Unit, number string) error) (Result, error) {
	if r, err := s.replayUnlessHeld(ctx, m); err != nil || r != nil {
		if r != nil {
			return *r, nil
		}
		return Result{}, err
	}
	placeholder := placeholders(prefix, 1)[0]
	loaded, err := s.probe(ctx, m.Principal, func(u *Unit) error { return attempt(u, placeholder) })
	if err != nil {
		return Result{}, err
	}
	nums, err := s.draw(ctx, k, 1)
	if err != nil {
		return Result{}, err
	}
	number := nums[0]
	if stream(placeholder) != stream(number) {
		// The created stream is new under the number drawn; what the
		// probe read of the placeholder's stream is not about it.
		delete(loaded, stream(placeholder))
	}
	return s.run(ctx, m, number, stream(number), loaded, func(u *Unit) error { return attempt(u, number) })
}

// answeringAccount loads account id and, if it was merged, the accounts its
// merge chain leads to, and returns the last: the account that now answers
// for id. Every account on the way is loaded within u.
func (u *Unit) answeringAccount(id string) (account.State, domain.OrgRef, error) {
	st, ref, err := u.Account(id)
	for hop := 0; err == nil && st.MergedInto != "" && hop < maxOwnerHops; hop++ {
		st, ref, err = u.Account(st.MergedInto)
	}
	return st, ref, err
}

// SubmitOrderInput is the body of SubmitOrder. PartnerID is the submitting
// partner: a partner contact may leave it out (its own organisation);
// staff submitting on a partner's behalf name it.
type SubmitOrderInput struct {
	PONumber            string       `json:"po_number"`
	PODate              string       `json:"po_date"`
	OrderType           string       `json:"order_type"`
	Catalog             string       `json:"catalog"`
	Lines               []order.Line `json:"lines"`
	CustomerAccountID   string       `json:"customer_account_id"`
	PartnerID           string       `json:"partner_id,omitempty"`
	DistributorID       string       `json:"distributor_id,omitempty"`
	DistributorPONumber string       `json:"distributor_po_number,omitempty"`
	Comments            string       `json:"comments,omitempty"`
	PODocumentRef       string       `json:"po_document_ref,omitempty"`
}

// SubmitOrder accepts a partner's order under a newly drawn order number.
// In one atomic append it records the order, reserves the partner's PO
// number (a stream that must still be new, so the same PO submitted twice,
// even concurrently, is refused as a duplicate) and attaches the order to
// the customer's account.
func (s *Service) SubmitOrder(ctx context.Context, m Meta, in SubmitOrderInput) (Result, error) {
	at := s.cfg.Now()
	return s.create(ctx, m, numbering.Order, "ORD-", order.StreamID, func(u *Unit, number string) error {
		// The acting party and every fact, read in one round trip.
		partnerID := in.PartnerID
		if partnerID == "" && m.Principal.Kind == domain.KindPartner {
			partnerID = m.Principal.PartnerID
		}
		facts := []string{actorStream(m.Principal)}
		if ids.Org(in.CustomerAccountID) {
			facts = append(facts, account.StreamID(in.CustomerAccountID))
		}
		for _, id := range []string{partnerID, in.DistributorID} {
			if ids.Org(id) {
				facts = append(facts, partner.StreamID(id))
			}
		}
		if ids.Org(partnerID) && !u.cached {
			// With the state cache, the reservation is taken to be new
			// (LoadNew below).
			facts = append(facts, order.POReservationStream(partnerID, in.PONumber))
		}
		if err := u.Prefetch(facts...); err != nil {
			return err
		}
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		cmd := order.SubmitOrder{
			OrderNumber: number, PONumber: in.PONumber, PODate: in.PODate, OrderType: in.OrderType, Catalog: in.Catalog,
			Lines: in.Lines, CustomerAccountID: in.CustomerAccountID, PartnerID: in.PartnerID,
			DistributorID: in.DistributorID, DistributorPONumber: in.DistributorPONumber,
			Comments: in.Comments, PODocumentRef: in.PODocumentRef, By: by, At: at,
		}
		if cmd.PartnerID == "" && by.Kind == domain.KindPartner {
			cmd.PartnerID = by.PartnerID
		}
		// Facts are only loaded for well-formed IDs; Submit refuses the
		// others as invalid.
		var customer account.State
		if ids.Org(cmd.CustomerAccountID) {
			if customer, cmd.Customer, err = u.Account(cmd.CustomerAccountID); err != nil {
				return err
			}
		}
		if ids.Org(cmd.PartnerID) {
			pa, ref, err := u.Partner(cmd.PartnerID)
			if err != nil {
				return err
			}
			// Only a reseller submits orders.
			reseller := pa.Is(partner.KindResellerDirect) || pa.Is(partner.KindResellerIndirect)
			cmd.PartnerNotReseller = ref.Exists && !reseller
			ref.Exists = ref.Exists && reseller
			cmd.Partner, cmd.PartnerActive = ref, pa.Status == domain.PartnerActive
		}
		if ids.Org(cmd.DistributorID) {
			d, ref, err := u.Partner(cmd.DistributorID)
			if err != nil {
				return err
			}
			// Only a partner of the distributor kind distributes.
			ref.Exists = ref.Exists && d.Is(partner.KindDistributor)
			cmd.Distributor = &ref
		}
		if ids.Org(cmd.PartnerID) {
			r, err := LoadNew(u, poReservations, order.POReservationStream(cmd.PartnerID, cmd.PONumber))
			if err != nil {
				return err
			}
			cmd.POAlreadyUsed = r.Exists()
		}
		streams, err := order.Submit(order.State{}, cmd)
		if err != nil {
			return err
		}
		u.EmitAll(streams)
		sub := streams[0].Events[0].(order.Submitted)
		evs, err := account.Decide(customer, account.AttachOrder{
			AccountID: sub.CustomerAccountID, OrderNumber: sub.OrderNumber, PartnerID: sub.PartnerID, DistributorID: sub.DistributorID, By: by, At: at,
		})
		if err != nil {
			return err
		}
		u.Emit(account.StreamID(sub.CustomerAccountID), evs...)
		return nil
	})
}

// FulfilOrderInput is the body of FulfilOrder. DueDate (YYYY-MM-DD) is the
// invoice's due date; 30 days after fulfilment when left out.
type FulfilOrderInput struct {
	DueDate string `json:"due_date,omitempty"`
}

// FulfilOrder issues an order's licenses (one per line) and its invoice to
// the account that answers for the order's customer, in one atomic append:
// order.fulfilled, license.issued on each new license's stream,
// invoice.issued, and account.license_attached for each license on the
// owner's stream. The invoice is delivered as the owner's setting says
// (paper when it never chose). License IDs and the invoice number are drawn
// once the fulfilment is known to be accepted on the states decided on, and
// kept across retries. A state taken from the cache that another instance
// had moved shows only at the append: a fulfilment refused then (the order
// was fulfilled elsewhere) leaves its invoice number unused, a gap of a
// refused fulfilment. Confirming every cached state before the draw would
// cost each fulfilment a round trip to spare that rare gap.
func (s *Service) FulfilOrder(ctx context.Context, m Meta, number string, in FulfilOrderInput) (Result, error) {
	if !ids.Order(number) {
		return Result{}, domain.ErrNotFound
	}
	at := s.cfg.Now()
	due := in.DueDate
	if due == "" {
		due = at.UTC().Add(invoiceDue).Format(time.DateOnly)
	}
	var licenseIDs []string
	var invoiceNumber string
	return s.Run(ctx, m, number, order.StreamID(number), func(u *Unit) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		st, err := Load(u, orders, order.StreamID(number))
		if err != nil {
			return err
		}
		var owner account.State
		cmd := order.FulfilOrder{OrderNumber: number, DueDate: due, By: by, At: at}
		if ids.Org(st.CustomerAccountID) {
			if owner, cmd.Owner, err = u.answeringAccount(st.CustomerAccountID); err != nil {
				return err
			}
		}
		cmd.InvoiceDelivery = order.InvoiceDelivery{Mode: owner.InvoiceDelivery.Mode, Recipients: owner.InvoiceDelivery.Recipients}
		if cmd.InvoiceDelivery.Mode == "" {
			cmd.InvoiceDelivery.Mode = account.DeliveryPaper
		}
		// Every decision of the fulfilment is taken first with placeholder
		// numbers, so that a refused fulfilment draws none.
		fulfil := func(lics []string, inv string) ([]domain.StreamEvents, error) {
			cmd.LicenseIDs, cmd.InvoiceNumber = lics, inv
			f, err := order.Fulfil(st, cmd)
			if err != nil {
				return nil, err
			}
			out := []domain.StreamEvents{f.Order}
			links := make([]account.Command, 0, len(f.Licenses))
			for _, g := range f.Licenses {
				evs, err := license.Decide(license.State{}, license.IssueLicense{
					LicenseID: g.LicenseID, Product: g.Product, Edition: g.Edition, Quantity: g.Quantity,
					OwnerAccountID: g.OwnerAccountID, SourceOrder: g.SourceOrder, MaintenanceEnd: g.MaintenanceEnd,
					Owner: cmd.Owner, By: by, At: at,
				})
				if err != nil {
					return nil, err
				}
				out = append(out, domain.StreamEvents{StreamID: license.StreamID(g.LicenseID), Events: evs})
				links = append(links, account.AttachLicense{AccountID: cmd.Owner.ID, LicenseID: g.LicenseID, By: by, At: at})
			}
			d := f.Invoice
			evs, err := invoice.Decide(invoice.State{}, invoice.IssueInvoice{
				InvoiceNumber: d.InvoiceNumber, OrderNumber: d.OrderNumber, AccountID: d.AccountID, PONumber: d.PONumber,
				AmountMinor: d.AmountMinor, Currency: d.Currency, DueDate: d.DueDate,
				Delivery: invoice.Delivery{Mode: d.Delivery.Mode, Recipients: d.Delivery.Recipients},
				By:       by, At: at,
			})
			if err != nil {
				return nil, err
			}
			out = append(out, domain.StreamEvents{StreamID: invoice.StreamID(d.InvoiceNumber), Events: evs})
			attached, err := decideLinks(owner, links...)
			return append(out, attached...), err
		}
		if _, err := fulfil(placeholders("LIC-", len(st.Lines)), placeholders("INV-", 1)[0]); err != nil {
			return err
		}
		if len(licenseIDs) != len(st.Lines) {
			if licenseIDs, err = s.draw(u.ctx, numbering.License, len(st.Lines)); err != nil {
				return err
			}
		}
		if invoiceNumber == "" {
			nums, err := s.draw(u.ctx, numbering.Invoice, 1)
			if err != nil {
				return err
			}
			invoiceNumber = nums[0]
		}
		streams, err := fulfil(licenseIDs, invoiceNumber)
		if err != nil {
			return err
		}
		u.EmitAll(streams)
		return nil
	})
}

// CancelOrderInput is the body of CancelOrder.
type CancelOrderInput struct {
	Reason string `json:"reason"`
}

// CancelOrder cancels an order that was not fulfilled. Its PO number stays
// used.
func (s *Service) CancelOrder(ctx context.Context, m Meta, number string, in CancelOrderInput) (Result, error) {
	if !ids.Order(number) {
		return Result{}, domain.ErrNotFound
	}
	at := s.cfg.Now()
	return s.Run(ctx, m, number, order.StreamID(number), func(u *Unit) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		st, err := Load(u, orders, order.StreamID(number))
		if err != nil {
			return err
		}
		evs, err := order.Decide(st, order.CancelOrder{OrderNumber: number, Reason: in.Reason, By: by, At: at})
		if err != nil {
			return err
		}
		u.Emit(order.StreamID(number), evs...)
		return nil
	})
}
