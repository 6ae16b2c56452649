package hubspot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// Properties the client reads from line items and companies.
var (
	lineItemProperties = []string{
		"name", "hs_sku", "quantity", "price", "amount", "hs_line_item_currency_code",
		"hs_position_on_quote",
	}
	companyProperties = []string{"name", "domain"}
)

// company is a company as the client keeps it.
type company struct {
	id     string
	name   string
	parent string // parent company's id, when it was looked up and is readable
	// hierarchyRead tells that the company's parent was looked up in this pull. A
	// company read only as another one's parent has not had its own parent looked up.
	hierarchyRead bool
}

// relations holds the records a page of deals refers to.
type relations struct {
	lineItems map[string][]target // deal id → associated line items
	companies map[string][]target // deal id → associated companies
	items     map[string]object   // line item id → line item
	company   map[string]company  // company id → company, shared across the pull
}

// related reads the line items and companies of the deals in hits, in batches, and the
// parent company of each deal's company. Companies already in cache are not read again;
// new ones are added to it.
func (c *Client) related(ctx context.Context, hits []hit, cache map[string]company) (
	relations, error) {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}

	rel := relations{company: cache}

	var err error
	if rel.lineItems, err = c.associations(ctx, "deals", "line_items", ids); err != nil {
		return relations{}, err
	}

	if rel.companies, err = c.associations(ctx, "deals", "companies", ids); err != nil {
		return relations{}, err
	}

	rel.items, err = c.batchRead(ctx, "line_items", targetIDs(rel.lineItems, nil),
		lineItemProperties)
	if err != nil {
		return relations{}, err
	}

	need := targetIDs(rel.companies, func(id string) bool { _, ok := cache[id]; return !ok })
	if err := c.readCompanies(ctx, need, cache); err != nil {
		return relations{}, err
	}

	var chosen []string
	for _, id := range ids {
		t, err := primaryTarget(rel.companies[id])
		if co, ok := cache[t.ID]; err == nil && ok && !co.hierarchyRead &&
			!slices.Contains(chosen, t.ID) {
			chosen = append(chosen, t.ID)
		}
	}

	if err := c.readParents(ctx, chosen, cache); err != nil {
		return relations{}, err
	}

	return rel, nil
}

// readCompanies reads the companies ids into cache. Ids HubSpot does not find are left
// out.
func (c *Client) readCompanies(ctx context.Context, ids []string,
	cache map[string]company) error {
	objs, err := c.batchRead(ctx, "companies", ids, companyProperties)
	if err != nil {
		return err
	}

	for id, o := range objs {
		cache[id] = company{id: id, name: prop(o.Properties, "name")}
	}

	return nil
}

// readParents looks up the parent company of each company in ids (all in cache) with the
// v4 company-to-company associations, and reads the parents not yet in cache. A company
// whose parent cannot be read, or that shows more than one parent (HubSpot allows one),
// is left without a parent: the parent only widens whom a payment may come from, so
// none is safer than a guess.
func (c *Client) readParents(ctx context.Context, ids []string, cache map[string]company) error {
	if len(ids) == 0 {
		return nil
	}

	links, err := c.associations(ctx, "companies", "companies", ids)
	if err != nil {
		return err
	}

	parents := map[string]string{}
	for _, id := range ids {
		var found []string
		for _, t := range links[id] {
			if t.is(assocChildToParent) && t.ID != id && !slices.Contains(found, t.ID) {
				found = append(found, t.ID)
			}
		}

		if len(found) == 1 {
			parents[id] = found[0]
		}
	}

	var need []string
	for _, p := range parents {
		if _, ok := cache[p]; !ok && !slices.Contains(need, p) {
			need = append(need, p)
		}
	}

	slices.SortFunc(need, compareIDs)

	if err := c.readCompanies(ctx, need, cache); err != nil {
		return err
	}

	for _, id := range ids {
		co := cache[id]
		co.hierarchyRead = true
		co.parent = ""

		if p, ok := parents[id]; ok {
			if _, known := cache[p]; known {
				co.parent = p
			}
		}

		cache[id] = co
	}

	return nil
}

