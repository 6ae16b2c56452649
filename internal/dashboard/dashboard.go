// Package dashboard computes the figures of the dashboard every role shares: what
// became of the cash received each day (the auto-match rate by payments and by
// amount), unapplied cash and its age, open exceptions against their SLA, invoices
// pushed to the ERP and refused by it, and days sales outstanding.
//
// Every figure is an aggregate computed by PostgreSQL, read live in one snapshot
// (a read-only repeatable-read transaction), so the numbers of one answer agree
// with each other. Amounts are per currency and never added across currencies.
// Days are UTC dates.
package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Query says what to compute.
type Query struct {
	// Period is the days the per-day figures cover.
	Period Period
	// Currency is the one currency the detailed figures are in; "" picks the one
	// with the most cash payments received in the period (then the largest amount
	// of them, then the first by code).
	Currency string
	// Now is the moment ages are measured from. Defaults to time.Now().
	Now time.Time
	// SLA is how long an exception may stay open before it is breached. Defaults
	// to DefaultSLA.
	SLA time.Duration
}

// Tally is a number of items and their amount in minor units of the dashboard's
// currency.
type Tally struct {
	Count int64 `json:"count"`
	Minor int64 `json:"amount_minor"`
}

// Dashboard is every figure of one answer.
type Dashboard struct {
	// Currency is the currency of every amount below but Currencies'; "" when o2c
	// holds no data at all.
	Currency string `json:"currency"`
	Period   Period `json:"period"`
	// Now is the moment ages were measured from.
	Now time.Time `json:"now"`
	// Currencies summarises each currency o2c holds data in, by code, for the
	// currency selector.
	Currencies []CurrencySummary `json:"currencies"`
	Cash       CashReport        `json:"cash"`
	Unapplied  UnappliedReport   `json:"unapplied"`
	Exceptions ExceptionReport   `json:"exceptions"`
	Invoices   InvoiceReport     `json:"invoices"`
	DSO        DSO               `json:"dso"`
}

// CurrencySummary is one currency's headline figures, each in that currency.
type CurrencySummary struct {
	Currency string `json:"currency"`
	// Received is the cash received in the period.
	Received Tally `json:"received"`
	// Unapplied is the unapplied cash now.
	Unapplied Tally `json:"unapplied"`
	// OpenExceptions are the exceptions open now.
	OpenExceptions Tally `json:"open_exceptions"`
	// OpenReceivables is what open invoices still owe now.
	OpenReceivables Tally `json:"open_receivables"`
}

// CashReport is what became of the cash received in the period, per day.
//
// Cash is every incoming payment (direction credit, status not not_cash) of the
// currency, on the day it was received: its booking date, else its value date,
// else the day o2c stored it (UTC). Each payment counts once, in the first of
// these classes that fits it as it stands now:
//
//   - returned: the bank took the money back (status returned), or nothing was
//     applied and nothing is left to apply;
//   - unapplied: some of it is still unapplied (an exception, a partial
//     application, cash parked on account or waiting to be paid back);
//   - manual: wholly applied, at least in part by a person;
//   - auto: wholly applied by the matching engine alone.
//
// By amount, auto and manual are the cash of the applications standing now (not
// reversed) by source, unapplied what the payments have left to apply, and
// returned the amount of the returned payments. The auto-match rate is auto over
// all cash received, by payments and by amount.
type CashReport struct {
	Days []CashDay `json:"days"`
	// Total adds up the days.
	Total CashDay `json:"total"`
}

// CashDay is the cash received on one day, by what became of it.
type CashDay struct {
	// Date is the day, YYYY-MM-DD; "" for a total.
	Date      string `json:"date,omitempty"`
	Received  Tally  `json:"received"`
	Auto      Tally  `json:"auto"`
	Manual    Tally  `json:"manual"`
	Unapplied Tally  `json:"unapplied"`
	Returned  Tally  `json:"returned"`
	// AutoRateByCount is Auto.Count / Received.Count, nil without payments.
	AutoRateByCount *float64 `json:"auto_rate_by_count"`
	// AutoRateByAmount is Auto.Minor / Received.Minor, nil without an amount.
	AutoRateByAmount *float64 `json:"auto_rate_by_amount"`
}

