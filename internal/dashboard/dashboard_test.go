package dashboard_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/dashboard"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(func(ctx context.Context, pool *pgxpool.Pool) error {
		_, err := store.Migrate(ctx, pool)
		return err
	})
	pgtest.Main(m)
}

// now is the moment every test world is seen from.
var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func date(m time.Month, d int) time.Time {
	return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC)
}

// A world to seed: payments with their applications, exceptions, invoices and the
// audit log's push entries. The expected figures are computed from these values
// by the test's own rules, never read back from the database.
type (
	app struct {
		source   string
		amount   int64
		reversed bool
	}
	payment struct {
		cur       string
		amount    int64
		booking   time.Time // zero: NULL
		value     time.Time // zero: NULL
		stored    time.Time // created_at; zero: now
		status    string
		unapplied int64
		apps      []app
		debit     bool   // a debit: not cash
		kind      string // "" is payment
	}
	exception struct {
		cur    string
		reason string
		amount int64
		age    time.Duration
		status string // "" is open
	}
	invoice struct {
		number, cur, status, pushError string
		total, open                    int64
		issued                         time.Time
	}
	push struct {
		number, action string
		at             time.Time
	}
	world struct {
		payments   []payment
		exceptions []exception
		invoices   []invoice
		pushes     []push
	}
)

func knownWorld() world {
	return world{
		payments: []payment{
			{cur: "EUR", amount: 10000, booking: date(11, 18), status: "applied",
				apps: []app{{"auto", 10000, false}}},
			{cur: "EUR", amount: 25000, booking: date(11, 18), status: "applied",
				apps: []app{{"auto", 20000, false}, {"manual", 5000, false}}},
			{cur: "EUR", amount: 8000, booking: date(11, 18), status: "partly_applied",
				unapplied: 5000, apps: []app{{"auto", 3000, false}}},
			{cur: "EUR", amount: 50000, booking: date(11, 19), status: "exception",
				unapplied: 50000},
			{cur: "EUR", amount: 12000, booking: date(11, 19), status: "applied",
				apps: []app{{"manual", 12000, false}}},
			{cur: "EUR", amount: 6000, booking: date(11, 19), status: "returned",
				apps: []app{{"auto", 6000, true}}},
			{cur: "EUR", amount: 7500, booking: date(11, 20), status: "on_account",
				unapplied: 7500},
			{cur: "EUR", amount: 4000, booking: date(11, 20), status: "applied",
				apps: []app{{"auto", 4000, false}, {"manual", 4000, true}}},
			{cur: "EUR", amount: 30000, value: date(11, 17), status: "applied",
				apps: []app{{"auto", 30000, false}}},
			{cur: "EUR", amount: 2000, stored: date(11, 16).Add(10 * time.Hour),
				status: "applied", apps: []app{{"auto", 2000, false}}},
			{cur: "EUR", amount: 99900, booking: date(11, 18), status: "not_cash", debit: true},
			{cur: "EUR", amount: 1500, booking: date(11, 18), status: "not_cash",
				kind: "return"},
			{cur: "EUR", amount: 100000, booking: date(9, 1), status: "exception",
				unapplied: 100000},
			{cur: "EUR", amount: 1000, booking: date(7, 1), status: "exception",
				unapplied: 1000},
			{cur: "EUR", amount: 3300, booking: date(10, 5), status: "refund_pending",
				unapplied: 3300},
			{cur: "EUR", amount: 2500, booking: date(11, 5), status: "partly_applied",
				unapplied: 1500, apps: []app{{"auto", 1000, false}}},
			{cur: "USD", amount: 100000, booking: date(11, 19), status: "applied",
				apps: []app{{"auto", 100000, false}}},
			{cur: "USD", amount: 200000, booking: date(11, 19), status: "exception",
				unapplied: 200000},
		},
		exceptions: []exception{
			{"EUR", "no_match", 1000, 3 * time.Hour, ""},
			{"EUR", "no_match", 2000, 30 * time.Hour, ""},
			{"EUR", "no_match", 4000, 50 * time.Hour, ""},
			{"EUR", "no_match", 8000, 10 * 24 * time.Hour, ""},
			{"EUR", "ambiguous", 1600, time.Hour, ""},
			{"EUR", "ambiguous", 3200, 100 * 24 * time.Hour, ""},
			{"EUR", "deduction", 6400, 47 * time.Hour, ""},
			{"EUR", "no_match", 9999, 200 * time.Hour, "resolved"},
			{"USD", "unknown_payer", 50000, 5 * time.Hour, ""},
		},
		invoices: []invoice{
			{"INV-1", "EUR", "open", "", 100000, 40000, date(11, 1)},
			{"INV-2", "EUR", "paid", "", 50000, 0, date(11, 10)},
			{"INV-3", "EUR", "failed", "<b>VAT</b> rate missing", 70000, 70000, date(11, 12)},
			{"INV-4", "EUR", "failed", "<b>VAT</b> rate missing", 30000, 30000, date(10, 1)},
			{"INV-5", "EUR", "requested", "", 25000, 25000, date(11, 19)},
			{"INV-6", "EUR", "open", "", 200000, 200000, date(9, 1)},
			{"INV-7", "EUR", "voided", "", 90000, 90000, date(11, 15)},
			{"INV-8", "EUR", "failed", "Contact unknown", 10000, 10000, date(11, 14)},
			{"INV-9", "EUR", "sync_mismatch", "Xero total 1799.99, CRM 1800.00", 180000,
				180000, date(11, 16)},
			{"INV-U1", "USD", "open", "", 500000, 500000, date(11, 2)},
		},
		pushes: []push{
			{"INV-1", "raise", date(11, 1).Add(8 * time.Hour)},
			{"INV-1", "pushed", date(11, 1).Add(9 * time.Hour)},
			{"INV-2", "pushed", date(11, 10).Add(10 * time.Hour)},
			{"INV-2", "pushed", date(11, 10).Add(11 * time.Hour)},
			{"INV-6", "pushed", date(9, 1).Add(9 * time.Hour)},
			{"INV-U1", "pushed", date(11, 2).Add(9 * time.Hour)},
			{"INV-3", "push_failed", date(11, 12).Add(8 * time.Hour)},
			{"INV-8", "push_failed", date(11, 14).Add(23*time.Hour + 59*time.Minute)},
			{"INV-4", "push_failed", date(10, 1).Add(8 * time.Hour)},
			{"INV-9", "sync_mismatch", date(11, 16).Add(8 * time.Hour)},
		},
	}
}

