package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// incoming selects the cash payments: incoming payments that are cash. The first
// two conditions are those of the payments_cash_day index (0017); a credit of
// kind payment is never not_cash (store.InsertPayments stores every other
// transaction as not_cash, and nothing makes a payment not_cash later), the third
// says so for the reader.
const incoming = incomingPayment + ` AND p.status <> 'not_cash'`

// incomingPayment is incoming without reading the payment's status: the index
// alone answers it.
const incomingPayment = `p.direction = 'credit' AND p.kind = 'payment'`

// cashDay is the day a payment's cash was received, as the index has it.
const cashDay = `cash_day(p.booking_date, p.value_date, p.created_at)`

const cashByCurrencySQL = `SELECT p.currency, count(*), COALESCE(sum(p.amount_minor), 0)
	FROM payments p
	WHERE ` + incomingPayment + ` AND ` + cashDay + ` BETWEEN $1 AND $2
	GROUP BY p.currency`

const unappliedSQL = `WITH u AS (
		SELECT p.currency, p.status, p.unapplied_minor, $1::date - ` + cashDay + ` AS age
		FROM payments p
		WHERE ` + incoming + ` AND p.status <> 'returned' AND p.unapplied_minor > 0)
	SELECT currency, status,
		CASE WHEN age <= 7 THEN 0 WHEN age <= 30 THEN 1 WHEN age <= 60 THEN 2
			WHEN age <= 90 THEN 3 ELSE 4 END AS bucket,
		count(*), sum(unapplied_minor), max(age)
	FROM u GROUP BY 1, 2, 3`

// openExceptionsSQL counts the open exceptions by currency, reason, age bucket
// and side of the SLA. The buckets' bounds are instants ($1 to $4: opened after
// a day ago, two days, seven days, thirty days ago), and $5 is when an exception
// opened then would reach the SLA now: comparing timestamps is cheaper than
// computing each age.
const openExceptionsSQL = `SELECT currency, reason,
		CASE WHEN created_at > $1 THEN 0 WHEN created_at > $2 THEN 1
			WHEN created_at > $3 THEN 2 WHEN created_at > $4 THEN 3 ELSE 4 END AS bucket,
		created_at >= $5 AS within,
		count(*), sum(amount_minor), min(created_at)
	FROM exceptions WHERE status = 'open'
	GROUP BY 1, 2, 3, 4`

const invoiceTotalsSQL = `SELECT currency,
			COALESCE(sum(open_minor) FILTER (WHERE status = 'open'), 0),
			count(*) FILTER (WHERE status = 'open' AND open_minor > 0),
			COALESCE(sum(total_minor) FILTER (WHERE issue_date BETWEEN $1 AND $2
				AND status NOT IN ('failed', 'voided', 'sync_mismatch')), 0),
			count(*) FILTER (WHERE status IN ('failed', 'sync_mismatch')),
			COALESCE(sum(total_minor) FILTER (WHERE status IN ('failed', 'sync_mismatch')),
				0),
			count(*) FILTER (WHERE status = 'requested'),
			COALESCE(sum(total_minor) FILTER (WHERE status = 'requested'), 0)
		FROM invoices GROUP BY currency`

const pushesSQL = `SELECT (l.at AT TIME ZONE 'UTC')::date,
			count(DISTINCT l.entity_id) FILTER (WHERE l.action = 'pushed'),
			count(DISTINCT l.entity_id) FILTER (WHERE l.action IN ('push_failed',
				'sync_mismatch'))
		FROM audit_log l JOIN invoices i ON i.number = l.entity_id
		WHERE l.entity = 'invoice' AND l.action IN ('pushed', 'push_failed', 'sync_mismatch')
			AND l.at >= $2 AND l.at < $3 AND i.currency = $1
		GROUP BY 1`

const pushErrorsSQL = `SELECT push_error, count(*) FROM invoices
		WHERE status IN ('failed', 'sync_mismatch') AND currency = $1
		GROUP BY push_error ORDER BY count(*) DESC, push_error LIMIT 5`

