package web_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/internal/web"
	"github.com/o2c-dev/o2c/pipelines"
)

// dashboardCalls are the role table's rows for dashboardRoutes.
func dashboardCalls(t *testing.T, pool *pgxpool.Pool) []routeCall {
	t.Helper()

	return []routeCall{
		{"GET /dashboard", 200, func(int) (string, string, string, io.Reader) {
			return http.MethodGet, "/dashboard?days=7", "", nil
		}},
		{"GET /api/dashboard", 200, func(int) (string, string, string, io.Reader) {
			return http.MethodGet, "/api/dashboard?currency=EUR", "", nil
		}},
	}
}

// dashboardJSON is the part of GET /api/dashboard's answer the tests read.
type dashboardJSON struct {
	Currency string `json:"currency"`
	Period   struct {
		From string `json:"from"`
		To   string `json:"to"`
		Days int    `json:"days"`
	} `json:"period"`
	Currencies []struct {
		Currency string `json:"currency"`
	} `json:"currencies"`
	Cash struct {
		Days  []cashDayJSON `json:"days"`
		Total cashDayJSON   `json:"total"`
	} `json:"cash"`
	Unapplied struct {
		Total tallyJSON `json:"total"`
	} `json:"unapplied"`
	Exceptions struct {
		SLAHours  int       `json:"sla_hours"`
		Open      tallyJSON `json:"open"`
		WithinSLA int64     `json:"within_sla"`
		Breached  int64     `json:"breached"`
	} `json:"exceptions"`
	Invoices struct {
		Failed    int64     `json:"failed"`
		FailedNow tallyJSON `json:"failed_now"`
	} `json:"invoices"`
	DSO struct {
		Open  int64    `json:"open_receivables_minor"`
		Sales int64    `json:"credit_sales_minor"`
		Days  int      `json:"days"`
		Value *float64 `json:"value"`
	} `json:"dso"`
}

type tallyJSON struct {
	Count int64 `json:"count"`
	Minor int64 `json:"amount_minor"`
}

type cashDayJSON struct {
	Date             string    `json:"date"`
	Received         tallyJSON `json:"received"`
	Auto             tallyJSON `json:"auto"`
	Unapplied        tallyJSON `json:"unapplied"`
	AutoRateByCount  *float64  `json:"auto_rate_by_count"`
	AutoRateByAmount *float64  `json:"auto_rate_by_amount"`
}

// seedCredit stores one incoming payment booked on day, in a file of its own.
func seedCredit(t *testing.T, pool *pgxpool.Pool, minor int64, currency string,
	day time.Time) {
	t.Helper()

	ctx := context.Background()

	f, _, err := store.InsertBankFile(ctx, pool, "credit.csv",
		[]byte(fmt.Sprintf("credit %s %d %s %s", t.Name(), minor, currency, day)), "test")
	if err != nil {
		t.Fatal(err)
	}

	tx := bankfile.Transaction{Seq: 1, Line: 2, Account: "GB29NWBK60161331926819",
		Direction: bankfile.Credit, Kind: bankfile.KindPayment,
		Amount: money.New(minor, currency), BookingDate: day, BankRef: "BR-" + currency,
		PayerName: "Hale & Sons"}
	if _, _, err := store.InsertPayments(ctx, pool, f.ID, f.SHA256,
		[]bankfile.Transaction{tx}); err != nil {
		t.Fatal(err)
	}
}

func today() time.Time {
	return time.Now().UTC().Truncate(24 * time.Hour)
}

