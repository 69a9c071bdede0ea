package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/channeldesk/channeldesk/domain/geo"
	"github.com/channeldesk/channeldesk/domain/names"
	"github.com/channeldesk/channeldesk/domain/order"
)

// The word lists the data set is made of. Company names are a head word
// (often one of the country's own), a trade and the country's legal form;
// people are named after the country's naming culture; every domain is
// under the reserved .example top-level domain, so no address in the data
// set belongs to anyone.

// culture is a pool of given names and family names.
type culture struct{ given, family []string }

var (
	anglo = culture{
		given:  []string{"James", "Olivia", "Michael", "Emma", "Daniel", "Sophie", "Ryan", "Grace", "Thomas", "Chloe", "Nathan", "Hannah", "Liam", "Megan", "Ethan", "Aisha", "Marcus", "Priya", "Owen", "Rebecca"},
		family: []string{"Smith", "Johnson", "Brown", "Taylor", "Wilson", "Clarke", "Walker", "Hughes", "Patel", "Murphy", "Campbell", "Reid", "Bennett", "O'Connor", "Foster", "Nguyen", "Harper", "Ellis", "Grant", "Sullivan"},
	}
	german = culture{
		given:  []string{"Lukas", "Anna", "Jonas", "Lea", "Felix", "Marie", "Tobias", "Katharina", "Stefan", "Julia", "Matthias", "Sabine", "Jürgen", "Lena", "Florian", "Franziska"},
		family: []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Schäfer", "Koch", "Richter", "Keller", "Bauer", "Zimmermann", "Krüger"},
	}
	french = culture{
		given:  []string{"Camille", "Julien", "Manon", "Nicolas", "Léa", "Antoine", "Chloé", "Mathieu", "Élodie", "Pierre", "Inès", "Hugo"},
		family: []string{"Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Roux", "Fontaine", "Chevalier", "Lambert", "Mercier"},
	}
	dutch = culture{
		given:  []string{"Daan", "Sanne", "Bram", "Lotte", "Thijs", "Femke", "Joost", "Anouk", "Ruben", "Eline"},
		family: []string{"de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder"},
	}
	nordic = culture{
		given:  []string{"Erik", "Astrid", "Lars", "Ingrid", "Johan", "Sofia", "Anders", "Maja", "Nils", "Elin"},
		family: []string{"Andersson", "Johansson", "Lindqvist", "Karlsson", "Nilsson", "Eriksson", "Berg", "Lindgren", "Holm", "Sandberg"},
	}
	hispanic = culture{
		given:  []string{"Alejandro", "Lucía", "Carlos", "María", "Javier", "Sofía", "Diego", "Valentina", "Pablo", "Carmen", "Andrés", "Elena"},
		family: []string{"García", "Martínez", "López", "Hernández", "González", "Rodríguez", "Sánchez", "Ramírez", "Torres", "Flores", "Ortega", "Navarro"},
	}
	lusophone = culture{
		given:  []string{"João", "Ana", "Pedro", "Beatriz", "Lucas", "Mariana", "Rafael", "Camila", "Thiago", "Larissa"},
		family: []string{"Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Almeida", "Carvalho", "Ribeiro", "Duarte"},
	}
	italian = culture{
		given:  []string{"Marco", "Giulia", "Luca", "Francesca", "Alessandro", "Chiara", "Matteo", "Sara", "Davide", "Elisa"},
		family: []string{"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco"},
	}
	polish = culture{
		given:  []string{"Piotr", "Anna", "Krzysztof", "Katarzyna", "Tomasz", "Magdalena", "Paweł", "Agnieszka", "Michał", "Joanna"},
		family: []string{"Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowska", "Zieliński", "Szymańska", "Woźniak", "Dąbrowski"},
	}
	japanese = culture{
		given:  []string{"Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Takumi", "Sakura", "Kenji", "Yuki", "Daiki", "Emi"},
		family: []string{"Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato", "Fujimoto", "Hoshino"},
	}
	korean = culture{
		given:  []string{"Min-jun", "Seo-yeon", "Ji-ho", "Ha-eun", "Do-yun", "Su-bin", "Jae-won", "Ye-jin"},
		family: []string{"Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"},
	}
	indian = culture{
		given:  []string{"Aarav", "Ananya", "Vihaan", "Diya", "Arjun", "Isha", "Rohan", "Kavya", "Siddharth", "Meera"},
		family: []string{"Sharma", "Iyer", "Reddy", "Nair", "Gupta", "Menon", "Kulkarni", "Chatterjee", "Rao", "Desai"},
	}
	arabic = culture{
		given:  []string{"Omar", "Layla", "Khalid", "Fatima", "Yousef", "Noor", "Hamad", "Mariam"},
		family: []string{"Al Mansoori", "Haddad", "Al Hashimi", "Nasser", "Khoury", "Al Suwaidi", "Saleh", "Farouk"},
	}
	singaporean = culture{
		given:  []string{"Wei Ling", "Jun Jie", "Hui Min", "Kumar", "Siti", "Darren", "Mei", "Ravi"},
		family: []string{"Tan", "Lim", "Lee", "Ng", "Wong", "Goh", "Chua", "Rahman"},
	}
)

