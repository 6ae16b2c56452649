package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/invoices"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
)

// invoiceRoutes are the invoice search (API and page) and the queue's saved
// views as pages.
func (s *Server) invoiceRoutes() []Route {
	return []Route{
		{"GET /api/invoices", auth.ActionRead, s.apiInvoices},
		{"GET /invoices", auth.ActionRead, s.invoicesPage},
		{"GET /exceptions/views", auth.ActionRead, s.viewsPage},
		{"POST /exceptions/views", auth.ActionRead, s.saveViewSubmit},
		{"POST /exceptions/views/{id}/delete", auth.ActionRead, s.deleteViewSubmit},
	}
}

// apiInvoices answers a page of the invoice search; see invoices.ParseQuery
// for the parameters and next_cursor for the next page.
func (s *Server) apiInvoices(w http.ResponseWriter, r *http.Request) {
	q, err := invoices.ParseQueryStrict(r.URL.Query())
	if err != nil {
		s.failException(w, r, err)
		return
	}

	page, err := invoices.Search(r.Context(), s.cfg.Pool, q)
	if err != nil {
		s.failException(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, page)
}

// invoicesData is the invoice search page's data.
type invoicesData struct {
	// Query is the search as asked, to fill the form again.
	Query    url.Values
	Statuses []string
	Sorts    []string
	Page     invoices.Page
	Pager    pager
	Error    string
	// Apply is the exception the page applies to, nil when none.
	Apply *applyTarget
}

// applyTarget is the exception the search page was opened from.
type applyTarget struct {
	ID       int64
	Currency string
	// Left is what the payment has left to apply, in minor units.
	Left int64
	// Payer is the payer's name as the bank gave it.
	Payer string
	// CanApply says the user may apply and the exception's state allows it.
	CanApply bool
	Status   string
}

// Applies reports whether inv gets an amount field: the page applies, and inv
// is open in the payment's currency.
func (a *applyTarget) Applies(inv store.InvoiceHit) bool {
	return a != nil && a.CanApply && inv.Status == store.InvoiceOpen &&
		inv.Currency == a.Currency && inv.Open > 0
}

// Amount is what the form offers to apply to inv: its open amount, at most
// what is left, as a decimal string.
func (a *applyTarget) Amount(inv store.InvoiceHit) string {
	return money.New(min(inv.Open, a.Left), a.Currency).Decimal()
}

// KeepsRest reports whether applying Amount(inv) leaves cash over, so that the
// form asks by default to keep the rest as a new open exception.
func (a *applyTarget) KeepsRest(inv store.InvoiceHit) bool {
	return inv.Open < a.Left
}

// invoicesPage searches invoices; opened from an exception (?exception=ID) by a
// user who may resolve, it offers an apply form on each open invoice in the
// payment's currency, posting to that exception's apply route.
func (s *Server) invoicesPage(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	data := invoicesData{Query: v, Statuses: invoices.Statuses(), Sorts: invoices.Sorts()}

	if raw := strings.TrimSpace(v.Get("exception")); raw != "" {
		target, err := s.applyTarget(r, raw)
		if err != nil {
			s.failInvoicesPage(w, r, err)
			return
		}

		data.Apply = target
	}

	search := url.Values{}
	for k, vs := range v {
		if k != "exception" {
			search[k] = vs
		}
	}

	q, err := invoices.ParseQuery(search)
	if err != nil {
		data.Error = err.Error()
		s.render(w, r, http.StatusBadRequest, "invoices", "Invoices", data)

		return
	}

	data.Page, err = invoices.Search(r.Context(), s.cfg.Pool, q)
	if err != nil {
		s.failInvoicesPage(w, r, err)
		return
	}

	if data.Page.NextCursor != "" {
		next := q.WithCursor(data.Page.NextCursor).Values()
		if data.Apply != nil {
			next.Set("exception", strconv.FormatInt(data.Apply.ID, 10))
		}

		data.Pager.Next = "/invoices?" + next.Encode()
	}

	if q.Cursor != "" {
		first := q.WithCursor("").Values()
		if data.Apply != nil {
			first.Set("exception", strconv.FormatInt(data.Apply.ID, 10))
		}

		data.Pager.Prev = "/invoices?" + first.Encode()
	}

	s.render(w, r, http.StatusOK, "invoices", "Invoices", data)
}

// errNoException refuses an exception parameter that names none.
var errNoException = errors.New("the exception parameter names no exception")

// applyTarget reads the exception the page applies to.
func (s *Server) applyTarget(r *http.Request, raw string) (*applyTarget, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return nil, errNoException
	}

	d, err := s.exceptions.Get(r.Context(), id)
	if err != nil {
		return nil, err
	}

	u, _ := auth.UserFrom(r.Context())
	can := auth.Can(u.Role, auth.ActionResolve) && slices.Contains(d.Actions, "apply")

	return &applyTarget{ID: id, Currency: d.Payment.Tx.Amount.Currency,
		Left: d.Payment.Unapplied, Payer: d.Payer.Name, Status: d.Exception.Status,
		CanApply: can}, nil
}

