package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/store"
)

// exceptionRoutes are the exception queue's JSON routes: reads need the read
// action, actions on exceptions resolve, decisions on approvals approve.
func (s *Server) exceptionRoutes() []Route {
	return []Route{
		{"GET /api/exceptions", auth.ActionRead, s.listExceptions},
		{"GET /api/exceptions.csv", auth.ActionRead, s.exportExceptions},
		{"GET /api/exceptions/counts", auth.ActionRead, s.countExceptions},
		{"GET /api/exceptions/settings", auth.ActionRead, s.exceptionSettings},
		{"GET /api/exceptions/{id}", auth.ActionRead, s.getException},
		{"POST /api/exceptions/{id}/resolve", auth.ActionResolve, s.resolveException},
		{"POST /api/exceptions/{id}/apply", auth.ActionResolve, s.applyException},
		{"POST /api/exceptions/{id}/split", auth.ActionResolve, s.splitException},
		{"POST /api/exceptions/{id}/writeoff", auth.ActionResolve, s.writeOffException},
		{"POST /api/exceptions/{id}/park", auth.ActionResolve, s.parkException},
		{"POST /api/exceptions/{id}/refund", auth.ActionResolve, s.refundException},
		{"POST /api/exceptions/{id}/return", auth.ActionResolve, s.returnException},
		{"POST /api/exceptions/{id}/close", auth.ActionResolve, s.closeException},
		{"POST /api/exceptions/{id}/apply-suggested", auth.ActionResolve,
			s.applySuggestedException},
		{"POST /api/exceptions/{id}/comments", auth.ActionResolve, s.commentException},
		{"POST /api/exceptions/{id}/assign", auth.ActionResolve, s.assignException},
		{"POST /api/exceptions/{id}/reopen", auth.ActionResolve, s.reopenException},
		{"POST /api/exceptions/bulk", auth.ActionResolve, s.bulkExceptions},
		{"GET /api/approvals", auth.ActionRead, s.listApprovals},
		{"POST /api/approvals/{id}/approve", auth.ActionApprove, s.approve},
		{"POST /api/approvals/{id}/reject", auth.ActionApprove, s.reject},
		{"GET /api/exception-views", auth.ActionRead, s.listViews},
		{"POST /api/exception-views", auth.ActionRead, s.saveView},
		{"DELETE /api/exception-views/{id}", auth.ActionRead, s.deleteView},
	}
}

// fieldsError is the API's error shape with the fields a request got wrong.
type fieldsError struct {
	Error  string                  `json:"error"`
	Detail string                  `json:"detail,omitempty"`
	Fields []exceptions.FieldError `json:"fields,omitempty"`
}

// failException answers an error of the exception workflow: a refused request
// is 422 with its fields (400 when refused parameters of a read), a
// self-approval 403, the rest as fail does.
func (s *Server) failException(w http.ResponseWriter, r *http.Request, err error) {
	var ve *exceptions.ValidationError

	switch {
	case errors.As(err, &ve):
		status := http.StatusUnprocessableEntity
		if r.Method == http.MethodGet {
			status = http.StatusBadRequest
		}

		writeJSON(w, status, fieldsError{Error: "invalid", Detail: err.Error(),
			Fields: ve.Fields})
	case errors.Is(err, exceptions.ErrSelfApproval):
		writeError(w, http.StatusForbidden, "forbidden", err)
	default:
		s.fail(w, r, err)
	}
}

// readBody decodes a JSON body of at most 1 MiB into v, refusing unknown fields;
// an empty body leaves v as it is when optional. It answers the refusal itself and
// reports whether to go on.
func readBody(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	err := decodeJSON(r, 1<<20, v)
	if err == nil || optional && errors.Is(err, io.EOF) {
		return true
	}

	if errors.Is(err, errJSONTooLarge) {
		writeDecodeError(w, err)
		return false
	}

	e := fieldsError{Error: "invalid_json", Detail: err.Error()}

	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		e.Fields = []exceptions.FieldError{{Field: te.Field,
			Message: "must be a JSON " + jsonKind(te.Type.Kind().String())}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e.Fields = []exceptions.FieldError{{Field: name, Message: "is not a field of " +
			"this request"}}
	}

	writeJSON(w, http.StatusBadRequest, e)

	return false
}

