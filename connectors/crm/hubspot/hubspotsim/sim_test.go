package hubspotsim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/crm/hubspot/hubspotsim"
)

var base = time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)

type testBundle struct {
	sim *hubspotsim.Sim
	url string
}

func setup(t *testing.T, cfg hubspotsim.Config) testBundle {
	t.Helper()

	if cfg.SearchLag == 0 {
		cfg.SearchLag = -1
	}

	sim := hubspotsim.New(cfg)
	sim.SetTime(base)

	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)

	return testBundle{sim: sim, url: srv.URL}
}

// call sends a request with the simulator's token and decodes a JSON answer into out
// (when out is not nil). It returns the status and the headers.
func (b testBundle) call(t *testing.T, method, path string, body, out any) (int,
	http.Header) {
	t.Helper()

	return callWith(t, b.url, b.sim.Token(), method, path, body, out)
}

// searchQuietly runs one search and returns an error rather than failing the test, for
// use from goroutines.
func (b testBundle) searchQuietly() error {
	data, err := json.Marshal(search(nil, 50, ""))
	if err != nil {
		return err
	}

	req, err := http.NewRequest(http.MethodPost, b.url+"/crm/v3/objects/deals/search",
		bytes.NewReader(data))
	if err != nil {
		return err
	}

	req.Header.Set("Authorization", "Bearer "+b.sim.Token())

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("search status %d", resp.StatusCode)
	}

	return nil
}

func callWith(t *testing.T, url, token, method, path string, body, out any) (int,
	http.Header) {
	t.Helper()

	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}

		rd = bytes.NewReader(data)
	}

	req, err := http.NewRequest(method, url+path, rd)
	if err != nil {
		t.Fatal(err)
	}

	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}

	req.Header.Set("Content-Type", "application/json")

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("decode %s %s answer %d: %v\n%s", method, path, resp.StatusCode, err, data)
		}
	}

	return resp.StatusCode, resp.Header
}

type searchPage struct {
	Total   int `json:"total"`
	Results []struct {
		ID         string             `json:"id"`
		Properties map[string]*string `json:"properties"`
		CreatedAt  string             `json:"createdAt"`
		UpdatedAt  string             `json:"updatedAt"`
		Archived   *bool              `json:"archived"`
	} `json:"results"`
	Paging *struct {
		Next struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

type errorDoc struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	CorrelationID string `json:"correlationId"`
	Category      string `json:"category"`
	ErrorType     string `json:"errorType"`
	PolicyName    string `json:"policyName"`
}

func search(filters []map[string]any, limit int, after string) map[string]any {
	body := map[string]any{
		"filterGroups": []map[string]any{{"filters": filters}},
		"sorts": []map[string]string{{"propertyName": "hs_lastmodifieddate",
			"direction": "ASCENDING"}},
		"properties": []string{"dealname", "amount", "dealstage", "closedate"},
		"limit":      limit,
	}
	if after != "" {
		body["after"] = after
	}

	return body
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}

	return *p
}

func TestAuthenticationIsRequired(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{Token: "pat-na1-right"})

	for _, token := range []string{"", "pat-na1-wrong"} {
		var doc errorDoc
		status, _ := callWith(t, b.url, token, http.MethodPost, "/crm/v3/objects/deals/search",
			map[string]any{}, &doc)

		if status != http.StatusUnauthorized {
			t.Fatalf("token %q: status %d, want 401", token, status)
		}

		if doc.Status != "error" || doc.Category != "INVALID_AUTHENTICATION" ||
			doc.CorrelationID == "" || doc.Message == "" {
			t.Errorf("token %q: error body %+v lacks HubSpot's fields", token, doc)
		}
	}

	if got := b.sim.Stats().Unauthorized; got != 2 {
		t.Errorf("Stats().Unauthorized = %d, want 2", got)
	}

	status, _ := callWith(t, b.url, "pat-na1-right", http.MethodPost,
		"/crm/v3/objects/deals/search", map[string]any{}, nil)
	if status != http.StatusOK {
		t.Errorf("right token: status %d, want 200", status)
	}
}

