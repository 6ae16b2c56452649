package hubspot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/crm/hubspot"
	"github.com/o2c-dev/o2c/connectors/crm/hubspot/hubspotsim"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

var base = time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)

type testBundle struct {
	url     string
	sim     *hubspotsim.Sim
	client  *hubspot.Client
	company string
	sleeps  *sleepLog
}

// sleepLog records the client's retry delays instead of waiting them out.
type sleepLog struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *sleepLog) sleep(ctx context.Context, d time.Duration) error {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()

	return ctx.Err()
}

func (l *sleepLog) delays() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()

	return slices.Clone(l.d)
}

// setup starts a simulator on 127.0.0.1 with its clock stopped at base and no search lag
// unless simCfg sets one, and a client for it whose retry waits are recorded, not spent.
func setup(t *testing.T, simCfg hubspotsim.Config, cfg hubspot.Config) testBundle {
	t.Helper()

	if simCfg.SearchLag == 0 {
		simCfg.SearchLag = -1
	}

	sim := hubspotsim.New(simCfg)
	sim.SetTime(base)

	url, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() { _ = sim.Close() })

	cfg.BaseURL = url
	if cfg.Token == "" {
		cfg.Token = sim.Token()
	}

	client, err := hubspot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}

	log := &sleepLog{}
	hubspot.SetSleep(client, log.sleep)

	company := sim.AddCompany(hubspotsim.Company{Name: "Northwind Traders",
		Domain: "northwind.example"})

	return testBundle{url: url, sim: sim, client: client, company: company, sleeps: log}
}

// won adds a closed-won USD deal of the default pipeline with one line item.
func (b testBundle) won(name, amount string) string {
	return b.sim.AddDeal(hubspotsim.Deal{Name: name, Amount: amount, Currency: "USD",
		Stage: hubspotsim.DefaultWonStageID, CompanyID: b.company, CloseDate: base,
		LineItems: []hubspotsim.LineItem{{Name: "Licence", SKU: "LIC", Quantity: "1",
			Price: amount}}})
}

func (b testBundle) pull(t *testing.T, cursor string) (hubspot.Pull, string) {
	t.Helper()

	p, next, err := b.client.PullWonDeals(context.Background(), cursor)
	if err != nil {
		t.Fatalf("PullWonDeals: %v", err)
	}

	for _, e := range p.Problems {
		t.Logf("problem: %v", e)
	}

	return p, next
}

func dealIDs(deals []billing.Deal) []string {
	out := make([]string, len(deals))
	for i, d := range deals {
		out[i] = d.CRMID
	}

	return out
}

// checkOnce fails unless got holds each of want exactly once, in any order.
func checkOnce(t *testing.T, got, want []string) {
	t.Helper()

	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}

	for id, n := range count {
		if n > 1 {
			t.Errorf("deal %s pulled %d times", id, n)
		}
	}

	for _, id := range want {
		if count[id] == 0 {
			t.Errorf("deal %s not pulled", id)
		}

		delete(count, id)
	}

	for id := range count {
		t.Errorf("deal %s pulled but not expected", id)
	}
}

func TestPullAllWonDealsAcrossPages(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{PageSize: 5})

	var want []string
	for i := range 23 {
		b.sim.Advance(time.Second)
		want = append(want, b.won(fmt.Sprintf("Deal %02d", i), "100"))

		if i%4 == 0 {
			b.sim.AddDeal(hubspotsim.Deal{Name: "open", Stage: "contractsent",
				CompanyID: b.company, Amount: "5"})
			b.sim.AddDeal(hubspotsim.Deal{Name: "lost", Stage: "closedlost",
				CompanyID: b.company, Amount: "5"})
		}
	}

	p, cursor := b.pull(t, "")

	if got := dealIDs(p.Deals); !slices.Equal(got, want) {
		t.Fatalf("pulled %v\nwant %v in hs_lastmodifieddate order", got, want)
	}

	if len(p.Problems) != 0 {
		t.Errorf("problems: %v", p.Problems)
	}

	wantCustomer := billing.Customer{ID: b.company, Name: "Northwind Traders"}
	if len(p.Customers) != 1 || p.Customers[0].ID != wantCustomer.ID ||
		p.Customers[0].Name != wantCustomer.Name {
		t.Errorf("customers %+v, want only %+v", p.Customers, wantCustomer)
	}

	for _, d := range p.Deals {
		if d.Stage != hubspotsim.DefaultWonStageID || d.CompanyName != "Northwind Traders" ||
			len(d.LineItems) != 1 || !d.CloseDate.Equal(base) {
			t.Errorf("deal %s mapped as %+v", d.CRMID, d)
		}
	}

	searches := b.sim.Stats().Searches
	if searches > 10 {
		t.Errorf("%d searches for 23 deals in pages of 5", searches)
	}

	again, _ := b.pull(t, cursor)
	if len(again.Deals) != 0 || len(again.Problems) != 0 {
		t.Errorf("second pull returned %v again", dealIDs(again.Deals))
	}
}

