package hubspotsim

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Object type names as they appear in URL paths.
const (
	typeDeals     = "deals"
	typeCompanies = "companies"
	typeLineItems = "line_items"
)

// HubSpot-defined association type ids the simulator reports.
const (
	assocDealToCompanyPrimary = 5
	assocDealToCompany        = 341
	assocDealToLineItem       = 19
	assocLineItemToDeal       = 20
	assocCompanyToDeal        = 342

	// HubSpot's changelog of 2018-09-11 gives the company hierarchy types: 13 is
	// "parent company to child company", 14 is "child company to parent company". Read
	// from a child, the edge to its parent carries 14; read from a parent, each edge to a
	// child carries 13.
	assocParentToChild = 13
	assocChildToParent = 14
)

// isoMillis is how HubSpot writes date-time properties: UTC with milliseconds.
const isoMillis = "2006-01-02T15:04:05.000Z"

// Company is a company record to seed.
type Company struct {
	Domain   string // domain property, optional
	Name     string // name property
	ParentID string // id of an existing company that is this one's parent, optional
}

// LineItem is a line item to seed with its deal. Values are decimal strings, as HubSpot
// stores them.
type LineItem struct {
	Amount   string // amount; empty means Quantity × Price, computed exactly
	Name     string // name
	Price    string // unit price
	Quantity string // quantity
	SKU      string // hs_sku, optional
}

// Deal is a deal to seed. Empty strings become null properties.
type Deal struct {
	// Amount is the amount property. Empty means the sum of the line items' amounts, as
	// HubSpot fills it, or null when there are none.
	Amount          string
	CloseDate       time.Time  // closedate; zero means null
	CompanyID       string     // primary associated company, if any
	Currency        string     // deal_currency_code
	LineItems       []LineItem // created and associated with the deal
	Name            string     // dealname
	OtherCompanyIDs []string   // further associated companies, not primary
	Pipeline        string     // pipeline id; defaults to "default"
	// Properties are further properties by internal name, such as a custom
	// purchase-order number property. Empty values stay null.
	Properties map[string]string
	Stage      string // dealstage id; defaults to the pipeline's first stage
}

// object is one CRM record. props holds the current values (a missing key is null);
// search sees indexed, the version that has become visible, and pending versions wait for
// the search lag to pass.
type object struct {
	typ      string
	id       string
	num      int64
	props    map[string]string
	created  time.Time
	updated  time.Time
	archived bool
	assoc    map[string][]edge // target object type → associated records in order

	indexed *version
	pending []version
}

// version is a snapshot of an object's properties as search will see it.
type version struct {
	props     map[string]string
	updated   time.Time
	visibleAt time.Time
	cache     map[string]cachedValue // parsed props, filled by searches
}

// edge is one association to another record.
type edge struct {
	toID  string
	types []int
}

// AddCompany stores a company and returns its id. A ParentID makes the company a child
// of that company, as SetParentCompany does. It panics when ParentID is unknown, which
// is a mistake in the caller's seeding.
func (s *Sim) AddCompany(c Company) string {
	s.mu.Lock()
	defer s.mu.Unlock()

	if _, ok := s.objects[typeCompanies][c.ParentID]; c.ParentID != "" && !ok {
		panic(fmt.Sprintf("hubspotsim: unknown parent company %q", c.ParentID))
	}

	props := map[string]string{}
	setProp(props, "name", c.Name)
	setProp(props, "domain", c.Domain)

	o := s.createLocked(typeCompanies, props)
	if c.ParentID != "" {
		s.setParentLocked(o, s.objects[typeCompanies][c.ParentID])
	}

	return o.id
}

// ErrHierarchy reports a parent company HubSpot would refuse: the company itself or one
// of its descendants.
var ErrHierarchy = errors.New("parent company would make a cycle")

// SetParentCompany makes parentID the parent company of childID, replacing any parent
// it had, as setting the "Parent Company" association in HubSpot does. The two
// companies get the association pair 14 (child to parent) and 13 (parent to child),
// and the child's read-only hs_parent_company_id property follows. An empty parentID
// removes the parent. Like any association change, it does not touch the
// hs_lastmodifieddate of the child's deals.
func (s *Sim) SetParentCompany(childID, parentID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	child, ok := s.objects[typeCompanies][childID]
	if !ok {
		return fmt.Errorf("set parent of company %s: %w", childID, ErrNotFound)
	}

	if parentID == "" {
		s.setParentLocked(child, nil)
		return nil
	}

	parent, ok := s.objects[typeCompanies][parentID]
	if !ok {
		return fmt.Errorf("set parent of company %s: company %s: %w", childID, parentID,
			ErrNotFound)
	}

	for up := parent; up != nil; up = s.parentLocked(up) {
		if up == child {
			return fmt.Errorf("set parent of company %s to %s: %w", childID, parentID,
				ErrHierarchy)
		}
	}

	s.setParentLocked(child, parent)

	return nil
}

