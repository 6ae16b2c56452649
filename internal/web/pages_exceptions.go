package web

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

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
	// Bulk is the bulk bar as posted when it was refused, nil otherwise.
	Bulk *bulkForm
	// Done is the result of the bulk action just run; Gone says the page was
	// asked for a result that is no longer kept.
	Done *bulkOutcome
	Gone bool
	// Choices are the bulk bar's actions, Reasons the write-off reason codes.
	Choices         []bulkChoice
	WriteOffReasons []string
	// Views are the user's saved views of the queue, linked in its header.
	Views []store.View
}

// ViewHref links a saved view to the queue it keeps.
func (queueData) ViewHref(v store.View) string {
	return viewsData{}.Href(v)
}

// StatusLabel names a status of the filter in words.
func (d queueData) StatusLabel(code string) string {
	if code == exceptions.StatusAll {
		return "all"
	}

	return statusWords(code)
}

// StatusCounts are the statuses the header counts, in the filter's order.
func (d queueData) StatusCounts() []string {
	var out []string

	for _, st := range d.Statuses {
		if _, ok := d.Counts.ByStatus[st]; ok {
			out = append(out, st)
		}
	}

	return out
}

// AgeDays is the whole days since t.
func (d queueData) AgeDays(t time.Time) int {
	if t.IsZero() {
		return 0
	}

	return int(time.Since(t) / (24 * time.Hour))
}

// Age says how long ago t was: hours under a day, days after.
func (d queueData) Age(t time.Time) string {
	if t.IsZero() {
		return ""
	}

	age := time.Since(t)
	if age < 24*time.Hour {
		return strconv.Itoa(int(age/time.Hour)) + " h"
	}

	return strconv.Itoa(int(age/(24*time.Hour))) + " d"
}

// sortLink is one order of the queue.
type sortLink struct {
	Label, Href string
	Current     bool
}

// amountOrder names the amount's order: without a currency filter the queue
// sorts by currency first, as amounts in different currencies do not compare.
func amountOrder(currency string) string {
	if currency == "" {
		return "by currency, then largest amount first"
	}

	return "largest amount first"
}