func TestSearchFiltersSortsAndPages(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{})
	co := b.sim.AddCompany(hubspotsim.Company{Name: "Acme"})

	wantIDs := map[string]bool{}
	for i := range 9 {
		b.sim.Advance(time.Second)

		stage := []string{hubspotsim.DefaultWonStageID, "contractsent", "closedlost"}[i%3]
		id := b.sim.AddDeal(hubspotsim.Deal{Name: fmt.Sprintf("deal %d", i), Stage: stage,
			Amount: "100", CompanyID: co})

		if stage == hubspotsim.DefaultWonStageID && i >= 3 {
			wantIDs[id] = true
		}
	}

	// Deals 3..8 were modified at base+4s and later.
	from := strconv.FormatInt(base.Add(4*time.Second).UnixMilli(), 10)
	filters := []map[string]any{
		{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": from},
		{"propertyName": "dealstage", "operator": "IN",
			"values": []string{hubspotsim.DefaultWonStageID, "closedlost"}},
	}

	var got []string
	var stamps []string
	after := ""

	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}

		var page searchPage
		status, _ := b.call(t, http.MethodPost, "/crm/v3/objects/deals/search",
			search(filters, 1, after), &page)
		if status != http.StatusOK {
			t.Fatalf("search status %d", status)
		}

		if page.Total != 4 {
			t.Errorf("total = %d, want 4 (2 won + 2 lost from deal 3 on)", page.Total)
		}

		for _, r := range page.Results {
			if str(r.Properties["dealstage"]) == hubspotsim.DefaultWonStageID {
				got = append(got, r.ID)
			}

			stamps = append(stamps, str(r.Properties["hs_lastmodifieddate"]))
		}

		if page.Paging == nil {
			break
		}

		after = page.Paging.Next.After
	}

	if len(got) != len(wantIDs) {
		t.Fatalf("won deals found %v, want %v", got, wantIDs)
	}

	for _, id := range got {
		if !wantIDs[id] {
			t.Errorf("deal %s should not match", id)
		}
	}

	if !slices.IsSorted(stamps) {
		t.Errorf("results not ascending by hs_lastmodifieddate: %v", stamps)
	}
}

func TestSearchOperatorsOnDatesAndNumbers(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{})
	ids := make([]string, 4)

	for i := range ids {
		b.sim.Advance(time.Second)
		ids[i] = b.sim.AddDeal(hubspotsim.Deal{Amount: strconv.Itoa(10 * (i + 1)),
			Stage: hubspotsim.DefaultWonStageID})
	}

	second := base.Add(2 * time.Second)
	cases := []struct {
		name   string
		filter map[string]any
		want   []string
	}{
		{"EQ on ISO date", map[string]any{"propertyName": "hs_lastmodifieddate",
			"operator": "EQ", "value": second.Format("2006-01-02T15:04:05.000Z")},
			ids[1:2]},
		{"LT on epoch ms", map[string]any{"propertyName": "hs_lastmodifieddate",
			"operator": "LT", "value": strconv.FormatInt(second.UnixMilli(), 10)}, ids[:1]},
		{"GT on epoch ms", map[string]any{"propertyName": "hs_lastmodifieddate",
			"operator": "GT", "value": strconv.FormatInt(second.UnixMilli(), 10)}, ids[2:]},
		{"LTE on amount compares numbers", map[string]any{"propertyName": "amount",
			"operator": "LTE", "value": "20"}, ids[:2]},
		{"NEQ", map[string]any{"propertyName": "amount", "operator": "NEQ", "value": "30"},
			[]string{ids[0], ids[1], ids[3]}},
		{"hs_object_id GT compares numbers", map[string]any{"propertyName": "hs_object_id",
			"operator": "GT", "value": ids[2]}, ids[3:]},
		{"BETWEEN", map[string]any{"propertyName": "amount", "operator": "BETWEEN",
			"value": "15", "highValue": "35"}, ids[1:3]},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var page searchPage
			status, _ := b.call(t, http.MethodPost, "/crm/v3/objects/deals/search",
				search([]map[string]any{tc.filter}, 100, ""), &page)
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}

			var got []string
			for _, r := range page.Results {
				got = append(got, r.ID)
			}

			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSearchRejectsWhatHubSpotRejects(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{})
	for range 3 {
		b.sim.AddDeal(hubspotsim.Deal{Stage: hubspotsim.DefaultWonStageID})
	}

	cases := []struct {
		name string
		body map[string]any
		want int
	}{
		{"limit over 200", search(nil, 201, ""), http.StatusBadRequest},
		{"after plus limit past 10,000", search(nil, 200, "9900"), http.StatusBadRequest},
		{"after at 10,000", search(nil, 1, "10000"), http.StatusBadRequest},
		{"last page inside 10,000", search(nil, 200, "9800"), http.StatusOK},
		{"unknown operator", search([]map[string]any{{"propertyName": "amount",
			"operator": "ABOUT", "value": "1"}}, 10, ""), http.StatusBadRequest},
		{"bad date value", search([]map[string]any{{"propertyName": "hs_lastmodifieddate",
			"operator": "GTE", "value": "yesterday"}}, 10, ""), http.StatusBadRequest},
		{"six filter groups", map[string]any{"filterGroups": slices.Repeat(
			[]map[string]any{{"filters": []map[string]any{{"propertyName": "amount",
				"operator": "HAS_PROPERTY"}}}}, 6)}, http.StatusBadRequest},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var doc errorDoc
			status, _ := b.call(t, http.MethodPost, "/crm/v3/objects/deals/search", tc.body,
				&doc)

			if status != tc.want {
				t.Fatalf("status %d, want %d (%s)", status, tc.want, doc.Message)
			}

			if status == http.StatusBadRequest && doc.Category != "VALIDATION_ERROR" {
				t.Errorf("category %q, want VALIDATION_ERROR", doc.Category)
			}
		})
	}
}

