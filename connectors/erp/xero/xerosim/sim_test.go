package xerosim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
)

const tenant = "3f1a9c2e-0000-4000-8000-00000000a11c"

// testBundle is a running simulator and a bearer token for it.
type testBundle struct {
	sim   *xerosim.Sim
	base  string
	token string
	now   *time.Time
}

func setup(t *testing.T, cfg xerosim.Config) *testBundle {
	t.Helper()

	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	b := &testBundle{now: &now}

	if cfg.Now == nil {
		cfg.Now = func() time.Time { return *b.now }
	}

	b.sim = xerosim.New(cfg)

	base, err := b.sim.Start()
	if err != nil {
		t.Fatalf("start: %v", err)
	}

	t.Cleanup(b.sim.Close)
	b.base = base
	b.token = b.fetchToken(t, "o2c-sim", "o2c-sim-secret")

	return b
}

func (b *testBundle) fetchToken(t *testing.T, id, secret string) string {
	t.Helper()

	req, _ := http.NewRequest("POST", b.base+xerosim.TokenPath,
		strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth(id, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	defer resp.Body.Close()

	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tr)

	if resp.StatusCode != 200 {
		return "error:" + tr.Error
	}

	return tr.AccessToken
}

// call sends an API request and returns the status, headers and body decoded
// with UseNumber (or the raw text in "raw" when it is not JSON).
func (b *testBundle) call(
	t *testing.T, method, path, body string, hdr map[string]string,
) (int, http.Header, map[string]any) {
	t.Helper()

	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}

	req, _ := http.NewRequest(method, b.base+xerosim.APIPrefix+path, rd)
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("xero-tenant-id", tenant)

	for k, v := range hdr {
		req.Header.Set(k, v)
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()

	data, _ := io.ReadAll(resp.Body)

	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()

	if err := dec.Decode(&out); err != nil {
		out = map[string]any{"raw": string(data)}
	}

	return resp.StatusCode, resp.Header, out
}

func invoiceJSON(number, qty, unit string) string {
	return fmt.Sprintf(`{"Type":"ACCREC","InvoiceNumber":%q,"Contact":{"Name":"Acme"},`+
		`"Date":"2026-03-02","DueDate":"2026-04-01","Status":"AUTHORISED",`+
		`"LineAmountTypes":"NoTax","CurrencyCode":"USD","LineItems":[{"Description":"d",`+
		`"Quantity":%s,"UnitAmount":%s,"AccountCode":"200"}]}`, number, qty, unit)
}

// field walks a decoded body: field(m, "Invoices", 0, "Total").
func field(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}

			v = l[k]
		}
	}

	return v
}

func str(v any) string { return fmt.Sprint(v) }

