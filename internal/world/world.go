// Package world generates labelled test worlds for o2c: customers with bank
// accounts and aliases, closed-won CRM deals, the invoices raised for them, and
// bank payments for those invoices with realistic remittance noise, each
// payment carrying the truth of what it pays. Writers turn the payments into
// real NACHA, camt.053, bank CSV, BAI2, MT940 and lockbox files, each within
// its format's field widths and character set (every writer says what its
// format loses of each kind of payment), and the customers and invoices into
// the CSV files o2c imports.
//
// Everything is deterministic: the same seeds and inputs give byte-identical
// output. The package serves the demo, the reconcile tests and benchmarks, and
// the matching benchmark; it does no I/O beyond the writers' io.Writer.
package world

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// Config describes the world to generate. Zero fields take their defaults.
type Config struct {
	// Currency is the ISO 4217 currency of every deal. Customers of IBAN
	// currencies (EUR, GBP, CHF, ...) get IBANs, the others US routing:account
	// pairs. Defaults to "USD".
	Currency string
	// Customers is the number of customers. Defaults to 20.
	Customers int
	// Days is the span over which deals close, starting at Start. Defaults to 60.
	Days int
	// DealsPerCustomer is the number of closed-won deals of each customer.
	// Defaults to 3.
	DealsPerCustomer int
	// Seed seeds every random choice. Defaults to 0, which is a seed like any other.
	Seed int64
	// Start is the first day deals can close. Defaults to 2025-01-06 UTC.
	Start time.Time
}

// defaultStart is the Start of a Config that leaves it zero.
var defaultStart = time.Date(2025, time.January, 6, 0, 0, 0, 0, time.UTC)

func (c Config) withDefaults() Config {
	if c.Currency == "" {
		c.Currency = "USD"
	}

	c.Currency = strings.ToUpper(c.Currency)
	if c.Customers <= 0 {
		c.Customers = 20
	}

	if c.Days <= 0 {
		c.Days = 60
	}

	if c.DealsPerCustomer <= 0 {
		c.DealsPerCustomer = 3
	}

	if c.Start.IsZero() {
		c.Start = defaultStart
	}

	c.Start = midnight(c.Start)

	return c
}

// Company is us: the business whose customers pay into Account.
type Company struct {
	Name    string // our name as banks print it
	Account string // our account: "routing:account" or an IBAN
	BIC     string // our bank's BIC, for IBAN accounts
}

// World is a generated set of customers and their closed-won deals.
type World struct {
	Config    Config // the configuration used, defaults filled in
	Company   Company
	Customers []billing.Customer
	Deals     []billing.Deal
}

// usCompany and euCompany are the receiving companies of generated worlds.
var (
	usCompany = Company{
		Name:    "Brookvale Instruments Inc.",
		Account: abaCheck("04410015") + ":" + "7730012458",
	}
	euCompany = Company{
		Name:    "Brookvale Instruments GmbH",
		Account: makeIBAN("DE", "70020270"+"0661234570"),
		BIC:     "HYVEDEMMXXX",
	}
)

// ibanCurrencies are the currencies whose customers pay from IBANs.
var ibanCurrencies = map[string]bool{
	"EUR": true, "GBP": true, "CHF": true, "SEK": true, "DKK": true, "NOK": true,
	"PLN": true, "CZK": true, "HUF": true, "RON": true,
}

// Generate builds a world from cfg. It panics if cfg.Currency is not an ISO 4217
// code, which is a programming error in the caller.
func Generate(cfg Config) *World {
	cfg = cfg.withDefaults()
	exp, err := money.Exponent(cfg.Currency)
	if err != nil {
		panic("world: " + err.Error())
	}

	r := newRand(cfg.Seed, streamWorld)
	iban := ibanCurrencies[cfg.Currency]
	w := &World{Config: cfg, Company: usCompany}
	if iban {
		w.Company = euCompany
	}

	w.Customers = makeCustomers(r, cfg.Customers, iban)
	w.Deals = makeDeals(r, cfg, exp, w.Customers)

	return w
}