func TestSearchLagsWritesWhileReadByIDDoesNot(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{SearchLag: 2 * time.Second})
	id := b.sim.AddDeal(hubspotsim.Deal{Name: "Late", Amount: "10",
		Stage: hubspotsim.DefaultWonStageID})

	count := func() (int, string) {
		var page searchPage
		b.call(t, http.MethodPost, "/crm/v3/objects/deals/search", search(nil, 10, ""), &page)

		if len(page.Results) == 0 {
			return page.Total, ""
		}

		return page.Total, str(page.Results[0].Properties["amount"])
	}

	if n, _ := count(); n != 0 {
		t.Fatalf("search found %d deals right after the write, want 0", n)
	}

	var rec struct {
		ID         string             `json:"id"`
		Properties map[string]*string `json:"properties"`
	}

	status, _ := b.call(t, http.MethodGet, "/crm/v3/objects/deals/"+id+"?properties=amount",
		nil, &rec)
	if status != http.StatusOK || str(rec.Properties["amount"]) != "10" {
		t.Fatalf("GET by id: status %d, amount %s; want 200 and 10", status,
			str(rec.Properties["amount"]))
	}

	b.sim.Advance(2 * time.Second)

	if n, amount := count(); n != 1 || amount != "10" {
		t.Fatalf("after the lag search found %d deals (amount %s), want 1 (10)", n, amount)
	}

	if err := b.sim.UpdateDeal(id, map[string]string{"amount": "20"}); err != nil {
		t.Fatal(err)
	}

	if _, amount := count(); amount != "10" {
		t.Errorf("search shows amount %s right after the update, want the old 10", amount)
	}

	b.sim.Advance(2 * time.Second)

	if _, amount := count(); amount != "20" {
		t.Errorf("search shows amount %s after the lag, want 20", amount)
	}
}