// targetIDs lists the distinct target ids that keep accepts (all when keep is nil).
func targetIDs(m map[string][]target, keep func(string) bool) []string {
	seen := map[string]bool{}

	var out []string
	for _, ts := range m {
		for _, t := range ts {
			if !seen[t.ID] && (keep == nil || keep(t.ID)) {
				seen[t.ID] = true
				out = append(out, t.ID)
			}
		}
	}

	slices.SortFunc(out, compareIDs)

	return out
}

// mapDeal turns a search hit and its relations into a billing.Deal, or into the list of
// everything wrong with it.
func (c *Client) mapDeal(h hit, rel relations) (billing.Deal, []error) {
	var problems []error
	bad := func(lineItemID, property string, err error) {
		problems = append(problems, &DealError{DealID: h.id, LineItemID: lineItemID,
			Property: property, Err: err})
	}

	currency := strings.ToUpper(strings.TrimSpace(prop(h.props, "deal_currency_code")))
	if currency == "" {
		currency = c.cfg.DefaultCurrency
	}

	if !money.ValidCurrency(currency) {
		bad("", "deal_currency_code", fmt.Errorf("%w: %q", money.ErrCurrency, currency))
		return billing.Deal{}, problems
	}

	deal := billing.Deal{
		CRMID:        h.id,
		Name:         prop(h.props, "dealname"),
		Stage:        prop(h.props, "dealstage"),
		LastModified: timeFromMillis(h.modified),
		Amount:       money.New(0, currency),
	}

	if amount, err := parseMoney(prop(h.props, "amount"), currency); err != nil {
		bad("", "amount", err)
	} else {
		deal.Amount = amount
	}

	if !strings.EqualFold(currency, c.cfg.DefaultCurrency) {
		rate, err := exchangeRate(h.props, deal.Amount)
		if err != nil {
			bad("", "hs_exchange_rate", err)
		}

		deal.ExchangeRate, deal.BaseCurrency = rate, c.cfg.DefaultCurrency
	}

	if raw := strings.TrimSpace(prop(h.props, "closedate")); raw != "" {
		t, err := parseTime(raw)
		if err != nil {
			bad("", "closedate", err)
		}

		deal.CloseDate = t
	}

	co, err := pickCompany(rel.companies[h.id], rel.company)
	if err != nil {
		bad("", "companies", err)
	}

	deal.CompanyID, deal.CompanyName, deal.CompanyParentID = co.id, co.name, co.parent
	deal.PONumber = strings.TrimSpace(prop(h.props, c.cfg.PONumberProperty))

	for _, t := range sortedItems(rel.lineItems[h.id], rel.items) {
		o, ok := rel.items[t.ID]
		if !ok {
			bad(t.ID, "line_items", errors.New("associated line item not found"))
			continue
		}

		li, errs := mapLineItem(o, currency)
		for _, e := range errs {
			bad(t.ID, e.property, e.err)
		}

		deal.LineItems = append(deal.LineItems, li)
	}

	return deal, problems
}

// pickCompany returns the deal's primary company, or its only company.
func pickCompany(targets []target, known map[string]company) (company, error) {
	t, err := primaryTarget(targets)
	if err != nil {
		return company{}, err
	}

	co, ok := known[t.ID]
	if !ok {
		return company{}, fmt.Errorf("associated company %s not found", t.ID)
	}

	return co, nil
}

// primaryTarget returns the association to the deal's primary company, or to its only
// company.
func primaryTarget(targets []target) (target, error) {
	if len(targets) == 0 {
		return target{}, fmt.Errorf("no associated company: %w", ErrMissing)
	}

	i := slices.IndexFunc(targets, func(t target) bool { return t.is(assocDealToPrimaryCompany) })
	if i < 0 && len(targets) > 1 {
		return target{}, fmt.Errorf("%d associated companies and none is primary",
			len(targets))
	}

	return targets[max(i, 0)], nil
}

