package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/o2c-dev/o2c/internal/exceptions"
)

// bulkChoice is an action of the queue's bulk bar: the workflow's bulk action
// and, for the assign choices, whom to.
type bulkChoice struct {
	Value, Label, action string
}

// bulkChoices are the bulk bar's actions, in the order it lists them.
var bulkChoices = []bulkChoice{
	{"assign_me", "Assign to me", exceptions.BulkAssign},
	{"assign", "Assign to the name given", exceptions.BulkAssign},
	{"unassign", "Assign to nobody", exceptions.BulkAssign},
	{"park", "Park on account", exceptions.BulkPark},
	{"writeoff", "Write off the difference (reason needed)", exceptions.BulkWriteOff},
	{"apply_suggested", "Apply the suggested invoice", exceptions.BulkApplySuggested},
	{"comment", "Comment (text needed)", exceptions.BulkComment},
	{"refund", "Mark for refund", exceptions.BulkRefund},
	{"return", "Mark for return", exceptions.BulkReturn},
}

// bulkForm is the bulk bar as posted, drawn again when it is refused.
type bulkForm struct {
	Values   url.Values
	Selected map[int64]bool
	Errors   map[string]string
}

// Val is what was typed in field.
func (f *bulkForm) Val(field string) string {
	if f == nil {
		return ""
	}

	return f.Values.Get(field)
}

// Err is the refusal of field ("" for the request as a whole).
func (f *bulkForm) Err(field string) string {
	if f == nil {
		return ""
	}

	return f.Errors[field]
}

// Checked reports whether exception id was selected.
func (f *bulkForm) Checked(id int64) bool {
	return f != nil && f.Selected[id]
}

// bulkOutcome is a bulk action's result as the queue page shows it after the
// redirect.
type bulkOutcome struct {
	Label  string
	Result exceptions.BulkResult
}

// bulkResults keeps each bulk action's result for the page the browser is sent
// to next, for its user only, for bulkKeep; the newest bulkMax are kept. They
// live in this process: behind several servers, a result may be missing from the
// page, and the audit log has it.
var bulkResults = struct {
	sync.Mutex
	m     map[string]bulkEntry
	order []string
}{m: map[string]bulkEntry{}}

type bulkEntry struct {
	owner string
	at    time.Time
	out   bulkOutcome
}

const (
	bulkKeep = 30 * time.Minute
	bulkMax  = 500
)

// keepBulk stores out for owner and returns the key the page asks for it with.
func keepBulk(owner string, out bulkOutcome) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	key := hex.EncodeToString(b[:])

	bulkResults.Lock()
	defer bulkResults.Unlock()

	bulkResults.m[key] = bulkEntry{owner: owner, at: time.Now(), out: out}
	bulkResults.order = append(bulkResults.order, key)

	for len(bulkResults.order) > bulkMax ||
		len(bulkResults.order) > 0 && time.Since(bulkResults.m[bulkResults.order[0]].at) >
			bulkKeep {
		delete(bulkResults.m, bulkResults.order[0])
		bulkResults.order = bulkResults.order[1:]
	}

	return key
}

// bulkResult is the result kept under key for owner.
func bulkResult(owner, key string) (bulkOutcome, bool) {
	bulkResults.Lock()
	defer bulkResults.Unlock()

	e, ok := bulkResults.m[key]
	if !ok || e.owner != owner || time.Since(e.at) > bulkKeep {
		return bulkOutcome{}, false
	}

	return e.out, true
}

// bulkSubmit runs one action of the bulk bar over the exceptions selected (the
// repeated field id), each on its own, and sends the browser back to the queue
// with the same filters (field q, the queue's query string) and the result per
// exception. A request refused as a whole (nothing selected, a reason or text
// missing) draws the queue again with the form as it was filled.
func (s *Server) bulkSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, http.StatusBadRequest, "the form could not be read")
		return
	}

	back, err := url.ParseQuery(r.PostFormValue("q"))
	if err != nil {
		back = url.Values{}
	}

	back.Del("bulk")

	form := &bulkForm{Values: r.PostForm, Selected: map[int64]bool{},
		Errors: map[string]string{}}

	req := exceptions.BulkRequest{Note: r.PostFormValue("note")}

	for _, v := range r.PostForm["id"] {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id <= 0 {
			form.Errors["ids"] = strconv.Quote(v) + " is not an exception id"
			continue
		}

		if !form.Selected[id] {
			form.Selected[id] = true
			req.IDs = append(req.IDs, id)
		}
	}

	choice := r.PostFormValue("action")
	label := ""

	for _, c := range bulkChoices {
		if c.Value == choice {
			req.Action, label = c.action, c.Label
		}
	}

	switch choice {
	case "":
		form.Errors["action"] = "choose what to do"
	case "assign_me":
		req.Assignee = exceptions.AssigneeMe
	case "assign":
		req.Assignee = strings.TrimSpace(r.PostFormValue("assignee"))
		if req.Assignee == "" {
			form.Errors["assignee"] = "name the person, or choose assign to me"
		}

		label = "Assign to " + req.Assignee
	case "comment":
		req.Body = r.PostFormValue("body")
		if strings.TrimSpace(req.Body) == "" {
			form.Errors["body"] = "write the comment"
		}
	case "park":
		req.CustomerID = strings.TrimSpace(r.PostFormValue("customer_id"))
	case "writeoff":
		req.Reason = r.PostFormValue("reason")
		if req.Reason == "" {
			form.Errors["reason"] = "choose a reason for the write-off"
		}
	default:
		if req.Action == "" {
			form.Errors["action"] = "choose one of the actions listed"
		}
	}

	if len(req.IDs) == 0 && form.Errors["ids"] == "" {
		form.Errors["ids"] = "select at least one exception"
	}

	if len(form.Errors) > 0 {
		s.refuseBulk(w, r, back, form, nil)
		return
	}

	res, err := s.exceptions.Bulk(r.Context(), actor(r), req)
	if err != nil {
		s.refuseBulk(w, r, back, form, err)
		return
	}

	s.cfg.Logger.InfoContext(r.Context(), "Bulk action", "action", req.Action,
		"succeeded", res.Succeeded, "failed", res.Failed)

	for i := range res.Results {
		res.Results[i].Error = inWords(res.Results[i].Error)
	}

	back.Set("bulk", keepBulk(actor(r), bulkOutcome{Label: label, Result: res}))
	http.Redirect(w, r, "/exceptions?"+back.Encode(), http.StatusSeeOther)
}

// refuseBulk draws the queue of back again with the bulk form and why it was
// refused: the form's own checks, or err from the workflow.
func (s *Server) refuseBulk(w http.ResponseWriter, r *http.Request, back url.Values,
	form *bulkForm, err error) {
	var ve *exceptions.ValidationError

	switch {
	case err == nil:
	case errors.As(err, &ve):
		for _, f := range ve.Fields {
			switch f.Field {
			case "ids", "reason", "assignee", "body", "note", "action", "customer_id":
				form.Errors[f.Field] = f.Message
			default:
				form.Errors[""] = fieldMessage(f)
			}
		}
	default:
		s.fail(w, r, err)
		return
	}

	if form.Errors[""] == "" {
		form.Errors[""] = "Nothing was done: correct the marked fields and send the " +
			"form again."
	}

	s.drawQueue(w, r, back, http.StatusUnprocessableEntity, form)
}