func TestPropertiesAreStringsOrNull(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{})
	co := b.sim.AddCompany(hubspotsim.Company{Name: "Acme", Domain: "acme.example"})
	id := b.sim.AddDeal(hubspotsim.Deal{Name: "Two seats", Currency: "USD", CompanyID: co,
		Stage: hubspotsim.DefaultWonStageID, LineItems: []hubspotsim.LineItem{
			{Name: "Seat", SKU: "S-1", Quantity: "2", Price: "625.25"},
		}})

	var page searchPage
	b.call(t, http.MethodPost, "/crm/v3/objects/deals/search", search(nil, 10, ""), &page)

	if len(page.Results) != 1 {
		t.Fatalf("got %d results, want 1", len(page.Results))
	}

	r := page.Results[0]
	if r.ID != id || str(r.Properties["amount"]) != "1250.5" {
		t.Errorf("deal %s amount %s, want %s and 1250.5 (sum of line items)", r.ID,
			str(r.Properties["amount"]), id)
	}

	if _, ok := r.Properties["closedate"]; !ok || r.Properties["closedate"] != nil {
		t.Errorf("unset closedate should be present as null, got %q",
			str(r.Properties["closedate"]))
	}

	mod := str(r.Properties["hs_lastmodifieddate"])
	if mod != "2025-03-03T10:00:00.000Z" || r.UpdatedAt != mod || r.CreatedAt == "" {
		t.Errorf("hs_lastmodifieddate %q updatedAt %q createdAt %q", mod, r.UpdatedAt,
			r.CreatedAt)
	}

	if r.Archived == nil || *r.Archived {
		t.Errorf("archived should be false")
	}

	var assoc struct {
		Results []struct {
			To []struct {
				ToObjectID json.Number `json:"toObjectId"`
			} `json:"to"`
		} `json:"results"`
	}
	b.call(t, http.MethodPost, "/crm/v4/associations/deals/line_items/batch/read",
		map[string]any{"inputs": []map[string]string{{"id": id}}}, &assoc)

	liID := string(assoc.Results[0].To[0].ToObjectID)

	var batch struct {
		Results []struct {
			Properties map[string]*string `json:"properties"`
		} `json:"results"`
	}
	status, _ := b.call(t, http.MethodPost, "/crm/v3/objects/line_items/batch/read",
		map[string]any{"inputs": []map[string]string{{"id": liID}},
			"properties": []string{"quantity", "price", "amount", "hs_sku"}}, &batch)

	if status != http.StatusOK || len(batch.Results) != 1 {
		t.Fatalf("batch read status %d, %d results", status, len(batch.Results))
	}

	p := batch.Results[0].Properties
	if str(p["quantity"]) != "2" || str(p["price"]) != "625.25" || str(p["amount"]) !=
		"1250.5" || str(p["hs_sku"]) != "S-1" {
		t.Errorf("line item properties quantity %s price %s amount %s sku %s",
			str(p["quantity"]), str(p["price"]), str(p["amount"]), str(p["hs_sku"]))
	}
}

func TestBatchReadReportsMissingIDsWith207(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{})
	co := b.sim.AddCompany(hubspotsim.Company{Name: "Acme"})

	var resp struct {
		Status  string `json:"status"`
		Results []struct {
			ID string `json:"id"`
		} `json:"results"`
		Errors []struct {
			Category string              `json:"category"`
			Context  map[string][]string `json:"context"`
		} `json:"errors"`
	}

	status, _ := b.call(t, http.MethodPost, "/crm/v3/objects/companies/batch/read",
		map[string]any{"inputs": []map[string]string{{"id": co}, {"id": "999999"}},
			"properties": []string{"name"}}, &resp)

	if status != http.StatusMultiStatus {
		t.Fatalf("status %d, want 207", status)
	}

	if len(resp.Results) != 1 || resp.Results[0].ID != co {
		t.Errorf("results %+v, want only %s", resp.Results, co)
	}

	if len(resp.Errors) != 1 || resp.Errors[0].Category != "OBJECT_NOT_FOUND" ||
		!slices.Equal(resp.Errors[0].Context["ids"], []string{"999999"}) {
		t.Errorf("errors %+v, want OBJECT_NOT_FOUND for 999999", resp.Errors)
	}

	inputs := make([]map[string]string, 101)
	for i := range inputs {
		inputs[i] = map[string]string{"id": co}
	}

	status, _ = b.call(t, http.MethodPost, "/crm/v3/objects/companies/batch/read",
		map[string]any{"inputs": inputs}, nil)
	if status != http.StatusBadRequest {
		t.Errorf("101 inputs: status %d, want 400", status)
	}
}

