package hubspotsim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Search limits HubSpot documents.
const (
	maxFilterGroups     = 5
	maxFiltersPerGroup  = 10
	maxFiltersTotal     = 25
	maxSearchLimit      = 200
	defaultSearchLimit  = 10
	searchOperatorsList = "EQ NEQ LT LTE GT GTE BETWEEN IN NOT_IN HAS_PROPERTY " +
		"NOT_HAS_PROPERTY CONTAINS_TOKEN NOT_CONTAINS_TOKEN"
)

// Property kinds decide how filters and sorts compare values.
const (
	kindString = iota
	kindNumber
	kindDate
)

var propertyKinds = map[string]int{
	"hs_lastmodifieddate":     kindDate,
	"createdate":              kindDate,
	"hs_createdate":           kindDate,
	"closedate":               kindDate,
	"amount":                  kindNumber,
	"amount_in_home_currency": kindNumber,
	"hs_object_id":            kindNumber,
	"quantity":                kindNumber,
	"price":                   kindNumber,
	"hs_position_on_quote":    kindNumber,
}

// flexString accepts a JSON string, number or boolean and keeps its text, as HubSpot does
// for filter values.
type flexString string

func (f *flexString) UnmarshalJSON(data []byte) error {
	if bytes.HasPrefix(data, []byte(`"`)) {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}

		*f = flexString(s)

		return nil
	}

	if bytes.Equal(data, []byte("null")) {
		*f = ""
		return nil
	}

	*f = flexString(data)

	return nil
}

type searchRequest struct {
	FilterGroups []filterGroup `json:"filterGroups"`
	Sorts        []sortSpec    `json:"sorts"`
	Properties   []string      `json:"properties"`
	Limit        *int          `json:"limit"`
	After        flexString    `json:"after"`
	Query        string        `json:"query"`
}

type filterGroup struct {
	Filters []filter `json:"filters"`
}

type filter struct {
	PropertyName string       `json:"propertyName"`
	Operator     string       `json:"operator"`
	Value        flexString   `json:"value"`
	HighValue    flexString   `json:"highValue"`
	Values       []flexString `json:"values"`
}

// sortSpec is one sort rule, written either as an object or as a bare property name
// ("-name" for descending).
type sortSpec struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

func (s *sortSpec) UnmarshalJSON(data []byte) error {
	if bytes.HasPrefix(data, []byte(`"`)) {
		var name string
		if err := json.Unmarshal(data, &name); err != nil {
			return err
		}

		s.Direction = "ASCENDING"
		if rest, ok := strings.CutPrefix(name, "-"); ok {
			name, s.Direction = rest, "DESCENDING"
		}

		s.PropertyName = name

		return nil
	}

	type plain sortSpec

	return json.Unmarshal(data, (*plain)(s))
}

type searchResponse struct {
	Total   int      `json:"total"`
	Results []record `json:"results"`
	Paging  *paging  `json:"paging,omitempty"`
}

// value is a property or filter value ready to compare.
type value struct {
	kind  int
	text  string
	num   *big.Rat // numbers that are not whole
	whole bool     // the number fits whole in n
	n     int64    // whole numbers and dates (Unix milliseconds)
}

func parseValue(kind int, s string) (value, error) {
	v := value{kind: kind, text: s}

	switch kind {
	case kindNumber:
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			v.whole, v.n = true, n
			return v, nil
		}

		r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
		if !ok {
			return v, fmt.Errorf("%q is not a number", s)
		}

		v.num = r
	case kindDate:
		ms, err := parseDate(s)
		if err != nil {
			return v, err
		}

		v.n = ms
	}

	return v, nil
}

// parseDate reads a date filter value: epoch milliseconds, ISO 8601 date-time, or a date.
func parseDate(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return ms, nil
	}

	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixMilli(), nil
	}

	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UnixMilli(), nil
	}

	return 0, fmt.Errorf("%q is not a date", s)
}

func compareValues(a, b value) int {
	switch a.kind {
	case kindNumber:
		if a.whole && b.whole {
			return cmp.Compare(a.n, b.n)
		}

		return a.rat().Cmp(b.rat())
	case kindDate:
		return cmp.Compare(a.n, b.n)
	}

	return strings.Compare(strings.ToLower(a.text), strings.ToLower(b.text))
}

func (v value) rat() *big.Rat {
	if v.whole {
		return new(big.Rat).SetInt64(v.n)
	}

	return v.num
}