// seedWorld stores w. Exceptions hang on debits of their own, which are not cash.
func seedWorld(t testing.TB, pool *pgxpool.Pool, w world) {
	t.Helper()

	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()

		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("seed: %v\n%s", err, sql)
		}
	}

	exec(`INSERT INTO customers (id, name) VALUES ('C-1', 'Ada & Co <Ltd>')
		ON CONFLICT DO NOTHING`)
	exec(`INSERT INTO bank_files (name, sha256, size_bytes, raw, status)
		VALUES ('world.csv', md5(random()::text), 1, '\x00', 'matched')`)

	for _, inv := range w.invoices {
		exec(`INSERT INTO invoices (number, customer_id, customer_name, currency, total_minor,
				open_minor, issue_date, due_date, status, push_error)
			VALUES ($1, 'C-1', 'Ada', $2, $3, $4, $5, $5::date + 14, $6, $7)`,
			inv.number, inv.cur, inv.total, inv.open, inv.issued, inv.status, inv.pushError)
	}

	seq := 0
	nullDate := func(d time.Time) any {
		if d.IsZero() {
			return nil
		}

		return d
	}

	insertPayment := func(p payment) int64 {
		seq++

		dir, kind := "credit", "payment"
		if p.debit {
			dir = "debit"
		}

		if p.kind != "" {
			kind = p.kind
		}

		stored := p.stored
		if stored.IsZero() {
			stored = now
		}

		var id int64

		err := pool.QueryRow(ctx, `INSERT INTO payments (file_id, seq, direction, kind,
				amount_minor, currency, booking_date, value_date, dedupe_key, status,
				unapplied_minor, created_at)
			VALUES ((SELECT max(id) FROM bank_files), $1, $2, $3, $4, $5, $6, $7,
				'world-' || md5(random()::text), $8, $9, $10) RETURNING id`,
			seq, dir, kind, p.amount, p.cur, nullDate(p.booking), nullDate(p.value),
			p.status, p.unapplied, stored).Scan(&id)
		if err != nil {
			t.Fatalf("seed payment: %v", err)
		}

		return id
	}

	for _, p := range w.payments {
		id := insertPayment(p)

		for i, a := range p.apps {
			var reversed any
			if a.reversed {
				reversed = now
			}

			exec(`INSERT INTO applications (payment_id, invoice_number, currency,
					amount_minor, rule, rules_version, confidence, explanation, source,
					reversed_at)
				VALUES ($1, $2, $3, $4, 'test', 'v1', 1, 'seeded', $5, $6)`,
				id, fmt.Sprintf("INV-%d", i+1), p.cur, a.amount, a.source, reversed)
		}
	}

	for _, e := range w.exceptions {
		host := insertPayment(payment{cur: e.cur, amount: e.amount, booking: date(11, 1),
			status: "not_cash", debit: true})

		status := e.status
		if status == "" {
			status = "open"
		}

		exec(`INSERT INTO exceptions (payment_id, reason, message, amount_minor, currency,
				status, created_at)
			VALUES ($1, $2, 'seeded', $3, $4, $5, $6)`,
			host, e.reason, e.amount, e.cur, status, now.Add(-e.age))
	}

	for _, p := range w.pushes {
		exec(`INSERT INTO audit_log (at, actor, action, entity, entity_id)
			VALUES ($1, 'o2c', $2, 'invoice', $3)`, p.at, p.action, p.number)
	}
}