// failInvoicesPage answers an error of the search page: the error page for a
// browser, the API's shape for a script.
func (s *Server) failInvoicesPage(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errNoException):
		writeError(w, http.StatusBadRequest, "invalid", err)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", errors.New("no such exception"))
	default:
		s.failException(w, r, err)
	}
}

// viewsData is the saved views page's data.
type viewsData struct {
	Views []store.View
	// Saved is the view just saved, 0 when none; Deleted says one was deleted.
	Saved   int64
	Deleted bool
	// Name and Query are the save form as refused; Error why.
	Name, Query, Error string
}

// Href is the queue page a view shows.
func (viewsData) Href(v store.View) string {
	if v.Query == "" {
		return "/exceptions"
	}

	return "/exceptions?" + v.Query
}

// viewsPage lists the user's saved views of the exception queue.
func (s *Server) viewsPage(w http.ResponseWriter, r *http.Request) {
	data := viewsData{Deleted: r.URL.Query().Get("deleted") != ""}
	data.Saved, _ = strconv.ParseInt(r.URL.Query().Get("saved"), 10, 64)

	s.drawViews(w, r, http.StatusOK, data)
}

func (s *Server) drawViews(w http.ResponseWriter, r *http.Request, status int,
	data viewsData) {
	vs, err := s.exceptions.Views(r.Context(), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}

	data.Views = vs
	s.render(w, r, status, "views", "Saved views", data)
}

// saveViewSubmit stores the queue's filters (field query, the queue page's
// query string) as the user's view (field name), replacing a view of that name.
func (s *Server) saveViewSubmit(w http.ResponseWriter, r *http.Request) {
	name, query := r.PostFormValue("name"), r.PostFormValue("query")

	v, err := s.exceptions.SaveView(r.Context(), actor(r), name, query)

	var ve *exceptions.ValidationError
	if errors.As(err, &ve) {
		s.drawViews(w, r, http.StatusUnprocessableEntity, viewsData{Name: name, Query: query,
			Error: "Not saved: " + err.Error()})

		return
	}

	if err != nil {
		s.fail(w, r, err)
		return
	}

	http.Redirect(w, r, "/exceptions/views?saved="+strconv.FormatInt(v.ID, 10),
		http.StatusSeeOther)
}

// deleteViewSubmit deletes one of the user's views.
func (s *Server) deleteViewSubmit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", errors.New("no such view"))
		return
	}

	if err := s.exceptions.DeleteView(r.Context(), actor(r), id); err != nil {
		s.fail(w, r, err)
		return
	}

	http.Redirect(w, r, "/exceptions/views?deleted=1", http.StatusSeeOther)
}

// ViewQuery is the queue's filters and order as a query string, without its
// page (cursor, limit) and the parameters the queue does not read: what
// "Save this view" stores. "" when the filters do not read.
func (d queueData) ViewQuery() string {
	q, err := exceptions.ParseQuery(d.Query)
	if err != nil {
		return ""
	}

	q.Cursor, q.Limit = "", 0

	return q.Values().Encode()
}

// CSVHref links the queue's filters and order to their CSV export.
func (d queueData) CSVHref() string {
	if v := d.ViewQuery(); v != "" {
		return "/api/exceptions.csv?" + v
	}

	return "/api/exceptions.csv"
}