func (d *CashDay) add(o CashDay) {
	for _, p := range [][2]*Tally{{&d.Received, &o.Received}, {&d.Auto, &o.Auto},
		{&d.Manual, &o.Manual}, {&d.Unapplied, &o.Unapplied}, {&d.Returned, &o.Returned}} {
		p[0].Count += p[1].Count
		p[0].Minor += p[1].Minor
	}
}

func (d *CashDay) rates() {
	d.AutoRateByCount = ratio(d.Auto.Count, d.Received.Count)
	d.AutoRateByAmount = ratio(d.Auto.Minor, d.Received.Minor)
}

func ratio(part, whole int64) *float64 {
	if whole <= 0 {
		return nil
	}

	r := float64(part) / float64(whole)

	return &r
}

// UnappliedReport is the currency's unapplied cash now: what incoming payments
// (not returned) have left to apply, unapplied_minor above zero, aged from the
// day each was received.
type UnappliedReport struct {
	Total Tally `json:"total"`
	// ByStatus splits it by the payments' status (exception, partly_applied,
	// on_account, refund_pending, return_pending, new), largest first.
	ByStatus []StatusTally `json:"by_status"`
	// Buckets split it by age in days: 0–7, 8–30, 31–60, 61–90, over 90.
	Buckets []AgeBucket `json:"buckets"`
	// OldestDays is the age of the oldest, 0 when there is none.
	OldestDays int `json:"oldest_days"`
}

// StatusTally is a tally of the payments in one status.
type StatusTally struct {
	Status string `json:"status"`
	Tally
}

// AgeBucket is a tally of the items whose age falls in a range.
type AgeBucket struct {
	Label string `json:"label"`
	Tally
}

// unappliedBuckets are the ages of unapplied cash, in whole days: each bucket
// holds ages up to its bound, the last any age above.
var unappliedBuckets = []struct {
	label string
	upTo  int
}{{"0–7 days", 7}, {"8–30 days", 30}, {"31–60 days", 60}, {"61–90 days", 90},
	{"over 90 days", -1}}

// ExceptionReport is the currency's open exceptions now (status open), aged from
// when each was opened and held against the SLA: one open longer than the SLA is
// breached.
type ExceptionReport struct {
	SLAHours  int   `json:"sla_hours"`
	Open      Tally `json:"open"`
	WithinSLA int64 `json:"within_sla"`
	Breached  int64 `json:"breached"`
	// OldestHours is how long the oldest has been open, in whole hours.
	OldestHours int64 `json:"oldest_hours"`
	// ByReason has a row per reason, most first.
	ByReason []ReasonRow `json:"by_reason"`
	// ByAge splits them by age: under 1 day, 1–2 days, 2–7 days, 7–30 days, 30
	// days and over.
	ByAge []ExceptionAge `json:"by_age"`
}

// ReasonRow is the open exceptions of one reason.
type ReasonRow struct {
	Reason      string `json:"reason"`
	Open        Tally  `json:"open"`
	WithinSLA   int64  `json:"within_sla"`
	Breached    int64  `json:"breached"`
	OldestHours int64  `json:"oldest_hours"`
}

// ExceptionAge is the open exceptions of one age range.
type ExceptionAge struct {
	Label     string `json:"label"`
	Open      Tally  `json:"open"`
	WithinSLA int64  `json:"within_sla"`
	Breached  int64  `json:"breached"`
}

// exceptionBuckets are the ages of open exceptions: each holds ages below its
// bound, the last any age from the one before.
var exceptionBuckets = []struct {
	label string
	below time.Duration
}{{"under 1 day", 24 * time.Hour}, {"1–2 days", 48 * time.Hour},
	{"2–7 days", 7 * 24 * time.Hour}, {"7–30 days", 30 * 24 * time.Hour},
	{"30 days and over", -1}}

// InvoiceReport is the currency's invoices pushed to the ERP: per day, the
// invoices the ERP accepted (audit action "pushed") and refused for good
// ("push_failed") or totalled differently from the CRM ("sync_mismatch") that
// day; and now, those still refused or mismatched, and those waiting.
type InvoiceReport struct {
	Days   []InvoiceDay `json:"days"`
	Pushed int64        `json:"pushed"`
	Failed int64        `json:"failed"`
	// FailedNow are the invoices whose status is failed or sync_mismatch now,
	// with their totals.
	FailedNow Tally `json:"failed_now"`
	// Waiting are the invoices raised and not yet accepted (status requested).
	Waiting Tally `json:"waiting"`
	// Errors are the commonest push errors of FailedNow, at most five.
	Errors []PushError `json:"errors"`
}