// place is a city of a country, with its state or province where the
// country's addresses name one.
type place struct{ state, city string }

// country is one country the data set has customers and partners in.
type country struct {
	code     string
	currency string
	// perUSD converts list prices (in US dollars) to the currency.
	perUSD float64
	legal  []string
	// heads are company head words typical of the country.
	heads  []string
	places []place
	people culture
	// vat draws a VAT (or GST) number; nil where the data set records none.
	vat func(r *rand.Rand) string
}

func digits(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	return b.String()
}

func euVAT(prefix string, n int) func(r *rand.Rand) string {
	return func(r *rand.Rand) string { return prefix + digits(r, n) }
}

var countries = []country{
	{code: "US", currency: "USD", perUSD: 1, legal: []string{"Inc.", "LLC", "Corp.", "Inc."},
		heads:  []string{"Great Lakes", "Red Rock", "Santa Clara", "Cedar Point", "Liberty", "Appalachian", "Golden Gate", "Lone Star"},
		places: []place{{"CA", "San Jose"}, {"NY", "Rochester"}, {"TX", "Austin"}, {"IL", "Chicago"}, {"WA", "Seattle"}, {"MA", "Boston"}, {"GA", "Atlanta"}, {"CO", "Denver"}, {"NC", "Raleigh"}, {"OH", "Columbus"}},
		people: anglo},
	{code: "CA", currency: "CAD", perUSD: 1.36, legal: []string{"Inc.", "Ltd.", "Corp."},
		heads:  []string{"Maple Leaf", "Laurentian", "Northern Shield", "Fraser"},
		places: []place{{"ON", "Toronto"}, {"QC", "Montréal"}, {"BC", "Vancouver"}, {"AB", "Calgary"}, {"ON", "Ottawa"}},
		people: anglo},
	{code: "BR", currency: "BRL", perUSD: 5.0, legal: []string{"Ltda.", "S.A."},
		heads:  []string{"Rio Verde", "Paulista", "Serra Azul", "Atlântica"},
		places: []place{{"SP", "São Paulo"}, {"SP", "Campinas"}, {"RJ", "Rio de Janeiro"}, {"MG", "Belo Horizonte"}},
		people: lusophone},
	{code: "MX", currency: "MXN", perUSD: 17, legal: []string{"S.A. de C.V."},
		heads:  []string{"Sierra Madre", "Azteca", "Costa Pacífico"},
		places: []place{{"JAL", "Guadalajara"}, {"NLE", "Monterrey"}, {"CMX", "Ciudad de México"}},
		people: hispanic},
	{code: "DE", currency: "EUR", perUSD: 0.92, legal: []string{"GmbH", "AG", "GmbH & Co. KG", "GmbH"},
		heads:  []string{"Bergmann", "Rheinland", "Schwarzwald", "Nordlicht", "Alpenglühen", "Elbtal"},
		places: []place{{"BY", "München"}, {"HH", "Hamburg"}, {"BE", "Berlin"}, {"HE", "Frankfurt am Main"}, {"BW", "Stuttgart"}, {"NW", "Köln"}},
		people: german, vat: euVAT("DE", 9)},
	{code: "GB", currency: "GBP", perUSD: 0.79, legal: []string{"Ltd", "plc", "Ltd"},
		heads:  []string{"Thames", "Pennine", "Cotswold", "Albion", "Ashford"},
		places: []place{{"", "London"}, {"", "Leeds"}, {"", "Manchester"}, {"", "Bristol"}, {"", "Edinburgh"}},
		people: anglo, vat: euVAT("GB", 9)},
	{code: "FR", currency: "EUR", perUSD: 0.92, legal: []string{"SARL", "S.A.", "SAS"},
		heads:  []string{"Lumière", "Beaulieu", "Côte d'Azur", "Rive Gauche"},
		places: []place{{"", "Paris"}, {"", "Lyon"}, {"", "Toulouse"}, {"", "Lille"}, {"", "Nantes"}},
		people: french, vat: euVAT("FR", 11)},
	{code: "NL", currency: "EUR", perUSD: 0.92, legal: []string{"B.V.", "N.V."},
		heads:  []string{"Oranje", "Zuiderzee", "Delta", "Polder"},
		places: []place{{"", "Utrecht"}, {"", "Eindhoven"}, {"", "Rotterdam"}, {"", "Amsterdam"}},
		people: dutch, vat: func(r *rand.Rand) string { return "NL" + digits(r, 9) + "B01" }},
	{code: "SE", currency: "SEK", perUSD: 10.5, legal: []string{"AB"},
		heads:  []string{"Fjällvind", "Norrsken", "Skärgård"},
		places: []place{{"", "Stockholm"}, {"", "Göteborg"}, {"", "Malmö"}},
		people: nordic, vat: func(r *rand.Rand) string { return "SE" + digits(r, 10) + "01" }},
	{code: "ES", currency: "EUR", perUSD: 0.92, legal: []string{"S.L.", "S.A."},
		heads:  []string{"Costa Brava", "Mediterránea", "Sierra Nevada", "Ibérica"},
		places: []place{{"", "Madrid"}, {"", "Valencia"}, {"", "Barcelona"}, {"", "Sevilla"}},
		people: hispanic, vat: func(r *rand.Rand) string { return "ESB" + digits(r, 8) }},
	{code: "IT", currency: "EUR", perUSD: 0.92, legal: []string{"S.p.A.", "S.r.l."},
		heads:  []string{"Dolomiti", "Adriatica", "Toscana", "Ligure"},
		places: []place{{"", "Milano"}, {"", "Torino"}, {"", "Bologna"}, {"", "Roma"}},
		people: italian, vat: euVAT("IT", 11)},
	{code: "PL", currency: "PLN", perUSD: 4.0, legal: []string{"Sp. z o.o.", "S.A."},
		heads:  []string{"Wisła", "Mazowsze", "Bałtyk"},
		places: []place{{"", "Warszawa"}, {"", "Kraków"}, {"", "Wrocław"}, {"", "Gdańsk"}},
		people: polish, vat: euVAT("PL", 10)},
	{code: "CH", currency: "CHF", perUSD: 0.88, legal: []string{"AG", "GmbH", "SA"},
		heads:  []string{"Matterhorn", "Helvetia", "Léman"},
		places: []place{{"ZH", "Zürich"}, {"GE", "Genève"}, {"BS", "Basel"}},
		people: german, vat: func(r *rand.Rand) string {
			return fmt.Sprintf("CHE-%s.%s.%s MWST", digits(r, 3), digits(r, 3), digits(r, 3))
		}},
	{code: "ZA", currency: "ZAR", perUSD: 18.5, legal: []string{"(Pty) Ltd"},
		heads:  []string{"Table Mountain", "Highveld", "Karoo"},
		places: []place{{"WC", "Cape Town"}, {"GP", "Johannesburg"}, {"KZN", "Durban"}},
		people: anglo, vat: func(r *rand.Rand) string { return "4" + digits(r, 9) }},
	{code: "AE", currency: "AED", perUSD: 3.67, legal: []string{"LLC", "FZE"},
		heads:  []string{"Gulf Star", "Al Noor", "Desert Rose"},
		places: []place{{"DU", "Dubai"}, {"AZ", "Abu Dhabi"}},
		people: arabic, vat: func(r *rand.Rand) string { return "100" + digits(r, 12) }},
	{code: "JP", currency: "JPY", perUSD: 150, legal: []string{"K.K.", "Co., Ltd."},
		heads:  []string{"Sakura", "Fujimoto", "Hoshino", "Kitakaze", "Asahi"},
		places: []place{{"Tokyo", "Tokyo"}, {"Osaka", "Osaka"}, {"Aichi", "Nagoya"}, {"Fukuoka", "Fukuoka"}},
		people: japanese, vat: func(r *rand.Rand) string { return "T" + digits(r, 13) }},
	{code: "AU", currency: "AUD", perUSD: 1.52, legal: []string{"Pty Ltd"},
		heads:  []string{"Southern Cross", "Coral Coast", "Outback", "Blue Mountains"},
		places: []place{{"NSW", "Sydney"}, {"VIC", "Melbourne"}, {"QLD", "Brisbane"}, {"WA", "Perth"}},
		people: anglo, vat: func(r *rand.Rand) string {
			return fmt.Sprintf("ABN %s %s %s %s", digits(r, 2), digits(r, 3), digits(r, 3), digits(r, 3))
		}},
	{code: "SG", currency: "SGD", perUSD: 1.34, legal: []string{"Pte. Ltd."},
		heads:  []string{"Lion City", "Straits", "Marina"},
		places: []place{{"", "Singapore"}},
		people: singaporean, vat: func(r *rand.Rand) string { return "M9" + digits(r, 7) + "X" }},
	{code: "IN", currency: "INR", perUSD: 83, legal: []string{"Pvt. Ltd.", "Ltd."},
		heads:  []string{"Deccan", "Himalaya", "Ganga", "Malabar"},
		places: []place{{"KA", "Bengaluru"}, {"MH", "Pune"}, {"TG", "Hyderabad"}, {"TN", "Chennai"}},
		people: indian, vat: func(r *rand.Rand) string { return "29AAB" + digits(r, 4) + "C1Z" + digits(r, 1) }},
	{code: "KR", currency: "KRW", perUSD: 1330, legal: []string{"Co., Ltd."},
		heads:  []string{"Hanbit", "Hangang", "Baekdu"},
		places: []place{{"", "Seoul"}, {"", "Busan"}, {"", "Incheon"}},
		people: korean},
	{code: "NZ", currency: "NZD", perUSD: 1.64, legal: []string{"Limited"},
		heads:  []string{"Kiwi Coast", "Southern Alps", "Tasman"},
		places: []place{{"", "Auckland"}, {"", "Wellington"}, {"", "Christchurch"}},
		people: anglo},
}

