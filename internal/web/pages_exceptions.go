package web

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/store"
)

// queueData is what templates/exceptions.html draws.
type queueData struct {
	Query    url.Values
	Page     exceptions.Page
	Counts   store.QueueCounts
	Reasons  []string
	Statuses []string
	Next     string
	Error    string
	// Sorts link to the same filters in each order.
	Sorts []sortLink
}

// sortLink is one order of the queue.
type sortLink struct {
	Label, Href string
	Current     bool
}

// sortLinks link the filters of q to each order, from its first page.
func sortLinks(q exceptions.Query, current string) []sortLink {
	var out []sortLink

	for _, o := range []struct{ sort, dir, label string }{
		{exceptions.SortAge, "desc", "oldest first"},
		{exceptions.SortAmount, "desc", "largest amount first"},
		{exceptions.SortCustomer, "asc", "customer A to Z"},
		{exceptions.SortReason, "asc", "reason A to Z"},
	} {
		v := q.WithCursor("").Values()
		v.Set("sort", o.sort)
		v.Set("dir", o.dir)
		out = append(out, sortLink{Label: o.label, Href: "/exceptions?" + v.Encode(),
			Current: o.sort == current})
	}

	return out
}

// exceptionsPage draws the exception queue with its filters, counts and pager.
func (s *Server) exceptionsPage(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	data := queueData{Query: v, Statuses: exceptions.Statuses()}

	q, err := exceptions.ParseQuery(v)
	if err != nil {
		data.Error = err.Error()
		s.render(w, r, http.StatusBadRequest, "exceptions", "Exception queue", data)

		return
	}

	page, err := s.exceptions.Queue(r.Context(), q, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}

	counts, err := s.exceptions.Counts(r.Context(), q, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}

	data.Page, data.Counts = page, counts
	data.Sorts = sortLinks(q, page.Sort)
	for reason := range counts.ByReason {
		data.Reasons = append(data.Reasons, reason)
	}

	sort.Strings(data.Reasons)

	if page.NextCursor != "" {
		data.Next = "/exceptions?" + q.WithCursor(page.NextCursor).Values().Encode()
	}

	s.render(w, r, http.StatusOK, "exceptions", "Exception queue", data)
}

// detailData is what templates/exception.html draws.
type detailData struct {
	D exceptions.Detail
	// Message is the result of the last action, from the redirect's query.
	Message string
	// Errors are the refused fields of a form, by name; "" holds the rest.
	Errors map[string]string
	Me     string
}

// Has reports whether the exception's state allows action.
func (d detailData) Has(action string) bool {
	for _, a := range d.D.Actions {
		if a == action {
			return true
		}
	}

	return false
}

// exceptionPage draws one exception with its forms.
func (s *Server) exceptionPage(w http.ResponseWriter, r *http.Request) {
	s.drawException(w, r, http.StatusOK, r.URL.Query().Get("msg"), nil)
}

func (s *Server) drawException(w http.ResponseWriter, r *http.Request, status int,
	msg string, errs map[string]string) {
	id, err := pathID(r)
	if err != nil {
		s.pageError(w, r, http.StatusNotFound, "no such exception")
		return
	}

	d, err := s.exceptions.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	s.render(w, r, status, "exception", "Exception "+strconv.FormatInt(id, 10),
		detailData{D: d, Message: msg, Errors: errs, Me: actor(r)})
}

// afterAction redirects to the exception's page with msg, or draws the page
// again with the refused fields next to them.
func (s *Server) afterAction(w http.ResponseWriter, r *http.Request, id int64, msg string,
	err error) {
	if err == nil {
		http.Redirect(w, r, "/exceptions/"+strconv.FormatInt(id, 10)+"?msg="+
			url.QueryEscape(msg), http.StatusSeeOther)

		return
	}

	var ve *exceptions.ValidationError

	switch {
	case errors.As(err, &ve):
		errs := map[string]string{}
		for _, f := range ve.Fields {
			errs[f.Field] = f.Message
		}

		s.drawException(w, r, http.StatusUnprocessableEntity, "", errs)
	case errors.Is(err, exceptions.ErrSelfApproval):
		s.pageError(w, r, http.StatusForbidden, err.Error())
	case errors.Is(err, store.ErrConflict):
		s.drawException(w, r, http.StatusConflict, "", map[string]string{"": err.Error()})
	default:
		s.fail(w, r, err)
	}
}

// outcomeMessage says what an action did.
func outcomeMessage(out exceptions.Outcome) string {
	if out.Approval != nil && out.Status == store.ExceptionOpen {
		return "The write-off waits for approval " + strconv.FormatInt(out.Approval.ID, 10) +
			" by a second person."
	}

	return "Done: the exception is " + out.Status + "."
}