// The test's own rules, from the definitions the dashboard prints.

func (p payment) cash() bool {
	return !p.debit && (p.kind == "" || p.kind == "payment") && p.status != "not_cash"
}

func (p payment) day() time.Time {
	switch {
	case !p.booking.IsZero():
		return p.booking
	case !p.value.IsZero():
		return p.value
	case !p.stored.IsZero():
		return p.stored.Truncate(24 * time.Hour)
	default:
		return now.Truncate(24 * time.Hour)
	}
}

// class names what became of a payment and its amount by class.
func (p payment) class() (string, map[string]int64) {
	amounts := map[string]int64{}

	for _, a := range p.apps {
		if !a.reversed {
			amounts[a.source] += a.amount
		}
	}

	if p.status == "returned" {
		amounts["returned"] = p.amount
		return "returned", amounts
	}

	amounts["unapplied"] = p.unapplied

	switch {
	case p.unapplied > 0:
		return "unapplied", amounts
	case amounts["manual"] > 0:
		return "manual", amounts
	case amounts["auto"] > 0:
		return "auto", amounts
	default:
		return "returned", amounts
	}
}

type tally = dashboard.Tally

type dayWant struct {
	received, auto, manual, unapplied, returned tally
}

func wantCash(w world, cur string, p dashboard.Period) map[string]dayWant {
	out := map[string]dayWant{}

	for _, pay := range w.payments {
		d := pay.day()
		if !pay.cash() || pay.cur != cur || d.Before(p.From) || d.After(p.To) {
			continue
		}

		key := d.Format("2006-01-02")
		dw := out[key]
		class, amounts := pay.class()

		dw.received.Count++
		dw.received.Minor += pay.amount

		for name, t := range map[string]*tally{"auto": &dw.auto, "manual": &dw.manual,
			"unapplied": &dw.unapplied, "returned": &dw.returned} {
			t.Minor += amounts[name]
			if class == name {
				t.Count++
			}
		}

		out[key] = dw
	}

	return out
}