func TestPullStageFilterUsesConfiguredStageIDs(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{PageSize: 3,
		WonStages: []string{hubspotsim.DefaultWonStageID, hubspotsim.CustomWonStageID}})

	customOnly, err := hubspot.New(hubspot.Config{BaseURL: b.url, Token: b.sim.Token(),
		WonStages: []string{hubspotsim.CustomWonStageID}})
	if err != nil {
		t.Fatal(err)
	}

	var wantAll, wantCustom []string
	for _, p := range b.sim.Pipelines() {
		for _, st := range p.Stages {
			b.sim.Advance(time.Millisecond)
			id := b.sim.AddDeal(hubspotsim.Deal{Name: st.ID, Pipeline: p.ID, Stage: st.ID,
				Amount: "10", CompanyID: b.company})

			switch st.ID {
			case hubspotsim.DefaultWonStageID:
				wantAll = append(wantAll, id)
			case hubspotsim.CustomWonStageID:
				wantAll = append(wantAll, id)
				wantCustom = append(wantCustom, id)
			}
		}
	}

	p, _ := b.pull(t, "")
	checkOnce(t, dealIDs(p.Deals), wantAll)

	custom, _, err := customOnly.PullWonDeals(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}

	checkOnce(t, dealIDs(custom.Deals), wantCustom)

	if len(custom.Deals) == 1 && custom.Deals[0].Stage != hubspotsim.CustomWonStageID {
		t.Errorf("stage %q, want the custom stage id", custom.Deals[0].Stage)
	}
}

func TestPullTiesAtOneTimestampStraddlingPages(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{PageSize: 4})

	var want []string
	for group, n := range []int{3, 11, 2} {
		b.sim.SetTime(base.Add(time.Duration(group+1) * time.Second))

		for i := range n {
			want = append(want, b.won(fmt.Sprintf("g%d-%d", group, i), "10"))

			// Deals of other stages share the timestamp and must be filtered out of the
			// tie walk too.
			b.sim.AddDeal(hubspotsim.Deal{Stage: "closedlost", Amount: "1",
				CompanyID: b.company})
		}
	}

	p, cursor := b.pull(t, "")
	if got := dealIDs(p.Deals); !slices.Equal(got, want) {
		t.Fatalf("pulled %v\nwant   %v", got, want)
	}

	// More deals at the last timestamp, after the pull: only they come next time.
	var later []string
	for i := range 3 {
		later = append(later, b.won(fmt.Sprintf("late-%d", i), "10"))
	}

	p, cursor = b.pull(t, cursor)
	if got := dealIDs(p.Deals); !slices.Equal(got, later) {
		t.Fatalf("second pull %v, want %v", got, later)
	}

	p, _ = b.pull(t, cursor)
	if len(p.Deals) != 0 {
		t.Errorf("third pull returned %v", dealIDs(p.Deals))
	}
}

