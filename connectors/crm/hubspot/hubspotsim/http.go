package hubspotsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// errorBody is HubSpot's error document. Every field is optional in practice.
type errorBody struct {
	Status        string         `json:"status"`
	Message       string         `json:"message"`
	CorrelationID string         `json:"correlationId"`
	Category      string         `json:"category,omitempty"`
	ErrorType     string         `json:"errorType,omitempty"`
	PolicyName    string         `json:"policyName,omitempty"`
	Context       map[string]any `json:"context,omitempty"`
}

// maxBody bounds request bodies the simulator reads.
const maxBody = 4 << 20

func (s *Sim) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /crm/v3/objects/{type}/search", s.handleSearch)
	mux.HandleFunc("POST /crm/v3/objects/{type}/batch/read", s.handleBatchRead)
	mux.HandleFunc("GET /crm/v3/objects/{type}/{id}", s.handleGet)
	mux.HandleFunc("GET /crm/v3/pipelines/deals", s.handlePipelines)
	mux.HandleFunc("GET /crm/v4/objects/{type}/{id}/associations/{toType}", s.handleAssocGet)
	mux.HandleFunc("POST /crm/v4/associations/{type}/{toType}/batch/read", s.handleAssocBatch)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND",
			"no such endpoint in the simulator: "+r.Method+" "+r.URL.Path)
	})

	return s.guard(mux)
}

// guard applies, in HubSpot's order, authentication, injected faults and the rate limit.
func (s *Sim) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.stats.Requests++
		s.mu.Unlock()

		if r.Header.Get("Authorization") != "Bearer "+s.cfg.Token {
			s.mu.Lock()
			s.stats.Unauthorized++
			s.mu.Unlock()
			s.writeError(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION",
				"The bearer token is missing or is not valid for this account.")

			return
		}

		if s.refuse(w) {
			return
		}

		next.ServeHTTP(w, r)
	})
}

// refuse answers the request with an injected fault or a rate-limit 429, if one applies.
func (s *Sim) refuse(w http.ResponseWriter) bool {
	s.mu.Lock()

	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]

		if f.status == http.StatusTooManyRequests {
			s.stats.Throttled++
			s.mu.Unlock()
			s.writeRateLimit(w, f.policy, f.retryAfter)

			return true
		}

		s.stats.Failed++
		s.mu.Unlock()
		s.writeError(w, f.status, "INTERNAL_ERROR", "simulated server failure")

		return true
	}

	if s.cfg.RateLimit <= 0 {
		s.mu.Unlock()
		return false
	}

	now := time.Now()
	cut := 0
	for cut < len(s.hits) && now.Sub(s.hits[cut]) >= s.cfg.RateWindow {
		cut++
	}

	s.hits = s.hits[cut:]
	if len(s.hits) < s.cfg.RateLimit {
		s.hits = append(s.hits, now)
		s.mu.Unlock()

		return false
	}

	s.stats.Throttled++
	wait := s.cfg.RateWindow - now.Sub(s.hits[0])
	s.mu.Unlock()

	policy := PolicySecondly
	if s.cfg.RateWindow >= 10*time.Second {
		policy = PolicyTenSecondlyRolling
	}

	if !s.cfg.RetryAfter {
		wait = 0
	}

	s.writeRateLimit(w, policy, wait)

	return true
}

func (s *Sim) writeRateLimit(w http.ResponseWriter, policy string, retryAfter time.Duration) {
	if retryAfter > 0 {
		secs := (retryAfter + time.Second - 1) / time.Second
		w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}

	s.writeJSON(w, http.StatusTooManyRequests, errorBody{
		Status:        "error",
		Message:       fmt.Sprintf("You have reached your %s limit.", strings.ToLower(policy)),
		ErrorType:     "RATE_LIMIT",
		CorrelationID: s.correlationID(),
		PolicyName:    policy,
	})
}

func (s *Sim) writeError(w http.ResponseWriter, status int, category, msg string) {
	s.writeJSON(w, status, errorBody{
		Status:        "error",
		Message:       msg,
		CorrelationID: s.correlationID(),
		Category:      category,
	})
}

func (s *Sim) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// correlationID returns a UUID-shaped id that is unique within the simulator and
// reproducible across runs.
func (s *Sim) correlationID() string {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.corr++

	return fmt.Sprintf("00000000-0000-4000-8000-%012d", s.corr)
}

// readJSON decodes a request body into v, answering 400 and returning false on failure.
func (s *Sim) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err == nil {
		err = json.Unmarshal(data, v)
	}

	if err != nil {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON: "+
			err.Error())

		return false
	}

	return true
}

// objectType maps a path's object type, by name or by HubSpot's type id, to the simulator's
// name.
func objectType(name string) (string, bool) {
	switch strings.ToLower(name) {
	case "deals", "deal", "0-3":
		return typeDeals, true
	case "companies", "company", "0-2":
		return typeCompanies, true
	case "line_items", "line_item", "0-8":
		return typeLineItems, true
	}

	return "", false
}

// record is HubSpot's SimplePublicObject.
type record struct {
	ID           string                  `json:"id"`
	Properties   map[string]*string      `json:"properties"`
	CreatedAt    string                  `json:"createdAt"`
	UpdatedAt    string                  `json:"updatedAt"`
	Archived     bool                    `json:"archived"`
	Associations map[string]v3AssocGroup `json:"associations,omitempty"`
}

type v3AssocGroup struct {
	Results []v3Assoc `json:"results"`
}

type v3Assoc struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// alwaysReturned are the properties HubSpot includes whatever was asked for.
var alwaysReturned = []string{"createdate", "hs_lastmodifieddate", "hs_object_id"}