func TestDashboardAPI(t *testing.T) {
	a := start(t)
	amounts := []int64{10000, 20000}
	seed(t, a.pool, amounts...)
	seedCredit(t, a.pool, 4242, "GBP", today())

	// seed books its payments on 2026-09-24 and issues its invoices on 2026-09-14.
	var d dashboardJSON
	if code := a.get(t, "/api/dashboard?from=2026-09-01&to=2026-09-30", &d); code != 200 {
		t.Fatalf("september: %d", code)
	}

	var sum int64
	for _, m := range amounts {
		sum += m
	}

	open := int64(64000 + 50000) // seed's two invoices, both open

	if d.Currency != "EUR" || d.Period.Days != 30 || len(d.Cash.Days) != 30 ||
		d.Cash.Total.Received != (tallyJSON{int64(len(amounts)), sum}) ||
		d.Cash.Total.Unapplied != (tallyJSON{int64(len(amounts)), sum}) ||
		d.Cash.Total.Auto.Count != 0 || d.Cash.Total.AutoRateByCount == nil ||
		*d.Cash.Total.AutoRateByCount != 0 {
		t.Errorf("september cash: %+v", d)
	}

	if d.Unapplied.Total != (tallyJSON{int64(len(amounts)), sum}) ||
		d.Exceptions.Open != (tallyJSON{int64(len(amounts)), sum}) ||
		d.Exceptions.WithinSLA != int64(len(amounts)) || d.Exceptions.SLAHours != 48 {
		t.Errorf("september now: %+v %+v", d.Unapplied, d.Exceptions)
	}

	if d.DSO.Open != open || d.DSO.Sales != open || d.DSO.Days != 30 || d.DSO.Value == nil ||
		math.Abs(*d.DSO.Value-30) > 1e-9 {
		t.Errorf("september DSO: %+v", d.DSO)
	}

	if len(d.Currencies) != 2 || d.Currencies[0].Currency != "EUR" ||
		d.Currencies[1].Currency != "GBP" {
		t.Errorf("currencies %+v", d.Currencies)
	}

	// The last 30 days by default: only the GBP payment, so GBP is shown.
	d = dashboardJSON{}
	if code := a.get(t, "/api/dashboard", &d); code != 200 || d.Currency != "GBP" ||
		d.Period.Days != 30 || d.Period.To != today().Format("2006-01-02") ||
		d.Cash.Total.Received != (tallyJSON{1, 4242}) || d.DSO.Value != nil {
		t.Errorf("default: %d %+v", code, d)
	}

	// A chosen currency, in any case, and a period in days.
	d = dashboardJSON{}
	if code := a.get(t, "/api/dashboard?currency=eur&days=7", &d); code != 200 ||
		d.Currency != "EUR" || d.Period.Days != 7 || d.Cash.Total.Received.Count != 0 ||
		d.Unapplied.Total.Minor != sum {
		t.Errorf("eur, 7 days: %d %+v", code, d)
	}

	future := today().AddDate(0, 0, 1).Format("2006-01-02")

	for q, field := range map[string]string{
		"days=0":                        "days",
		"days=1000":                     "days",
		"days=7&from=2026-09-01":        "days",
		"from=2026-09-01":               "to",
		"from=2026-09-31&to=2026-10-01": "from",
		"from=2026-10-02&to=2026-10-01": "from",
		"from=2026-10-01&to=" + future:  "to",
		"from=2024-01-01&to=2026-10-01": "from",
		"currency=EURO":                 "currency",
	} {
		var e fieldsError
		if code := a.get(t, "/api/dashboard?"+q, &e); code != http.StatusBadRequest ||
			e.Error != "invalid" || len(e.Fields) == 0 || e.Fields[0].Field != field ||
			e.Detail == "" {
			t.Errorf("?%s: %d %+v, want 400 invalid naming %s", q, code, e, field)
		}
	}
}