func TestPullMoreThanTenThousandDeals(t *testing.T) {
	t.Parallel()

	if testing.Short() {
		t.Skip("creates 10,500 deals")
	}

	b := setup(t, hubspotsim.Config{}, hubspot.Config{PageSize: 200})

	// 150 deals before and after a block of 10,200 sharing one timestamp: more than one
	// search may page through, and more ties than any offset could reach.
	var want []string
	add := func(n int, step time.Duration) {
		for i := range n {
			b.sim.Advance(step)
			want = append(want, b.sim.AddDeal(hubspotsim.Deal{Name: fmt.Sprint("d", i),
				Amount: "1", Stage: hubspotsim.DefaultWonStageID, CompanyID: b.company}))
		}
	}

	add(150, time.Millisecond)
	b.sim.Advance(time.Second)
	add(10200, 0)
	add(150, time.Millisecond)

	p, cursor := b.pull(t, "")
	checkOnce(t, dealIDs(p.Deals), want)

	if got := b.sim.Stats().Searches; got > 2*len(want)/200+10 {
		t.Errorf("%d searches for %d deals in pages of 200", got, len(want))
	}

	if len(cursor) > 16<<10 {
		t.Errorf("cursor is %d bytes", len(cursor))
	}

	again, _ := b.pull(t, cursor)
	if len(again.Deals) != 0 {
		t.Errorf("second pull returned %d deals again", len(again.Deals))
	}
}

func TestPullCatchesDealsThatReachSearchLate(t *testing.T) {
	t.Parallel()

	scenario := func(t *testing.T, overlap time.Duration) (b testBundle, late, early string,
		third hubspot.Pull, cursor string) {
		b = setup(t, hubspotsim.Config{}, hubspot.Config{Overlap: overlap})

		first := b.won("first", "10")
		p, cursor := b.pull(t, "")
		checkOnce(t, dealIDs(p.Deals), []string{first})

		// late is modified before early but is indexed 20 s later.
		b.sim.Advance(10 * time.Second)
		b.sim.SetSearchLag(20 * time.Second)
		late = b.won("late", "20")

		b.sim.Advance(time.Second)
		b.sim.SetSearchLag(0)
		early = b.won("early", "30")

		b.sim.Advance(time.Second)
		p, cursor = b.pull(t, cursor)
		checkOnce(t, dealIDs(p.Deals), []string{early})

		b.sim.Advance(20 * time.Second)
		third, cursor = b.pull(t, cursor)

		return b, late, early, third, cursor
	}

	t.Run("overlap longer than the lag delivers the late deal once", func(t *testing.T) {
		t.Parallel()

		b, late, early, third, cursor := scenario(t, 30*time.Second)
		checkOnce(t, dealIDs(third.Deals), []string{late})

		p, cursor := b.pull(t, cursor)
		if len(p.Deals) != 0 {
			t.Errorf("fourth pull returned %v again", dealIDs(p.Deals))
		}

		if err := b.sim.UpdateDeal(early, map[string]string{"amount": "31"}); err != nil {
			t.Fatal(err)
		}

		p, _ = b.pull(t, cursor)
		checkOnce(t, dealIDs(p.Deals), []string{early})

		if len(p.Deals) == 1 && p.Deals[0].Amount.Minor != 3100 {
			t.Errorf("updated deal amount %s, want 31.00", p.Deals[0].Amount)
		}
	})

	t.Run("overlap shorter than the lag loses the late deal", func(t *testing.T) {
		t.Parallel()

		_, _, _, third, _ := scenario(t, -1)
		if len(third.Deals) != 0 {
			t.Errorf("expected the simulator's lag to defeat a 1 ms overlap, got %v",
				dealIDs(third.Deals))
		}
	})
}

