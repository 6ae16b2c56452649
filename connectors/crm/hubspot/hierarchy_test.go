package hubspot_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/crm/hubspot"
	"github.com/o2c-dev/o2c/connectors/crm/hubspot/hubspotsim"
	"github.com/o2c-dev/o2c/internal/billing"
)

// customerMap indexes pulled customers by id and fails on a repeated id.
func customerMap(t *testing.T, cs []billing.Customer) map[string]billing.Customer {
	t.Helper()

	out := map[string]billing.Customer{}
	for _, c := range cs {
		if _, dup := out[c.ID]; dup {
			t.Errorf("customer %s listed twice", c.ID)
		}

		out[c.ID] = c
	}

	return out
}

func TestPullReadsParentCompanyAndPONumber(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{})
	top := b.sim.AddCompany(hubspotsim.Company{Name: "Contoso Group plc"})
	holding := b.sim.AddCompany(hubspotsim.Company{Name: "Contoso Holdings AG", ParentID: top})
	retail := b.sim.AddCompany(hubspotsim.Company{Name: "Contoso Retail GmbH",
		ParentID: holding})

	line := []hubspotsim.LineItem{{Name: "Licence", Quantity: "1", Price: "1200"}}
	subDeal := b.sim.AddDeal(hubspotsim.Deal{Name: "Retail rollout", Currency: "EUR",
		Stage: hubspotsim.DefaultWonStageID, CompanyID: retail, LineItems: line,
		Properties: map[string]string{"po_number": " 4500012345 "}})
	plainDeal := b.won("Northwind renewal", "99")
	holdingDeal := b.sim.AddDeal(hubspotsim.Deal{Name: "Holding audit", Currency: "EUR",
		Stage: hubspotsim.DefaultWonStageID, CompanyID: holding, LineItems: line})

	p, _ := b.pull(t, "")
	if len(p.Deals) != 3 || len(p.Problems) != 0 {
		t.Fatalf("deals %v problems %v", dealIDs(p.Deals), p.Problems)
	}

	deals := map[string]billing.Deal{}
	for _, d := range p.Deals {
		deals[d.CRMID] = d
	}

	if d := deals[subDeal]; d.CompanyID != retail || d.CompanyParentID != holding ||
		d.PONumber != "4500012345" {
		t.Errorf("subsidiary deal: company %s parent %s PO %q; want %s %s 4500012345",
			d.CompanyID, d.CompanyParentID, d.PONumber, retail, holding)
	}

	if d := deals[plainDeal]; d.CompanyParentID != "" || d.PONumber != "" {
		t.Errorf("deal without parent or PO: parent %q PO %q", d.CompanyParentID, d.PONumber)
	}

	if d := deals[holdingDeal]; d.CompanyParentID != top {
		t.Errorf("holding deal: parent %q, want %s", d.CompanyParentID, top)
	}

	// The holding is both a deal's company and a parent: listed once, with its own
	// parent. The top company is not the parent of any deal's company: not listed.
	got := customerMap(t, p.Customers)
	want := map[string]billing.Customer{
		retail:    {ID: retail, Name: "Contoso Retail GmbH", ParentID: holding},
		holding:   {ID: holding, Name: "Contoso Holdings AG", ParentID: top},
		top:       {ID: top, Name: "Contoso Group plc"},
		b.company: {ID: b.company, Name: "Northwind Traders"},
	}

	for id, w := range want {
		if c := got[id]; c.ID != w.ID || c.Name != w.Name || c.ParentID != w.ParentID {
			t.Errorf("customer %s = %+v, want %+v", id, c, w)
		}
	}

	if len(got) != len(want) {
		t.Errorf("customers %+v, want %d", p.Customers, len(want))
	}

	if !slices.IsSortedFunc(p.Customers, func(a, b billing.Customer) int {
		return compareNumeric(a.ID, b.ID)
	}) {
		t.Errorf("customers not ordered by id: %+v", p.Customers)
	}
}

func compareNumeric(a, b string) int {
	x, _ := strconv.ParseInt(a, 10, 64)
	y, _ := strconv.ParseInt(b, 10, 64)

	return int(x - y)
}

func TestPullListsParentOfCompanyMetOnlyAsParent(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{})
	parent := b.sim.AddCompany(hubspotsim.Company{Name: "Fabrikam Group"})
	child := b.sim.AddCompany(hubspotsim.Company{Name: "Fabrikam Services", ParentID: parent})
	b.sim.AddDeal(hubspotsim.Deal{Name: "Services", Amount: "10", Currency: "USD",
		Stage: hubspotsim.DefaultWonStageID, CompanyID: child})

	p, _ := b.pull(t, "")

	got := customerMap(t, p.Customers)
	if got[parent].Name != "Fabrikam Group" || got[child].ParentID != parent {
		t.Fatalf("customers %+v: want the parent listed with its name", p.Customers)
	}
}