// parentLocked returns the company's parent, or nil.
func (s *Sim) parentLocked(o *object) *object {
	for _, e := range o.assoc[typeCompanies] {
		if slices.Contains(e.types, assocChildToParent) {
			return s.objects[typeCompanies][e.toID]
		}
	}

	return nil
}

// setParentLocked drops the child's link to its current parent and links it to parent,
// when not nil. A company has at most one parent in HubSpot.
func (s *Sim) setParentLocked(child, parent *object) {
	if old := s.parentLocked(child); old != nil {
		unlink(child, old)
	}

	delete(child.props, "hs_parent_company_id")

	if parent != nil {
		link(child, parent, []int{assocChildToParent}, []int{assocParentToChild})
		child.props["hs_parent_company_id"] = parent.id
	}

	s.touchLocked(child)
	s.reindexLocked(child)
}

// AddDeal stores a deal with its line items and company associations and returns the deal
// id. It panics when the pipeline, stage or a company id is unknown, which is a mistake in
// the caller's seeding rather than a runtime condition.
func (s *Sim) AddDeal(d Deal) string {
	s.mu.Lock()
	defer s.mu.Unlock()

	if d.Pipeline == "" {
		d.Pipeline = DefaultPipelineID
	}

	p, ok := s.pipelineLocked(d.Pipeline)
	if !ok {
		panic(fmt.Sprintf("hubspotsim: unknown pipeline %q", d.Pipeline))
	}

	if d.Stage == "" {
		d.Stage = p.Stages[0].ID
	}

	if _, ok := p.stage(d.Stage); !ok {
		panic(fmt.Sprintf("hubspotsim: pipeline %q has no stage %q", d.Pipeline, d.Stage))
	}

	for _, id := range append([]string{d.CompanyID}, d.OtherCompanyIDs...) {
		if _, ok := s.objects[typeCompanies][id]; id != "" && !ok {
			panic(fmt.Sprintf("hubspotsim: unknown company %q", id))
		}
	}

	props := map[string]string{}
	setProp(props, "dealname", d.Name)
	setProp(props, "deal_currency_code", d.Currency)
	setProp(props, "pipeline", d.Pipeline)
	setProp(props, "dealstage", d.Stage)
	setProp(props, "hs_is_closed_won", strconv.FormatBool(p.won(d.Stage)))

	if !d.CloseDate.IsZero() {
		setProp(props, "closedate", d.CloseDate.UTC().Format(isoMillis))
	}

	for k, v := range d.Properties {
		setProp(props, k, v)
	}

	deal := s.createLocked(typeDeals, props)

	items := make([]*object, 0, len(d.LineItems))
	for i, li := range d.LineItems {
		items = append(items, s.createLineItemLocked(li, i, d.Currency))
	}

	amount := d.Amount
	if amount == "" && len(items) > 0 {
		amount = sumAmounts(items)
	}

	setProp(deal.props, "amount", amount)

	for _, li := range items {
		link(deal, li, []int{assocDealToLineItem}, []int{assocLineItemToDeal})
	}

	if d.CompanyID != "" {
		c := s.objects[typeCompanies][d.CompanyID]
		link(deal, c, []int{assocDealToCompanyPrimary, assocDealToCompany},
			[]int{assocCompanyToDeal})
	}

	for _, id := range d.OtherCompanyIDs {
		link(deal, s.objects[typeCompanies][id], []int{assocDealToCompany},
			[]int{assocCompanyToDeal})
	}

	s.reindexLocked(deal)

	return deal.id
}

func (s *Sim) createLineItemLocked(li LineItem, pos int, currency string) *object {
	props := map[string]string{}
	setProp(props, "name", li.Name)
	setProp(props, "hs_sku", li.SKU)
	setProp(props, "quantity", li.Quantity)
	setProp(props, "price", li.Price)
	setProp(props, "hs_line_item_currency_code", currency)
	setProp(props, "hs_position_on_quote", strconv.Itoa(pos))

	amount := li.Amount
	if amount == "" {
		amount = multiply(li.Quantity, li.Price)
	}

	setProp(props, "amount", amount)

	return s.createLocked(typeLineItems, props)
}