func TestCursorStaysBounded(t *testing.T) {
	t.Parallel()

	t.Run("many timestamps", func(t *testing.T) {
		t.Parallel()

		b := setup(t, hubspotsim.Config{}, hubspot.Config{CursorMaxIDs: 10,
			Overlap: time.Hour, PageSize: 7})

		var ids []string
		for i := range 40 {
			b.sim.Advance(time.Millisecond)
			ids = append(ids, b.won(fmt.Sprint("d", i), "10"))
		}

		p, cursor := b.pull(t, "")
		checkOnce(t, dealIDs(p.Deals), ids)

		from, remembered, err := hubspot.CursorWindow(cursor)
		if err != nil {
			t.Fatal(err)
		}

		if len(remembered) > 10 {
			t.Errorf("cursor remembers %d deals, bound is 10", len(remembered))
		}

		if !from.After(base.Add(30 * time.Millisecond)) {
			t.Errorf("cursor window starts at %s; with 10 ids it must start after deal 30",
				from.Format(time.RFC3339Nano))
		}

		p, cursor = b.pull(t, cursor)
		if len(p.Deals) != 0 {
			t.Fatalf("second pull returned %v", dealIDs(p.Deals))
		}

		if err := b.sim.UpdateDeal(ids[4], map[string]string{"dealname": "renamed"}); err != nil {
			t.Fatal(err)
		}

		p, _ = b.pull(t, cursor)
		checkOnce(t, dealIDs(p.Deals), ids[4:5])
	})

	t.Run("one timestamp over the bound", func(t *testing.T) {
		t.Parallel()

		b := setup(t, hubspotsim.Config{}, hubspot.Config{CursorMaxIDs: 10,
			Overlap: time.Hour, PageSize: 4})

		var ids []string
		for i := range 15 {
			ids = append(ids, b.won(fmt.Sprint("d", i), "10"))
		}

		p, cursor := b.pull(t, "")
		checkOnce(t, dealIDs(p.Deals), ids)

		_, remembered, err := hubspot.CursorWindow(cursor)
		if err != nil {
			t.Fatal(err)
		}

		if len(remembered) != 0 {
			t.Errorf("cursor remembers %d deals of a timestamp it cannot hold whole",
				len(remembered))
		}

		if p, _ = b.pull(t, cursor); len(p.Deals) != 0 {
			t.Errorf("second pull returned %v", dealIDs(p.Deals))
		}
	})
}

func TestPullParsesAmountsExactly(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{})

	cases := []struct {
		amount, currency string
		want             int64
	}{
		{"1234.5", "USD", 123450},
		{"0.1", "EUR", 10},
		{"180000", "JPY", 180000},
		{"12.345", "KWD", 12345},
		{"1000000000.01", "USD", 100000000001},
		{"19.90", "", 1990}, // no deal_currency_code: the default currency, USD
	}

	want := map[string]money.Amount{}
	for _, tc := range cases {
		b.sim.Advance(time.Millisecond)
		id := b.sim.AddDeal(hubspotsim.Deal{Name: tc.amount, Amount: tc.amount,
			Currency: tc.currency, Stage: hubspotsim.DefaultWonStageID, CompanyID: b.company})

		cur := tc.currency
		if cur == "" {
			cur = "USD"
		}

		want[id] = money.New(tc.want, cur)
	}

	p, _ := b.pull(t, "")
	if len(p.Deals) != len(cases) {
		t.Fatalf("pulled %d deals, want %d; problems %v", len(p.Deals), len(cases), p.Problems)
	}

	for _, d := range p.Deals {
		if d.Amount != want[d.CRMID] {
			t.Errorf("deal %s (%q) amount %v, want %v", d.CRMID, d.Name, d.Amount, want[d.CRMID])
		}
	}
}

