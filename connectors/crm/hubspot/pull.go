package hubspot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/billing"
)

// maxPageSize is the largest page HubSpot's search returns.
const maxPageSize = 200

// Pull is what one PullWonDeals call found.
type Pull struct {
	// Deals are the closed-won deals modified since the cursor, each once, in
	// hs_lastmodifieddate order. A deal modified again during the pull appears in its
	// newest version. A deal delivered by an earlier pull comes again when it is
	// modified, so key whatever is done with it by CRMID.
	Deals []billing.Deal

	// Customers are the companies of Deals and their parent companies, each once,
	// ordered by id. ID, Name and ParentID are filled; ParentID is empty for a parent
	// company whose own parent was not looked up, so an empty ParentID does not mean
	// that a stored parent was removed.
	Customers []billing.Customer

	// Problems are the won deals that could not be mapped, one *DealError per bad value,
	// such as an amount that is not a decimal. Those deals are left out of Deals and the
	// cursor moves past them: fixing a property in HubSpot bumps hs_lastmodifieddate, so
	// the fixed deal is pulled again. Fixing only an association (adding the company)
	// may not bump it; edit any property of the deal to have it pulled. The same holds
	// for a company's parent: it is read with each pulled deal, so a parent set later
	// arrives with the company's next pulled deal.
	Problems []error
}

// ErrMissing reports a value a deal must have for invoicing that HubSpot holds empty.
var ErrMissing = errors.New("value is missing")

// DealError is a won deal that cannot be invoiced as it stands in HubSpot.
type DealError struct {
	DealID     string // HubSpot deal id
	LineItemID string // line item holding the bad value, if any
	Property   string // HubSpot property or association, e.g. "amount" or "companies"
	Err        error  // what is wrong: ErrMissing, money.ErrAmount, ...
}

// Error names the deal, the record and the property.
func (e *DealError) Error() string {
	where := "deal " + e.DealID
	if e.LineItemID != "" {
		where += " line item " + e.LineItemID
	}

	return fmt.Sprintf("read %s %s: %v", where, e.Property, e.Err)
}

// Unwrap returns the cause.
func (e *DealError) Unwrap() error {
	return e.Err
}

// dealProperties are the deal properties the client reads, besides the configured
// purchase-order property.
var dealProperties = []string{
	"dealname", "amount", "closedate", "dealstage", "pipeline", "hs_lastmodifieddate",
	"deal_currency_code", "hs_object_id", "hs_exchange_rate", "amount_in_home_currency",
}

// dealProperties returns every deal property the client asks HubSpot for.
func (c *Client) dealProperties() []string {
	return append(slices.Clip(dealProperties), c.cfg.PONumberProperty)
}

// PullWonDeals returns the closed-won deals (dealstage in Config.WonStages) modified since
// cursor, with their line items and companies, and the cursor to pass next time. An empty
// cursor starts from the beginning. On error the returned cursor is the one passed in, so
// a failed pull loses nothing; store the new cursor only after the deals are safely
// handed on.
//
// Deals are found with the search endpoint sorted by hs_lastmodifieddate. Instead of
// paging with offsets, which skip records when an earlier one is modified mid-pull and
// stop at 10,000 results, every page restarts the search at the last timestamp seen and
// drops deals already taken; when more deals share one timestamp than fit a page, that
// timestamp is walked in hs_object_id order. Each pull also searches Config.Overlap
// behind the newest timestamp delivered, to catch deals that reached HubSpot's search
// index late, and drops the ones the cursor records as delivered.
func (c *Client) PullWonDeals(ctx context.Context, cursor string) (Pull, string, error) {
	cur, err := decodeCursor(cursor)
	if err != nil {
		return Pull{}, cursor, fmt.Errorf("pull won deals: %w", err)
	}

	run := &pullRun{
		c:         c,
		seen:      cur.seen(),
		newest:    cur.Newest,
		deals:     map[string]billing.Deal{},
		problems:  map[string][]error{},
		companies: map[string]company{},
	}

	if err := run.scan(ctx, cur.From); err != nil {
		return Pull{}, cursor, fmt.Errorf("pull won deals: %w", err)
	}

	next := cur.advance(run.newest, run.seen, c.cfg.Overlap, c.cfg.CursorMaxIDs)

	return run.result(), next.encode(), nil
}

// pullRun is the state of one PullWonDeals call.
type pullRun struct {
	c         *Client
	seen      map[string]int64 // deal id → newest timestamp taken, from the cursor or now
	newest    int64
	deals     map[string]billing.Deal
	problems  map[string][]error
	companies map[string]company // cache of companies read in this pull
}

// hit is one deal from a search page.
type hit struct {
	id       string
	modified int64
	props    map[string]*string
}

