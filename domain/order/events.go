package order

// Order types. DOMAIN.md leaves the list open; ours is closed.
const (
	// TypeNew is a first purchase of a product.
	TypeNew = "new"
	// TypeAddOn adds quantity (users) to what the customer already has.
	TypeAddOn = "add_on"
	// TypeUpgrade moves existing licenses to another edition or version.
	TypeUpgrade = "upgrade"
	// TypeSubscriptionRenewal renews a term subscription (online services,
	// cloud, marketplace offers). It is not a maintenance renewal.
	TypeSubscriptionRenewal = "subscription_renewal"
	// TypeMaintenanceRenewal is recognised only to be refused with the rule
	// order.maintenance_renewal: maintenance (Subscription Advantage) is
	// renewed with RenewMaintenance, never ordered [seed].
	TypeMaintenanceRenewal = "maintenance_renewal"
)

// Product catalogs an order is placed from [seed].
const (
	CatalogSoftware       = "software"
	CatalogOnlineServices = "online_services"
	CatalogMarketplace    = "marketplace"
	CatalogCloud          = "cloud"
)

// MaintenanceRenewalSKUPrefix starts the SKU of every maintenance renewal
// product. An order line with such a SKU is refused with the rule
// order.maintenance_renewal: SKUs are upper case, so the test is exact.
const MaintenanceRenewalSKUPrefix = "MR-"

// Line is one line of an order: a quantity of a product at a unit price.
// UnitPriceMinor is in the minor unit of Currency (1999 = 19.99 EUR).
type Line struct {
	SKU            string `json:"sku"`
	Product        string `json:"product"`
	Edition        string `json:"edition"`
	Quantity       int    `json:"quantity"`
	UnitPriceMinor int64  `json:"unit_price_minor"`
	Currency       string `json:"currency"`
}

// Submitted: a partner's order was accepted under OrderNumber.
// Currency is the one currency of every line; TotalMinor is the sum of
// quantity × unit price over the lines, in its minor unit.
type Submitted struct {
	OrderNumber         string `json:"order_number"`
	PONumber            string `json:"po_number"`
	PODate              string `json:"po_date"`
	OrderType           string `json:"order_type"`
	Catalog             string `json:"catalog"`
	Lines               []Line `json:"lines"`
	Currency            string `json:"currency"`
	TotalMinor          int64  `json:"total_minor"`
	CustomerAccountID   string `json:"customer_account_id"`
	PartnerID           string `json:"partner_id"`
	DistributorID       string `json:"distributor_id,omitempty"`
	DistributorPONumber string `json:"distributor_po_number,omitempty"`
	Comments            string `json:"comments,omitempty"`
	PODocumentRef       string `json:"po_document_ref,omitempty"`
}

// EventType implements domain.Event.
func (Submitted) EventType() string { return "order.submitted" }

// SchemaVersion implements domain.Event.
func (Submitted) SchemaVersion() int { return 1 }

// Cancelled: the order was cancelled before fulfilment.
type Cancelled struct {
	OrderNumber string `json:"order_number"`
	Reason      string `json:"reason"`
}

// EventType implements domain.Event.
func (Cancelled) EventType() string { return "order.cancelled" }

// SchemaVersion implements domain.Event.
func (Cancelled) SchemaVersion() int { return 1 }

// Fulfilled: the order's licenses (LicenseIDs, one per line, in line
// order) and its invoice were issued to OwnerAccountID, the order's
// customer or, if that customer was merged since, the account it was merged
// into.
type Fulfilled struct {
	OrderNumber    string   `json:"order_number"`
	LicenseIDs     []string `json:"license_ids"`
	InvoiceNumber  string   `json:"invoice_number"`
	OwnerAccountID string   `json:"owner_account_id"`
}

// EventType implements domain.Event.
func (Fulfilled) EventType() string { return "order.fulfilled" }

// SchemaVersion implements domain.Event.
func (Fulfilled) SchemaVersion() int { return 1 }

// POReserved: PONumber is used by PartnerID, for OrderNumber. It is the
// only event of a PO reservation stream (POReservationStream) and is never
// released, not even when the order is cancelled: the same PO number
// submitted twice by the same partner is refused [seed].
type POReserved struct {
	PartnerID   string `json:"partner_id"`
	PONumber    string `json:"po_number"`
	OrderNumber string `json:"order_number"`
}

// EventType implements domain.Event.
func (POReserved) EventType() string { return "orderpo.reserved" }

// SchemaVersion implements domain.Event.
func (POReserved) SchemaVersion() int { return 1 }