func TestPullReportsMalformedAmountsAndPullsThemOnceFixed(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{})
	good := b.won("good", "250")

	bad := map[string]string{}
	for _, amount := range []string{"12,50", "1.005", "1e3", "USD 10"} {
		b.sim.Advance(time.Millisecond)
		bad[b.sim.AddDeal(hubspotsim.Deal{Name: amount, Amount: amount, Currency: "USD",
			Stage: hubspotsim.DefaultWonStageID, CompanyID: b.company})] = amount
	}

	b.sim.Advance(time.Millisecond)
	empty := b.sim.AddDeal(hubspotsim.Deal{Name: "no amount",
		Stage: hubspotsim.DefaultWonStageID, CompanyID: b.company})

	p, cursor := b.pull(t, "")
	checkOnce(t, dealIDs(p.Deals), []string{good})

	if len(p.Problems) != len(bad)+1 {
		t.Fatalf("%d problems, want %d: %v", len(p.Problems), len(bad)+1, p.Problems)
	}

	for _, err := range p.Problems {
		var de *hubspot.DealError
		if !errors.As(err, &de) || de.Property != "amount" {
			t.Errorf("problem %v is not a DealError on amount", err)
			continue
		}

		switch {
		case de.DealID == empty:
			if !errors.Is(err, hubspot.ErrMissing) {
				t.Errorf("empty amount: %v, want ErrMissing", err)
			}
		case bad[de.DealID] != "":
			if !errors.Is(err, money.ErrAmount) {
				t.Errorf("deal %s amount %q: %v, want money.ErrAmount", de.DealID,
					bad[de.DealID], err)
			}
		default:
			t.Errorf("problem names deal %s, which is not one of the bad ones", de.DealID)
		}
	}

	p, cursor = b.pull(t, cursor)
	if len(p.Deals)+len(p.Problems) != 0 {
		t.Errorf("unchanged bad deals came again: %v %v", dealIDs(p.Deals), p.Problems)
	}

	var fixed string
	for id, amount := range bad {
		if amount == "12,50" {
			fixed = id
		}
	}

	b.sim.Advance(time.Second)

	if err := b.sim.UpdateDeal(fixed, map[string]string{"amount": "12.50"}); err != nil {
		t.Fatal(err)
	}

	p, _ = b.pull(t, cursor)
	checkOnce(t, dealIDs(p.Deals), []string{fixed})

	if len(p.Deals) == 1 && p.Deals[0].Amount != money.New(1250, "USD") {
		t.Errorf("fixed deal amount %v, want 12.50 USD", p.Deals[0].Amount)
	}
}

func TestPullAttachesLineItemsAndCompany(t *testing.T) {
	t.Parallel()

	for _, stringIDs := range []bool{false, true} {
		t.Run(fmt.Sprintf("string association ids %v", stringIDs), func(t *testing.T) {
			t.Parallel()

			b := setup(t, hubspotsim.Config{AssociationPageSize: 2,
				StringAssociationIDs: stringIDs}, hubspot.Config{})
			other := b.sim.AddCompany(hubspotsim.Company{Name: "Reseller Ltd"})
			primary := b.sim.AddCompany(hubspotsim.Company{Name: "Kestrel Analytics GmbH"})

			items := []hubspotsim.LineItem{
				{Name: "Seats", SKU: "SEAT", Quantity: "15", Price: "84.5"},
				{Name: "Onboarding", SKU: "SVC-ONB", Quantity: "2", Price: "625.25"},
				{Name: "Discounted module", SKU: "MOD", Quantity: "1", Price: "100",
					Amount: "90"},
				{Name: "Half day", Quantity: "0.5", Price: "800"},
				{Name: "Travel", Quantity: "1", Price: "0.99"},
			}
			id := b.sim.AddDeal(hubspotsim.Deal{Name: "Kestrel renewal", Currency: "EUR",
				Pipeline: hubspotsim.CustomPipelineID, Stage: hubspotsim.CustomWonStageID,
				CompanyID: primary, OtherCompanyIDs: []string{other}, LineItems: items})

			client, err := hubspot.New(hubspot.Config{BaseURL: b.url,
				Token: b.sim.Token(), WonStages: []string{hubspotsim.CustomWonStageID}})
			if err != nil {
				t.Fatal(err)
			}

			p, _, err := client.PullWonDeals(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}

			if len(p.Deals) != 1 || p.Deals[0].CRMID != id {
				t.Fatalf("pulled %v, want [%s]; problems %v", dealIDs(p.Deals), id, p.Problems)
			}

			d := p.Deals[0]
			if d.CompanyID != primary || d.CompanyName != "Kestrel Analytics GmbH" {
				t.Errorf("company %s %q, want the primary %s", d.CompanyID, d.CompanyName,
					primary)
			}

			if len(p.Customers) != 1 || p.Customers[0].ID != primary ||
				len(p.Customers[0].Aliases) != 0 {
				t.Errorf("customers %+v", p.Customers)
			}

			// 1267.50 + 1250.50 + 90 + 400 + 0.99
			if d.Amount != money.New(300899, "EUR") {
				t.Errorf("amount %v, want 3008.99 EUR", d.Amount)
			}

			want := []billing.LineItem{
				{Name: "Seats", SKU: "SEAT", Quantity: "15", UnitPrice: 8450, Amount: 126750},
				{Name: "Onboarding", SKU: "SVC-ONB", Quantity: "2", UnitPrice: 62525,
					Amount: 125050},
				{Name: "Discounted module", SKU: "MOD", Quantity: "1", UnitPrice: 10000,
					Amount: 9000},
				{Name: "Half day", Quantity: "0.5", UnitPrice: 80000, Amount: 40000},
				{Name: "Travel", Quantity: "1", UnitPrice: 99, Amount: 99},
			}
			if !slices.Equal(d.LineItems, want) {
				t.Errorf("line items\n got %+v\nwant %+v", d.LineItems, want)
			}
		})
	}
}

