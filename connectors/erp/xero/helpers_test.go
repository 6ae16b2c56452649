package xero_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/erp/xero"
	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
	"github.com/o2c-dev/o2c/internal/billing"
)

// fakeClock is shared by the client and the simulator. Sleep does not block:
// it records the wait and moves the time on, so Retry-After and token expiry
// play out instantly.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	c.mu.Unlock()

	return ctx.Err()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()

	c.now = c.now.Add(d)
}

func (c *fakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()

	return append([]time.Duration(nil), c.slept...)
}

// testBundle is a simulator on 127.0.0.1 and a client pointed at it.
type testBundle struct {
	sim    *xerosim.Sim
	client *xero.Client
	clock  *fakeClock
	base   string
	cfg    xero.Config
}

// setup starts a simulator with simCfg and a client with the sim's
// credentials; edit, when not nil, adjusts the client config.
func setup(t *testing.T, simCfg xerosim.Config, edit func(*xero.Config)) *testBundle {
	t.Helper()

	clock := newFakeClock()
	simCfg.Now = clock.Now
	sim := xerosim.New(simCfg)

	base, err := sim.Start()
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}

	t.Cleanup(sim.Close)

	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)

	cfg := xero.Config{
		BaseURL:      base + xerosim.APIPrefix,
		TokenURL:     base + xerosim.TokenPath,
		ClientID:     "o2c-sim",
		ClientSecret: "o2c-sim-secret",
		TenantID:     "3f1a9c2e-0000-4000-8000-00000000a11c",
		Clock:        clock,
		HTTPClient:   &http.Client{Transport: transport, Timeout: 10 * time.Second},
	}
	if edit != nil {
		edit(&cfg)
	}

	client, err := xero.New(cfg)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}

	return &testBundle{sim: sim, client: client, clock: clock, base: base, cfg: cfg}
}

// invoice returns an invoice with one line of total cents in USD.
func invoice(number string, total int64) (billing.Invoice, []billing.LineItem) {
	inv := billing.Invoice{
		Number:       number,
		CustomerID:   "cust-" + number,
		CustomerName: "Customer " + number,
		Currency:     "USD",
		Total:        total,
		IssueDate:    time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		DueDate:      time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		DealID:       "deal-" + number,
		PONumber:     "PO-" + number,
	}
	lines := []billing.LineItem{{
		Name: "Consulting", Quantity: "1", UnitPrice: total, Amount: total,
	}}

	return inv, lines
}

// mustCreate creates an invoice and fails the test on error.
func (b *testBundle) mustCreate(t *testing.T, number string, total int64) string {
	t.Helper()

	inv, lines := invoice(number, total)

	id, err := b.client.CreateInvoice(context.Background(), inv, lines)
	if err != nil {
		t.Fatalf("create invoice %s: %v", number, err)
	}

	return id
}

// requests summarises the simulator's request log, one "METHOD /Path status"
// string per request.
func (b *testBundle) requests() []string {
	var out []string
	for _, r := range b.sim.Requests() {
		out = append(out, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
	}

	return out
}

func (b *testBundle) countRequests(method, path string) int {
	n := 0
	for _, r := range b.sim.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}

	return n
}