// cashByCurrency adds up the cash received in the period per currency.
func cashByCurrency(ctx context.Context, tx pgx.Tx, q Query, all currencies) error {
	rows, err := tx.Query(ctx, cashByCurrencySQL, q.Period.From, q.Period.To)
	if err != nil {
		return fmt.Errorf("sum cash received: %w", err)
	}

	var (
		code string
		t    Tally
	)

	_, err = pgx.ForEachRow(rows, []any{&code, &t.Count, &t.Minor}, func() error {
		all.get(code).Received = t
		return nil
	})
	if err != nil {
		return fmt.Errorf("sum cash received: %w", err)
	}

	return nil
}

// unappliedTotals is one currency's unapplied cash by status and age bucket.
type unappliedTotals struct {
	status  map[string]Tally
	buckets []Tally
	oldest  int
}

func (u *unappliedTotals) report() UnappliedReport {
	r := UnappliedReport{ByStatus: []StatusTally{}, Buckets: make([]AgeBucket,
		len(unappliedBuckets))}

	for i, b := range unappliedBuckets {
		r.Buckets[i].Label = b.label
	}

	if u == nil {
		return r
	}

	for s, t := range u.status {
		r.ByStatus = append(r.ByStatus, StatusTally{Status: s, Tally: t})
		r.Total.Count += t.Count
		r.Total.Minor += t.Minor
	}

	slices.SortFunc(r.ByStatus, func(a, b StatusTally) int {
		if a.Minor != b.Minor {
			return cmp.Compare(b.Minor, a.Minor)
		}

		return cmp.Compare(a.Status, b.Status)
	})

	for i := range r.Buckets {
		r.Buckets[i].Tally = u.buckets[i]
	}

	r.OldestDays = u.oldest

	return r
}

