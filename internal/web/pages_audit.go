package web

import (
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/store"
)

// The audit log's page, its CSV export and its JSON list, with the same filters:
// actor, entity, entity_id and action (each matched exactly), from and to (days,
// UTC, both included).

const auditPerPage = 100

// auditData is the audit page's data.
type auditData struct {
	Actor, Entity, EntityID, Action, From, To string

	Entries []store.AuditEntry
	Pager   pager
	// Export is the CSV export of the same filter.
	Export string
	Error  string
}

// readAuditFilter reads the audit filters and the cursor from a query.
func readAuditFilter(q url.Values, defaultLimit int) (auditFilter, error) {
	f := auditFilter{Actor: strings.TrimSpace(q.Get("actor")),
		Entity: strings.TrimSpace(q.Get("entity")), EntityID: strings.TrimSpace(q.Get("entity_id")),
		Action: strings.TrimSpace(q.Get("action"))}

	for _, v := range []string{f.Actor, f.Entity, f.EntityID, f.Action} {
		if len(v) > 200 {
			return f, errors.New("a filter is longer than 200 characters")
		}
	}

	var err error
	if f.span, err = readSpan(q); err != nil {
		return f, err
	}

	f.keyset, err = readKeyset(q, defaultLimit)

	return f, err
}

// auditPage shows the audit log, newest first, filtered.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := auditData{Actor: q.Get("actor"), Entity: q.Get("entity"),
		EntityID: q.Get("entity_id"), Action: q.Get("action"), From: q.Get("from"),
		To: q.Get("to")}

	f, err := readAuditFilter(q, auditPerPage)
	if err != nil {
		d.Error = err.Error()
		s.render(w, r, http.StatusBadRequest, "audit", "Audit log", d)

		return
	}

	more, err := auditEntries(r.Context(), s.cfg.Pool, f, func(e store.AuditEntry) error {
		d.Entries = append(d.Entries, e)
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}

	d.Pager = idPager("/audit", q, d.Entries, func(e store.AuditEntry) int64 { return e.ID },
		f.keyset, more)
	d.Export = withQuery("/audit.csv", "actor", f.Actor, "entity", f.Entity, "entity_id",
		f.EntityID, "action", f.Action, "from", d.From, "to", d.To)

	s.render(w, r, http.StatusOK, "audit", "Audit log", d)
}

// auditCSVHeader names the columns of the audit export.
var auditCSVHeader = []string{"id", "at", "actor", "action", "entity", "entity_id",
	"before", "after"}

// auditCSV exports every entry the filters select, newest first, streamed.
func (s *Server) auditCSV(w http.ResponseWriter, r *http.Request) {
	f, err := readAuditFilter(r.URL.Query(), 0)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err)
		return
	}

	f.keyset = keyset{}

	setCSVHeaders(w, "audit-log.csv")

	cw := csv.NewWriter(w)
	_ = cw.Write(auditCSVHeader)

	rows := 0

	_, err = auditEntries(r.Context(), s.cfg.Pool, f, func(e store.AuditEntry) error {
		rows++

		return cw.Write(csvSafe([]string{itoa64(e.ID), e.At.UTC().Format(time.RFC3339Nano),
			e.Actor, e.Action, e.Entity, e.EntityID, string(e.Before), string(e.After)}))
	})

	s.endCSV(w, r, cw, rows, err)
}

// apiAudit lists audit entries, newest first, with the page's filters and the
// cursor before (an id) with limit (1 to 1000, default 100); next_before is the
// cursor of the next page, "" at the end.
func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) {
	f, err := readAuditFilter(r.URL.Query(), auditPerPage)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err)
		return
	}

	list := []store.AuditEntry{}

	more, err := auditEntries(r.Context(), s.cfg.Pool, f, func(e store.AuditEntry) error {
		list = append(list, e)
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}

	next := ""
	if len(list) > 0 && (more || f.After > 0) {
		next = itoa64(list[len(list)-1].ID)
	}

	writeJSON(w, http.StatusOK, map[string]any{"entries": list, "next_before": next})
}