// UpdateDeal sets properties of a deal, as a PATCH would, and bumps its
// hs_lastmodifieddate to the simulator's clock. An empty value clears the property.
func (s *Sim) UpdateDeal(id string, props map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	o, ok := s.objects[typeDeals][id]
	if !ok {
		return fmt.Errorf("update deal %s: %w", id, ErrNotFound)
	}

	for k, v := range props {
		setProp(o.props, k, v)
	}

	if p, ok := s.pipelineLocked(o.props["pipeline"]); ok {
		setProp(o.props, "hs_is_closed_won", strconv.FormatBool(p.won(o.props["dealstage"])))
	}

	s.touchLocked(o)
	s.reindexLocked(o)

	return nil
}

// createLocked stores a new record with the next id and the current time.
func (s *Sim) createLocked(typ string, props map[string]string) *object {
	s.nextID++
	id := strconv.FormatInt(s.nextID, 10)
	o := &object{typ: typ, id: id, num: s.nextID, props: props, assoc: map[string][]edge{}}
	o.created = s.nowLocked().UTC().Truncate(time.Millisecond)
	props["hs_object_id"] = id
	props["createdate"] = o.created.Format(isoMillis)
	s.touchLocked(o)
	s.objects[typ][id] = o

	if typ != typeDeals {
		s.reindexLocked(o)
	}

	return o
}

func (s *Sim) touchLocked(o *object) {
	o.updated = s.nowLocked().UTC().Truncate(time.Millisecond)
	o.props["hs_lastmodifieddate"] = o.updated.Format(isoMillis)
}

// reindexLocked queues the object's current state for search, visible after the lag.
func (s *Sim) reindexLocked(o *object) {
	o.pending = append(o.pending, version{
		props:     maps.Clone(o.props),
		updated:   o.updated,
		visibleAt: s.nowLocked().Add(s.lag),
	})
}

// searchViewLocked returns what search sees of the object at now, or nil when no version
// is visible yet.
func (o *object) searchViewLocked(now time.Time) *version {
	for len(o.pending) > 0 && !o.pending[0].visibleAt.After(now) {
		v := o.pending[0]
		o.indexed = &v
		o.pending = o.pending[1:]
	}

	return o.indexed
}

func link(from, to *object, fromTypes, toTypes []int) {
	from.assoc[to.typ] = append(from.assoc[to.typ], edge{toID: to.id, types: fromTypes})
	to.assoc[from.typ] = append(to.assoc[from.typ], edge{toID: from.id, types: toTypes})
}

// unlink removes every association between a and b, both ways.
func unlink(a, b *object) {
	a.assoc[b.typ] = slices.DeleteFunc(a.assoc[b.typ], func(e edge) bool { return e.toID == b.id })
	b.assoc[a.typ] = slices.DeleteFunc(b.assoc[a.typ], func(e edge) bool { return e.toID == a.id })
}

func setProp(props map[string]string, name, value string) {
	if value == "" {
		delete(props, name)
		return
	}

	props[name] = value
}

// multiply returns the exact decimal product of two decimal strings, or "" when either
// is not a number.
func multiply(a, b string) string {
	x, okA := new(big.Rat).SetString(a)
	y, okB := new(big.Rat).SetString(b)
	if !okA || !okB || a == "" || b == "" {
		return ""
	}

	return formatRat(x.Mul(x, y), decimals(a)+decimals(b))
}

// sumAmounts adds the amount properties of line items exactly, skipping non-numbers.
func sumAmounts(items []*object) string {
	sum := new(big.Rat)
	places := 0

	for _, li := range items {
		v, ok := new(big.Rat).SetString(li.props["amount"])
		if !ok {
			continue
		}

		sum.Add(sum, v)
		places = max(places, decimals(li.props["amount"]))
	}

	return formatRat(sum, places)
}

func decimals(s string) int {
	_, frac, ok := strings.Cut(s, ".")
	if !ok {
		return 0
	}

	return len(frac)
}

// formatRat writes r with at most places decimals and no trailing fractional zeros, the
// way HubSpot shows computed amounts ("1250.5").
func formatRat(r *big.Rat, places int) string {
	out := r.FloatString(places)
	if strings.Contains(out, ".") {
		out = strings.TrimRight(strings.TrimRight(out, "0"), ".")
	}

	return out
}