func TestAssociationsPageAndCarryTypes(t *testing.T) {
	t.Parallel()

	for _, asString := range []bool{false, true} {
		t.Run(fmt.Sprintf("string ids %v", asString), func(t *testing.T) {
			t.Parallel()

			b := setup(t, hubspotsim.Config{AssociationPageSize: 2,
				StringAssociationIDs: asString})
			primary := b.sim.AddCompany(hubspotsim.Company{Name: "Primary"})
			other := b.sim.AddCompany(hubspotsim.Company{Name: "Other"})
			items := make([]hubspotsim.LineItem, 5)

			for i := range items {
				items[i] = hubspotsim.LineItem{Name: "x", Quantity: "1", Price: "1"}
			}

			deal := b.sim.AddDeal(hubspotsim.Deal{CompanyID: primary,
				OtherCompanyIDs: []string{other}, LineItems: items})
			bare := b.sim.AddDeal(hubspotsim.Deal{})

			var raw json.RawMessage
			status, _ := b.call(t, http.MethodPost,
				"/crm/v4/associations/deals/companies/batch/read",
				map[string]any{"inputs": []map[string]string{{"id": deal}, {"id": bare}}}, &raw)

			if status != http.StatusMultiStatus {
				t.Fatalf("status %d, want 207 (one deal has no company)", status)
			}

			quoted := strings.Contains(string(raw), `"toObjectId":"`+primary+`"`)
			if quoted != asString {
				t.Errorf("toObjectId quoted = %v, want %v: %s", quoted, asString, raw)
			}

			if !strings.Contains(string(raw), `"typeId":5,"label":"Primary"`) {
				t.Errorf("primary company lacks association type 5: %s", raw)
			}

			var seen []string
			after := ""

			for pages := 0; pages < 10; pages++ {
				var resp struct {
					Results []struct {
						To []struct {
							ToObjectID json.RawMessage `json:"toObjectId"`
						} `json:"to"`
						Paging *struct {
							Next struct{ After string } `json:"next"`
						} `json:"paging"`
					} `json:"results"`
				}

				b.call(t, http.MethodPost, "/crm/v4/associations/deals/line_items/batch/read",
					map[string]any{"inputs": []map[string]string{{"id": deal, "after": after}}},
					&resp)

				for _, to := range resp.Results[0].To {
					seen = append(seen, strings.Trim(string(to.ToObjectID), `"`))
				}

				if resp.Results[0].Paging == nil {
					break
				}

				after = resp.Results[0].Paging.Next.After
			}

			if len(seen) != 5 || len(slices.Compact(slices.Sorted(slices.Values(seen)))) != 5 {
				t.Errorf("line item ids across pages %v, want 5 distinct", seen)
			}
		})
	}
}

func TestThrottleInjectsRateLimitAnswers(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{})
	b.sim.Throttle(1, hubspotsim.PolicyDaily, 2500*time.Millisecond)
	b.sim.Fail(1, http.StatusBadGateway)

	var doc errorDoc
	status, h := b.call(t, http.MethodGet, "/crm/v3/pipelines/deals", nil, &doc)

	if status != http.StatusTooManyRequests || doc.PolicyName != hubspotsim.PolicyDaily ||
		doc.ErrorType != "RATE_LIMIT" || h.Get("Retry-After") != "3" {
		t.Errorf("429: status %d body %+v Retry-After %q", status, doc, h.Get("Retry-After"))
	}

	status, _ = b.call(t, http.MethodGet, "/crm/v3/pipelines/deals", nil, nil)
	if status != http.StatusBadGateway {
		t.Errorf("injected failure: status %d, want 502", status)
	}

	status, _ = b.call(t, http.MethodGet, "/crm/v3/pipelines/deals", nil, nil)
	if status != http.StatusOK {
		t.Errorf("after the faults: status %d, want 200", status)
	}

	if st := b.sim.Stats(); st.Throttled != 1 || st.Failed != 1 || st.Requests != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestRateLimitRefusesRequestsOverTheWindow(t *testing.T) {
	t.Parallel()

	// A window long enough that the test never crosses it.
	b := setup(t, hubspotsim.Config{RateLimit: 3, RateWindow: 10 * time.Minute,
		RetryAfter: true})

	for i := range 3 {
		if status, _ := b.call(t, http.MethodGet, "/crm/v3/pipelines/deals", nil, nil); status !=
			http.StatusOK {
			t.Fatalf("request %d: status %d", i, status)
		}
	}

	var doc errorDoc
	status, h := b.call(t, http.MethodGet, "/crm/v3/pipelines/deals", nil, &doc)

	if status != http.StatusTooManyRequests || doc.PolicyName !=
		hubspotsim.PolicyTenSecondlyRolling {
		t.Fatalf("4th request: status %d policy %q", status, doc.PolicyName)
	}

	if secs, err := strconv.Atoi(h.Get("Retry-After")); err != nil || secs < 1 || secs > 600 {
		t.Errorf("Retry-After %q, want whole seconds up to the window", h.Get("Retry-After"))
	}
}