func TestFiguresOfAKnownWorld(t *testing.T) {
	pool := pgtest.DB(t)
	w := knownWorld()
	seedWorld(t, pool, w)

	q := dashboard.Query{Now: now, Period: dashboard.LastDays(now, 30)}

	d, err := dashboard.Load(context.Background(), pool, q)
	if err != nil {
		t.Fatal(err)
	}

	// The default currency has the most cash payments in the period.
	counts := map[string]int{}
	for _, p := range w.payments {
		if p.cash() && !p.day().Before(q.Period.From) {
			counts[p.cur]++
		}
	}

	if counts["EUR"] <= counts["USD"] || d.Currency != "EUR" {
		t.Fatalf("currency %q with counts %v, want EUR", d.Currency, counts)
	}

	checkCash(t, w, d)
	checkUnapplied(t, w, d)
	checkExceptions(t, w, d, dashboard.DefaultSLA)
	checkInvoices(t, w, d)
	checkDSO(t, w, d)
	checkCurrencies(t, w, d)

	// Another currency, another period, another SLA.
	q = dashboard.Query{Now: now, Currency: "USD", SLA: 4 * time.Hour,
		Period: dashboard.Period{From: date(11, 2), To: date(11, 19)}}

	d, err = dashboard.Load(context.Background(), pool, q)
	if err != nil {
		t.Fatal(err)
	}

	if d.Currency != "USD" || d.Period.Days() != 18 {
		t.Fatalf("currency %q, %d days", d.Currency, d.Period.Days())
	}

	checkCash(t, w, d)
	checkUnapplied(t, w, d)
	checkExceptions(t, w, d, 4*time.Hour)
	checkInvoices(t, w, d)
	checkDSO(t, w, d)
}

func checkCash(t *testing.T, w world, d *dashboard.Dashboard) {
	t.Helper()

	want := wantCash(w, d.Currency, d.Period)

	if len(d.Cash.Days) != d.Period.Days() {
		t.Fatalf("%d days of cash, want %d", len(d.Cash.Days), d.Period.Days())
	}

	var total dayWant

	for _, got := range d.Cash.Days {
		dw := want[got.Date]
		delete(want, got.Date)

		if got.Received != dw.received || got.Auto != dw.auto || got.Manual != dw.manual ||
			got.Unapplied != dw.unapplied || got.Returned != dw.returned {
			t.Errorf("%s %s: got %+v, want %+v", d.Currency, got.Date, got, dw)
		}

		checkRate(t, got.Date+" by count", got.AutoRateByCount, dw.auto.Count,
			dw.received.Count)
		checkRate(t, got.Date+" by amount", got.AutoRateByAmount, dw.auto.Minor,
			dw.received.Minor)

		for _, p := range [][2]*tally{{&total.received, &dw.received}, {&total.auto, &dw.auto},
			{&total.manual, &dw.manual}, {&total.unapplied, &dw.unapplied},
			{&total.returned, &dw.returned}} {
			p[0].Count += p[1].Count
			p[0].Minor += p[1].Minor
		}
	}

	if len(want) > 0 {
		t.Errorf("days missing from the answer: %v", want)
	}

	if got := d.Cash.Total; got.Received != total.received || got.Auto != total.auto ||
		got.Manual != total.manual || got.Unapplied != total.unapplied ||
		got.Returned != total.returned {
		t.Errorf("total %+v, want %+v", got, total)
	}

	checkRate(t, "total by count", d.Cash.Total.AutoRateByCount, total.auto.Count,
		total.received.Count)
	checkRate(t, "total by amount", d.Cash.Total.AutoRateByAmount, total.auto.Minor,
		total.received.Minor)
}