// scan walks the search from the lower bound from to the end.
func (r *pullRun) scan(ctx context.Context, from int64) error {
	op, bound := "GTE", from

	for {
		filters := []filter{{PropertyName: "hs_lastmodifieddate", Operator: op,
			Value: strconv.FormatInt(bound, 10)}}

		hits, err := r.c.searchDeals(ctx, r.withStages(filters), "hs_lastmodifieddate")
		if err != nil {
			return err
		}

		if err := r.take(ctx, hits); err != nil {
			return err
		}

		if len(hits) < r.c.cfg.PageSize {
			return nil
		}

		last := hits[len(hits)-1].modified
		switch {
		case last > bound:
			op, bound = "GTE", last
		case last == bound && op == "GTE":
			// A full page of one timestamp: walk it by id, then go past it.
			if err := r.scanTies(ctx, bound); err != nil {
				return err
			}

			op = "GT"
		default:
			return fmt.Errorf("search deals: results not in hs_lastmodifieddate order at %d",
				bound)
		}
	}
}

// scanTies takes every won deal whose hs_lastmodifieddate is exactly ms, in id order.
func (r *pullRun) scanTies(ctx context.Context, ms int64) error {
	var lastID int64

	for {
		filters := []filter{
			{PropertyName: "hs_lastmodifieddate", Operator: "EQ",
				Value: strconv.FormatInt(ms, 10)},
			{PropertyName: "hs_object_id", Operator: "GT",
				Value: strconv.FormatInt(lastID, 10)},
		}

		hits, err := r.c.searchDeals(ctx, r.withStages(filters), "hs_object_id")
		if err != nil {
			return err
		}

		if err := r.take(ctx, hits); err != nil {
			return err
		}

		if len(hits) < r.c.cfg.PageSize {
			return nil
		}

		id, err := strconv.ParseInt(hits[len(hits)-1].id, 10, 64)
		if err != nil || id <= lastID {
			return fmt.Errorf("search deals: results not in hs_object_id order after %d",
				lastID)
		}

		lastID = id
	}
}

func (r *pullRun) withStages(filters []filter) []filter {
	return append(filters, filter{PropertyName: "dealstage", Operator: "IN",
		Values: r.c.cfg.WonStages})
}

// take keeps the hits not delivered before, reads their line items and companies and maps
// them.
func (r *pullRun) take(ctx context.Context, hits []hit) error {
	var fresh []hit

	for _, h := range hits {
		if prev, ok := r.seen[h.id]; ok && prev >= h.modified {
			continue
		}

		r.seen[h.id] = h.modified
		r.newest = max(r.newest, h.modified)
		fresh = append(fresh, h)
	}

	if len(fresh) == 0 {
		return nil
	}

	rel, err := r.c.related(ctx, fresh, r.companies)
	if err != nil {
		return err
	}

	for _, h := range fresh {
		deal, problems := r.c.mapDeal(h, rel)

		delete(r.deals, h.id)
		delete(r.problems, h.id)

		if len(problems) > 0 {
			r.problems[h.id] = problems
			continue
		}

		r.deals[h.id] = deal
	}

	return nil
}

func (r *pullRun) result() Pull {
	var out Pull

	for _, d := range r.deals {
		out.Deals = append(out.Deals, d)
	}

	slices.SortFunc(out.Deals, func(a, b billing.Deal) int {
		return cmp.Or(a.LastModified.Compare(b.LastModified), compareIDs(a.CRMID, b.CRMID))
	})

	customers := map[string]billing.Customer{}
	for _, d := range out.Deals {
		if p, ok := r.companies[d.CompanyParentID]; ok && d.CompanyParentID != "" {
			if _, dup := customers[p.id]; !dup {
				customers[p.id] = billing.Customer{ID: p.id, Name: p.name, ParentID: p.parent}
			}
		}
	}

	// A deal's own company wins over the same company met as a parent: its parent was
	// looked up for sure.
	for _, d := range out.Deals {
		customers[d.CompanyID] = billing.Customer{ID: d.CompanyID, Name: d.CompanyName,
			ParentID: d.CompanyParentID}
	}

	for _, id := range slices.SortedFunc(maps.Keys(customers), compareIDs) {
		out.Customers = append(out.Customers, customers[id])
	}

	for _, id := range slices.SortedFunc(maps.Keys(r.problems), compareIDs) {
		out.Problems = append(out.Problems, r.problems[id]...)
	}

	return out
}

// compareIDs orders HubSpot's numeric ids by value.
func compareIDs(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

// parseTime reads a HubSpot date-time property: ISO 8601, or Unix milliseconds.
func parseTime(s string) (time.Time, error) {
	if isNumeric(s) {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid time %q", s)
		}

		return time.UnixMilli(ms).UTC(), nil
	}

	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid time %q", s)
	}

	return t.UTC(), nil
}

func timeFromMillis(ms int64) time.Time {
	return time.UnixMilli(ms).UTC()
}