// makeCustomers returns n customers with unique names.
func makeCustomers(r *rand.Rand, n int, iban bool) []billing.Customer {
	used := make(map[string]bool, n*2)
	out := make([]billing.Customer, n)
	for i := range out {
		name := uniqueName(r, used, iban)
		c := billing.Customer{ID: strconv.Itoa(4000000001 + i), Name: name}
		c.BankAccounts = append(c.BankAccounts, newAccount(r, iban))
		if r.IntN(5) == 0 {
			c.BankAccounts = append(c.BankAccounts, newAccount(r, iban))
		}

		if r.IntN(10) < 3 {
			if a := makeAlias(r, name, iban); a != "" && !used[strings.ToLower(a)] {
				used[strings.ToLower(a)] = true
				c.Aliases = append(c.Aliases, a)
			}
		}

		if i > 0 && r.IntN(20) == 0 {
			c.ParentID = out[r.IntN(i)].ID
		}

		out[i] = c
	}

	return out
}

func newAccount(r *rand.Rand, iban bool) string {
	if iban {
		acct, _ := euAccount(r)
		return acct
	}

	routing, acct := usAccount(r)

	return routing + ":" + acct
}

// uniqueName draws company names until one is not taken.
func uniqueName(r *rand.Rand, used map[string]bool, iban bool) string {
	name := ""
	for try := 0; ; try++ {
		name = companyName(r, iban)
		if try > 8 {
			name += " " + romanSuffix(try)
		}

		if !used[strings.ToLower(name)] {
			break
		}
	}

	used[strings.ToLower(name)] = true

	return name
}

func romanSuffix(n int) string {
	numerals := []string{"II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"}
	return numerals[n%len(numerals)] + strconv.Itoa(n/len(numerals))
}

func companyName(r *rand.Rand, iban bool) string {
	if iban {
		head := pick(r, euHeads)
		if r.IntN(3) == 0 {
			head = pick(r, nameHeads)
		}

		return join(head, pick(r, euTrades), pick(r, euSuffixes))
	}

	head, trade, suffix := pick(r, nameHeads), pick(r, nameTrades), pick(r, usSuffixes)
	switch r.IntN(6) {
	case 0:
		return join(head+" & "+pick(r, nameHeads), "", suffix)
	case 1:
		return join(head, trade+" Group", suffix)
	case 2:
		return "The " + head + " " + trade + " Company"
	default:
		return join(head, trade, suffix)
	}
}

func join(parts ...string) string {
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}

	return strings.Join(out, " ")
}

// makeAlias returns another name the customer is known by: a brand or a
// former name.
func makeAlias(r *rand.Rand, name string, iban bool) string {
	base := stripSuffix(name)
	words := strings.Fields(base)
	if len(words) == 0 {
		return ""
	}

	trades := nameTrades
	if iban {
		trades = euTrades
	}

	if r.IntN(2) == 0 {
		return words[0] + " " + pick(r, trades)
	}

	return pick(r, nameHeads) + " " + strings.Join(words[1:], " ")
}

// legalSuffixes lists suffixes stripSuffix removes, longest first.
var legalSuffixes = func() []string {
	s := slices.Concat(usSuffixes, euSuffixes, []string{"Company", "Group"})
	s = slices.DeleteFunc(s, func(x string) bool { return x == "" })
	slices.SortFunc(s, func(a, b string) int { return len(b) - len(a) })

	return slices.Compact(s)
}()

// stripSuffix drops a trailing legal form such as "Inc." or "GmbH" from name.
func stripSuffix(name string) string {
	for _, s := range legalSuffixes {
		if len(name) > len(s)+1 && strings.EqualFold(name[len(name)-len(s):], s) &&
			name[len(name)-len(s)-1] == ' ' {
			return strings.TrimRight(name[:len(name)-len(s)-1], " ,")
		}
	}

	return name
}