func TestPullReportsDealsThatCannotBeInvoiced(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{})

	noCompany := b.sim.AddDeal(hubspotsim.Deal{Name: "orphan", Amount: "10",
		Stage: hubspotsim.DefaultWonStageID})
	badPrice := b.sim.AddDeal(hubspotsim.Deal{Name: "bad price", Currency: "USD",
		Stage: hubspotsim.DefaultWonStageID, CompanyID: b.company, Amount: "10",
		LineItems: []hubspotsim.LineItem{{Name: "x", Quantity: "1", Price: "ten",
			Amount: "10"}}})
	switched := b.won("currency switched", "10")
	badCurrency := b.sim.AddDeal(hubspotsim.Deal{Name: "unknown currency", Amount: "10",
		Currency: "XYZ", Stage: hubspotsim.DefaultWonStageID, CompanyID: b.company})

	// The deal moves to EUR after its USD line items were added.
	if err := b.sim.UpdateDeal(switched, map[string]string{"deal_currency_code": "EUR"}); err !=
		nil {
		t.Fatal(err)
	}

	p, _ := b.pull(t, "")
	if len(p.Deals) != 0 {
		t.Errorf("deals %v should all have been refused", dealIDs(p.Deals))
	}

	type key struct{ deal, property string }

	got := map[key]error{}
	for _, err := range p.Problems {
		var de *hubspot.DealError
		if !errors.As(err, &de) {
			t.Fatalf("problem %v is not a DealError", err)
		}

		got[key{de.DealID, de.Property}] = err
	}

	for _, k := range []key{
		{noCompany, "companies"},
		{badPrice, "price"},
		{switched, "hs_line_item_currency_code"},
		{badCurrency, "deal_currency_code"},
	} {
		if got[k] == nil {
			t.Errorf("no problem reported for deal %s %s; got %v", k.deal, k.property,
				p.Problems)
		}
	}

	if err := got[key{noCompany, "companies"}]; err != nil && !errors.Is(err, hubspot.ErrMissing) {
		t.Errorf("missing company: %v, want ErrMissing", err)
	}

	if err := got[key{badCurrency, "deal_currency_code"}]; err != nil &&
		!errors.Is(err, money.ErrCurrency) {
		t.Errorf("unknown currency: %v, want money.ErrCurrency", err)
	}
}