func TestInvoices(t *testing.T) {
	t.Parallel()

	t.Run("answers in Xero's envelope with exact totals", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{})
		st, _, out := b.call(t, "PUT", "/Invoices?unitdp=4", invoiceJSON("INV-1", "3", "248.47"),
			nil)

		if st != 200 || out["Status"] != "OK" || out["Id"] == nil || out["ProviderName"] == nil {
			t.Fatalf("status %d body %v", st, out)
		}

		inv := field(out, "Invoices", 0)
		for k, want := range map[string]string{
			"Total": "745.41", "AmountDue": "745.41", "AmountPaid": "0.00", "Status": "AUTHORISED",
			"Date": "/Date(1772409600000+0000)/", "DateString": "2026-03-02T00:00:00",
			"DueDate": "/Date(1775001600000+0000)/", "CurrencyCode": "USD",
		} {
			if got := str(field(inv, k)); got != want {
				t.Errorf("%s = %s, want %s", k, got, want)
			}
		}

		if got := str(field(inv, "LineItems", 0, "UnitAmount")); got != "248.4700" {
			t.Errorf("UnitAmount = %s, want 248.4700", got)
		}
	})

	t.Run("rounds each line to cents and unit amounts to unitdp", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{})
		body := `{"Invoices":[{"Type":"ACCREC","Contact":{"Name":"A"},"DueDate":"2026-04-01",` +
			`"Status":"AUTHORISED","LineAmountTypes":"Exclusive","LineItems":[` +
			`{"Quantity":3,"UnitAmount":0.3333,"AccountCode":"200","TaxType":"OUTPUT"},` +
			`{"Quantity":3,"UnitAmount":0.3333,"AccountCode":"200","TaxType":"OUTPUT"}]}]}`

		// With unitdp=4: each line 0.9999 → 1.00, tax 15 % → 0.15 per line.
		_, _, out := b.call(t, "PUT", "/Invoices?unitdp=4", body, nil)
		inv := field(out, "Invoices", 0)

		if got := str(field(inv, "SubTotal")) + "/" + str(field(inv, "TotalTax")) + "/" +
			str(field(inv, "Total")); got != "2.00/0.30/2.30" {
			t.Errorf("unitdp=4 subtotal/tax/total = %s, want 2.00/0.30/2.30", got)
		}

		// Without it, 0.3333 is cut to 0.33: 0.99 a line, tax 0.15 (0.1485).
		_, _, out = b.call(t, "PUT", "/Invoices", body, nil)
		inv = field(out, "Invoices", 0)

		if got := str(field(inv, "SubTotal")) + "/" + str(field(inv, "TotalTax")) + "/" +
			str(field(inv, "Total")); got != "1.98/0.30/2.28" {
			t.Errorf("unitdp=2 subtotal/tax/total = %s, want 1.98/0.30/2.28", got)
		}
	})

	t.Run("validation errors use Xero's exception shape", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{})
		b.call(t, "PUT", "/Invoices", invoiceJSON("INV-1", "1", "10"), nil)

		bad := strings.Replace(invoiceJSON("INV-1", "-1", "10"), `"USD"`, `"QQQ"`, 1)
		bad = strings.Replace(bad, `"200"`, `"777"`, 1)
		st, _, out := b.call(t, "PUT", "/Invoices", bad, nil)

		if st != 400 || str(out["ErrorNumber"]) != "10" || out["Type"] != "ValidationException" {
			t.Fatalf("status %d body %v", st, out)
		}

		var msgs []string
		for _, m := range field(out, "Elements", 0, "ValidationErrors").([]any) {
			msgs = append(msgs, str(field(m, "Message")))
		}

		joined := strings.Join(msgs, "|")
		for _, want := range []string{"Invoice # must be unique.", "'QQQ'", "'777'",
			"Quantity must not be negative"} {
			if !strings.Contains(joined, want) {
				t.Errorf("messages %q lack %q", msgs, want)
			}
		}

		if n := b.sim.CountInvoicesByNumber("INV-1"); n != 1 {
			t.Errorf("count = %d, want 1", n)
		}

		_, _, out = b.call(t, "PUT", "/Invoices",
			`{"Type":"ACCREC","DueDate":"2026-04-01","LineItems":[]}`, nil)
		if !strings.Contains(fmt.Sprint(out), "A Contact must be specified") {
			t.Errorf("missing contact not reported: %v", out)
		}
	})

	t.Run("summarizeErrors=false reports per element in a 200", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{})
		body := `{"Invoices":[` + invoiceJSON("INV-1", "1", "10") + `,` +
			strings.Replace(invoiceJSON("INV-2", "1", "10"), `"USD"`, `"QQQ"`, 1) + `]}`

		st, _, out := b.call(t, "PUT", "/Invoices?summarizeErrors=false", body, nil)
		if st != 200 {
			t.Fatalf("status %d", st)
		}

		if field(out, "Invoices", 0, "HasErrors") != false ||
			field(out, "Invoices", 1, "HasErrors") != true ||
			field(out, "Invoices", 1, "StatusAttributeString") != "ERROR" {
			t.Errorf("elements = %v", out["Invoices"])
		}

		if len(b.sim.Invoices()) != 1 {
			t.Errorf("invoices = %d, want the valid one only", len(b.sim.Invoices()))
		}

		// Without the flag the same batch is all or nothing.
		body = strings.ReplaceAll(body, "INV-1", "INV-3")
		if st, _, _ := b.call(t, "PUT", "/Invoices", body, nil); st != 400 ||
			len(b.sim.Invoices()) != 1 {
			t.Errorf("status %d, invoices %d; want 400 and 1", st, len(b.sim.Invoices()))
		}
	})

	t.Run("lists with where, numbers, ids and pages", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{})
		for i := range 105 {
			b.call(t, "PUT", "/Invoices", invoiceJSON(fmt.Sprintf("N-%03d", i), "1", "1"), nil)
		}

		q := url.Values{"where": {`Type=="ACCREC" AND Status=="AUTHORISED"`}, "page": {"2"}}
		_, _, out := b.call(t, "GET", "/Invoices?"+q.Encode(), "", nil)

		if got := field(out, "pagination"); str(field(got, "itemCount")) != "105" ||
			str(field(got, "pageCount")) != "2" || len(out["Invoices"].([]any)) != 5 {
			t.Errorf("page 2 = %v with %d invoices", got, len(out["Invoices"].([]any)))
		}

		_, _, out = b.call(t, "GET", "/Invoices?InvoiceNumbers=N-007,N-009", "", nil)
		if len(out["Invoices"].([]any)) != 2 || field(out, "Invoices", 0, "LineItems") != nil {
			t.Errorf("by numbers = %v", out["Invoices"])
		}

		var ids []string
		for i := range 53 {
			ids = append(ids, fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
		}

		st, _, _ := b.call(t, "GET", "/Invoices?IDs="+strings.Join(ids, ","), "", nil)
		if st != 404 {
			t.Errorf("53 ids: status %d, want 404", st)
		}

		q = url.Values{"where": {`Total>100`}}
		if st, _, _ := b.call(t, "GET", "/Invoices?"+q.Encode(), "", nil); st != 400 {
			t.Errorf("unsupported where: status %d, want 400", st)
		}
	})
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()

	b := setup(t, xerosim.Config{})
	key := map[string]string{"Idempotency-Key": "k-1"}

	_, _, first := b.call(t, "PUT", "/Invoices", invoiceJSON("INV-1", "1", "10"), key)
	_, _, again := b.call(t, "PUT", "/Invoices", invoiceJSON("INV-1", "1", "10"), key)

	if field(first, "Invoices", 0, "InvoiceID") != field(again, "Invoices", 0, "InvoiceID") ||
		b.sim.CountInvoicesByNumber("INV-1") != 1 {
		t.Errorf("replay created or answered differently: %v / %v", first, again)
	}

	st, _, _ := b.call(t, "PUT", "/Invoices", invoiceJSON("INV-1", "2", "10"), key)
	if st != 409 {
		t.Errorf("same key, other body: status %d, want 409", st)
	}

	// Keys expire.
	*b.now = b.now.Add(25 * time.Hour)
	b.token = b.fetchToken(t, "o2c-sim", "o2c-sim-secret")

	st, _, out := b.call(t, "PUT", "/Invoices", invoiceJSON("INV-1", "1", "10"), key)
	if st != 400 || !strings.Contains(fmt.Sprint(out), "must be unique") {
		t.Errorf("expired key: status %d %v, want a fresh create refused as duplicate", st, out)
	}
}

