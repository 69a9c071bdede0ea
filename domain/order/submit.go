package order

import (
	"fmt"
	"math"
	"strings"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/geo"
)

// Submit decides a SubmitOrder and returns the events of both streams it
// writes, in this order: order.submitted on StreamID(OrderNumber), and
// orderpo.reserved on POReservationStream(PartnerID, PONumber). The command
// service appends both atomically, the reservation with expected version 0,
// and adds account.order_attached (account package) to the customer
// account's stream from the Submitted event. Errors are those of
// Decide.
func Submit(s State, c SubmitOrder) ([]domain.StreamEvents, error) {
	evs, err := submit(s, c)
	if err != nil {
		return nil, err
	}
	e := evs[0].(Submitted)
	return []domain.StreamEvents{
		{StreamID: StreamID(e.OrderNumber), Events: evs},
		{StreamID: POReservationStream(e.PartnerID, e.PONumber), Events: []domain.Event{
			POReserved{PartnerID: e.PartnerID, PONumber: e.PONumber, OrderNumber: e.OrderNumber},
		}},
	}, nil
}

func submit(s State, c SubmitOrder) ([]domain.Event, error) {
	if err := maySubmit(c.PartnerID, c.By); err != nil {
		return nil, err
	}
	if c.PartnerNotReseller && !isStaff(c.By) {
		return nil, domain.Forbidden("partner %s is not a reseller: only a reseller submits orders", c.PartnerID)
	}

	var p domain.Problems
	if !ValidNumber(c.OrderNumber) {
		p.Add("order_number", "must be ORD- and seven digits, e.g. ORD-0000042")
	}
	po := checkPO(&p, "po_number", c.PONumber)
	if d, ok := parseDate(c.PODate); !ok {
		p.Add("po_date", "must be a date written YYYY-MM-DD")
	} else if d.After(latestDate(c.At)) {
		p.Add("po_date", "must not be in the future")
	}
	switch c.OrderType {
	case TypeNew, TypeAddOn, TypeUpgrade, TypeSubscriptionRenewal, TypeMaintenanceRenewal:
	default:
		p.Add("order_type", "must be new, add_on, upgrade or subscription_renewal")
	}
	switch c.Catalog {
	case CatalogSoftware, CatalogOnlineServices, CatalogMarketplace, CatalogCloud:
	default:
		p.Add("catalog", "must be software, online_services, marketplace or cloud")
	}
	lines, currency, total := checkLines(&p, c.Lines)
	checkOrgID(&p, "customer_account_id", c.CustomerAccountID, true)
	checkOrgID(&p, "partner_id", c.PartnerID, true)
	checkOrgID(&p, "distributor_id", c.DistributorID, false)
	var distributorPO string
	if c.DistributorID != "" {
		if c.DistributorID == c.PartnerID {
			p.Add("distributor_id", "must not be the submitting partner")
		}
		distributorPO = checkPO(&p, "distributor_po_number", c.DistributorPONumber)
	} else if strings.TrimSpace(c.DistributorPONumber) != "" {
		p.Add("distributor_po_number", "is only for an order through a distributor (distributor_id)")
	}
	comments := checkLongText(&p, "comments", c.Comments, MaxCommentsLen, false)
	ref := checkReference(&p, "po_document_ref", c.PODocumentRef)
	if err := p.Err(); err != nil {
		return nil, err
	}

	if s.Exists() {
		return nil, domain.ErrDuplicate
	}
	if err := noMaintenanceRenewal(c.OrderType, lines); err != nil {
		return nil, err
	}
	if cu := c.Customer; !cu.Exists || cu.ID != c.CustomerAccountID {
		return nil, domain.Rule("order.customer_unknown", "there is no customer account %s", c.CustomerAccountID)
	} else if cu.MergedInto != "" {
		return nil, domain.Rule("order.customer_merged",
			"customer account %s was merged into %s: submit the order for %s", cu.ID, cu.MergedInto, cu.MergedInto)
	}
	if pa := c.Partner; !pa.Exists || pa.ID != c.PartnerID {
		return nil, domain.Rule("order.partner_unknown", "there is no reseller partner %s", c.PartnerID)
	} else if pa.MergedInto != "" {
		return nil, domain.Rule("order.partner_merged", "partner %s was merged into %s", pa.ID, pa.MergedInto)
	} else if !c.PartnerActive {
		return nil, domain.Rule("order.partner_inactive",
			"partner %s is not active in the partner program: it may not submit orders, nor staff on its behalf", c.PartnerID)
	}
	if c.DistributorID != "" {
		if d := c.Distributor; d == nil || !d.Exists || d.ID != c.DistributorID {
			return nil, domain.Rule("order.distributor_unknown", "there is no distributor %s", c.DistributorID)
		} else if d.MergedInto != "" {
			return nil, domain.Rule("order.distributor_merged",
				"distributor %s was merged into %s: submit the order through %s", d.ID, d.MergedInto, d.MergedInto)
		}
	}
	if c.POAlreadyUsed {
		return nil, fmt.Errorf("%w: partner %s submitted PO %q before", ErrPOUsed, c.PartnerID, po)
	}

	return []domain.Event{Submitted{
		OrderNumber:         c.OrderNumber,
		PONumber:            po,
		PODate:              c.PODate,
		OrderType:           c.OrderType,
		Catalog:             c.Catalog,
		Lines:               lines,
		Currency:            currency,
		TotalMinor:          total,
		CustomerAccountID:   c.CustomerAccountID,
		PartnerID:           c.PartnerID,
		DistributorID:       c.DistributorID,
		DistributorPONumber: distributorPO,
		Comments:            comments,
		PODocumentRef:       ref,
	}}, nil
}