func TestPullRetriesRateLimitsAndServerErrors(t *testing.T) {
	t.Parallel()

	t.Run("burst of 429s", func(t *testing.T) {
		t.Parallel()

		b := setup(t, hubspotsim.Config{}, hubspot.Config{BackoffBase: time.Second,
			BackoffMax: 4 * time.Second})
		id := b.won("d", "10")
		b.sim.Throttle(3, hubspotsim.PolicyTenSecondlyRolling, 0)

		p, _ := b.pull(t, "")
		checkOnce(t, dealIDs(p.Deals), []string{id})

		delays := b.sleeps.delays()
		if len(delays) != 3 || b.sim.Stats().Throttled != 3 {
			t.Fatalf("slept %v for %d throttled requests, want 3 waits", delays,
				b.sim.Stats().Throttled)
		}

		// Capped exponential backoff with jitter over the upper half of each step.
		for i, d := range delays {
			step := min(time.Second<<i, 4*time.Second)
			if d < step/2 || d > step {
				t.Errorf("wait %d is %s, want between %s and %s", i, d, step/2, step)
			}
		}
	})

	t.Run("Retry-After is honoured", func(t *testing.T) {
		t.Parallel()

		b := setup(t, hubspotsim.Config{}, hubspot.Config{})
		b.won("d", "10")
		b.sim.Throttle(1, hubspotsim.PolicyTenSecondlyRolling, 7*time.Second)

		b.pull(t, "")

		if got := b.sleeps.delays(); !slices.Equal(got, []time.Duration{7 * time.Second}) {
			t.Errorf("waits %v, want [7s]", got)
		}
	})

	t.Run("5xx then success", func(t *testing.T) {
		t.Parallel()

		b := setup(t, hubspotsim.Config{}, hubspot.Config{})
		id := b.won("d", "10")
		b.sim.Fail(2, http.StatusBadGateway)

		p, _ := b.pull(t, "")
		checkOnce(t, dealIDs(p.Deals), []string{id})
	})
}

func TestPullGivesUpOnLimitsItCannotWaitOut(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name         string
		inject       func(*hubspotsim.Sim)
		wantRequests int
		wantErr      error
		wantStatus   int
	}{
		{"daily limit", func(s *hubspotsim.Sim) {
			s.Throttle(50, hubspotsim.PolicyDaily, 0)
		}, 1, hubspot.ErrRateLimited, http.StatusTooManyRequests},
		{"Retry-After beyond RetryAfterMax", func(s *hubspotsim.Sim) {
			s.Throttle(50, hubspotsim.PolicyTenSecondlyRolling, 2*time.Minute)
		}, 1, hubspot.ErrRateLimited, http.StatusTooManyRequests},
		{"429 until retries run out", func(s *hubspotsim.Sim) {
			s.Throttle(50, hubspotsim.PolicyTenSecondlyRolling, 0)
		}, 3, hubspot.ErrRateLimited, http.StatusTooManyRequests},
		{"5xx until retries run out", func(s *hubspotsim.Sim) {
			s.Fail(50, http.StatusServiceUnavailable)
		}, 3, nil, http.StatusServiceUnavailable},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			b := setup(t, hubspotsim.Config{}, hubspot.Config{MaxRetries: 2,
				RetryAfterMax: time.Minute})
			b.won("d", "10")
			tc.inject(b.sim)

			_, next, err := b.client.PullWonDeals(context.Background(), "")
			if err == nil {
				t.Fatal("pull succeeded")
			}

			if next != "" {
				t.Errorf("failed pull moved the cursor to %q", next)
			}

			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}

			if tc.wantErr == nil && errors.Is(err, hubspot.ErrRateLimited) {
				t.Errorf("error %v should not be ErrRateLimited", err)
			}

			var apiErr *hubspot.APIError
			if !errors.As(err, &apiErr) || apiErr.Status != tc.wantStatus {
				t.Errorf("error %v, want an APIError with status %d", err, tc.wantStatus)
			}

			if got := b.sim.Stats().Requests; got != tc.wantRequests {
				t.Errorf("%d requests, want %d", got, tc.wantRequests)
			}
		})
	}
}

func TestPullRejectsABadToken(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{Token: "pat-na1-not-the-token"})
	b.won("d", "10")

	_, _, err := b.client.PullWonDeals(context.Background(), "")
	if !errors.Is(err, hubspot.ErrUnauthorized) {
		t.Fatalf("error %v, want ErrUnauthorized", err)
	}

	var apiErr *hubspot.APIError
	if !errors.As(err, &apiErr) || apiErr.Category != "INVALID_AUTHENTICATION" {
		t.Errorf("error %v lacks HubSpot's category", err)
	}

	if st := b.sim.Stats(); st.Requests != 1 || st.Unauthorized != 1 {
		t.Errorf("stats %+v, want one refused request and no retry", st)
	}
}