// sortedItems orders a deal's line items by their position on the quote, then by id.
func sortedItems(targets []target, items map[string]object) []target {
	pos := func(t target) int64 {
		n, err := strconv.ParseInt(prop(items[t.ID].Properties, "hs_position_on_quote"), 10,
			64)
		if err != nil {
			return 1 << 62
		}

		return n
	}

	out := slices.Clone(targets)
	slices.SortStableFunc(out, func(a, b target) int {
		return cmp.Or(cmp.Compare(pos(a), pos(b)), compareIDs(a.ID, b.ID))
	})

	return out
}

type propError struct {
	property string
	err      error
}

func mapLineItem(o object, currency string) (billing.LineItem, []propError) {
	var errs []propError

	li := billing.LineItem{
		Name:     prop(o.Properties, "name"),
		SKU:      prop(o.Properties, "hs_sku"),
		Quantity: strings.TrimSpace(prop(o.Properties, "quantity")),
	}

	switch {
	case li.Quantity == "":
		errs = append(errs, propError{"quantity", ErrMissing})
	case !isDecimal(li.Quantity):
		errs = append(errs, propError{"quantity", fmt.Errorf("invalid quantity %q",
			li.Quantity)})
	}

	if lc := strings.TrimSpace(prop(o.Properties, "hs_line_item_currency_code")); lc != "" &&
		!strings.EqualFold(lc, currency) {
		errs = append(errs, propError{"hs_line_item_currency_code",
			fmt.Errorf("line item currency %s differs from deal currency %s", lc, currency)})
	}

	price, err := parseMoney(prop(o.Properties, "price"), currency)
	if err != nil {
		errs = append(errs, propError{"price", err})
	}

	amount, err := parseMoney(prop(o.Properties, "amount"), currency)
	if err != nil {
		errs = append(errs, propError{"amount", err})
	}

	li.UnitPrice, li.Amount = price.Minor, amount.Minor

	return li, errs
}

// exchangeRate returns the deal's rate into the company currency
// (Config.DefaultCurrency) as HubSpot states it: company-currency units per
// one unit of the deal's currency ("1.085" for an EUR deal in a USD account),
// the convention of HubSpot's currency settings. It is hs_exchange_rate when
// set, else amount_in_home_currency ÷ amount rounded to HubSpot's six
// decimals (less exact for small amounts, whose home amount was rounded to
// the cent), else "": the ERP then applies its own rate. Arithmetic is on
// decimals, never floats.
func exchangeRate(props map[string]*string, amount money.Amount) (string, error) {
	if raw := strings.TrimSpace(prop(props, "hs_exchange_rate")); raw != "" {
		r, err := billing.ParseRate(raw)
		if err != nil || r.Sign() == 0 {
			return "", fmt.Errorf("invalid exchange rate %q", raw)
		}

		return raw, nil
	}

	raw := strings.TrimSpace(prop(props, "amount_in_home_currency"))
	if raw == "" || amount.Minor == 0 {
		return "", nil
	}

	home, err := billing.ParseRate(strings.TrimPrefix(raw, "-"))
	if err != nil {
		return "", fmt.Errorf("invalid amount_in_home_currency %q", raw)
	}

	exp, err := money.Exponent(amount.Currency)
	if err != nil {
		return "", err
	}

	// home ÷ (minor ÷ 10^exp), in millionths.
	doc := new(big.Rat).SetFrac(big.NewInt(amount.Minor), new(big.Int).Exp(big.NewInt(10),
		big.NewInt(int64(exp)), nil))
	doc.Abs(doc)

	micro := billing.RoundHalfAway(new(big.Rat).Mul(new(big.Rat).Quo(home, doc),
		big.NewRat(1_000_000, 1)))
	if micro.Sign() == 0 || !micro.IsInt64() {
		return "", nil
	}

	return money.FormatMinor(micro.Int64(), 6), nil
}

// parseMoney reads a decimal string property exactly; empty is ErrMissing.
func parseMoney(raw, currency string) (money.Amount, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return money.Amount{}, ErrMissing
	}

	return money.Parse(raw, currency)
}

// isDecimal reports whether s is a plain decimal number such as "2", "-1" or "2.5".
func isDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(s, ".")

	if whole == "" && frac == "" {
		return false
	}

	if hasDot && frac == "" {
		return false
	}

	return (whole == "" || isNumeric(whole)) && (frac == "" || isNumeric(frac))
}
