package xero_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/o2c-dev/o2c/connectors/erp/xero"
	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
	"github.com/o2c-dev/o2c/internal/billing"
)

func TestCreateInvoice(t *testing.T) {
	t.Parallel()

	t.Run("maps the invoice and returns Xero's id", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, nil)
		inv, lines := invoice("INV-1001", 74541)

		id, err := b.client.CreateInvoice(context.Background(), inv, lines)
		if err != nil {
			t.Fatalf("CreateInvoice: %v", err)
		}

		got, ok := b.sim.Invoice("INV-1001")
		if !ok {
			t.Fatal("invoice not in simulator")
		}

		if got.ID != id || got.Type != "ACCREC" || got.Status != "AUTHORISED" {
			t.Errorf("sim invoice = %+v, want id %s ACCREC AUTHORISED", got, id)
		}

		if got.Total != 74541 || got.AmountDue != 74541 || got.Currency != "USD" {
			t.Errorf("total %d due %d %s, want 745.41 USD", got.Total, got.AmountDue, got.Currency)
		}

		if got.Reference != "PO-INV-1001" || got.ContactNumber != "cust-INV-1001" ||
			got.ContactName != "Customer INV-1001" {
			t.Errorf("reference/contact = %q %q %q", got.Reference, got.ContactNumber,
				got.ContactName)
		}

		if !got.Date.Equal(inv.IssueDate) || !got.DueDate.Equal(inv.DueDate) {
			t.Errorf("dates = %s %s, want %s %s", got.Date, got.DueDate, inv.IssueDate, inv.DueDate)
		}
	})

	t.Run("lost response after commit leaves one invoice", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{Faults: []xerosim.Fault{{
			Kind: xerosim.LoseResponse, Method: "PUT", Path: "/Invoices", Nth: 1,
		}}}, nil)

		id := b.mustCreate(t, "INV-2001", 10000)

		if n := b.sim.CountInvoicesByNumber("INV-2001"); n != 1 {
			t.Fatalf("invoices numbered INV-2001 = %d, want 1", n)
		}

		got, _ := b.sim.Invoice("INV-2001")
		if id != got.ID {
			t.Errorf("id = %s, want %s", id, got.ID)
		}

		// The client looked the invoice up instead of sending it again.
		want := []string{"PUT /Invoices 0", "GET /Invoices 200"}
		if got := b.requests(); !slices.Equal(got, want) {
			t.Errorf("requests = %v, want %v", got, want)
		}
	})

	t.Run("5xx after commit without idempotency support leaves one invoice", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{IgnoreIdempotencyKey: true, Faults: []xerosim.Fault{{
			Kind: xerosim.ErrorAfterCommit, Method: "PUT", Path: "/Invoices", Nth: 1,
		}}}, nil)

		id := b.mustCreate(t, "INV-2002", 10000)

		got, _ := b.sim.Invoice("INV-2002")
		if n := b.sim.CountInvoicesByNumber("INV-2002"); n != 1 || id != got.ID {
			t.Fatalf("count = %d id = %s, want 1 and %s", n, id, got.ID)
		}
	})

	t.Run("5xx before commit is retried", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{Faults: []xerosim.Fault{{
			Kind: xerosim.ServerError, Method: "PUT", Path: "/Invoices", Nth: 1, Count: 2,
		}}}, nil)

		id := b.mustCreate(t, "INV-2003", 10000)

		got, _ := b.sim.Invoice("INV-2003")
		if n := b.sim.CountInvoicesByNumber("INV-2003"); n != 1 || id != got.ID {
			t.Fatalf("count = %d id = %s, want 1 and %s", n, id, got.ID)
		}

		if n := b.countRequests("PUT", "/Invoices"); n != 3 {
			t.Errorf("PUTs = %d, want 3", n)
		}

		if slept := b.clock.Slept(); len(slept) != 2 {
			t.Errorf("backoff pauses = %v, want 2", slept)
		}
	})

	t.Run("repeat after success is answered from the idempotency key", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, nil)
		first := b.mustCreate(t, "INV-3001", 5000)
		second := b.mustCreate(t, "INV-3001", 5000)

		if first != second {
			t.Errorf("ids = %s, %s, want the same", first, second)
		}

		if n := b.sim.CountInvoicesByNumber("INV-3001"); n != 1 {
			t.Errorf("count = %d, want 1", n)
		}

		reqs := b.sim.Requests()
		if len(reqs) != 2 || !reqs[1].Replay {
			t.Errorf("second request not replayed: %+v", reqs)
		}
	})

	t.Run("repeat without idempotency support finds the existing invoice", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{IgnoreIdempotencyKey: true}, nil)
		first := b.mustCreate(t, "INV-3002", 5000)
		second := b.mustCreate(t, "INV-3002", 5000)

		if first != second || b.sim.CountInvoicesByNumber("INV-3002") != 1 {
			t.Errorf("ids = %s, %s; count = %d", first, second,
				b.sim.CountInvoicesByNumber("INV-3002"))
		}
	})

	t.Run("same number with other amounts is a conflict", func(t *testing.T) {
		t.Parallel()

		for _, ignoreKey := range []bool{false, true} {
			b := setup(t, xerosim.Config{IgnoreIdempotencyKey: ignoreKey}, nil)
			b.mustCreate(t, "INV-3003", 5000)

			inv, lines := invoice("INV-3003", 5100)

			_, err := b.client.CreateInvoice(context.Background(), inv, lines)
			if !errors.Is(err, xero.ErrConflict) || !xero.IsPermanent(err) {
				t.Errorf("ignoreKey=%v: err = %v, want permanent ErrConflict", ignoreKey, err)
			}

			if n := b.sim.CountInvoicesByNumber("INV-3003"); n != 1 {
				t.Errorf("ignoreKey=%v: count = %d, want 1", ignoreKey, n)
			}
		}
	})

	t.Run("validation error is typed and not retried", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, func(c *xero.Config) { c.SalesAccountCode = "999" })
		inv, lines := invoice("INV-4001", 5000)
		inv.Currency = "SEK"

		_, err := b.client.CreateInvoice(context.Background(), inv, lines)

		var ve *xero.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("err = %v, want *ValidationError", err)
		}

		joined := strings.Join(ve.Messages, "|")
		for _, want := range []string{"'SEK'", "Account code '999'"} {
			if !strings.Contains(joined, want) {
				t.Errorf("messages %q lack %q", ve.Messages, want)
			}
		}

		if !xero.IsPermanent(err) {
			t.Error("validation error not permanent")
		}

		want := []string{"PUT /Invoices 400"}
		if got := b.requests(); !slices.Equal(got, want) {
			t.Errorf("requests = %v, want %v", got, want)
		}
	})

	t.Run("lines that do not add up are refused before sending", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, nil)
		inv, lines := invoice("INV-4002", 5000)
		inv.Total = 5001

		_, err := b.client.CreateInvoice(context.Background(), inv, lines)

		var ve *xero.ValidationError
		if !errors.As(err, &ve) || len(b.sim.Requests()) != 0 {
			t.Fatalf("err = %v, requests = %v; want *ValidationError and none", err, b.requests())
		}
	})

	t.Run("quantities, discounts and large amounts stay exact", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, nil)
		inv := billing.Invoice{
			Number: "INV-5001", CustomerID: "c1", CustomerName: "Exact Ltd",
			Currency: "USD", DueDate: inv0().DueDate,
		}
		lines := []billing.LineItem{
			// 90071992547409.93 is not a float64: through a float it becomes .94.
			{Name: "Big", Quantity: "1", UnitPrice: 9007199254740993, Amount: 9007199254740993},
			{Name: "Half", Quantity: "2.5", UnitPrice: 3, Amount: 8},         // 0.075 → 0.08
			{Name: "Disc", Quantity: "3", UnitPrice: 1999, Amount: 5000},     // 59.97 − 9.97
			{Name: "Flat", Quantity: "", UnitPrice: 0, Amount: 100000000007}, // 1000000000.07
		}
		want := int64(9007199254740993 + 8 + 5000 + 100000000007)
		inv.Total = want

		id, err := b.client.CreateInvoice(context.Background(), inv, lines)
		if err != nil {
			t.Fatalf("CreateInvoice: %v", err)
		}

		got, _ := b.sim.Invoice("INV-5001")
		if got.Total != want {
			t.Errorf("sim total = %d, want %d", got.Total, want)
		}

		open, err := b.client.OpenInvoices(context.Background())
		if err != nil {
			t.Fatalf("OpenInvoices: %v", err)
		}

		if len(open) != 1 || open[0].ERPID != id || open[0].Total != want || open[0].Open != want {
			t.Errorf("open = %+v, want one invoice of %d", open, want)
		}
	})

	t.Run("concurrent creates under random lost responses", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{Seed: 7, Faults: []xerosim.Fault{{
			Kind: xerosim.LoseResponse, Method: "PUT", Rate: 0.3,
		}}}, func(c *xero.Config) { c.MaxRetries = 10 })

		var wg sync.WaitGroup
		ids := make([]string, 20)
		errs := make([]error, 20)

		for i := range ids {
			wg.Go(func() {
				inv, lines := invoice(fmt.Sprintf("INV-6%03d", i), int64(1000+i))
				ids[i], errs[i] = b.client.CreateInvoice(context.Background(), inv, lines)
			})
		}

		wg.Wait()

		lost := 0
		for _, r := range b.sim.Requests() {
			if r.Status == 0 {
				lost++
			}
		}

		if lost == 0 {
			t.Fatal("no response was lost; the fault did not fire")
		}

		for i, id := range ids {
			number := fmt.Sprintf("INV-6%03d", i)
			got, _ := b.sim.Invoice(number)

			if errs[i] != nil || b.sim.CountInvoicesByNumber(number) != 1 || got.ID != id {
				t.Errorf("%s: err %v, count %d, id %s want %s", number, errs[i],
					b.sim.CountInvoicesByNumber(number), id, got.ID)
			}
		}
	})
}