// makeDeals returns the closed-won deals of every customer, sorted by close
// date, with CRM ids in that order.
func makeDeals(r *rand.Rand, cfg Config, exp int, cs []billing.Customer) []billing.Deal {
	deals := make([]billing.Deal, 0, len(cs)*cfg.DealsPerCustomer)
	for _, c := range cs {
		// A subscriber is billed the same lines twice: equal open amounts.
		subscriber := cfg.DealsPerCustomer >= 2 && r.IntN(100) < 15
		var repeat []billing.LineItem

		priceFactor := int64(80 + r.IntN(41)) // negotiated price level, percent
		for j := 0; j < cfg.DealsPerCustomer; j++ {
			d := billing.Deal{
				CompanyID:   c.ID,
				CompanyName: c.Name,
				Stage:       "closedwon",
				CloseDate: cfg.Start.AddDate(0, 0, r.IntN(cfg.Days)).
					Add(time.Duration(9*60+r.IntN(9*60)) * time.Minute),
			}
			d.LastModified = d.CloseDate.Add(time.Duration(5+r.IntN(48*60)) * time.Minute)

			if subscriber && j < 2 && repeat != nil {
				d.LineItems = slices.Clone(repeat)
			} else {
				d.LineItems = makeLines(r, exp, priceFactor)
				repeat = d.LineItems
			}

			var total int64
			for _, li := range d.LineItems {
				total += li.Amount
			}

			d.Amount = money.New(total, cfg.Currency)
			d.Name = stripSuffix(c.Name) + " - " + d.LineItems[0].Name
			deals = append(deals, d)
		}
	}

	order := make([]int32, len(deals))
	for i := range order {
		order[i] = int32(i)
	}

	slices.SortStableFunc(order, func(a, b int32) int {
		return deals[a].CloseDate.Compare(deals[b].CloseDate)
	})

	sorted := make([]billing.Deal, len(deals))
	for i, k := range order {
		sorted[i] = deals[k]
		sorted[i].CRMID = strconv.Itoa(7000000001 + i)
	}

	return sorted
}

// makeLines returns one to four line items. Prices are the list price scaled
// to the currency's minor units and to the customer's price level.
func makeLines(r *rand.Rand, exp int, factor int64) []billing.LineItem {
	n := 1 + r.IntN(4)
	if r.IntN(3) == 0 {
		n = 1
	}

	lines := make([]billing.LineItem, 0, n)
	for k := 0; k < n; k++ {
		p := products[r.IntN(len(products))]
		unit := scaleCents(p.cents*factor/100, exp)
		if unit <= 0 {
			unit = 1
		}

		qty, tenths := quantity(r, unit)
		amount := unit * tenths / 10
		if r.IntN(5) == 0 {
			amount -= amount * int64(5*(1+r.IntN(3))) / 100
		}

		lines = append(lines, billing.LineItem{
			Name: p.name, SKU: p.sku, Quantity: qty, UnitPrice: unit, Amount: amount,
		})
	}

	return lines
}

// quantity returns a decimal quantity and the same in tenths. Half units are
// used only where they give a whole number of minor units.
func quantity(r *rand.Rand, unit int64) (string, int64) {
	q := int64(1 + r.IntN(12))
	if r.IntN(4) == 0 {
		q = 1
	}

	if unit%2 == 0 && r.IntN(8) == 0 {
		return strconv.FormatInt(q, 10) + ".5", q*10 + 5
	}

	return strconv.FormatInt(q, 10), q * 10
}

// scaleCents converts cents of a major unit into minor units of a currency
// with exp digits. Zero-digit currencies such as JPY keep the number, which
// gives yen amounts of a realistic size.
func scaleCents(cents int64, exp int) int64 {
	switch {
	case exp == 0:
		return cents
	case exp == 1:
		return cents / 10
	default:
		for i := 2; i < exp; i++ {
			cents *= 10
		}

		return cents
	}
}

func pick(r *rand.Rand, list []string) string {
	return list[r.IntN(len(list))]
}

func midnight(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Random streams: each consumer of a seed gets its own stream so that adding
// draws in one place does not shift another.
const (
	streamWorld uint64 = 0x9E3779B97F4A7C15 + iota
	streamPay
	streamShape
	streamNoise
	streamShortRef
)

func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

// mix returns a stable pseudo-random number for a seed and an index, for
// choices that must not depend on the order of other draws.
func mix(seed int64, parts ...uint64) uint64 {
	x := uint64(seed) ^ 0x2545F4914F6CDD1D
	for _, p := range parts {
		x ^= p + 0x9E3779B97F4A7C15 + (x << 6) + (x >> 2)
		x = splitmix(x)
	}

	return x
}

func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB

	return x ^ (x >> 31)
}

// hashString is a stable FNV-1a hash of s, the same in every process.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}

	return h
}
