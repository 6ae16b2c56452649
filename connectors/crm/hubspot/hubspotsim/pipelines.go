package hubspotsim

import (
	"slices"
	"time"
)

// Ids of the pipelines every simulator starts with. The default pipeline uses HubSpot's
// named stage ids; the custom one uses numeric ids, as pipelines created in HubSpot do.
const (
	DefaultPipelineID = "default"
	DefaultWonStageID = "closedwon"

	CustomPipelineID   = "87654321"
	CustomWonStageID   = "12345678"
	CustomLostStageID  = "12345679"
	CustomOpenStageID  = "12345671"
	CustomQuoteStageID = "12345672"
)

// Pipeline is a deal pipeline with its stages in display order.
type Pipeline struct {
	ID     string
	Label  string
	Stages []Stage
}

// Stage is one deal stage. A stage with Closed set and Probability "1.0" is a won stage.
type Stage struct {
	ID          string
	Label       string
	Probability string // win probability as HubSpot writes it, e.g. "0.2" or "1.0"
	Closed      bool
}

func (p Pipeline) stage(id string) (Stage, bool) {
	i := slices.IndexFunc(p.Stages, func(st Stage) bool { return st.ID == id })
	if i < 0 {
		return Stage{}, false
	}

	return p.Stages[i], true
}

func (p Pipeline) won(stageID string) bool {
	st, ok := p.stage(stageID)
	return ok && st.Closed && st.Probability == "1.0"
}

func builtinPipelines() []Pipeline {
	return []Pipeline{
		{ID: DefaultPipelineID, Label: "Sales Pipeline", Stages: []Stage{
			{ID: "appointmentscheduled", Label: "Appointment Scheduled", Probability: "0.2"},
			{ID: "qualifiedtobuy", Label: "Qualified To Buy", Probability: "0.4"},
			{ID: "presentationscheduled", Label: "Presentation Scheduled", Probability: "0.6"},
			{ID: "decisionmakerboughtin", Label: "Decision Maker Bought-In", Probability: "0.8"},
			{ID: "contractsent", Label: "Contract Sent", Probability: "0.9"},
			{ID: DefaultWonStageID, Label: "Closed Won", Probability: "1.0", Closed: true},
			{ID: "closedlost", Label: "Closed Lost", Probability: "0.0", Closed: true},
		}},
		{ID: CustomPipelineID, Label: "Renewals", Stages: []Stage{
			{ID: CustomOpenStageID, Label: "Renewal Due", Probability: "0.3"},
			{ID: CustomQuoteStageID, Label: "Quote Sent", Probability: "0.7"},
			{ID: CustomWonStageID, Label: "Renewed", Probability: "1.0", Closed: true},
			{ID: CustomLostStageID, Label: "Churned", Probability: "0.0", Closed: true},
		}},
	}
}

// AddPipeline adds a deal pipeline, or replaces the one with the same id.
func (s *Sim) AddPipeline(p Pipeline) {
	s.mu.Lock()
	defer s.mu.Unlock()

	p.Stages = slices.Clone(p.Stages)

	i := slices.IndexFunc(s.pipelines, func(q Pipeline) bool { return q.ID == p.ID })
	if i >= 0 {
		s.pipelines[i] = p
		return
	}

	s.pipelines = append(s.pipelines, p)
}

// Pipelines returns the deal pipelines the simulator knows.
func (s *Sim) Pipelines() []Pipeline {
	s.mu.Lock()
	defer s.mu.Unlock()

	out := make([]Pipeline, len(s.pipelines))
	for i, p := range s.pipelines {
		p.Stages = slices.Clone(p.Stages)
		out[i] = p
	}

	return out
}

func (s *Sim) pipelineLocked(id string) (Pipeline, bool) {
	i := slices.IndexFunc(s.pipelines, func(p Pipeline) bool { return p.ID == id })
	if i < 0 {
		return Pipeline{}, false
	}

	return s.pipelines[i], true
}

// Seeded lists the ids Seed created.
type Seeded struct {
	Companies []string // every company
	Deals     []string // every deal
	WonDeals  []string // deals in a won stage of either pipeline
}

// Seed fills the simulator with a small, fixed world for demos: four companies and deals
// in both pipelines, some won (in closedwon and in the custom CustomWonStageID), some open
// or lost, in USD, EUR and JPY, with line items. Calling it on a fresh simulator always
// gives the same ids.
func (s *Sim) Seed() Seeded {
	var out Seeded

	companies := []Company{
		{Name: "Northwind Traders", Domain: "northwind.example"},
		{Name: "Blue Heron Outfitters", Domain: "blueheron.example"},
		{Name: "Kestrel Analytics GmbH", Domain: "kestrel.example"},
		{Name: "Sakura Logistics KK", Domain: "sakura-logistics.example"},
	}
	for _, c := range companies {
		out.Companies = append(out.Companies, s.AddCompany(c))
	}

	closed := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)
	deals := []Deal{
		{Name: "Northwind annual licence", Stage: DefaultWonStageID, Currency: "USD",
			CompanyID: out.Companies[0], CloseDate: closed, LineItems: []LineItem{
				{Name: "Platform licence", SKU: "LIC-PLAT", Quantity: "1", Price: "12000"},
				{Name: "Onboarding", SKU: "SVC-ONB", Quantity: "2", Price: "625.25"},
			}},
		{Name: "Blue Heron pilot", Stage: "contractsent", Currency: "USD",
			CompanyID: out.Companies[1], LineItems: []LineItem{
				{Name: "Pilot", SKU: "LIC-PILOT", Quantity: "1", Price: "2500"},
			}},
		{Name: "Kestrel renewal 2025", Pipeline: CustomPipelineID, Stage: CustomWonStageID,
			Currency: "EUR", CompanyID: out.Companies[2], CloseDate: closed.AddDate(0, 0, 1),
			LineItems: []LineItem{
				{Name: "Analytics seats", SKU: "SEAT-AN", Quantity: "15", Price: "84.5"},
			}},
		{Name: "Sakura freight module", Stage: DefaultWonStageID, Currency: "JPY",
			CompanyID: out.Companies[3], CloseDate: closed.AddDate(0, 0, 2),
			LineItems: []LineItem{
				{Name: "Freight module", SKU: "MOD-FRT", Quantity: "3", Price: "180000"},
			}},
		{Name: "Blue Heron expansion", Stage: "closedlost", Currency: "USD",
			CompanyID: out.Companies[1]},
		{Name: "Northwind support upgrade", Pipeline: CustomPipelineID,
			Stage: CustomQuoteStageID, Currency: "USD", CompanyID: out.Companies[0]},
	}

	for _, d := range deals {
		id := s.AddDeal(d)
		out.Deals = append(out.Deals, id)

		if d.Stage == DefaultWonStageID || d.Stage == CustomWonStageID {
			out.WonDeals = append(out.WonDeals, id)
		}
	}

	return out
}