// InvoiceDay is the invoices pushed and refused on one day.
type InvoiceDay struct {
	Date   string `json:"date"`
	Pushed int64  `json:"pushed"`
	Failed int64  `json:"failed"`
}

// PushError is a push error and how many failed invoices carry it.
type PushError struct {
	Message string `json:"message"`
	Count   int64  `json:"count"`
}

// DSO is days sales outstanding over the period:
//
//	DSO = open receivables / credit sales of the period × days in the period
//
// Open receivables are the open amounts of the currency's invoices open in the
// ERP now (status open); credit sales the totals of the invoices issued in the
// period, but those the ERP refused, totalled differently from the CRM
// (sync_mismatch) or that were voided.
type DSO struct {
	OpenReceivablesMinor int64 `json:"open_receivables_minor"`
	CreditSalesMinor     int64 `json:"credit_sales_minor"`
	Days                 int   `json:"days"`
	// Value is the DSO in days; nil when the period has no credit sales.
	Value *float64 `json:"value"`
}

// Load computes the dashboard for q in one read-only snapshot.
func Load(ctx context.Context, pool *pgxpool.Pool, q Query) (*Dashboard, error) {
	if q.Now.IsZero() {
		q.Now = time.Now()
	}

	if q.SLA <= 0 {
		q.SLA = DefaultSLA
	}

	if q.Period.From.IsZero() {
		q.Period = LastDays(q.Now, DefaultDays)
	}

	d := &Dashboard{Currency: q.Currency, Period: q.Period, Now: q.Now.UTC()}

	err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead,
		AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		return d.load(ctx, tx, q)
	})
	if err != nil {
		return nil, fmt.Errorf("read dashboard: %w", err)
	}

	return d, nil
}

// load runs the queries: first those over every currency, which pick the
// default currency, then those of the one currency.
func (d *Dashboard) load(ctx context.Context, tx pgx.Tx, q Query) error {
	all := newCurrencies()

	if err := cashByCurrency(ctx, tx, q, all); err != nil {
		return err
	}

	byStatus, err := unapplied(ctx, tx, q, all)
	if err != nil {
		return err
	}

	excs, err := openExceptions(ctx, tx, q, all)
	if err != nil {
		return err
	}

	invs, err := invoiceTotals(ctx, tx, q, all)
	if err != nil {
		return err
	}

	d.Currencies = all.list()

	if d.Currency == "" {
		d.Currency = all.busiest()
	}

	d.Unapplied = byStatus[d.Currency].report()
	d.Exceptions = excs[d.Currency].report(q)

	inv := invs[d.Currency]
	d.Invoices = InvoiceReport{FailedNow: inv.failed, Waiting: inv.waiting,
		Errors: []PushError{}}
	d.DSO = DSO{OpenReceivablesMinor: inv.receivables, CreditSalesMinor: inv.sales,
		Days: q.Period.Days()}

	if inv.sales > 0 {
		v := float64(inv.receivables) / float64(inv.sales) * float64(d.DSO.Days)
		d.DSO.Value = &v
	}

	if d.Cash, err = cashDays(ctx, tx, q.Period, d.Currency); err != nil {
		return err
	}

	return d.pushes(ctx, tx, q.Period)
}

// currencies gathers the per-currency summaries.
type currencies map[string]*CurrencySummary

func newCurrencies() currencies { return currencies{} }

func (c currencies) get(code string) *CurrencySummary {
	s, ok := c[code]
	if !ok {
		s = &CurrencySummary{Currency: code}
		c[code] = s
	}

	return s
}

func (c currencies) list() []CurrencySummary {
	out := make([]CurrencySummary, 0, len(c))
	for _, s := range c {
		out = append(out, *s)
	}

	slices.SortFunc(out, func(a, b CurrencySummary) int {
		return cmp.Compare(a.Currency, b.Currency)
	})

	return out
}

// busiest is the currency with the most cash payments received in the period,
// then the largest amount of them, then the first by code; amounts of different
// currencies are only compared to break a tie. "" when there is no currency.
func (c currencies) busiest() string {
	best := ""

	for _, s := range c.list() {
		if best == "" {
			best = s.Currency
			continue
		}

		b := c[best]
		if s.Received.Count > b.Received.Count ||
			s.Received.Count == b.Received.Count && s.Received.Minor > b.Received.Minor {
			best = s.Currency
		}
	}

	return best
}