// compiled is a validated filter with its values parsed.
type compiled struct {
	prop   string
	kind   int
	op     string
	values []value
}

func compileFilters(groups []filterGroup) ([][]compiled, error) {
	if len(groups) > maxFilterGroups {
		return nil, fmt.Errorf("at most %d filterGroups are allowed", maxFilterGroups)
	}

	total := 0
	out := make([][]compiled, 0, len(groups))

	for _, g := range groups {
		if len(g.Filters) > maxFiltersPerGroup {
			return nil, fmt.Errorf("at most %d filters per group are allowed", maxFiltersPerGroup)
		}

		total += len(g.Filters)
		if total > maxFiltersTotal {
			return nil, fmt.Errorf("at most %d filters are allowed", maxFiltersTotal)
		}

		var cg []compiled
		for _, f := range g.Filters {
			c, err := compileFilter(f)
			if err != nil {
				return nil, err
			}

			cg = append(cg, c)
		}

		out = append(out, cg)
	}

	return out, nil
}

func compileFilter(f filter) (compiled, error) {
	c := compiled{prop: f.PropertyName, kind: propertyKinds[f.PropertyName], op: f.Operator}
	if f.PropertyName == "" {
		return c, errors.New("filter without propertyName")
	}

	var raw []flexString

	switch f.Operator {
	case "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN":
		raw = []flexString{f.Value}
	case "BETWEEN":
		raw = []flexString{f.Value, f.HighValue}
	case "IN", "NOT_IN":
		if len(f.Values) == 0 {
			return c, fmt.Errorf("operator %s needs values", f.Operator)
		}

		raw = f.Values
	case "HAS_PROPERTY", "NOT_HAS_PROPERTY":
	default:
		return c, fmt.Errorf("unknown operator %q; one of %s", f.Operator, searchOperatorsList)
	}

	for _, r := range raw {
		v, err := parseValue(c.kind, string(r))
		if err != nil {
			return c, fmt.Errorf("filter on %s: %w", f.PropertyName, err)
		}

		c.values = append(c.values, v)
	}

	return c, nil
}

func (c compiled) match(ver *version) bool {
	raw, has := ver.props[c.prop]

	switch c.op {
	case "HAS_PROPERTY":
		return has
	case "NOT_HAS_PROPERTY":
		return !has
	}

	var v value
	if has {
		v, has = ver.parsed(c.prop, c.kind)
	}

	switch c.op {
	case "NEQ":
		return !has || compareValues(v, c.values[0]) != 0
	case "NOT_IN":
		return !has || !slices.ContainsFunc(c.values, func(x value) bool {
			return compareValues(v, x) == 0
		})
	case "NOT_CONTAINS_TOKEN":
		return !has || !containsToken(raw, c.values[0].text)
	}

	if !has {
		return false
	}

	switch c.op {
	case "EQ":
		return compareValues(v, c.values[0]) == 0
	case "LT":
		return compareValues(v, c.values[0]) < 0
	case "LTE":
		return compareValues(v, c.values[0]) <= 0
	case "GT":
		return compareValues(v, c.values[0]) > 0
	case "GTE":
		return compareValues(v, c.values[0]) >= 0
	case "BETWEEN":
		return compareValues(v, c.values[0]) >= 0 && compareValues(v, c.values[1]) <= 0
	case "IN":
		return slices.ContainsFunc(c.values, func(x value) bool {
			return compareValues(v, x) == 0
		})
	case "CONTAINS_TOKEN":
		return containsToken(raw, c.values[0].text)
	}

	return false
}

// containsToken is a simple stand-in for HubSpot's token match: a case-insensitive
// whole-word match, with '*' in the token matching any run of characters inside a word.
func containsToken(text, token string) bool {
	token = strings.ToLower(token)
	for _, word := range strings.Fields(strings.ToLower(text)) {
		if wildcardMatch(word, token) {
			return true
		}
	}

	return false
}

func wildcardMatch(word, pattern string) bool {
	before, after, ok := strings.Cut(pattern, "*")
	if !ok {
		return word == pattern
	}

	if !strings.HasPrefix(word, before) {
		return false
	}

	rest := word[len(before):]
	for i := 0; i <= len(rest); i++ {
		if wildcardMatch(rest[i:], after) {
			return true
		}
	}

	return false
}