func TestPullTakesPONumberFromConfiguredProperty(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{PONumberProperty: "customer_po_ref"})
	id := b.sim.AddDeal(hubspotsim.Deal{Name: "PO elsewhere", Amount: "10", Currency: "USD",
		Stage: hubspotsim.DefaultWonStageID, CompanyID: b.company,
		Properties: map[string]string{"customer_po_ref": "PO-77", "po_number": "not this"}})

	p, _ := b.pull(t, "")
	if len(p.Deals) != 1 || p.Deals[0].CRMID != id || p.Deals[0].PONumber != "PO-77" {
		t.Fatalf("deals %+v, want PO-77 from customer_po_ref", p.Deals)
	}
}

func TestNewRejectsABadPONumberProperty(t *testing.T) {
	t.Parallel()

	bad := []string{"po number", "1po", "po,amount", "_po", strings.Repeat("p", 101)}
	for _, name := range bad {
		_, err := hubspot.New(hubspot.Config{Token: "t", PONumberProperty: name})
		if err == nil || !strings.Contains(err.Error(), "PONumberProperty") {
			t.Errorf("PONumberProperty %q: %v, want an error naming the field", name, err)
		}
	}

	if _, err := hubspot.New(hubspot.Config{Token: "t", PONumberProperty: "PO_Number_2"}); err !=
		nil {
		t.Errorf("PO_Number_2: %v", err)
	}
}

func TestParentSetLaterArrivesWithTheNextPulledDeal(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{})
	parent := b.sim.AddCompany(hubspotsim.Company{Name: "Acquirer Inc"})
	id := b.won("before the acquisition", "10")

	p, cursor := b.pull(t, "")
	if len(p.Deals) != 1 || p.Deals[0].CompanyParentID != "" {
		t.Fatalf("first pull %+v", p.Deals)
	}

	if err := b.sim.SetParentCompany(b.company, parent); err != nil {
		t.Fatal(err)
	}

	b.sim.Advance(time.Minute)

	if err := b.sim.UpdateDeal(id, map[string]string{"po_number": "PO-9"}); err != nil {
		t.Fatal(err)
	}

	p, _ = b.pull(t, cursor)
	if len(p.Deals) != 1 || p.Deals[0].CompanyParentID != parent ||
		p.Deals[0].PONumber != "PO-9" {
		t.Fatalf("second pull %+v, want parent %s and PO-9", p.Deals, parent)
	}
}

// TestParentsOfManyCompaniesSurviveBatchingAndA429 pulls deals of 150 companies, more
// than one v4 batch holds, with the first company-to-company read refused with a 429.
func TestParentsOfManyCompaniesSurviveBatchingAndA429(t *testing.T) {
	t.Parallel()

	sim := hubspotsim.New(hubspotsim.Config{SearchLag: -1})
	sim.SetTime(base)

	var hierarchyReads, refused atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/crm/v4/associations/companies/companies/batch/read" &&
			hierarchyReads.Add(1) == 1 {
			// The simulator itself answers this request with its 429.
			sim.Throttle(1, hubspotsim.PolicyTenSecondlyRolling, 0)
			refused.Add(1)
		}

		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	client, err := hubspot.New(hubspot.Config{BaseURL: srv.URL, Token: sim.Token(),
		PageSize: 200})
	if err != nil {
		t.Fatal(err)
	}

	log := &sleepLog{}
	hubspot.SetSleep(client, log.sleep)

	parents := []string{
		sim.AddCompany(hubspotsim.Company{Name: "Group A"}),
		sim.AddCompany(hubspotsim.Company{Name: "Group B"}),
		sim.AddCompany(hubspotsim.Company{Name: "Group C"}),
	}

	wantParent := map[string]string{}
	for i := range 150 {
		parent := ""
		if i%5 != 0 {
			parent = parents[i%3]
		}

		co := sim.AddCompany(hubspotsim.Company{Name: "Branch " + strconv.Itoa(i),
			ParentID: parent})
		deal := sim.AddDeal(hubspotsim.Deal{Name: "d" + strconv.Itoa(i), Amount: "5",
			Currency: "USD", Stage: hubspotsim.DefaultWonStageID, CompanyID: co})
		wantParent[deal] = parent
	}

	p, _, err := client.PullWonDeals(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}

	if len(p.Deals) != 150 {
		t.Fatalf("%d deals, want 150; problems %v", len(p.Deals), p.Problems)
	}

	for _, d := range p.Deals {
		if d.CompanyParentID != wantParent[d.CRMID] {
			t.Errorf("deal %s: parent %q, want %q", d.CRMID, d.CompanyParentID,
				wantParent[d.CRMID])
		}
	}

	// 150 branches and the 3 groups.
	if len(p.Customers) != 153 {
		t.Errorf("%d customers, want 153", len(p.Customers))
	}

	// Two batches (100 + 50) plus the refused first attempt.
	if refused.Load() != 1 || hierarchyReads.Load() != 3 || len(log.delays()) != 1 {
		t.Errorf("hierarchy reads %d, refused %d, retries %d; want 3, 1, 1",
			hierarchyReads.Load(), refused.Load(), len(log.delays()))
	}
}