func TestDashboardPage(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	s.addUser(t, "vera", auth.RoleViewer)

	p := newPerson(t, s.url)
	p.logIn("vera")

	// Nothing yet.
	empty := p.get("/dashboard", http.StatusOK)
	mustContain(t, "empty dashboard", empty, `id="no-data"`, `<form id="dashboard-filter"`,
		`aria-current="page">Dashboard</a>`)

	if resp, _ := p.page(http.MethodGet, "/", "", nil); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/dashboard" {
		t.Errorf("home: %d to %q, want the dashboard", resp.StatusCode,
			resp.Header.Get("Location"))
	}

	seed(t, s.pool, 10000, 20000)
	seedCredit(t, s.pool, 4242, "GBP", today())

	ctx := context.Background()
	pushError := `<script>alert("x")</script> & VAT`

	_, err := s.pool.Exec(ctx, `UPDATE invoices SET status = 'failed', push_error = $1
		WHERE number = 'INV-1002'`, pushError)
	if err != nil {
		t.Fatal(err)
	}

	err = store.Audit(ctx, s.pool, "o2c", "push_failed", "invoice", "INV-1002", nil, nil)
	if err != nil {
		t.Fatal(err)
	}

	body := p.get("/dashboard?currency=EUR&days=30", http.StatusOK)
	todayText := today().Format("2006-01-02")

	mustContain(t, "EUR dashboard", body,
		`<link rel="stylesheet" href="/static/dashboard.css">`,
		`data-currency="EUR" data-from="`+today().AddDate(0, 0, -29).Format("2006-01-02")+
			`" data-to="`+todayText+`"`,
		`<option value="EUR" selected>EUR</option>`, `<option value="GBP">GBP</option>`,
		`<a href="/dashboard?currency=EUR&amp;days=30" aria-current="true">Last 30 days</a>`,
		`<a href="/dashboard?currency=EUR&amp;days=7">Last 7 days</a>`,
		`id="kpi-unapplied" data-count="2" data-minor="30000">300.00`,
		`id="kpi-exceptions" data-count="2" data-breached="0">`,
		`id="kpi-pushed" data-count="0" data-failed="1">`,
		`<title id="chart-rate-title">Auto-match rate per day, EUR</title>`,
		`<desc id="chart-rate-desc">`, `aria-labelledby="chart-cash-title chart-cash-desc"`,
		`<svg id="chart-rate" class="chart"`, `<svg id="chart-ageing"`, `<svg id="chart-reasons"`,
		`<svg id="chart-exception-age"`, `<svg id="chart-invoices"`,
		`<table id="cash-table">`, `<tr data-date="`+todayText+`">`,
		`<tr data-reason="no_match"><td><a href="/exceptions?currency=EUR&amp;reason=no_match" `+
			`title="no_match">no invoice fits</a>`,
		`<td class="ref">`+escaped(pushError)+`</td><td class="num">1</td>`,
		`<p id="dso-value" class="big">–</p>`, `id="match-definition"`,
		`<tr data-currency="GBP"><td><a href="/dashboard?currency=GBP&amp;from=`)

	if strings.Contains(body, pushError) || strings.Contains(body, "<script") {
		t.Error("the push error is not escaped")
	}

	// The page's policy forbids inline styles and scripts: the charts use neither.
	if strings.Contains(body, `style="`) || strings.Contains(body, "<style") {
		t.Error("the page carries inline style, which its content policy refuses")
	}

	// Seven rows of cash over seven days, the period and currency kept by the form.
	week := p.get("/dashboard?currency=EUR&from="+today().AddDate(0, 0, -6).
		Format("2006-01-02")+"&to="+todayText, http.StatusOK)
	if n := strings.Count(week, `<tr data-date="`); n != 7+1+7 { // cash, total, invoices
		t.Errorf("a week shows %d dated rows, want 15", n)
	}

	mustContain(t, "a week", week, `<a href="/dashboard?currency=EUR&amp;days=7" `+
		`aria-current="true">`)

	// A currency o2c holds nothing in is offered and shown empty.
	mustContain(t, "JPY", p.get("/dashboard?currency=jpy", http.StatusOK),
		`<option value="JPY" selected>JPY</option>`, `data-currency="JPY"`,
		`id="kpi-received" data-count="0" data-minor="0">0 JPY`)

	// The default currency has the most payments in the period: GBP today.
	mustContain(t, "default", p.get("/dashboard", http.StatusOK),
		`<option value="GBP" selected>GBP</option>`, `data-currency="GBP"`,
		`id="kpi-received" data-count="1" data-minor="4242">42.42`)

	for q, want := range map[string]string{
		"days=0":           "days: must be a whole number from 1 to 366",
		"from=2026-09-01":  "to: must be a date YYYY-MM-DD, with from",
		"currency=%3Cb%3E": "currency: must be an ISO 4217 currency code",
	} {
		resp, page := p.page(http.MethodGet, "/dashboard?"+q, "", nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", q, resp.StatusCode)
		}

		mustContain(t, "?"+q, page, `<p id="dashboard-error" class="notice notice-bad" `+
			`role="alert">`, escaped(want), `<form id="dashboard-filter"`)

		if strings.Contains(page, `id="kpis"`) || strings.Contains(page, "<b>") {
			t.Errorf("?%s: figures or unescaped input on a refused query", q)
		}
	}
}