// unapplied sums the unapplied cash now per currency, status and age bucket.
func unapplied(ctx context.Context, tx pgx.Tx, q Query,
	all currencies) (map[string]*unappliedTotals, error) {
	rows, err := tx.Query(ctx, unappliedSQL, day(q.Now))
	if err != nil {
		return nil, fmt.Errorf("sum unapplied cash: %w", err)
	}

	out := map[string]*unappliedTotals{}

	var (
		code, status string
		bucket       int
		t            Tally
		oldest       int
	)

	_, err = pgx.ForEachRow(rows, []any{&code, &status, &bucket, &t.Count, &t.Minor, &oldest},
		func() error {
			u, ok := out[code]
			if !ok {
				u = &unappliedTotals{status: map[string]Tally{},
					buckets: make([]Tally, len(unappliedBuckets))}
				out[code] = u
			}

			s := u.status[status]
			s.Count += t.Count
			s.Minor += t.Minor
			u.status[status] = s
			u.buckets[bucket].Count += t.Count
			u.buckets[bucket].Minor += t.Minor
			u.oldest = max(u.oldest, oldest)

			sum := all.get(code)
			sum.Unapplied.Count += t.Count
			sum.Unapplied.Minor += t.Minor

			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("sum unapplied cash: %w", err)
	}

	return out, nil
}

// exceptionTotals is one currency's open exceptions by reason and age bucket.
type exceptionTotals struct {
	reasons map[string]*ReasonRow
	ages    []ExceptionAge
	oldest  time.Time
}

func (e *exceptionTotals) report(q Query) ExceptionReport {
	r := ExceptionReport{SLAHours: int(q.SLA / time.Hour), ByReason: []ReasonRow{},
		ByAge: make([]ExceptionAge, len(exceptionBuckets))}

	for i, b := range exceptionBuckets {
		r.ByAge[i].Label = b.label
	}

	if e == nil {
		return r
	}

	for _, row := range e.reasons {
		r.ByReason = append(r.ByReason, *row)
		r.Open.Count += row.Open.Count
		r.Open.Minor += row.Open.Minor
		r.WithinSLA += row.WithinSLA
		r.Breached += row.Breached
	}

	slices.SortFunc(r.ByReason, func(a, b ReasonRow) int {
		if a.Open.Count != b.Open.Count {
			return cmp.Compare(b.Open.Count, a.Open.Count)
		}

		return cmp.Compare(a.Reason, b.Reason)
	})

	copy(r.ByAge, e.ages)
	r.OldestHours = hours(q.Now.Sub(e.oldest))

	return r
}

// hours is d in whole hours, never below zero.
func hours(d time.Duration) int64 {
	return max(int64(d/time.Hour), 0)
}

// openExceptions counts the open exceptions per currency, reason, age bucket and
// side of the SLA.
func openExceptions(ctx context.Context, tx pgx.Tx, q Query,
	all currencies) (map[string]*exceptionTotals, error) {
	bounds := make([]any, 0, len(exceptionBuckets))
	for _, b := range exceptionBuckets[:len(exceptionBuckets)-1] {
		bounds = append(bounds, q.Now.Add(-b.below))
	}

	rows, err := tx.Query(ctx, openExceptionsSQL, append(bounds, q.Now.Add(-q.SLA))...)
	if err != nil {
		return nil, fmt.Errorf("count open exceptions: %w", err)
	}

	out := map[string]*exceptionTotals{}

	var (
		code, reason string
		bucket       int
		within       bool
		t            Tally
		oldest       time.Time
	)

	_, err = pgx.ForEachRow(rows, []any{&code, &reason, &bucket, &within, &t.Count, &t.Minor,
		&oldest}, func() error {
		e, ok := out[code]
		if !ok {
			e = &exceptionTotals{reasons: map[string]*ReasonRow{},
				ages: make([]ExceptionAge, len(exceptionBuckets)), oldest: oldest}
			for i, b := range exceptionBuckets {
				e.ages[i].Label = b.label
			}

			out[code] = e
		}

		r, ok := e.reasons[reason]
		if !ok {
			r = &ReasonRow{Reason: reason}
			e.reasons[reason] = r
		}

		age := &e.ages[bucket]

		r.Open.Count += t.Count
		r.Open.Minor += t.Minor
		age.Open.Count += t.Count
		age.Open.Minor += t.Minor

		if within {
			r.WithinSLA += t.Count
			age.WithinSLA += t.Count
		} else {
			r.Breached += t.Count
			age.Breached += t.Count
		}

		r.OldestHours = max(r.OldestHours, hours(q.Now.Sub(oldest)))

		if oldest.Before(e.oldest) {
			e.oldest = oldest
		}

		sum := all.get(code)
		sum.OpenExceptions.Count += t.Count
		sum.OpenExceptions.Minor += t.Minor

		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count open exceptions: %w", err)
	}

	return out, nil
}

// invoiceFigures is one currency's invoice totals now and in the period.
type invoiceFigures struct {
	receivables, sales int64
	failed, waiting    Tally
}

// invoiceTotals sums per currency the open receivables, the credit sales of the
// period, and the invoices refused by the ERP or waiting to be pushed.
func invoiceTotals(ctx context.Context, tx pgx.Tx, q Query,
	all currencies) (map[string]invoiceFigures, error) {
	rows, err := tx.Query(ctx, invoiceTotalsSQL, q.Period.From, q.Period.To)
	if err != nil {
		return nil, fmt.Errorf("sum invoices: %w", err)
	}

	out := map[string]invoiceFigures{}

	var (
		code    string
		f       invoiceFigures
		openNum int64
	)

	_, err = pgx.ForEachRow(rows, []any{&code, &f.receivables, &openNum, &f.sales,
		&f.failed.Count, &f.failed.Minor, &f.waiting.Count, &f.waiting.Minor}, func() error {
		out[code] = f
		all.get(code).OpenReceivables = Tally{Count: openNum, Minor: f.receivables}

		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sum invoices: %w", err)
	}

	return out, nil
}

// cashDaysSQL classes each cash payment of currency $1 received from day $2 to $3
// and adds them up per day.
const cashDaysSQL = `WITH classed AS (
		SELECT ` + cashDay + ` AS day, p.amount_minor, p.status,
			CASE WHEN p.status = 'returned' THEN 0 ELSE p.unapplied_minor END AS unapplied,
			COALESCE(x.auto, 0) AS auto, COALESCE(x.manual, 0) AS manual
		FROM payments p
		LEFT JOIN LATERAL (
			SELECT sum(a.amount_minor) FILTER (WHERE a.source = 'auto') AS auto,
				sum(a.amount_minor) FILTER (WHERE a.source = 'manual') AS manual
			FROM applications a
			WHERE a.payment_id = p.id AND a.reversed_at IS NULL) x ON true
		WHERE ` + incoming + ` AND p.currency = $1 AND ` + cashDay + ` BETWEEN $2 AND $3)
	SELECT day, count(*), sum(amount_minor),
		count(*) FILTER (WHERE ` + classAuto + `), sum(auto),
		count(*) FILTER (WHERE ` + classManual + `), sum(manual),
		count(*) FILTER (WHERE ` + classUnapplied + `), sum(unapplied),
		count(*) FILTER (WHERE ` + classReturned + `),
		COALESCE(sum(amount_minor) FILTER (WHERE status = 'returned'), 0)
	FROM classed GROUP BY day`

// The classes of a payment of cashDaysSQL, exclusive: returned, else unapplied,
// else manual, else auto, else returned (nothing applied, nothing left).
const (
	classUnapplied = `status <> 'returned' AND unapplied > 0`
	classManual    = `status <> 'returned' AND unapplied <= 0 AND manual > 0`
	classAuto      = `status <> 'returned' AND unapplied <= 0 AND manual = 0 AND auto > 0`
	classReturned  = `(status = 'returned' OR unapplied <= 0 AND manual = 0 AND auto = 0)`
)

// cashDays classes the cash received each day of the period; see CashReport.
func cashDays(ctx context.Context, tx pgx.Tx, p Period, currency string) (CashReport,
	error) {
	rows, err := tx.Query(ctx, cashDaysSQL, currency, p.From, p.To)
	if err != nil {
		return CashReport{}, fmt.Errorf("class cash received: %w", err)
	}

	byDay := map[time.Time]CashDay{}

	var (
		d   time.Time
		row CashDay
	)

	_, err = pgx.ForEachRow(rows, []any{&d, &row.Received.Count, &row.Received.Minor,
		&row.Auto.Count, &row.Auto.Minor, &row.Manual.Count, &row.Manual.Minor,
		&row.Unapplied.Count, &row.Unapplied.Minor, &row.Returned.Count,
		&row.Returned.Minor}, func() error {
		byDay[day(d)] = row
		return nil
	})
	if err != nil {
		return CashReport{}, fmt.Errorf("class cash received: %w", err)
	}

	r := CashReport{Days: make([]CashDay, 0, p.Days())}

	for _, date := range p.Dates() {
		row := byDay[date]
		row.Date = date.Format(dateLayout)
		row.rates()
		r.Days = append(r.Days, row)
		r.Total.add(row)
	}

	r.Total.rates()

	return r, nil
}

// pushes counts the invoices pushed and refused each day of the period, and the
// commonest errors of those refused now.
func (d *Dashboard) pushes(ctx context.Context, tx pgx.Tx, p Period) error {
	rows, err := tx.Query(ctx, pushesSQL, d.Currency, p.From, p.To.AddDate(0, 0, 1))
	if err != nil {
		return fmt.Errorf("count invoice pushes: %w", err)
	}

	byDay := map[time.Time]InvoiceDay{}

	var (
		date time.Time
		row  InvoiceDay
	)

	_, err = pgx.ForEachRow(rows, []any{&date, &row.Pushed, &row.Failed}, func() error {
		byDay[day(date)] = row
		return nil
	})
	if err != nil {
		return fmt.Errorf("count invoice pushes: %w", err)
	}

	r := &d.Invoices
	r.Days = make([]InvoiceDay, 0, p.Days())

	for _, date := range p.Dates() {
		row := byDay[date]
		row.Date = date.Format(dateLayout)
		r.Days = append(r.Days, row)
		r.Pushed += row.Pushed
		r.Failed += row.Failed
	}

	rows, err = tx.Query(ctx, pushErrorsSQL, d.Currency)
	if err != nil {
		return fmt.Errorf("list push errors: %w", err)
	}

	var e PushError

	_, err = pgx.ForEachRow(rows, []any{&e.Message, &e.Count}, func() error {
		r.Errors = append(r.Errors, e)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list push errors: %w", err)
	}

	return nil
}