func inv0() billing.Invoice {
	inv, _ := invoice("x", 1)
	return inv
}

func TestOpenInvoices(t *testing.T) {
	t.Parallel()

	t.Run("pages over more than 100 invoices with exact amounts", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, nil)
		want := map[string]billing.Invoice{}

		for i := range 230 {
			number := fmt.Sprintf("INV-%05d", i)
			total := int64(100001 + 37*i) // 1000.01 + 0.37·i
			id := b.mustCreate(t, number, total)
			want[number] = billing.Invoice{Number: number, ERPID: id, Total: total, Open: total}
		}

		// A partial payment, and a full one that takes the invoice out.
		pay(t, b, want["INV-00007"].ERPID, 1234, "app-1")
		w := want["INV-00007"]
		w.Open -= 1234
		want["INV-00007"] = w

		pay(t, b, want["INV-00150"].ERPID, want["INV-00150"].Total, "app-2")
		delete(want, "INV-00150")

		got, err := b.client.OpenInvoices(context.Background())
		if err != nil {
			t.Fatalf("OpenInvoices: %v", err)
		}

		if len(got) != len(want) {
			t.Fatalf("got %d invoices, want %d", len(got), len(want))
		}

		for _, inv := range got {
			w, ok := want[inv.Number]
			if !ok || inv.ERPID != w.ERPID || inv.Total != w.Total || inv.Open != w.Open {
				t.Errorf("%s: got %+v, want %+v", inv.Number, inv, w)
			}

			if inv.Currency != "USD" || inv.CustomerID != "cust-"+inv.Number ||
				inv.CustomerName != "Customer "+inv.Number || inv.PONumber != "PO-"+inv.Number ||
				inv.DealID != "" {
				t.Errorf("%s: mapping %+v", inv.Number, inv)
			}

			if !inv.IssueDate.Equal(inv0().IssueDate) || !inv.DueDate.Equal(inv0().DueDate) {
				t.Errorf("%s: dates %s %s", inv.Number, inv.IssueDate, inv.DueDate)
			}
		}

		if n := b.countRequests("GET", "/Invoices"); n != 3 {
			t.Errorf("pages read = %d, want 3", n)
		}
	})

	t.Run("restarts when an invoice is paid during the walk", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{}, nil)
		ids := map[string]string{}

		for i := range 150 {
			number := fmt.Sprintf("INV-%05d", i)
			ids[number] = b.mustCreate(t, number, 1000)
		}

		// After the first page is served, another worker pays invoice 5,
		// which moves every later invoice one place up the offset pages.
		var once sync.Once
		rt := &hookTransport{next: b.cfg.HTTPClient.Transport, after: func(r *http.Request) {
			if r.URL.Query().Get("page") != "1" {
				return
			}

			once.Do(func() { pay(t, b, ids["INV-00005"], 1000, "app-walk") })
		}}

		cfg := b.cfg
		cfg.HTTPClient = &http.Client{Transport: rt}

		walker, err := xero.New(cfg)
		if err != nil {
			t.Fatal(err)
		}

		got, err := walker.OpenInvoices(context.Background())
		if err != nil {
			t.Fatalf("OpenInvoices: %v", err)
		}

		var want, have []string
		for _, v := range b.sim.Invoices() {
			if v.Status == "AUTHORISED" {
				want = append(want, v.Number)
			}
		}

		for _, inv := range got {
			have = append(have, inv.Number)
		}

		slices.Sort(have)
		if !slices.Equal(have, want) {
			t.Errorf("missing %v, extra %v", minus(want, have), minus(have, want))
		}
	})
}

// hookTransport calls after once a response has been received.
type hookTransport struct {
	next  http.RoundTripper
	after func(*http.Request)
}

func (h *hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := h.next.RoundTrip(r)
	if err == nil {
		h.after(r)
	}

	return resp, err
}

// minus returns the elements of a that are not in b.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}

	return out
}