func TestPayments(t *testing.T) {
	t.Parallel()

	b := setup(t, xerosim.Config{})
	_, _, out := b.call(t, "PUT", "/Invoices", invoiceJSON("INV-1", "1", "745.41"), nil)
	invID := str(field(out, "Invoices", 0, "InvoiceID"))

	payment := func(amount, ref string) string {
		return fmt.Sprintf(`{"Payments":[{"Invoice":{"InvoiceID":%q},"Account":{"Code":"090"},`+
			`"Date":"2026-03-20","Amount":%s,"Reference":%q}]}`, invID, amount, ref)
	}

	st, _, out := b.call(t, "PUT", "/Payments", payment("730.50", "r1"), nil)
	if st != 200 || str(field(out, "Payments", 0, "Invoice", "AmountDue")) != "14.91" {
		t.Fatalf("status %d body %v", st, out)
	}

	pid := str(field(out, "Payments", 0, "PaymentID"))

	st, _, out = b.call(t, "PUT", "/Payments", payment("14.92", "r2"), nil)
	if st != 400 || !strings.Contains(fmt.Sprint(out),
		"Payment amount exceeds the amount outstanding on this document") {
		t.Errorf("overpayment: status %d %v", st, out)
	}

	q := url.Values{"where": {`Reference=="r1" AND Invoice.InvoiceID==guid("` + invID + `")`}}
	_, _, out = b.call(t, "GET", "/Payments?"+q.Encode(), "", nil)

	if got := out["Payments"].([]any); len(got) != 1 || str(field(got, 0, "PaymentID")) != pid {
		t.Errorf("by reference = %v", got)
	}

	b.call(t, "PUT", "/Payments", payment("14.91", "r3"), nil)

	if v, _ := b.sim.Invoice("INV-1"); v.Status != "PAID" || v.AmountDue != 0 {
		t.Errorf("after full payment: %s due %d", v.Status, v.AmountDue)
	}

	st, _, _ = b.call(t, "PUT", "/Payments", payment("0.01", "r4"), nil)
	if st != 400 {
		t.Errorf("payment on PAID invoice: status %d, want 400", st)
	}

	st, _, _ = b.call(t, "POST", "/Payments/"+pid, `{"Status":"DELETED"}`, nil)
	v, _ := b.sim.Invoice("INV-1")
	if st != 200 || v.Status != "AUTHORISED" || v.AmountDue != 73050 {
		t.Errorf("after delete: status %d, %s due %d", st, v.Status, v.AmountDue)
	}

	st, _, _ = b.call(t, "POST", "/Payments/"+pid, `{"Status":"DELETED"}`, nil)
	if st != 400 {
		t.Errorf("second delete: status %d, want 400", st)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()

	b := setup(t, xerosim.Config{TokenTTL: time.Minute})

	if got := b.fetchToken(t, "o2c-sim", "wrong"); got != "error:invalid_client" {
		t.Errorf("wrong secret: %s", got)
	}

	st, _, out := b.call(t, "GET", "/Invoices", "", map[string]string{"xero-tenant-id": "other"})
	if st != 403 || out["Detail"] != "AuthenticationUnsuccessful" {
		t.Errorf("wrong tenant: %d %v", st, out)
	}

	*b.now = b.now.Add(time.Minute)

	st, hdr, out := b.call(t, "GET", "/Invoices", "", nil)
	if st != 401 || !strings.HasPrefix(str(out["Detail"]), "TokenExpired") ||
		hdr.Get("WWW-Authenticate") == "" {
		t.Errorf("expired: %d %v", st, out)
	}
}

func TestFaultsAndLimits(t *testing.T) {
	t.Parallel()

	t.Run("lost response commits and drops the connection", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{Faults: []xerosim.Fault{{
			Kind: xerosim.LoseResponse, Method: "PUT", Nth: 2,
		}}})

		b.call(t, "PUT", "/Invoices", invoiceJSON("INV-1", "1", "1"), nil)

		req, _ := http.NewRequest("PUT", b.base+xerosim.APIPrefix+"/Invoices",
			strings.NewReader(invoiceJSON("INV-2", "1", "1")))
		req.Header.Set("Authorization", "Bearer "+b.token)
		req.Header.Set("xero-tenant-id", tenant)

		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("got status %d, want a dropped connection", resp.StatusCode)
		}

		if b.sim.CountInvoicesByNumber("INV-2") != 1 {
			t.Error("lost request was not committed")
		}
	})

	t.Run("rate limit and server error faults commit nothing", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{Faults: []xerosim.Fault{
			{Kind: xerosim.RateLimit, Nth: 1, RetryAfter: 3},
			{Kind: xerosim.ServerError, Nth: 2},
		}})

		st, hdr, _ := b.call(t, "PUT", "/Invoices", invoiceJSON("INV-1", "1", "1"), nil)
		if st != 429 || hdr.Get("Retry-After") != "3" ||
			hdr.Get("X-Rate-Limit-Problem") != "minute" {
			t.Errorf("429: %d %v", st, hdr)
		}

		st, _, _ = b.call(t, "PUT", "/Invoices", invoiceJSON("INV-1", "1", "1"), nil)
		if st != 503 || len(b.sim.Invoices()) != 0 {
			t.Errorf("503: %d, invoices %d", st, len(b.sim.Invoices()))
		}
	})

	t.Run("seeded random faults repeat", func(t *testing.T) {
		t.Parallel()

		run := func() string {
			b := setup(t, xerosim.Config{Seed: 42, Faults: []xerosim.Fault{{
				Kind: xerosim.ServerError, Rate: 0.5,
			}}})

			var s strings.Builder
			for range 20 {
				st, _, _ := b.call(t, "GET", "/Invoices", "", nil)
				fmt.Fprint(&s, st/100)
			}

			return s.String()
		}

		first, second := run(), run()
		if first != second || !strings.Contains(first, "5") || !strings.Contains(first, "2") {
			t.Errorf("runs %s and %s: want equal mixes of 2xx and 5xx", first, second)
		}
	})

	t.Run("minute and day limits", func(t *testing.T) {
		t.Parallel()

		b := setup(t, xerosim.Config{MinuteLimit: 2, DayLimit: 3})

		var got []string
		for range 3 {
			st, hdr, _ := b.call(t, "GET", "/Invoices", "", nil)
			got = append(got, fmt.Sprint(st, hdr.Get("X-Rate-Limit-Problem")))
		}

		*b.now = b.now.Add(time.Minute)
		st, hdr, _ := b.call(t, "GET", "/Invoices", "", nil)
		got = append(got, fmt.Sprint(st, hdr.Get("X-Rate-Limit-Problem")))

		st, hdr, _ = b.call(t, "GET", "/Invoices", "", nil)
		got = append(got, fmt.Sprint(st, hdr.Get("X-Rate-Limit-Problem"), hdr.Get("Retry-After")))

		want := "[200 200 429minute 200 429day53940]"
		if fmt.Sprint(got) != want {
			t.Errorf("got %v, want %s", got, want)
		}
	})
}
