package hubspotsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// typeLabels are the labels HubSpot shows on its labelled association types; the label
// names the role of the record the association points to.
var typeLabels = map[int]string{
	assocDealToCompanyPrimary: "Primary",
	assocChildToParent:        "Parent Company",
	assocParentToChild:        "Child Company",
}

type assocType struct {
	Category string  `json:"category"`
	TypeID   int     `json:"typeId"`
	Label    *string `json:"label"`
}

type assocTarget struct {
	ToObjectID       json.RawMessage `json:"toObjectId"`
	AssociationTypes []assocType     `json:"associationTypes"`
}

type nextPage struct {
	After string `json:"after"`
	Link  string `json:"link,omitempty"`
}

type paging struct {
	Next nextPage `json:"next"`
}

type assocPage struct {
	Results []assocTarget `json:"results"`
	Paging  *paging       `json:"paging,omitempty"`
}

type objectRef struct {
	ID string `json:"id"`
}

type assocBatchResult struct {
	From   objectRef     `json:"from"`
	To     []assocTarget `json:"to"`
	Paging *paging       `json:"paging,omitempty"`
}

// assocPageLocked returns up to limit associations of o to toType starting at offset
// after, and the offset of the next page ("" when there is none).
func (s *Sim) assocPageLocked(o *object, toType string, after, limit int) ([]assocTarget,
	string) {
	edges := o.assoc[toType]
	if after > len(edges) {
		after = len(edges)
	}

	end := min(after+limit, len(edges))
	out := make([]assocTarget, 0, end-after)

	for _, e := range edges[after:end] {
		t := assocTarget{ToObjectID: json.RawMessage(e.toID)}
		if s.cfg.StringAssociationIDs {
			t.ToObjectID = json.RawMessage(strconv.Quote(e.toID))
		}

		for _, id := range e.types {
			at := assocType{Category: "HUBSPOT_DEFINED", TypeID: id}
			if label, ok := typeLabels[id]; ok {
				at.Label = &label
			}

			t.AssociationTypes = append(t.AssociationTypes, at)
		}

		out = append(out, t)
	}

	next := ""
	if end < len(edges) {
		next = strconv.Itoa(end)
	}

	return out, next
}

// parseAfter reads an association paging offset; "" is the start.
func parseAfter(after string) (int, error) {
	if after == "" {
		return 0, nil
	}

	n, err := strconv.Atoi(after)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid after %q", after)
	}

	return n, nil
}

func (s *Sim) handleAssocGet(w http.ResponseWriter, r *http.Request) {
	typ, okFrom := objectType(r.PathValue("type"))
	toType, okTo := objectType(r.PathValue("toType"))
	if !okFrom || !okTo {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "unknown object type")
		return
	}

	after, err := parseAfter(r.URL.Query().Get("after"))
	if err != nil {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", err.Error())
		return
	}

	limit := 500
	if q := r.URL.Query().Get("limit"); q != "" {
		limit, err = strconv.Atoi(q)
		if err != nil || limit < 1 || limit > 500 {
			s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
				"limit must be between 1 and 500")

			return
		}
	}

	limit = min(limit, s.cfg.AssociationPageSize)

	s.mu.Lock()
	o, ok := s.objects[typ][r.PathValue("id")]
	if !ok {
		s.mu.Unlock()
		s.writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND",
			fmt.Sprintf("no %s record with id %s", typ, r.PathValue("id")))

		return
	}

	s.stats.AssociationReads++
	results, next := s.assocPageLocked(o, toType, after, limit)
	s.mu.Unlock()

	page := assocPage{Results: results}
	if next != "" {
		page.Paging = &paging{Next: nextPage{After: next}}
	}

	s.writeJSON(w, http.StatusOK, page)
}

type assocBatchRequest struct {
	Inputs []struct {
		ID    string `json:"id"`
		After string `json:"after"`
	} `json:"inputs"`
}

func (s *Sim) handleAssocBatch(w http.ResponseWriter, r *http.Request) {
	typ, okFrom := objectType(r.PathValue("type"))
	toType, okTo := objectType(r.PathValue("toType"))
	if !okFrom || !okTo {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "unknown object type")
		return
	}

	var req assocBatchRequest
	if !s.readJSON(w, r, &req) {
		return
	}

	if !s.batchSizeOK(w, len(req.Inputs)) {
		return
	}

	s.mu.Lock()
	s.stats.AssociationReads++
	now := s.nowLocked().UTC().Format(isoMillis)
	results := []assocBatchResult{}
	var errs []errorBody

	for _, in := range req.Inputs {
		after, err := parseAfter(in.After)
		o, ok := s.objects[typ][in.ID]

		switch {
		case err != nil:
			errs = append(errs, errorBody{Status: "error", Category: "VALIDATION_ERROR",
				Message: err.Error(), Context: map[string]any{"fromObjectId": []string{in.ID}}})
		case !ok || len(o.assoc[toType]) == 0:
			errs = append(errs, errorBody{Status: "error", Category: "OBJECT_NOT_FOUND",
				Message: fmt.Sprintf("No %s is associated with %s %s.", toType,
					singular(typ), in.ID),
				Context: map[string]any{"fromObjectId": []string{in.ID}}})
		default:
			to, next := s.assocPageLocked(o, toType, after, s.cfg.AssociationPageSize)
			res := assocBatchResult{From: objectRef{ID: o.id}, To: to}

			if next != "" {
				res.Paging = &paging{Next: nextPage{After: next}}
			}

			results = append(results, res)
		}
	}
	s.mu.Unlock()

	resp := batchResponse{Status: "COMPLETE", Results: results, StartedAt: now,
		CompletedAt: now}
	status := http.StatusOK

	if len(errs) > 0 {
		status = http.StatusMultiStatus
		resp.NumErrors = len(errs)
		resp.Errors = errs
	}

	s.writeJSON(w, status, resp)
}