// regionWeights say how the customers spread over the regions (of 100).
var regionWeights = []regionWeight{{geo.AMER, 40}, {geo.EMEA, 36}, {geo.APAC, 24}}

type regionWeight struct {
	region geo.Region
	weight int
}

var (
	genericHeads = []string{"Northwind", "Blue Harbor", "Alpenglow", "Kestrel", "Meridian", "Ironbridge", "Oakridge",
		"Helios", "Silverline", "Vantage", "Pinecrest", "Granite", "Lighthouse", "Evergreen", "Riverbend", "Summit",
		"Copperfield", "Starling", "Harborview", "Falcon", "Westwind", "Sunridge", "Bluewater", "Highland",
		"Redwood", "Clearwater", "Stonegate", "Brightpath", "Crescent", "Horizon", "Sterling", "Orchard",
		"Lakeshore", "Tidewater", "Beacon", "Juniper", "Larkspur", "Marlow", "Polaris", "Rosewood", "Thornbury",
		"Wexford", "Aurora", "Eastgate", "Silverbirch", "Greystone", "Kingfisher", "Amberley", "Foxglove", "Windmill"}
	trades = []string{"Logistics", "Software", "Foods", "Analytics", "Engineering", "Medical Devices", "Textiles",
		"Energy", "Robotics", "Consulting", "Freight", "Pharma", "Media", "Retail", "Security", "Networks", "Solar",
		"Marine", "Printing", "Data Systems", "Hospitality", "Tooling", "Insurance", "Capital", "Health",
		"Construction", "Aerospace", "Biotech", "Chemicals", "Packaging", "Telecom", "Automotive", "Agritech",
		"Education", "Laboratories", "Metals", "Water", "Mobility", "Semiconductors", "Furniture"}
	qualifiers   = []string{"Group", "Holdings", "International", "& Partners", "Industries", "Systems"}
	partnerWords = []string{"IT Solutions", "Systems", "Technologies", "Digital", "Cloud Partners", "Computing",
		"Integration", "Infotech", "Workspace Services", "Network Partners"}
	distributorWords = []string{"Distribution", "Supply", "Channel Services", "Trade"}
	advisorWords     = []string{"Advisory", "Consulting", "Strategy Partners"}
	tags             = []string{"strategic", "public-sector", "healthcare", "education", "financial-services",
		"manufacturing", "key-account", "renewal-risk", "upsell", "reference-customer"}
)