// formID reads the path's id for a form, answering 404 when it is not one.
func (s *Server) formID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := pathID(r)
	if err != nil {
		s.pageError(w, r, http.StatusNotFound, "no such exception")
		return 0, false
	}

	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, http.StatusBadRequest, "the form could not be read")
		return 0, false
	}

	return id, true
}

// applySubmit applies the payment to the invoices whose amount field is filled:
// fields invoice and amount, repeated in the same order.
func (s *Server) applySubmit(w http.ResponseWriter, r *http.Request) {
	id, ok := s.formID(w, r)
	if !ok {
		return
	}

	var req exceptions.ApplyRequest

	amounts := r.PostForm["amount"]
	for i, inv := range r.PostForm["invoice"] {
		if i >= len(amounts) || strings.TrimSpace(amounts[i]) == "" {
			continue
		}

		req.Lines = append(req.Lines, exceptions.Line{InvoiceNumber: inv,
			Amount: strings.TrimSpace(amounts[i])})
	}

	req.Rest = r.PostFormValue("rest")
	req.Note = r.PostFormValue("note")

	out, err := s.exceptions.Apply(r.Context(), id, actor(r), req)
	s.afterAction(w, r, id, outcomeMessage(out), err)
}

// writeOffSubmit writes off a difference with a reason code.
func (s *Server) writeOffSubmit(w http.ResponseWriter, r *http.Request) {
	id, ok := s.formID(w, r)
	if !ok {
		return
	}

	req := exceptions.WriteOffRequest{InvoiceNumber: r.PostFormValue("invoice_number"),
		Amount: r.PostFormValue("amount"), WriteOff: r.PostFormValue("writeoff"),
		Reason: r.PostFormValue("reason"), Note: r.PostFormValue("note")}

	out, err := s.exceptions.WriteOff(r.Context(), id, actor(r), req)
	s.afterAction(w, r, id, outcomeMessage(out), err)
}

// parkSubmit keeps the payment on account.
func (s *Server) parkSubmit(w http.ResponseWriter, r *http.Request) {
	id, ok := s.formID(w, r)
	if !ok {
		return
	}

	req := exceptions.ParkRequest{CustomerID: r.PostFormValue("customer_id"),
		Note: r.PostFormValue("note")}

	out, err := s.exceptions.Park(r.Context(), id, actor(r), req)
	s.afterAction(w, r, id, outcomeMessage(out), err)
}

// assignSubmit gives the exception to the user (field to=me, or assignee "me") or
// to the name in assignee ("" for nobody).
func (s *Server) assignSubmit(w http.ResponseWriter, r *http.Request) {
	id, ok := s.formID(w, r)
	if !ok {
		return
	}

	who := strings.TrimSpace(r.PostFormValue("assignee"))
	if who == exceptions.AssigneeMe || r.PostFormValue("to") == exceptions.AssigneeMe {
		who = actor(r)
	}

	msg := "Assigned to " + who + "."
	if who == "" {
		msg = "Assigned to nobody."
	}

	err := s.exceptions.Assign(r.Context(), id, actor(r), who)
	s.afterAction(w, r, id, msg, err)
}

// commentSubmit adds a comment.
func (s *Server) commentSubmit(w http.ResponseWriter, r *http.Request) {
	id, ok := s.formID(w, r)
	if !ok {
		return
	}

	_, err := s.exceptions.Comment(r.Context(), id, actor(r), r.PostFormValue("body"))
	s.afterAction(w, r, id, "Comment added.", err)
}

// approvalSubmit approves or rejects the exception's pending approval, named by
// the field approval_id.
func (s *Server) approvalSubmit(w http.ResponseWriter, r *http.Request) {
	id, ok := s.formID(w, r)
	if !ok {
		return
	}

	aid, err := strconv.ParseInt(r.PostFormValue("approval_id"), 10, 64)
	if err != nil || aid <= 0 {
		s.drawException(w, r, http.StatusUnprocessableEntity, "",
			map[string]string{"approval_id": "must name the pending approval"})

		return
	}

	note := r.PostFormValue("note")
	if r.PostFormValue("decision") == "reject" {
		_, err := s.exceptions.Reject(r.Context(), aid, actor(r), note)
		s.afterAction(w, r, id, "The write-off was rejected.", err)

		return
	}

	out, err := s.exceptions.Approve(r.Context(), aid, actor(r), note)
	s.afterAction(w, r, id, "Approved. "+outcomeMessage(out), err)
}