func TestPullWaitsOutARollingRateLimit(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{RateLimit: 3, RateWindow: 100 * time.Millisecond},
		hubspot.Config{PageSize: 2, BackoffBase: 20 * time.Millisecond,
			BackoffMax: 200 * time.Millisecond, MaxRetries: 10})
	hubspot.SetSleep(b.client, func(ctx context.Context, d time.Duration) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	})

	var want []string
	for i := range 6 {
		b.sim.Advance(time.Millisecond)
		want = append(want, b.won(fmt.Sprint("d", i), "10"))
	}

	p, _ := b.pull(t, "")
	checkOnce(t, dealIDs(p.Deals), want)

	if b.sim.Stats().Throttled == 0 {
		t.Error("the simulator never throttled; the test proves nothing")
	}
}

func TestPullStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{BackoffBase: time.Hour,
		BackoffMax: time.Hour})
	b.won("d", "10")
	b.sim.Fail(5, http.StatusInternalServerError)

	ctx, cancel := context.WithCancel(context.Background())
	hubspot.SetSleep(b.client, func(ctx context.Context, _ time.Duration) error {
		cancel()
		<-ctx.Done()

		return ctx.Err()
	})

	_, _, err := b.client.PullWonDeals(ctx, "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name string
		cfg  hubspot.Config
	}{
		{"no token", hubspot.Config{}},
		{"page size over 200", hubspot.Config{Token: "t", PageSize: 201}},
		{"zero cursor bound", hubspot.Config{Token: "t", CursorMaxIDs: -1}},
		{"unknown default currency", hubspot.Config{Token: "t", DefaultCurrency: "usd"}},
		{"empty won stage", hubspot.Config{Token: "t", WonStages: []string{""}}},
		{"relative base URL", hubspot.Config{Token: "t", BaseURL: "api.hubapi.com"}},
		{"backoff base over max", hubspot.Config{Token: "t", BackoffBase: time.Minute,
			BackoffMax: time.Second}},
	}

	for _, tc := range cases {
		if _, err := hubspot.New(tc.cfg); err == nil {
			t.Errorf("%s: New accepted %+v", tc.name, tc.cfg)
		}
	}

	if _, err := hubspot.New(hubspot.Config{Token: "t"}); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestPullRejectsAForeignCursor(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{}, hubspot.Config{})

	for _, c := range []string{"not a cursor!", "eyJ2Ijo5fQ", "eyJ2IjoxLCJzIjp7IngiOjF9fQ"} {
		_, next, err := b.client.PullWonDeals(context.Background(), c)
		if !errors.Is(err, hubspot.ErrCursor) {
			t.Errorf("cursor %q: error %v, want ErrCursor", c, err)
		}

		if next != c {
			t.Errorf("cursor %q: returned %q, want it unchanged", c, next)
		}
	}

	if got := b.sim.Stats().Requests; got != 0 {
		t.Errorf("%d requests made with a bad cursor", got)
	}
}

func TestRetryWarningsCarryNoSecrets(t *testing.T) {
	t.Parallel()

	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))

	b := setup(t, hubspotsim.Config{}, hubspot.Config{Logger: logger})
	b.sim.AddDeal(hubspotsim.Deal{Name: "Secret project", Amount: "987654.32",
		Stage: hubspotsim.DefaultWonStageID, CompanyID: b.company})
	b.sim.Throttle(1, hubspotsim.PolicyTenSecondlyRolling, 0)
	b.sim.Fail(1, http.StatusBadGateway)

	b.pull(t, "")

	out := buf.String()
	for _, secret := range []string{b.sim.Token(), "987654", "Secret project", "Northwind"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}

	var statuses []float64
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}

		if rec["level"] != "WARN" || rec["operation"] == nil || rec["attempt"] == nil {
			t.Errorf("log record %v lacks level, operation or attempt", rec)
		}

		status, _ := rec["status"].(float64)
		statuses = append(statuses, status)
	}

	if !slices.Equal(statuses, []float64{429, 502}) {
		t.Errorf("logged statuses %v, want [429 502]", statuses)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.String()
}