// toRecord renders props as the API returns them: the requested names, null when unset.
func toRecord(o *object, props map[string]string, updated time.Time, names []string) record {
	out := record{
		ID:         o.id,
		Properties: map[string]*string{},
		CreatedAt:  o.created.Format(isoMillis),
		UpdatedAt:  updated.Format(isoMillis),
		Archived:   o.archived,
	}

	for _, n := range slices.Concat(names, alwaysReturned) {
		if v, ok := props[n]; ok {
			out.Properties[n] = &v
		} else {
			out.Properties[n] = nil
		}
	}

	return out
}

func splitList(q string) []string {
	var out []string
	for _, p := range strings.Split(q, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}

	return out
}

func (s *Sim) handleGet(w http.ResponseWriter, r *http.Request) {
	typ, ok := objectType(r.PathValue("type"))
	if !ok {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "unknown object type")
		return
	}

	s.mu.Lock()
	o, ok := s.objects[typ][r.PathValue("id")]
	if !ok {
		s.mu.Unlock()
		s.writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND",
			fmt.Sprintf("no %s record with id %s", typ, r.PathValue("id")))

		return
	}

	rec := toRecord(o, o.props, o.updated, splitList(r.URL.Query().Get("properties")))
	for _, want := range splitList(r.URL.Query().Get("associations")) {
		toType, ok := objectType(want)
		if !ok {
			continue
		}

		group := v3AssocGroup{Results: []v3Assoc{}}
		for _, e := range o.assoc[toType] {
			group.Results = append(group.Results, v3Assoc{ID: e.toID,
				Type: singular(typ) + "_to_" + singular(toType)})
		}

		if rec.Associations == nil {
			rec.Associations = map[string]v3AssocGroup{}
		}

		rec.Associations[want] = group
	}
	s.mu.Unlock()

	s.writeJSON(w, http.StatusOK, rec)
}

func singular(typ string) string {
	switch typ {
	case typeDeals:
		return "deal"
	case typeCompanies:
		return "company"
	default:
		return "line_item"
	}
}

type batchReadRequest struct {
	Inputs     []objectRef `json:"inputs"`
	Properties []string    `json:"properties"`
	IDProperty string      `json:"idProperty"`
}

type batchResponse struct {
	Status      string      `json:"status"`
	Results     any         `json:"results"`
	NumErrors   int         `json:"numErrors,omitempty"`
	Errors      []errorBody `json:"errors,omitempty"`
	StartedAt   string      `json:"startedAt"`
	CompletedAt string      `json:"completedAt"`
}

// batchLimit is the largest number of inputs a batch read accepts.
const batchLimit = 100

func (s *Sim) handleBatchRead(w http.ResponseWriter, r *http.Request) {
	typ, ok := objectType(r.PathValue("type"))
	if !ok {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "unknown object type")
		return
	}

	var req batchReadRequest
	if !s.readJSON(w, r, &req) {
		return
	}

	if req.IDProperty != "" && req.IDProperty != "hs_object_id" {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			"the simulator reads by record id only")

		return
	}

	if !s.batchSizeOK(w, len(req.Inputs)) {
		return
	}

	s.mu.Lock()
	s.stats.BatchReads++
	now := s.nowLocked().UTC().Format(isoMillis)
	results := []record{}
	var missing []string

	for _, in := range req.Inputs {
		o, ok := s.objects[typ][in.ID]
		if !ok || o.archived {
			missing = append(missing, in.ID)
			continue
		}

		results = append(results, toRecord(o, o.props, o.updated, req.Properties))
	}
	s.mu.Unlock()

	resp := batchResponse{Status: "COMPLETE", Results: results, StartedAt: now,
		CompletedAt: now}
	status := http.StatusOK

	if len(missing) > 0 {
		status = http.StatusMultiStatus
		resp.NumErrors = 1
		resp.Errors = []errorBody{{
			Status:   "error",
			Category: "OBJECT_NOT_FOUND",
			Message: fmt.Sprintf("some %s records were not found: they may be archived or"+
				" never have existed", typ),
			Context: map[string]any{"ids": missing},
		}}
	}

	s.writeJSON(w, status, resp)
}

type pipelineJSON struct {
	ID           string      `json:"id"`
	Label        string      `json:"label"`
	DisplayOrder int         `json:"displayOrder"`
	Archived     bool        `json:"archived"`
	Stages       []stageJSON `json:"stages"`
}

type stageJSON struct {
	ID           string            `json:"id"`
	Label        string            `json:"label"`
	DisplayOrder int               `json:"displayOrder"`
	Archived     bool              `json:"archived"`
	Metadata     map[string]string `json:"metadata"`
}

func (s *Sim) handlePipelines(w http.ResponseWriter, _ *http.Request) {
	var out []pipelineJSON
	for i, p := range s.Pipelines() {
		pj := pipelineJSON{ID: p.ID, Label: p.Label, DisplayOrder: i}
		for j, st := range p.Stages {
			pj.Stages = append(pj.Stages, stageJSON{ID: st.ID, Label: st.Label,
				DisplayOrder: j, Metadata: map[string]string{
					"isClosed":    strconv.FormatBool(st.Closed),
					"probability": st.Probability,
				}})
		}

		out = append(out, pj)
	}

	s.writeJSON(w, http.StatusOK, map[string]any{"results": out})
}

// batchSizeOK answers 400 as HubSpot does when a batch request holds more than
// batchLimit inputs, and reports whether the request may go on.
func (s *Sim) batchSizeOK(w http.ResponseWriter, n int) bool {
	if n <= batchLimit {
		return true
	}

	s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
		fmt.Sprintf("Batch input must contain at most %d items.", batchLimit))

	return false
}