// product is an entry of the price list.
type product struct {
	sku, name, edition string
	catalog            string
	// listUSD is the price of one unit (a user, or one service) in US
	// cents.
	listUSD int64
	// service products are ordered by the unit, not per user.
	service bool
}

var priceList = []product{
	{"VAPP-STD", "Virtual Apps", "Standard", order.CatalogSoftware, 18000, false},
	{"VAPP-ADV", "Virtual Apps", "Advanced", order.CatalogSoftware, 29500, false},
	{"VAPP-PRM", "Virtual Apps", "Premium", order.CatalogSoftware, 41000, false},
	{"VDSK-ADV", "Virtual Desktops", "Advanced", order.CatalogSoftware, 32000, false},
	{"VDSK-PRM", "Virtual Desktops", "Premium", order.CatalogSoftware, 45000, false},
	{"GATE-ENT", "Secure Gateway", "Enterprise", order.CatalogSoftware, 12000, false},
	{"SDWAN-STD", "SD-WAN", "Standard", order.CatalogSoftware, 25000, false},
	{"FILE-BUS", "Content Collaboration", "Business", order.CatalogSoftware, 9000, false},
	{"ANL-ENT", "Workspace Analytics", "Enterprise", order.CatalogSoftware, 6000, false},
	{"CLD-WS-STD", "Cloud Workspace", "Standard", order.CatalogCloud, 24000, false},
	{"CLD-WS-PRM", "Cloud Workspace", "Premium", order.CatalogCloud, 39000, false},
	{"CLD-GATE", "Cloud Gateway", "Service", order.CatalogCloud, 15000, false},
	{"SVC-ONB", "Onboarding Service", "Standard", order.CatalogOnlineServices, 1500000, true},
	{"SVC-HLTH", "Health Check Service", "Standard", order.CatalogOnlineServices, 600000, true},
	{"MKT-MON", "Session Monitor (Marketplace)", "Standard", order.CatalogMarketplace, 4000, false},
}