func TestPipelinesListCustomStageIDs(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{})

	var resp struct {
		Results []struct {
			ID     string `json:"id"`
			Stages []struct {
				ID       string            `json:"id"`
				Metadata map[string]string `json:"metadata"`
			} `json:"stages"`
		} `json:"results"`
	}
	b.call(t, http.MethodGet, "/crm/v3/pipelines/deals", nil, &resp)

	won := map[string]string{}
	for _, p := range resp.Results {
		for _, st := range p.Stages {
			if st.Metadata["isClosed"] == "true" && st.Metadata["probability"] == "1.0" {
				won[p.ID] = st.ID
			}
		}
	}

	want := map[string]string{hubspotsim.DefaultPipelineID: hubspotsim.DefaultWonStageID,
		hubspotsim.CustomPipelineID: hubspotsim.CustomWonStageID}
	if len(won) != 2 || won[hubspotsim.DefaultPipelineID] != want[hubspotsim.DefaultPipelineID] ||
		won[hubspotsim.CustomPipelineID] != want[hubspotsim.CustomPipelineID] {
		t.Errorf("won stages %v, want %v", won, want)
	}
}

func TestSeedIsReproducible(t *testing.T) {
	t.Parallel()

	a := hubspotsim.New(hubspotsim.Config{}).Seed()
	b := hubspotsim.New(hubspotsim.Config{}).Seed()

	if !slices.Equal(a.Deals, b.Deals) || !slices.Equal(a.Companies, b.Companies) ||
		!slices.Equal(a.WonDeals, b.WonDeals) {
		t.Errorf("two seeds differ: %+v vs %+v", a, b)
	}

	if len(a.WonDeals) != 3 || len(a.Deals) != 6 {
		t.Errorf("seed has %d won of %d deals, want 3 of 6", len(a.WonDeals), len(a.Deals))
	}
}

func TestAddDealPanicsOnUnknownStage(t *testing.T) {
	t.Parallel()

	defer func() {
		if recover() == nil {
			t.Error("AddDeal accepted a stage of another pipeline")
		}
	}()

	hubspotsim.New(hubspotsim.Config{}).AddDeal(hubspotsim.Deal{
		Pipeline: hubspotsim.CustomPipelineID, Stage: hubspotsim.DefaultWonStageID})
}

func TestStartServesOnLoopbackUntilClosed(t *testing.T) {
	t.Parallel()

	sim := hubspotsim.New(hubspotsim.Config{})

	url, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}

	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("base URL %q is not on 127.0.0.1", url)
	}

	if status, _ := callWith(t, url, sim.Token(), http.MethodGet, "/crm/v3/pipelines/deals",
		nil, nil); status != http.StatusOK {
		t.Errorf("status %d, want 200", status)
	}

	if err := sim.Close(); err != nil {
		t.Fatal(err)
	}

	if _, err := http.Get(url + "/crm/v3/pipelines/deals"); err == nil {
		t.Error("server still answers after Close")
	}
}

func TestConcurrentWritesAndSearches(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{})
	co := b.sim.AddCompany(hubspotsim.Company{Name: "Acme"})

	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				id := b.sim.AddDeal(hubspotsim.Deal{Name: fmt.Sprint(w, i), CompanyID: co,
					Stage: hubspotsim.DefaultWonStageID, Amount: "1"})
				if err := b.sim.UpdateDeal(id, map[string]string{"amount": "2"}); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for range 10 {
				if err := b.searchQuietly(); err != nil {
					t.Error(err)
				}
			}
		})
	}

	wg.Wait()

	var page searchPage
	b.call(t, http.MethodPost, "/crm/v3/objects/deals/search", search(nil, 1, ""), &page)

	if page.Total != 100 {
		t.Errorf("total %d, want 100", page.Total)
	}
}