func checkRate(t *testing.T, what string, got *float64, part, whole int64) {
	t.Helper()

	if whole == 0 {
		if got != nil {
			t.Errorf("rate %s: %v, want none", what, *got)
		}

		return
	}

	if got == nil || math.Abs(*got-float64(part)/float64(whole)) > 1e-12 {
		t.Errorf("rate %s: %v, want %d/%d", what, got, part, whole)
	}
}

func checkUnapplied(t *testing.T, w world, d *dashboard.Dashboard) {
	t.Helper()

	var total tally
	status := map[string]tally{}
	buckets := make([]tally, 5)
	oldest := 0
	today := now.Truncate(24 * time.Hour)

	for _, p := range w.payments {
		if !p.cash() || p.cur != d.Currency || p.status == "returned" || p.unapplied <= 0 {
			continue
		}

		total.Count++
		total.Minor += p.unapplied

		s := status[p.status]
		s.Count++
		s.Minor += p.unapplied
		status[p.status] = s

		age := int(today.Sub(p.day()).Hours() / 24)
		oldest = max(oldest, age)

		i := 4
		for j, bound := range []int{7, 30, 60, 90} {
			if age <= bound {
				i = j
				break
			}
		}

		buckets[i].Count++
		buckets[i].Minor += p.unapplied
	}

	u := d.Unapplied
	if u.Total != total || u.OldestDays != oldest || len(u.ByStatus) != len(status) ||
		len(u.Buckets) != 5 {
		t.Fatalf("%s unapplied %+v, want total %+v oldest %d statuses %v", d.Currency, u,
			total, oldest, status)
	}

	for _, s := range u.ByStatus {
		if s.Tally != status[s.Status] {
			t.Errorf("unapplied %s: %+v, want %+v", s.Status, s.Tally, status[s.Status])
		}
	}

	for i, b := range u.Buckets {
		if b.Tally != buckets[i] {
			t.Errorf("unapplied %s: %+v, want %+v", b.Label, b.Tally, buckets[i])
		}
	}
}

func checkExceptions(t *testing.T, w world, d *dashboard.Dashboard, sla time.Duration) {
	t.Helper()

	type row struct {
		open             tally
		within, breached int64
		oldest           time.Duration
	}

	reasons := map[string]*row{}
	ages := make([]row, 5)

	var all row

	for _, e := range w.exceptions {
		if e.cur != d.Currency || e.status != "" {
			continue
		}

		r := reasons[e.reason]
		if r == nil {
			r = &row{}
			reasons[e.reason] = r
		}

		i := 4
		for j, bound := range []time.Duration{24, 48, 7 * 24, 30 * 24} {
			if e.age < bound*time.Hour {
				i = j
				break
			}
		}

		for _, x := range []*row{r, &ages[i], &all} {
			x.open.Count++
			x.open.Minor += e.amount
			x.oldest = max(x.oldest, e.age)

			if e.age <= sla {
				x.within++
			} else {
				x.breached++
			}
		}
	}

	x := d.Exceptions
	if x.SLAHours != int(sla.Hours()) || x.Open != all.open || x.WithinSLA != all.within ||
		x.Breached != all.breached || x.OldestHours != int64(all.oldest.Hours()) ||
		len(x.ByReason) != len(reasons) {
		t.Fatalf("%s exceptions %+v, want %+v over %d reasons", d.Currency, x, all,
			len(reasons))
	}

	for i, r := range x.ByReason {
		want := reasons[r.Reason]
		if want == nil || r.Open != want.open || r.WithinSLA != want.within ||
			r.Breached != want.breached || r.OldestHours != int64(want.oldest.Hours()) {
			t.Errorf("reason %s: %+v, want %+v", r.Reason, r, want)
		}

		if i > 0 && x.ByReason[i-1].Open.Count < r.Open.Count {
			t.Errorf("reasons not most first: %+v", x.ByReason)
		}
	}

	for i, a := range x.ByAge {
		if a.Open != ages[i].open || a.WithinSLA != ages[i].within ||
			a.Breached != ages[i].breached {
			t.Errorf("age %s: %+v, want %+v", a.Label, a, ages[i])
		}
	}
}