func TestDashboardUpdatesAfterUpload(t *testing.T) {
	s := startSite(t, nil, bank.NewReader(nil), auth.Config{})
	seed(t, s.pool) // the customer and its invoices INV-1001 (640.00), INV-1002 (500.00)

	var before dashboardJSON
	if code := s.get(t, "/api/dashboard?currency=EUR", &before); code != 200 ||
		before.Cash.Total.Received.Count != 0 {
		t.Fatalf("before: %d %+v", code, before.Cash.Total)
	}

	p := newPerson(t, s.url)
	p.logIn("ops.test")

	if page := p.get("/dashboard?currency=EUR", http.StatusOK); !strings.Contains(page,
		`id="kpi-received" data-count="0"`) {
		t.Fatalf("page before the upload: %s", clip(page))
	}

	day := today().Format("2006-01-02")
	file := "date,amount,currency,payer,reference\n" +
		day + ",640.00,EUR,Orrin Tiles GmbH,INV-1001\n" +
		day + ",12.34,EUR,Nobody We Know,thanks\n"

	var up uploadResult
	if code := s.do(t, http.MethodPost, "/api/bank-files?name=today.csv", "text/csv",
		strings.NewReader(file), &up); code != http.StatusAccepted || len(up.Files) != 1 {
		t.Fatalf("upload: %d %+v", code, up)
	}

	files, err := pipelines.WaitFiles(context.Background(), s.pool,
		[]int64{up.Files[0].File.ID}, 20*time.Millisecond)
	if err != nil || files[0].Status != store.FileMatched {
		t.Fatalf("file: %+v %v", files, err)
	}

	var after dashboardJSON
	if code := s.get(t, "/api/dashboard?currency=EUR", &after); code != 200 {
		t.Fatalf("after: %d", code)
	}

	last := after.Cash.Days[len(after.Cash.Days)-1]
	if last.Date != day || last.Received != (tallyJSON{2, 65234}) ||
		last.Auto != (tallyJSON{1, 64000}) || last.Unapplied != (tallyJSON{1, 1234}) ||
		last.AutoRateByCount == nil || *last.AutoRateByCount != 0.5 ||
		last.AutoRateByAmount == nil || *last.AutoRateByAmount != 64000.0/65234 ||
		after.Exceptions.Open.Count != 1 {
		t.Errorf("after the upload, today: %+v; exceptions %+v", last, after.Exceptions)
	}

	mustContain(t, "page after the upload", p.get("/dashboard?currency=EUR", http.StatusOK),
		`id="kpi-received" data-count="2" data-minor="65234">652.34`,
		`id="kpi-auto-count" data-count="1">50.0 %`, `id="kpi-exceptions" data-count="1"`)
}

func TestDashboardSLAFromConfig(t *testing.T) {
	pool := pgtest.DB(t)
	svc := auth.New(pool, auth.Config{Logger: quiet})
	srv := httptest.NewServer(web.New(web.Config{Pool: pool, Auth: svc, Logger: quiet,
		ExceptionSLA: 2 * time.Hour}))
	t.Cleanup(srv.Close)

	a := &api{pool: pool, auth: svc, url: srv.URL}
	a.token = a.tokenFor(t, "vic", auth.RoleViewer)

	ids := seed(t, pool, 100, 200, 300)
	ages := []time.Duration{time.Hour, 3 * time.Hour, 50 * time.Hour}

	for i, id := range ids {
		_, err := pool.Exec(context.Background(), `UPDATE exceptions
			SET created_at = now() - $2::bigint * interval '1 second' WHERE id = $1`, id,
			int64(ages[i]/time.Second))
		if err != nil {
			t.Fatal(err)
		}
	}

	// One within two hours; with the default 48 h two would be.
	var d dashboardJSON
	if code := a.get(t, "/api/dashboard?currency=EUR", &d); code != 200 ||
		d.Exceptions.SLAHours != 2 || d.Exceptions.WithinSLA != 1 ||
		d.Exceptions.Breached != 2 {
		t.Errorf("SLA of 2 h: %d %+v", code, d.Exceptions)
	}
}
