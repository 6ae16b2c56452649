package xerosim

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxIDs is how many ids or numbers fit in a GET before Xero's URL length
// limit turns the request into a 404 (Xero-OpenAPI#534).
const maxIDs = 52

// getInvoice answers GET /Invoices/{InvoiceID or InvoiceNumber}.
func (s *Sim) getInvoice(id string) reply {
	inv := s.invByID[strings.ToLower(id)]
	if inv == nil {
		inv = s.findInvoice("", id)
	}

	if inv == nil {
		return notFound()
	}

	return s.ok("Invoices", []any{s.invoiceJSON(inv, true)}, nil)
}

// listInvoices answers GET /Invoices with the where filter, IDs,
// InvoiceNumbers, ContactIDs and Statuses parameters, If-Modified-Since,
// order and paging. Without page the answer holds every match and no line
// items, as Xero's does.
func (s *Sim) listInvoices(q url.Values, ifModified string) reply {
	conds, err := parseWhere(q.Get("where"))
	if err != nil {
		return badRequest(err.Error())
	}

	ids := listParam(q.Get("IDs"))
	numbers := listParam(q.Get("InvoiceNumbers"))
	contactIDs := listParam(q.Get("ContactIDs"))
	statuses := listParam(q.Get("Statuses"))

	if len(ids) > maxIDs || len(numbers) > maxIDs || len(contactIDs) > maxIDs {
		return notFound()
	}

	var since time.Time
	if ifModified != "" {
		since, err = time.Parse("2006-01-02T15:04:05", ifModified)
		if err != nil {
			return badRequest("If-Modified-Since is not a valid date")
		}
	}

	var match []*invoice

	for _, inv := range s.invoices {
		ok, err := invoiceMatches(inv, conds)
		if err != nil {
			return badRequest(err.Error())
		}

		if !ok || !inList(ids, inv.ID) || !inList(numbers, inv.Number) ||
			!inList(contactIDs, inv.Contact.ID) || !inList(statuses, inv.Status) ||
			(!since.IsZero() && !inv.Updated.After(since)) {
			continue
		}

		match = append(match, inv)
	}

	if err := orderInvoices(match, q.Get("order")); err != nil {
		return badRequest(err.Error())
	}

	return s.page(q, len(match), func(i int) any { return match[i] }, "Invoices",
		func(v any, full bool) any { return s.invoiceJSON(v.(*invoice), full) })
}

// page cuts a result list into the requested page and wraps it.
func (s *Sim) page(
	q url.Values, n int, at func(int) any, name string, render func(any, bool) any,
) reply {
	if q.Get("page") == "" {
		out := make([]any, 0, n)
		for i := range n {
			out = append(out, render(at(i), false))
		}

		return s.ok(name, out, nil)
	}

	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}

	size := 100
	if v, err := strconv.Atoi(q.Get("pageSize")); err == nil && v > 0 {
		size = min(v, 1000)
	}

	out := []any{}
	for i := (page - 1) * size; i < min(n, page*size); i++ {
		out = append(out, render(at(i), true))
	}

	return s.ok(name, out, map[string]any{"pagination": map[string]int{
		"page": page, "pageSize": size, "pageCount": (n + size - 1) / size, "itemCount": n,
	}})
}

func inList(list []string, v string) bool {
	if len(list) == 0 {
		return true
	}

	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}

	return false
}

func invoiceMatches(inv *invoice, conds []cond) (bool, error) {
	for _, c := range conds {
		var have string

		switch c.field {
		case "type":
			have = inv.Type
		case "status":
			have = inv.Status
		case "invoicenumber":
			have = inv.Number
		case "reference":
			have = inv.Reference
		case "currencycode":
			have = inv.Currency
		case "contact.contactid":
			have = inv.Contact.ID
		case "contact.contactnumber":
			have = inv.Contact.Number
		case "invoiceid":
			have = inv.ID
		default:
			return false, fmt.Errorf("unsupported where field %q", c.field)
		}

		if !strings.EqualFold(have, c.value) {
			return false, nil
		}
	}

	return true, nil
}

// orderInvoices sorts by "Field [ASC|DESC]"; without order the creation order
// stands.
func orderInvoices(list []*invoice, order string) error {
	order = strings.TrimSpace(order)
	if order == "" {
		return nil
	}

	field, dir, _ := strings.Cut(order, " ")
	desc := strings.EqualFold(strings.TrimSpace(dir), "DESC")

	var less func(a, b *invoice) bool

	switch strings.ToLower(field) {
	case "invoicenumber":
		less = func(a, b *invoice) bool { return a.Number < b.Number }
	case "date":
		less = func(a, b *invoice) bool { return a.Date.Before(b.Date) }
	case "duedate":
		less = func(a, b *invoice) bool { return a.DueDate.Before(b.DueDate) }
	case "updateddateutc":
		less = func(a, b *invoice) bool { return a.Updated.Before(b.Updated) }
	default:
		return fmt.Errorf("unsupported order %q", order)
	}

	sort.SliceStable(list, func(i, j int) bool {
		if desc {
			return less(list[j], list[i])
		}

		return less(list[i], list[j])
	})

	return nil
}