func checkInvoices(t *testing.T, w world, d *dashboard.Dashboard) {
	t.Helper()

	cur := map[string]string{}
	for _, inv := range w.invoices {
		cur[inv.number] = inv.cur
	}

	type key struct{ date, action, number string }

	seen := map[key]bool{}
	pushed, failed := map[string]int64{}, map[string]int64{}

	for _, p := range w.pushes {
		day := p.at.Truncate(24 * time.Hour)
		if cur[p.number] != d.Currency || day.Before(d.Period.From) ||
			day.After(d.Period.To) {
			continue
		}

		k := key{day.Format("2006-01-02"), p.action, p.number}
		if seen[k] {
			continue
		}

		seen[k] = true

		switch p.action {
		case "pushed":
			pushed[k.date]++
		case "push_failed", "sync_mismatch":
			failed[k.date]++
		}
	}

	var totalPushed, totalFailed int64

	for _, day := range d.Invoices.Days {
		if day.Pushed != pushed[day.Date] || day.Failed != failed[day.Date] {
			t.Errorf("%s invoices on %s: %+v, want %d pushed %d failed", d.Currency,
				day.Date, day, pushed[day.Date], failed[day.Date])
		}

		totalPushed += pushed[day.Date]
		totalFailed += failed[day.Date]
	}

	if len(d.Invoices.Days) != d.Period.Days() || d.Invoices.Pushed != totalPushed ||
		d.Invoices.Failed != totalFailed {
		t.Errorf("invoices %+v, want %d pushed %d failed", d.Invoices, totalPushed,
			totalFailed)
	}

	var failedNow, waiting tally

	errs := map[string]int64{}

	for _, inv := range w.invoices {
		if inv.cur != d.Currency {
			continue
		}

		switch inv.status {
		case "failed", "sync_mismatch":
			failedNow.Count++
			failedNow.Minor += inv.total
			errs[inv.pushError]++
		case "requested":
			waiting.Count++
			waiting.Minor += inv.total
		}
	}

	if d.Invoices.FailedNow != failedNow || d.Invoices.Waiting != waiting ||
		len(d.Invoices.Errors) != len(errs) {
		t.Errorf("invoices now %+v, want failed %+v waiting %+v errors %v", d.Invoices,
			failedNow, waiting, errs)
	}

	for i, e := range d.Invoices.Errors {
		if e.Count != errs[e.Message] || i > 0 && d.Invoices.Errors[i-1].Count < e.Count {
			t.Errorf("push errors %+v, want %v most first", d.Invoices.Errors, errs)
		}
	}
}

func checkDSO(t *testing.T, w world, d *dashboard.Dashboard) {
	t.Helper()

	var open, sales int64

	for _, inv := range w.invoices {
		if inv.cur != d.Currency {
			continue
		}

		if inv.status == "open" {
			open += inv.open
		}

		if !inv.issued.Before(d.Period.From) && !inv.issued.After(d.Period.To) &&
			inv.status != "failed" && inv.status != "voided" &&
			inv.status != "sync_mismatch" {
			sales += inv.total
		}
	}

	days := d.Period.Days()
	if d.DSO.OpenReceivablesMinor != open || d.DSO.CreditSalesMinor != sales ||
		d.DSO.Days != days || d.DSO.Value == nil {
		t.Fatalf("%s DSO %+v, want open %d sales %d days %d", d.Currency, d.DSO, open, sales,
			days)
	}

	// open / sales × days, in exact integers to a millionth of a day.
	want := open * int64(days) * 1_000_000 / sales
	if got := int64(math.Round(*d.DSO.Value * 1_000_000)); got < want-1 || got > want+1 {
		t.Errorf("DSO %v, want %d millionths", *d.DSO.Value, want)
	}
}