// price converts a list price into c's currency, in its minor unit,
// rounded to whole units of the currency.
func (c country) price(listUSD int64) int64 {
	d, _ := geo.Currency(c.currency)
	whole := math.Round(float64(listUSD) / 100 * c.perUSD)
	if d == 0 {
		return int64(math.Round(whole/100) * 100)
	}
	return int64(whole) * int64(math.Pow10(d))
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// chance is true with probability percent/100.
func chance(r *rand.Rand, percent int) bool { return r.IntN(100) < percent }

// weighted draws one of xs, each as likely as its weight (of a total of
// 100).
func weighted[T any](r *rand.Rand, xs []T, weight func(T) int) T {
	n := r.IntN(100)
	for _, x := range xs {
		if n < weight(x) {
			return x
		}
		n -= weight(x)
	}
	return xs[0]
}

// pickCountry draws a country by region weight, then evenly within it.
func pickCountry(r *rand.Rand) country {
	rw := weighted(r, regionWeights, func(rw regionWeight) int { return rw.weight })
	return countryIn(r, rw.region)
}

// slug is s folded to lower-case ASCII letters and digits, words joined by
// sep.
func slug(s, sep string) string {
	var words []string
	for _, w := range strings.Fields(names.Fold(strings.ReplaceAll(s, "'", ""))) {
		var b strings.Builder
		for _, c := range w {
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				b.WriteRune(c)
			}
		}
		if b.Len() > 0 {
			words = append(words, b.String())
		}
	}
	return strings.Join(words, sep)
}

// person is a contact to be.
type person struct{ name, email string }

// people draws n people of c's culture with distinct names, their email
// addresses at domain.
func people(r *rand.Rand, c country, domain string, n int) []person {
	out := make([]person, 0, n)
	seen := map[string]bool{}
	for len(out) < n {
		name := pick(r, c.people.given) + " " + pick(r, c.people.family)
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, person{name: name, email: slug(name, ".") + "@" + domain})
	}
	return out
}

// org is a generated organisation: a customer or a partner.
type org struct {
	name string
	// head and legal are the head word and the legal form in name.
	head, legal string
	domain      string
	country     country
	place       place
}

// domains hands out distinct .example domains.
type domains map[string]int

// take returns base.example, or base-N.example when base was taken.
func (d domains) take(base string) string {
	d[base]++
	if n := d[base]; n > 1 {
		return fmt.Sprintf("%s-%d.example", base, n)
	}
	return base + ".example"
}

// newCompany draws a customer company.
func newCompany(r *rand.Rand, used domains) org {
	c := pickCountry(r)
	head := pick(r, genericHeads)
	if chance(r, 40) {
		head = pick(r, c.heads)
	}
	base := head + " " + pick(r, trades)
	if chance(r, 15) {
		base += " " + pick(r, qualifiers)
	}
	legal := pick(r, c.legal)
	return org{name: base + " " + legal, head: head, legal: legal, domain: used.take(slug(base, "-")), country: c, place: pick(r, c.places)}
}

// newPartnerOrg draws a partner organisation in country c; words are the
// trade words of its kind.
func newPartnerOrg(r *rand.Rand, c country, words []string, used domains) org {
	head := pick(r, genericHeads)
	if chance(r, 50) {
		head = pick(r, c.heads)
	}
	base := head + " " + pick(r, words)
	legal := pick(r, c.legal)
	return org{name: base + " " + legal, head: head, legal: legal, domain: used.take(slug(base, "-")), country: c, place: pick(r, c.places)}
}