// sortLinks link the filters of q to each order, from its first page.
func sortLinks(q exceptions.Query, current string) []sortLink {
	var out []sortLink

	for _, o := range []struct{ sort, dir, label string }{
		{exceptions.SortAge, "desc", "oldest first"},
		{exceptions.SortAmount, "desc", amountOrder(q.Currency)},
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
	s.drawQueue(w, r, r.URL.Query(), http.StatusOK, nil)
}

// drawQueue draws the queue v asks for with status; bulk is the bulk bar as it
// was refused, nil for a fresh one. The parameter bulk names the result of a
// bulk action to show.
func (s *Server) drawQueue(w http.ResponseWriter, r *http.Request, v url.Values, status int,
	bulk *bulkForm) {
	data := queueData{Query: v, Statuses: exceptions.Statuses(), Bulk: bulk,
		Choices: bulkChoices, WriteOffReasons: s.exceptions.Settings().WriteOffReasons}

	if key := v.Get("bulk"); key != "" && bulk == nil {
		if out, ok := bulkResult(actor(r), key); ok {
			data.Done = &out
		} else {
			data.Gone = true
		}
	}

	q, err := exceptions.ParseQuery(v)
	if err != nil {
		data.Error = err.Error()
		s.render(w, r, http.StatusBadRequest, "exceptions", "Exception queue", data)

		return
	}

	// The header counts read every exception the filter keeps, the page only its
	// rows: they are asked for at the same time, on two connections.
	var counts store.QueueCounts
	var countErr error

	counted := make(chan struct{})
	go func() {
		defer close(counted)
		counts, countErr = s.exceptions.Counts(r.Context(), q, actor(r))
	}()

	page, err := s.exceptions.Queue(r.Context(), q, actor(r))
	if err == nil {
		data.Views, err = s.exceptions.Views(r.Context(), actor(r))
	}

	<-counted

	if err == nil {
		err = countErr
	}

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

	s.render(w, r, status, "exceptions", "Exception queue", data)
}

// detailData is what templates/exception.html draws.
type detailData struct {
	D exceptions.Detail
	// Message is the result of the last action, from the redirect's query.
	Message string
	// Remainder is the exception a split just opened for the rest, 0 when none.
	Remainder int64
	// Posted names the form whose refusal the page shows again ("" when none),
	// Form holds what was typed in it and Errors its refused fields by name ("" for
	// the refusal as a whole).
	Posted string
	Form   url.Values
	Errors map[string]string
	Me     string
	// Invoices are the invoices the approvals name, by number.
	Invoices map[string]store.InvoiceRow
}

// FormAnchor is the id of the refused form, for the banner's link to it; "" when
// no form was refused.
func (d detailData) FormAnchor() string {
	if d.Posted == "" {
		return ""
	}

	return strings.ReplaceAll(d.Posted, "_", "-") + "-form"
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

// Err is the refusal of field in form, "" unless that form was refused.
func (d detailData) Err(form, field string) string {
	if d.Posted != form {
		return ""
	}

	return d.Errors[field]
}

// Val is what was typed in field of form when it was refused, "" otherwise.
func (d detailData) Val(form, field string) string {
	if d.Posted != form {
		return ""
	}

	return d.Form.Get(field)
}

// Left is what the payment has left to apply.
func (d detailData) Left() int64 {
	return d.D.Payment.Unapplied
}

// Suggested is the candidate "apply the suggested invoice" applies, nil when
// none.
func (d detailData) Suggested() *exceptions.CandidateView {
	for i, c := range d.D.Candidates {
		if c.Suggested {
			return &d.D.Candidates[i]
		}
	}

	return nil
}

// exceptionPage draws one exception with its forms.
func (s *Server) exceptionPage(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	rest, _ := strconv.ParseInt(v.Get("rest"), 10, 64)
	s.drawException(w, r, http.StatusOK, detailData{Message: v.Get("msg"), Remainder: rest})
}

// drawException draws the exception of the path with data's message or refused
// form.
func (s *Server) drawException(w http.ResponseWriter, r *http.Request, status int,
	data detailData) {
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

	data.D, data.Me = d, actor(r)

	data.Invoices, err = s.approvalInvoices(r.Context(), d)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	s.render(w, r, status, "exception", "Exception "+strconv.FormatInt(id, 10), data)
}

// exceptionDone redirects to the exception's page with msg; rest names the exception a
// split opened, 0 for none. The page opens at the message: the fragment replaces the
// refused form's one the form's action carries.
func exceptionDone(w http.ResponseWriter, r *http.Request, id int64, msg string, rest int64) {
	target := "/exceptions/" + strconv.FormatInt(id, 10) + "?msg=" +
		url.QueryEscape(inWords(msg))
	if rest > 0 {
		target += "&rest=" + strconv.FormatInt(rest, 10)
	}

	target += "#action-message"

	http.Redirect(w, r, target, http.StatusSeeOther)
}

// afterAction redirects to the exception's page with msg, or draws the page
// again with form as it was typed and its refused fields next to them.
func (s *Server) afterAction(w http.ResponseWriter, r *http.Request, id int64, form,
	msg string, err error) {
	s.afterForm(w, r, id, form, msg, err, nil)
}

// afterForm is afterAction with rename, when set, giving the form's name of a
// field the workflow names otherwise ("" when the form has none).
func (s *Server) afterForm(w http.ResponseWriter, r *http.Request, id int64, form,
	msg string, err error, rename func(string) string) {
	if err == nil {
		exceptionDone(w, r, id, msg, 0)
		return
	}

	data := detailData{Posted: form, Form: r.PostForm, Errors: map[string]string{}}

	var ve *exceptions.ValidationError

	switch {
	case errors.As(err, &ve):
		var general []string

		for _, f := range ve.Fields {
			name := f.Field
			if rename != nil {
				name = rename(name)
			}

			known := formFields[form][name] || (form == "apply" || form == "split") &&
				rowField.MatchString(name)
			if !known {
				general = append(general, fieldMessage(f))
				continue
			}

			data.Errors[name] = f.Message
		}

		if len(general) == 0 {
			general = []string{"Not done: correct the marked fields and send the form again."}
		}

		data.Errors[""] = inWords(strings.Join(general, "; "))
		s.drawException(w, r, http.StatusUnprocessableEntity, data)
	case errors.Is(err, exceptions.ErrSelfApproval):
		s.pageError(w, r, http.StatusForbidden, err.Error())
	case errors.Is(err, store.ErrConflict):
		data.Errors[""] = "Not done: " + inWords(err.Error())
		s.drawException(w, r, http.StatusConflict, data)
	default:
		s.fail(w, r, err)
	}
}

// fieldMessage writes a refused field the form does not show as one sentence.
func fieldMessage(f exceptions.FieldError) string {
	if f.Field == "" {
		return f.Message
	}

	return f.Field + ": " + f.Message
}

// rowField names a refused field of a row of the apply and split forms.
var rowField = regexp.MustCompile(`^(other_)?(amount|invoice)\.\d+$`)

// formFields are the fields each form of the detail page shows a refusal next
// to; a form's rows (apply and split) are named "amount.N" and "other_amount.N".
var formFields = map[string]map[string]bool{
	"apply": {"rest": true, "note": true, "lines": true},
	"split": {"rest": true, "note": true, "lines": true},
	"writeoff": {"invoice_number": true, "amount": true, "writeoff": true,
		"reason": true, "rest": true, "note": true},
	"park":            {"customer_id": true, "note": true},
	"refund":          {"note": true},
	"return":          {"note": true},
	"close":           {"note": true},
	"reopen":          {"note": true},
	"apply_suggested": {"note": true},
	"assign":          {"assignee": true, "note": true},
	"comment":         {"body": true},
	"approval":        {"approval_id": true, "note": true},
}

// outcomeMessage says what an action did.
func outcomeMessage(out exceptions.Outcome) string {
	if out.Approval != nil && out.Status == store.ExceptionOpen {
		return "The write-off waits for approval " + strconv.FormatInt(out.Approval.ID, 10) +
			" by a second person."
	}

	return "Done: the exception is " + statusWords(out.Status) + "."
}

// codeWord finds the status codes made of words joined by underscores.
var codeWord = regexp.MustCompile(`\b[a-z]+(?:_[a-z]+)+\b`)

// inWords writes the status codes of a message from the workflow in words
// ("the exception is on_account" reads "the exception is on account").
func inWords(msg string) string {
	return codeWord.ReplaceAllStringFunc(msg, func(code string) string {
		if st, ok := statuses[code]; ok {
			return st.label
		}

		return code
	})
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

// applySubmit applies the payment to the invoices whose amount field is filled
// (see linesOf).
func (s *Server) applySubmit(w http.ResponseWriter, r *http.Request) {
	id, ok := s.formID(w, r)
	if !ok {
		return
	}

	req, rows := linesOf(r.PostForm)
	req.Rest = r.PostFormValue("rest")
	req.Note = r.PostFormValue("note")

	out, err := s.exceptions.Apply(r.Context(), id, actor(r), req)
	s.afterForm(w, r, id, "apply", outcomeMessage(out), err, rows.rename)
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

	req.Rest = r.PostFormValue("rest")

	out, err := s.exceptions.WriteOff(r.Context(), id, actor(r), req)
	s.afterForm(w, r, id, "writeoff", outcomeMessage(out), err, writeOffField)
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
	s.afterAction(w, r, id, "park", outcomeMessage(out), err)
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

	err := s.exceptions.AssignWithNote(r.Context(), id, actor(r), who,
		r.PostFormValue("note"))
	s.afterAction(w, r, id, "assign", msg, err)
}

// commentSubmit adds a comment.
func (s *Server) commentSubmit(w http.ResponseWriter, r *http.Request) {
	id, ok := s.formID(w, r)
	if !ok {
		return
	}

	_, err := s.exceptions.Comment(r.Context(), id, actor(r), r.PostFormValue("body"))
	s.afterAction(w, r, id, "comment", "Comment added.", err)
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
		s.drawException(w, r, http.StatusUnprocessableEntity, detailData{Posted: "approval",
			Form: r.PostForm, Errors: map[string]string{"": "Not done: name the approval.",
				"approval_id": "must name the pending approval"}})

		return
	}

	note := r.PostFormValue("note")
	if r.PostFormValue("decision") == "reject" {
		_, err := s.exceptions.Reject(r.Context(), aid, actor(r), note)
		s.afterAction(w, r, id, "approval", "The write-off was rejected.", err)

		return
	}

	out, err := s.exceptions.Approve(r.Context(), aid, actor(r), note)
	s.afterAction(w, r, id, "approval", "Approved. "+outcomeMessage(out), err)
}