func checkCurrencies(t *testing.T, w world, d *dashboard.Dashboard) {
	t.Helper()

	codes := map[string]bool{}
	for _, p := range w.payments {
		if p.cash() {
			codes[p.cur] = true
		}
	}

	var got []string
	for _, c := range d.Currencies {
		got = append(got, c.Currency)

		var received, unapplied tally

		for _, p := range w.payments {
			day := p.day()
			if !p.cash() || p.cur != c.Currency {
				continue
			}

			if !day.Before(d.Period.From) && !day.After(d.Period.To) {
				received.Count++
				received.Minor += p.amount
			}

			if p.status != "returned" && p.unapplied > 0 {
				unapplied.Count++
				unapplied.Minor += p.unapplied
			}
		}

		if c.Received != received || c.Unapplied != unapplied {
			t.Errorf("%s summary %+v, want received %+v unapplied %+v", c.Currency, c,
				received, unapplied)
		}
	}

	if len(got) != len(codes) || !slices.IsSorted(got) {
		t.Errorf("currencies %v, want the %d of the world in order", got, len(codes))
	}
}

func TestEmptyDatabase(t *testing.T) {
	pool := pgtest.DB(t)

	d, err := dashboard.Load(context.Background(), pool, dashboard.Query{Now: now})
	if err != nil {
		t.Fatal(err)
	}

	if d.Currency != "" || len(d.Currencies) != 0 || len(d.Cash.Days) != 30 ||
		d.Cash.Total.AutoRateByCount != nil || d.DSO.Value != nil ||
		d.Exceptions.SLAHours != 48 || len(d.Unapplied.Buckets) != 5 ||
		len(d.Exceptions.ByAge) != 5 {
		t.Errorf("empty dashboard %+v", d)
	}
}

func TestParseQuery(t *testing.T) {
	t.Parallel()

	ok := map[string]struct {
		from, to time.Time
		currency string
	}{
		"":                                 {date(10, 22), date(11, 20), ""},
		"days=1":                           {date(11, 20), date(11, 20), ""},
		"days=366&currency=usd":            {date(11, 20).AddDate(0, 0, -365), date(11, 20), "USD"},
		"from=2026-11-01&to=2026-11-07":    {date(11, 1), date(11, 7), ""},
		"from=&to=&days=&currency=":        {date(10, 22), date(11, 20), ""},
		"from=2025-11-20&to=2026-11-20":    {date(11, 20).AddDate(-1, 0, 0), date(11, 20), ""},
		"days=7&currency=GBP&other=ignore": {date(11, 14), date(11, 20), "GBP"},
	}

	for raw, want := range ok {
		v, _ := url.ParseQuery(raw)

		q, err := dashboard.ParseQuery(v, now)
		if err != nil || !q.Period.From.Equal(want.from) || !q.Period.To.Equal(want.to) ||
			q.Currency != want.currency {
			t.Errorf("%q: %v %v..%v %q, want %v..%v %q", raw, err, q.Period.From,
				q.Period.To, q.Currency, want.from, want.to, want.currency)
		}
	}

	bad := map[string]string{
		"days=0":                         "days",
		"days=367":                       "days",
		"days=x":                         "days",
		"days=7&from=2026-11-01":         "days",
		"from=2026-11-01":                "to",
		"to=2026-11-01":                  "from",
		"from=2026-13-01&to=2026-11-02":  "from",
		"from=2026-11-05&to=2026-11-01":  "from",
		"from=2026-11-01&to=2026-11-21":  "to",
		"from=2025-11-19&to=2026-11-20":  "from",
		"currency=EURO":                  "currency",
		"currency=XYZ":                   "currency",
		"currency=%3Cscript%3E&days=abc": "currency",
	}

	for raw, field := range bad {
		v, _ := url.ParseQuery(raw)

		_, err := dashboard.ParseQuery(v, now)

		var qe *dashboard.QueryError
		if !errors.As(err, &qe) || !errors.Is(err, dashboard.ErrInvalid) ||
			qe.Fields[0].Field != field {
			t.Errorf("%q: %v, want an error naming %s first", raw, err, field)
		}
	}
}