// jsonKind names a Go kind as JSON calls it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	default:
		return "number"
	}
}

// idOf reads the path's id, answering 400 when it is not one.
func idOf(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := pathID(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, fieldsError{Error: "invalid", Detail: err.Error(),
			Fields: []exceptions.FieldError{{Field: "id", Message: "must be a positive " +
				"whole number"}}})
		return 0, false
	}

	return id, true
}

// listExceptions answers a page of the queue; see exceptions.ParseQuery for the
// parameters and next_cursor for the next page.
func (s *Server) listExceptions(w http.ResponseWriter, r *http.Request) {
	q, err := exceptions.ParseQueryStrict(r.URL.Query())
	if err != nil {
		s.failException(w, r, err)
		return
	}

	page, err := s.exceptions.Queue(r.Context(), q, actor(r))
	if err != nil {
		s.failException(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, page)
}

func (s *Server) countExceptions(w http.ResponseWriter, r *http.Request) {
	q, err := exceptions.ParseQueryStrict(r.URL.Query())
	if err != nil {
		s.failException(w, r, err)
		return
	}

	counts, err := s.exceptions.Counts(r.Context(), q, actor(r))
	if err != nil {
		s.failException(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, counts)
}

// lazyCSV sets the CSV headers on the first write, so that a refusal found before
// any row is still answered as JSON.
type lazyCSV struct {
	w       http.ResponseWriter
	started bool
}

func (c *lazyCSV) Write(p []byte) (int, error) {
	if !c.started {
		c.started = true
		c.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		c.w.Header().Set("Content-Disposition", `attachment; filename="exceptions.csv"`)
		c.w.WriteHeader(http.StatusOK)
	}

	return c.w.Write(p)
}

// exportExceptions answers every exception the queue's parameters keep, as CSV.
func (s *Server) exportExceptions(w http.ResponseWriter, r *http.Request) {
	q, err := exceptions.ParseQueryStrict(r.URL.Query())
	if err != nil {
		s.failException(w, r, err)
		return
	}

	out := &lazyCSV{w: w}

	err = s.exceptions.ExportCSV(r.Context(), out, q, actor(r))
	if err != nil && !out.started {
		s.failException(w, r, err)
		return
	}

	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "CSV export failed", "error", err)
	}
}

func (s *Server) exceptionSettings(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.exceptions.Settings())
}

func (s *Server) getException(w http.ResponseWriter, r *http.Request) {
	id, ok := idOf(w, r)
	if !ok {
		return
	}

	d, err := s.exceptions.Get(r.Context(), id)
	if err != nil {
		s.failException(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, d)
}

// act decodes a request into req and answers what do made of it: 202 when a
// write-off now awaits approval, 200 otherwise.
func act[T any](s *Server, w http.ResponseWriter, r *http.Request, optional bool,
	do func(id int64, req T) (exceptions.Outcome, error)) {
	id, ok := idOf(w, r)
	if !ok {
		return
	}

	var req T
	if !readBody(w, r, &req, optional) {
		return
	}

	out, err := do(id, req)
	if err != nil {
		s.failException(w, r, err)
		return
	}

	status := http.StatusOK
	if out.Approval != nil && out.Status == store.ExceptionOpen {
		status = http.StatusAccepted
	}

	writeJSON(w, status, out)
}

func (s *Server) resolveException(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, false, func(id int64, req exceptions.Resolution) (exceptions.Outcome, error) {
		return s.exceptions.Resolve(r.Context(), id, actor(r), req)
	})
}

func (s *Server) applyException(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, false, func(id int64, req exceptions.ApplyRequest) (exceptions.Outcome,
		error) {
		return s.exceptions.Apply(r.Context(), id, actor(r), req)
	})
}

func (s *Server) splitException(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, false, func(id int64, req exceptions.ApplyRequest) (exceptions.Outcome,
		error) {
		return s.exceptions.Split(r.Context(), id, actor(r), req)
	})
}

func (s *Server) writeOffException(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, false, func(id int64, req exceptions.WriteOffRequest) (exceptions.Outcome,
		error) {
		return s.exceptions.WriteOff(r.Context(), id, actor(r), req)
	})
}

func (s *Server) parkException(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, true, func(id int64, req exceptions.ParkRequest) (exceptions.Outcome, error) {
		return s.exceptions.Park(r.Context(), id, actor(r), req)
	})
}