func matchesAny(groups [][]compiled, ver *version) bool {
	if len(groups) == 0 {
		return true
	}

	for _, g := range groups {
		if !slices.ContainsFunc(g, func(c compiled) bool { return !c.match(ver) }) {
			return true
		}
	}

	return false
}

// hit is a search match with its sort keys.
type hit struct {
	o    *object
	v    *version
	keys []*value
}

func sortHits(hits []hit, sorts []sortSpec) {
	for i := range hits {
		hits[i].keys = make([]*value, len(sorts))
		for j, s := range sorts {
			if v, ok := hits[i].v.parsed(s.PropertyName, propertyKinds[s.PropertyName]); ok {
				hits[i].keys[j] = &v
			}
		}
	}

	slices.SortFunc(hits, func(a, b hit) int {
		for j, s := range sorts {
			ka, kb := a.keys[j], b.keys[j]
			c := 0

			switch {
			case ka == nil && kb == nil:
			case ka == nil:
				c = 1
			case kb == nil:
				c = -1
			default:
				c = compareValues(*ka, *kb)
				if strings.EqualFold(s.Direction, "DESCENDING") {
					c = -c
				}
			}

			if c != 0 {
				return c
			}
		}

		return cmp.Compare(a.o.num, b.o.num)
	})
}

func (s *Sim) handleSearch(w http.ResponseWriter, r *http.Request) {
	typ, ok := objectType(r.PathValue("type"))
	if !ok {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "unknown object type")
		return
	}

	var req searchRequest
	if !s.readJSON(w, r, &req) {
		return
	}

	groups, limit, after, err := s.validateSearch(req)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", err.Error())
		return
	}

	s.mu.Lock()
	now := s.nowLocked()
	var hits []hit

	for _, o := range s.objects[typ] {
		v := o.searchViewLocked(now)
		if v == nil || o.archived || !matchesAny(groups, v) {
			continue
		}

		hits = append(hits, hit{o: o, v: v})
	}

	sortHits(hits, req.Sorts)

	resp := searchResponse{Total: len(hits), Results: []record{}}
	for _, h := range hits[min(after, len(hits)):min(after+limit, len(hits))] {
		resp.Results = append(resp.Results, toRecord(h.o, h.v.props, h.v.updated,
			req.Properties))
	}

	s.stats.Searches++
	s.mu.Unlock()

	if after+limit < len(hits) {
		next := strconv.Itoa(after + limit)
		resp.Paging = &paging{Next: nextPage{After: next, Link: "?after=" + next}}
	}

	s.writeJSON(w, http.StatusOK, resp)
}

// validateSearch checks a search request against HubSpot's limits and returns its
// compiled filters, page size and offset.
func (s *Sim) validateSearch(req searchRequest) ([][]compiled, int, int, error) {
	if req.Query != "" {
		return nil, 0, 0, errors.New("the simulator does not support query")
	}

	groups, err := compileFilters(req.FilterGroups)
	if err != nil {
		return nil, 0, 0, err
	}

	limit := defaultSearchLimit
	if req.Limit != nil {
		limit = *req.Limit
	}

	if limit < 1 || limit > maxSearchLimit {
		return nil, 0, 0, fmt.Errorf("limit must be between 1 and %d, got %d", maxSearchLimit,
			limit)
	}

	after, err := parseAfter(string(req.After))
	if err != nil {
		return nil, 0, 0, err
	}

	if after+limit > s.cfg.SearchCap {
		return nil, 0, 0, fmt.Errorf("search can page through at most %d results: after %d"+
			" with limit %d goes past it", s.cfg.SearchCap, after, limit)
	}

	return groups, limit, after, nil
}

// parsed returns a property of the version ready to compare, parsing it once; false when
// the property is unset or does not parse as its kind. The caller holds the simulator's
// lock.
func (v *version) parsed(prop string, kind int) (value, bool) {
	if c, ok := v.cache[prop]; ok {
		return c.v, c.ok
	}

	var c cachedValue
	if raw, ok := v.props[prop]; ok {
		pv, err := parseValue(kind, raw)
		c = cachedValue{v: pv, ok: err == nil}
	}

	if v.cache == nil {
		v.cache = map[string]cachedValue{}
	}

	v.cache[prop] = c

	return c.v, c.ok
}

// cachedValue is a parsed property and whether it parsed.
type cachedValue struct {
	v  value
	ok bool
}