// maySubmit enforces who submits an order: the partner itself through a
// contact that may act for it (Actor.PartnerMayAct), or admin or support
// staff on the partner's behalf. A partner never submits as another
// partner.
func maySubmit(partnerID string, by domain.Actor) error {
	if isStaff(by) {
		return nil
	}
	if by.Kind != domain.KindPartner {
		return domain.Forbidden("only a partner, or admin or support staff on its behalf, submits orders")
	}
	if err := by.PartnerMayAct(); err != nil {
		return err
	}
	if by.PartnerID != partnerID {
		return domain.Forbidden("partner %s may not submit an order as partner %s", by.PartnerID, partnerID)
	}
	return nil
}

// checkLines checks the lines and returns them with texts trimmed, the
// order's currency and its total in minor units. An order has at least one
// and at most MaxLines lines, all in one currency, and a total that fits in
// an int64.
func checkLines(p *domain.Problems, in []Line) (lines []Line, currency string, total int64) {
	switch {
	case len(in) == 0:
		p.Add("lines", "must hold at least one line")
		return nil, "", 0
	case len(in) > MaxLines:
		p.Add("lines", "must hold at most %d lines", MaxLines)
		return nil, "", 0
	}
	lines = make([]Line, len(in))
	summable := true
	for i, l := range in {
		f := fmt.Sprintf("lines[%d].", i)
		if !skuPattern.MatchString(l.SKU) || len(l.SKU) > MaxSKULen {
			p.Add(f+"sku", "must be 1 to %d capital letters, digits, dots, hyphens or underscores, starting with a letter or digit", MaxSKULen)
		}
		product := checkName(p, f+"product", l.Product, MaxProductLen)
		edition := checkName(p, f+"edition", l.Edition, MaxEditionLen)
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			p.Add(f+"quantity", "must be from 1 to %d", MaxQuantity)
			summable = false
		}
		if l.UnitPriceMinor < 0 {
			p.Add(f+"unit_price_minor", "must not be negative")
			summable = false
		}
		switch _, known := geo.Currency(l.Currency); {
		case !known:
			p.Add(f+"currency", "must be an ISO 4217 code such as EUR, USD or JPY")
		case currency == "":
			currency = l.Currency
		case l.Currency != currency:
			p.Add(f+"currency", "must be %s like the lines before it: an order has one currency", currency)
		}
		lines[i] = Line{SKU: l.SKU, Product: product, Edition: edition, Quantity: l.Quantity, UnitPriceMinor: l.UnitPriceMinor, Currency: l.Currency}
		if summable {
			// Quantity ≥ 1 and price ≥ 0 here: the division is safe, and
			// the product is only formed once it is known to fit.
			q := int64(l.Quantity)
			if l.UnitPriceMinor > math.MaxInt64/q || total > math.MaxInt64-q*l.UnitPriceMinor {
				p.Add("lines", "the order total is too large")
				summable = false
			} else {
				total += q * l.UnitPriceMinor
			}
		}
	}
	return lines, currency, total
}

// noMaintenanceRenewal enforces DOMAIN.md: orders are for every product
// except maintenance renewals, which go through RenewMaintenance [seed]. A
// maintenance renewal is an order of type maintenance_renewal or a line
// whose SKU starts with MaintenanceRenewalSKUPrefix.
func noMaintenanceRenewal(orderType string, lines []Line) error {
	if orderType == TypeMaintenanceRenewal {
		return domain.Rule("order.maintenance_renewal",
			"maintenance is not ordered: renew it with RenewMaintenance")
	}
	for i, l := range lines {
		if strings.HasPrefix(l.SKU, MaintenanceRenewalSKUPrefix) {
			return domain.Rule("order.maintenance_renewal",
				"lines[%d] (%s) is a maintenance renewal: renew maintenance with RenewMaintenance, not an order", i, l.SKU)
		}
	}
	return nil
}
