package reconcile

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/money"
)

// decision is what the outputs need of one payment and the engine's decision.
type decision struct {
	id        string
	bankRef   string
	valueDate time.Time
	payer     string
	amount    money.Amount
	apps      []matching.Application
	exception *matching.Exception
	// rev is set for a return or reversal: its row of reversals.csv. Its apps
	// then undo earlier applications (negative amounts) and amount is negated
	// when it undid a payment.
	rev *reversalRow
}

// recordBatch is how many decisions are handed to the writing goroutine at once.
const recordBatch = 512

// recorder writes decisions to applications.csv and exceptions.csv on a
// goroutine of its own, in the order they were put, so that formatting and
// writing the rows runs beside the matching.
type recorder struct {
	batch  []decision
	queue  chan []decision
	free   chan []decision // written batches, cleared, to fill again
	done   chan struct{}
	closed bool
	// err is the first write error. The writing goroutine sets it and stops
	// writing; it is final once done is closed.
	err atomic.Pointer[error]
	// app and exc are the writing goroutine's rows, filled for each line.
	app [12]string
	exc [8]string
	rev [13]string
}

// newRecorder starts the writing goroutine. close must be called to end it.
func newRecorder(out *outputs) *recorder {
	r := &recorder{
		batch: make([]decision, 0, recordBatch),
		queue: make(chan []decision, 4),
		free:  make(chan []decision, 6),
		done:  make(chan struct{}),
	}

	go r.write(out)

	return r
}

// put queues one decision for writing.
func (r *recorder) put(d decision) {
	r.batch = append(r.batch, d)
	if len(r.batch) == recordBatch {
		r.queue <- r.batch
		select {
		case r.batch = <-r.free:
		default:
			r.batch = make([]decision, 0, recordBatch)
		}
	}
}

// failed returns the write error met so far, if any.
func (r *recorder) failed() error {
	if p := r.err.Load(); p != nil {
		return *p
	}

	return nil
}

// close writes what is queued, ends the writing goroutine and returns the first
// write error. Calling it again returns the same error.
func (r *recorder) close() error {
	if !r.closed {
		r.closed = true
		if len(r.batch) > 0 {
			r.queue <- r.batch
		}

		close(r.queue)
		<-r.done
	}

	return r.failed()
}

// write is the writing goroutine.
func (r *recorder) write(out *outputs) {
	defer close(r.done)

	for batch := range r.queue {
		if r.failed() != nil {
			continue // drain, so that put never blocks for good
		}

		for i := range batch {
			if err := r.writeDecision(out, &batch[i]); err != nil {
				r.err.Store(&err)
				break
			}
		}

		clear(batch)
		select {
		case r.free <- batch[:0]:
		default:
		}
	}
}

// writeDecision writes a payment's decision to the outputs.
func (r *recorder) writeDecision(out *outputs, d *decision) error {
	cur := d.amount.Currency
	exp, err := money.Exponent(cur)
	if err != nil {
		exp = 2
	}

	date := ""
	if !d.valueDate.IsZero() {
		date = d.valueDate.Format("2006-01-02")
	}

	payment := money.FormatMinor(d.amount.Minor, exp)
	for _, a := range d.apps {
		r.app = [12]string{
			cell(d.id), cell(d.bankRef), date, cell(d.payer), payment, cur,
			cell(a.InvoiceNumber),
			money.FormatMinor(a.Amount, exp), money.FormatMinor(a.Discount, exp),
			money.FormatMinor(a.WriteOff, exp), a.Rule,
			strconv.FormatFloat(a.Confidence, 'f', 3, 64),
		}
		if err := out.apps.Write(r.app[:]); err != nil {
			return fmt.Errorf("write applications: %w", err)
		}
	}

	if x := d.exception; x != nil {
		cands := make([]string, 0, len(x.Candidates))
		for _, c := range x.Candidates {
			cands = append(cands, c.InvoiceNumber)
		}

		r.exc = [8]string{
			cell(d.id), cell(d.bankRef), date, cell(d.payer), money.FormatMinor(x.Amount, exp),
			cur, x.Reason, cell(strings.Join(cands, ";")),
		}
		if err := out.excs.Write(r.exc[:]); err != nil {
			return fmt.Errorf("write exceptions: %w", err)
		}
	}

	if v := d.rev; v != nil {
		amount := d.amount.Minor
		if amount < 0 {
			amount = -amount
		}

		r.rev = [13]string{
			cell(d.id), cell(d.bankRef), date, cell(d.payer), money.FormatMinor(amount, exp),
			cur, v.kind, cell(v.returnCode), v.outcome, v.reason, cell(v.origID),
			cell(v.origRef), cell(v.message),
		}
		if err := out.revs.Write(r.rev[:]); err != nil {
			return fmt.Errorf("write reversals: %w", err)
		}
	}

	return nil
}