func (s *Server) refundException(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, true, func(id int64, req exceptions.PayBackRequest) (exceptions.Outcome,
		error) {
		return s.exceptions.MarkRefund(r.Context(), id, actor(r), req)
	})
}

func (s *Server) returnException(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, true, func(id int64, req exceptions.PayBackRequest) (exceptions.Outcome,
		error) {
		return s.exceptions.MarkReturn(r.Context(), id, actor(r), req)
	})
}

func (s *Server) closeException(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, false, func(id int64, req exceptions.CloseRequest) (exceptions.Outcome,
		error) {
		return s.exceptions.Close(r.Context(), id, actor(r), req)
	})
}

// noteBody is the body of actions that take only a note.
type noteBody struct {
	Note string `json:"note"`
}

func (s *Server) applySuggestedException(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, true, func(id int64, req noteBody) (exceptions.Outcome, error) {
		return s.exceptions.ApplySuggested(r.Context(), id, actor(r), req.Note)
	})
}

func (s *Server) reopenException(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, true, func(id int64, req noteBody) (exceptions.Outcome, error) {
		return s.exceptions.Reopen(r.Context(), id, actor(r), req.Note)
	})
}

func (s *Server) commentException(w http.ResponseWriter, r *http.Request) {
	id, ok := idOf(w, r)
	if !ok {
		return
	}

	var body struct {
		Body string `json:"body"`
	}

	if !readBody(w, r, &body, false) {
		return
	}

	c, err := s.exceptions.Comment(r.Context(), id, actor(r), body.Body)
	if err != nil {
		s.failException(w, r, err)
		return
	}

	writeJSON(w, http.StatusCreated, c)
}

// assignException gives an exception to a user, to the caller ("me") or to
// nobody ("").
func (s *Server) assignException(w http.ResponseWriter, r *http.Request) {
	id, ok := idOf(w, r)
	if !ok {
		return
	}

	var body struct {
		Assignee string `json:"assignee"`
	}

	if !readBody(w, r, &body, false) {
		return
	}

	who := strings.TrimSpace(body.Assignee)
	if who == exceptions.AssigneeMe {
		who = actor(r)
	}

	if err := s.exceptions.Assign(r.Context(), id, actor(r), who); err != nil {
		s.failException(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, map[string]string{"assignee": who})
}

func (s *Server) bulkExceptions(w http.ResponseWriter, r *http.Request) {
	var req exceptions.BulkRequest
	if !readBody(w, r, &req, false) {
		return
	}

	res, err := s.exceptions.Bulk(r.Context(), actor(r), req)
	if err != nil {
		s.failException(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, res)
}

func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request) {
	list, err := s.exceptions.Approvals(r.Context(), r.URL.Query().Get("status"), 200)
	if err != nil {
		s.failException(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, map[string]any{"approvals": list})
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	act(s, w, r, true, func(id int64, req noteBody) (exceptions.Outcome, error) {
		return s.exceptions.Approve(r.Context(), id, actor(r), req.Note)
	})
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request) {
	id, ok := idOf(w, r)
	if !ok {
		return
	}

	var body noteBody
	if !readBody(w, r, &body, true) {
		return
	}

	a, err := s.exceptions.Reject(r.Context(), id, actor(r), body.Note)
	if err != nil {
		s.failException(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, a)
}

func (s *Server) listViews(w http.ResponseWriter, r *http.Request) {
	vs, err := s.exceptions.Views(r.Context(), actor(r))
	if err != nil {
		s.failException(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, map[string]any{"views": vs})
}

// saveView stores the caller's view: a name and the queue's query string.
func (s *Server) saveView(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name  string `json:"name"`
		Query string `json:"query"`
	}

	if !readBody(w, r, &body, false) {
		return
	}

	v, err := s.exceptions.SaveView(r.Context(), actor(r), body.Name, body.Query)
	if err != nil {
		s.failException(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, v)
}

func (s *Server) deleteView(w http.ResponseWriter, r *http.Request) {
	id, ok := idOf(w, r)
	if !ok {
		return
	}

	if err := s.exceptions.DeleteView(r.Context(), actor(r), id); err != nil {
		s.failException(w, r, err)
		return
	}

	writeJSON(w, http.StatusOK, map[string]int64{"deleted": id})
}
