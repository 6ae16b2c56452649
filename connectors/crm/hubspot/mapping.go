package hubspot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
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
	id   string
	name string
}

// relations holds the records a page of deals refers to.
type relations struct {
	lineItems map[string][]target // deal id → associated line items
	companies map[string][]target // deal id → associated companies
	items     map[string]object   // line item id → line item
	company   map[string]company  // company id → company, shared across the pull
}

// related reads the line items and companies of the deals in hits, in batches. Companies
// already in cache are not read again; new ones are added to it.
func (c *Client) related(ctx context.Context, hits []hit, cache map[string]company) (
	relations, error) {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}

	rel := relations{company: cache}

	var err error
	if rel.lineItems, err = c.associations(ctx, "line_items", ids); err != nil {
		return relations{}, err
	}

	if rel.companies, err = c.associations(ctx, "companies", ids); err != nil {
		return relations{}, err
	}

	rel.items, err = c.batchRead(ctx, "line_items", targetIDs(rel.lineItems, nil),
		lineItemProperties)
	if err != nil {
		return relations{}, err
	}

	need := targetIDs(rel.companies, func(id string) bool { _, ok := cache[id]; return !ok })

	objs, err := c.batchRead(ctx, "companies", need, companyProperties)
	if err != nil {
		return relations{}, err
	}

	for id, o := range objs {
		cache[id] = company{id: id, name: prop(o.Properties, "name")}
	}

	return rel, nil
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

	deal.CompanyID, deal.CompanyName = co.id, co.name

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
	if len(targets) == 0 {
		return company{}, fmt.Errorf("no associated company: %w", ErrMissing)
	}

	i := slices.IndexFunc(targets, func(t target) bool { return t.Primary })
	if i < 0 && len(targets) > 1 {
		return company{}, fmt.Errorf("%d associated companies and none is primary",
			len(targets))
	}

	id := targets[max(i, 0)].ID

	co, ok := known[id]
	if !ok {
		return company{}, fmt.Errorf("associated company %s not found", id)
	}

	return co, nil
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
