package exceptions_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

func TestApplyToTwoInvoicesPublishesForTheERP(t *testing.T) {
	t.Parallel()

	f := seed(t, 100050, "EUR", twoInvoices()...)
	ctx := context.Background()
	before := f.topics(t)

	out, err := f.svc.Apply(ctx, f.exception.ID, "ana", exceptions.ApplyRequest{
		Lines: []exceptions.Line{{InvoiceNumber: "INV-1001", Amount: "640.00"},
			{InvoiceNumber: "INV-1002", Amount: "360.50"}},
		Note: "remittance by email"})
	if err != nil {
		t.Fatal(err)
	}

	if out.Status != store.ExceptionResolved || len(out.Applications) != 2 ||
		out.UnappliedMinor != 0 || out.Currency != "EUR" {
		t.Fatalf("outcome %+v", out)
	}

	if a, b := f.open(t, "INV-1001"), f.open(t, "INV-1002"); a != 0 || b != 50000-36050 {
		t.Errorf("invoices open %d and %d, want 0 and %d", a, b, 50000-36050)
	}

	p := f.pay(t, f.payment.ID)
	if p.Status != store.PaymentApplied || p.Unapplied != 0 || p.CustomerID != "CUST-7" {
		t.Errorf("payment %s unapplied %d customer %q, want applied 0 CUST-7 (the invoices' "+
			"customer)", p.Status, p.Unapplied, p.CustomerID)
	}

	e := f.exc(t, f.exception.ID)
	if e.Status != store.ExceptionResolved || e.ResolvedBy != "ana" || e.CustomerID != "CUST-7" {
		t.Errorf("exception %+v", e)
	}

	var res struct {
		Action       string  `json:"action"`
		Applications []int64 `json:"applications"`
	}

	if err := json.Unmarshal(e.Resolution, &res); err != nil || res.Action != "apply" ||
		len(res.Applications) != 2 {
		t.Errorf("resolution %s: %v", e.Resolution, err)
	}

	for _, a := range out.Applications {
		if a.Source != store.SourceManual || a.Actor != "ana" || a.ERPState != "pending" ||
			!strings.Contains(a.Explanation, "remittance by email") {
			t.Errorf("application %+v", a)
		}
	}

	if !f.audited(t, "exception", e.ID, store.ExceptionResolved, "ana") ||
		!f.audited(t, "payment", p.ID, "resolve", "ana") ||
		!f.audited(t, "payment", p.ID, "apply", "ana") {
		t.Error("the exception's resolution, the payment's change and the applications " +
			"are not all audited")
	}

	if got := f.topic(t, pipelines.TopicCashApplied); got != before[pipelines.TopicCashApplied]+1 {
		t.Errorf("%d messages for the ERP, want 1", got-before[pipelines.TopicCashApplied])
	}
}

func TestApplyRefusalsNameTheFields(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name  string
		req   exceptions.ApplyRequest
		field string
	}{
		{"no lines", exceptions.ApplyRequest{}, "lines"},
		{"no invoice number", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{Amount: "1.00"}}, Rest: "open"}, "lines[0].invoice_number"},
		{"unknown invoice", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-9", Amount: "1.00"}}, Rest: "open"}, "lines[0].invoice_number"},
		{"other currency", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-2001", Amount: "1.00"}}, Rest: "open"},
			"lines[0].invoice_number"},
		{"above the invoice", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-1001", Amount: "300.00"},
			{InvoiceNumber: "INV-1002", Amount: "500.01"}}, Rest: "open"}, "lines[1].amount"},
		{"above the payment", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-1001", Amount: "640.00"},
			{InvoiceNumber: "INV-1002", Amount: "400.00"}}}, "lines"},
		{"rest not said", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-1001", Amount: "640.00"}}}, "rest"},
		{"rest unknown", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-1001", Amount: "640.00"}}, Rest: "later"}, "rest"},
		{"negative", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-1001", Amount: "-1.00"}}, Rest: "open"}, "lines[0].amount"},
		{"float syntax", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-1001", Amount: "1e3"}}, Rest: "open"}, "lines[0].amount"},
		{"write-off without reason", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-1002", Amount: "499.00", WriteOff: "1.00"}}, Rest: "open"},
			"lines[0].writeoff_reason"},
		{"unknown reason code", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-1002", Amount: "499.00", WriteOff: "1.00",
				WriteOffReason: "goodwill"}}, Rest: "open"}, "lines[0].writeoff_reason"},
		{"reason without write-off", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-1002", Amount: "499.00", WriteOffReason: "bank_fee"}},
			Rest: "open"}, "lines[0].writeoff"},
		{"write-off past the invoice", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-1002", Amount: "499.00", WriteOff: "1.01",
				WriteOffReason: "rounding"}}, Rest: "open"}, "lines[0].amount"},
		{"unknown customer", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-1001", Amount: "640.00"}}, Rest: "on_account",
			CustomerID: "CUST-NONE"}, "customer_id"},
		{"control characters", exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-1001", Amount: "640.00"}}, Rest: "open", Note: "a\x00b"},
			"note"},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()

			f := seed(t, 100050, "EUR", append(twoInvoices(),
				invoice{"INV-2001", "USD", 90000})...)
			before := f.topics(t)

			_, err := f.svc.Apply(context.Background(), f.exception.ID, "ana", c.req)
			if got := fields(t, err); got[c.field] == "" {
				t.Errorf("fields %v, want %s", got, c.field)
			}

			f.untouched(t, before)
		})
	}
}

func TestSplitLeavesTheRestAsANewOpenException(t *testing.T) {
	t.Parallel()

	f := seed(t, 100050, "EUR", twoInvoices()...)
	f.withCandidates(t, store.Candidate{InvoiceNumber: "INV-1001", Score: 0.7},
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.6})
	ctx := context.Background()
	before := f.topics(t)

	out, err := f.svc.Split(ctx, f.exception.ID, "ana", exceptions.ApplyRequest{
		Lines: []exceptions.Line{{InvoiceNumber: "INV-1001", Amount: "640.00"}}})
	if err != nil {
		t.Fatal(err)
	}

	if out.RemainderID == 0 || out.UnappliedMinor != 36050 || out.ParkedMinor != 0 {
		t.Fatalf("outcome %+v", out)
	}

	rest := f.exc(t, out.RemainderID)
	if rest.Status != store.ExceptionOpen || rest.Amount != 36050 ||
		rest.ParentID != f.exception.ID || rest.Reason != exceptions.ReasonSplitRemainder ||
		rest.CustomerID != "CUST-7" {
		t.Errorf("remainder %+v", rest)
	}

	if len(rest.Candidates) != 1 || rest.Candidates[0].InvoiceNumber != "INV-1002" {
		t.Errorf("remainder candidates %+v, want INV-1002 only (INV-1001 is paid)",
			rest.Candidates)
	}

	p := f.pay(t, f.payment.ID)
	if p.Status != store.PaymentPartly || p.Unapplied != 36050 {
		t.Errorf("payment %s unapplied %d, want partly_applied 36050", p.Status, p.Unapplied)
	}

	if e := f.exc(t, f.exception.ID); e.Status != store.ExceptionResolved {
		t.Errorf("split exception %s, want resolved", e.Status)
	}

	for topic, want := range map[string]int{pipelines.TopicCashApplied: 1,
		pipelines.TopicExceptionsOpened: 1} {
		if got := f.topic(t, topic) - before[topic]; got != want {
			t.Errorf("%s: %d messages, want %d", topic, got, want)
		}
	}

	// Applying all of it is no split.
	_, err = f.svc.Split(ctx, rest.ID, "ana", exceptions.ApplyRequest{
		Lines: []exceptions.Line{{InvoiceNumber: "INV-1002", Amount: "360.50"}}})
	if got := fields(t, err); got["lines"] == "" {
		t.Errorf("fields %v, want lines", got)
	}

	// The remainder resolves like any exception.
	if _, err := f.svc.Apply(ctx, rest.ID, "bo", exceptions.ApplyRequest{
		Lines: []exceptions.Line{{InvoiceNumber: "INV-1002", Amount: "360.50"}}}); err != nil {
		t.Fatal(err)
	}

	if p := f.pay(t, f.payment.ID); p.Status != store.PaymentApplied || p.Unapplied != 0 {
		t.Errorf("payment %s unapplied %d, want applied 0", p.Status, p.Unapplied)
	}
}

func TestSplitRestOnAccount(t *testing.T) {
	t.Parallel()

	f := seed(t, 100050, "EUR", twoInvoices()...)

	out, err := f.svc.Split(context.Background(), f.exception.ID, "ana",
		exceptions.ApplyRequest{Rest: exceptions.RestOnAccount,
			Lines: []exceptions.Line{{InvoiceNumber: "INV-1001", Amount: "640.00"}}})
	if err != nil {
		t.Fatal(err)
	}

	if out.RemainderID != 0 || out.ParkedMinor != 36050 {
		t.Fatalf("outcome %+v", out)
	}

	if p := f.pay(t, f.payment.ID); p.Status != store.PaymentOnAccount || p.Unapplied != 36050 {
		t.Errorf("payment %s unapplied %d, want on_account 36050", p.Status, p.Unapplied)
	}

	if n := f.count(t, "SELECT count(*) FROM exceptions WHERE status = 'open'"); n != 0 {
		t.Errorf("%d open exceptions, want none", n)
	}
}

func TestWriteOffBelowTheLimitClosesTheInvoice(t *testing.T) {
	t.Parallel()

	// A short payment: 495.00 for the 500.00 of INV-1002, the best candidate.
	f := seed(t, 49500, "EUR", twoInvoices()...)
	f.withCandidates(t, store.Candidate{InvoiceNumber: "INV-1002", Score: 0.8},
		store.Candidate{InvoiceNumber: "INV-1001", Score: 0.3})
	before := f.topics(t)

	out, err := f.svc.WriteOff(context.Background(), f.exception.ID, "ana",
		exceptions.WriteOffRequest{Reason: "bank_fee", Note: "fee taken by their bank"})
	if err != nil {
		t.Fatal(err)
	}

	if out.Status != store.ExceptionResolved || out.WrittenOffMinor != 500 ||
		len(out.Applications) != 1 || out.Approval != nil {
		t.Fatalf("outcome %+v", out)
	}

	a := out.Applications[0]
	if a.InvoiceNumber != "INV-1002" || a.Amount != 49500 || a.WriteOff != 500 ||
		a.WriteOffReason != "bank_fee" {
		t.Errorf("application %+v", a)
	}

	inv, err := store.Invoice(context.Background(), f.pool, "INV-1002")
	if err != nil || inv.Open != 0 || inv.Status != store.InvoicePaid {
		t.Errorf("INV-1002 %+v %v, want paid", inv, err)
	}

	if got := f.topic(t, pipelines.TopicCashApplied); got != before[pipelines.TopicCashApplied]+1 {
		t.Errorf("no message for the ERP")
	}
}

func TestWriteOffRefusals(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name  string
		cands []store.Candidate
		req   exceptions.WriteOffRequest
		field string
	}{
		{"no reason", nil, exceptions.WriteOffRequest{InvoiceNumber: "INV-1002"},
			"lines[0].writeoff_reason"},
		{"tied candidates", []store.Candidate{{InvoiceNumber: "INV-1001", Score: 0.5},
			{InvoiceNumber: "INV-1002", Score: 0.5}}, exceptions.WriteOffRequest{
			Reason: "bank_fee"}, "invoice_number"},
		{"no candidates", nil, exceptions.WriteOffRequest{Reason: "bank_fee"},
			"invoice_number"},
		{"payment covers the invoice", nil, exceptions.WriteOffRequest{
			InvoiceNumber: "INV-1002", Amount: "500.00", Reason: "rounding"}, "amount"},
		{"unknown invoice", nil, exceptions.WriteOffRequest{InvoiceNumber: "INV-7",
			Reason: "rounding"}, "invoice_number"},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()

			f := seed(t, 49500, "EUR", twoInvoices()...)
			f.withCandidates(t, c.cands...)
			before := f.topics(t)

			_, err := f.svc.WriteOff(context.Background(), f.exception.ID, "ana", c.req)
			if got := fields(t, err); got[c.field] == "" {
				t.Errorf("fields %v, want %s", got, c.field)
			}

			f.untouched(t, before)
		})
	}
}

// limited is a fixture whose policy lets one person write off at most 1.00 EUR.
func limited(t *testing.T, amount int64) *fixture {
	t.Helper()

	f := seed(t, amount, "EUR", twoInvoices()...)
	f.svc.Policy = exceptions.Policy{ApprovalLimits: map[string]int64{"EUR": 100}}

	return f
}

func TestWriteOffAboveTheLimitWaitsForAnotherPerson(t *testing.T) {
	t.Parallel()

	f := limited(t, 49000)
	ctx := context.Background()
	before := f.topics(t)

	out, err := f.svc.WriteOff(ctx, f.exception.ID, "ana", exceptions.WriteOffRequest{
		InvoiceNumber: "INV-1002", Reason: "short_payment", Note: "agreed by sales"})
	if err != nil {
		t.Fatal(err)
	}

	if out.Status != store.ExceptionOpen || out.Approval == nil ||
		out.Approval.Status != store.ApprovalPending || out.Approval.Amount != 1000 ||
		out.Approval.Limit != 100 || out.Approval.RequestedBy != "ana" {
		t.Fatalf("outcome %+v approval %+v", out, out.Approval)
	}

	f.untouched(t, before)

	if !f.audited(t, "exception", f.exception.ID, "approval_requested", "ana") {
		t.Error("the request is not audited")
	}

	// While it waits, nothing else may close the exception.
	if _, err := f.svc.Park(ctx, f.exception.ID, "bo", exceptions.ParkRequest{}); !errors.Is(
		err, store.ErrConflict) {
		t.Errorf("park while awaiting approval: %v, want ErrConflict", err)
	}

	if _, err := f.svc.WriteOff(ctx, f.exception.ID, "bo", exceptions.WriteOffRequest{
		InvoiceNumber: "INV-1002", Reason: "rounding"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second write-off while awaiting approval: %v, want ErrConflict", err)
	}

	// Comments and assignment still work.
	if _, err := f.svc.Comment(ctx, f.exception.ID, "bo", "checking with sales"); err != nil {
		t.Error(err)
	}

	if _, err := f.svc.Approve(ctx, out.Approval.ID, "ana", ""); !errors.Is(err,
		exceptions.ErrSelfApproval) {
		t.Fatalf("self-approval: %v, want ErrSelfApproval", err)
	}

	f.untouched(t, before)

	done, err := f.svc.Approve(ctx, out.Approval.ID, "lead.kim", "ok")
	if err != nil {
		t.Fatal(err)
	}

	if done.Status != store.ExceptionResolved || done.WrittenOffMinor != 1000 ||
		done.Approval == nil || done.Approval.Status != store.ApprovalApproved ||
		done.Approval.DecidedBy != "lead.kim" {
		t.Fatalf("approved outcome %+v", done)
	}

	a := done.Applications[0]
	if a.Actor != "ana" || a.Amount != 49000 || a.WriteOff != 1000 ||
		!strings.Contains(a.Explanation, "approved by lead.kim") {
		t.Errorf("application %+v", a)
	}

	if got := f.open(t, "INV-1002"); got != 0 {
		t.Errorf("INV-1002 open %d, want 0", got)
	}

	e := f.exc(t, f.exception.ID)

	var res struct {
		ApprovedBy string `json:"approved_by"`
		ApprovalID int64  `json:"approval_id"`
	}

	if err := json.Unmarshal(e.Resolution, &res); err != nil || e.ResolvedBy != "ana" ||
		res.ApprovedBy != "lead.kim" || res.ApprovalID != out.Approval.ID {
		t.Errorf("exception resolved by %q with %s (%v)", e.ResolvedBy, e.Resolution, err)
	}

	if !f.audited(t, "exception", f.exception.ID, "approve", "lead.kim") {
		t.Error("the approval is not audited")
	}

	if got := f.topic(t, pipelines.TopicCashApplied); got != before[pipelines.TopicCashApplied]+1 {
		t.Error("the approved write-off's cash is not sent to the ERP")
	}

	if _, err := f.svc.Approve(ctx, out.Approval.ID, "lead.kim", ""); !errors.Is(err,
		store.ErrConflict) {
		t.Errorf("approving twice: %v, want ErrConflict", err)
	}
}

func TestWriteOffAtTheLimitNeedsNoApproval(t *testing.T) {
	t.Parallel()

	f := limited(t, 49900)

	out, err := f.svc.WriteOff(context.Background(), f.exception.ID, "ana",
		exceptions.WriteOffRequest{InvoiceNumber: "INV-1002", Reason: "rounding"})
	if err != nil || out.Approval != nil || out.Status != store.ExceptionResolved {
		t.Fatalf("outcome %+v, %v", out, err)
	}
}

func TestApplyLinesWithWriteOffsCountTowardsTheLimit(t *testing.T) {
	t.Parallel()

	f := limited(t, 113800)

	out, err := f.svc.Apply(context.Background(), f.exception.ID, "ana",
		exceptions.ApplyRequest{Lines: []exceptions.Line{
			{InvoiceNumber: "INV-1001", Amount: "639.00", WriteOff: "1.00",
				WriteOffReason: "rounding"},
			{InvoiceNumber: "INV-1002", Amount: "499.00", WriteOff: "1.00",
				WriteOffReason: "bank_fee"}}})
	if err != nil {
		t.Fatal(err)
	}

	if out.Approval == nil || out.Approval.Amount != 200 {
		t.Fatalf("two write-offs of 1.00 each under a 1.00 limit: %+v", out)
	}
}

func TestRejectedOrWithdrawnWriteOffFreesTheException(t *testing.T) {
	t.Parallel()

	f := limited(t, 49000)
	ctx := context.Background()
	req := exceptions.WriteOffRequest{InvoiceNumber: "INV-1002", Reason: "short_payment"}

	out, err := f.svc.WriteOff(ctx, f.exception.ID, "ana", req)
	if err != nil {
		t.Fatal(err)
	}

	a, err := f.svc.Reject(ctx, out.Approval.ID, "lead.kim", "ask the customer")
	if err != nil || a.Status != store.ApprovalRejected || a.DecidedBy != "lead.kim" {
		t.Fatalf("reject: %+v %v", a, err)
	}

	if _, err := f.svc.Approve(ctx, a.ID, "bo", ""); !errors.Is(err, store.ErrConflict) {
		t.Errorf("approving a rejected request: %v, want ErrConflict", err)
	}

	again, err := f.svc.WriteOff(ctx, f.exception.ID, "ana", req)
	if err != nil {
		t.Fatal(err)
	}

	w, err := f.svc.Reject(ctx, again.Approval.ID, "ana", "")
	if err != nil || w.Status != store.ApprovalWithdrawn {
		t.Fatalf("withdraw: %+v %v", w, err)
	}

	if _, err := f.svc.Park(ctx, f.exception.ID, "ana", parkFor7); err != nil {
		t.Fatalf("park after the withdrawal: %v", err)
	}

	list, err := f.svc.Approvals(ctx, "", 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("approvals %+v %v", list, err)
	}
}

// An approval is checked again when approved: the state may have changed.
func TestApprovalThatNoLongerAddsUpStaysPending(t *testing.T) {
	t.Parallel()

	f := limited(t, 49000)
	ctx := context.Background()

	out, err := f.svc.WriteOff(ctx, f.exception.ID, "ana", exceptions.WriteOffRequest{
		InvoiceNumber: "INV-1002", Reason: "short_payment"})
	if err != nil {
		t.Fatal(err)
	}

	// Another payment pays part of INV-1002 meanwhile.
	other := f.another(t, 10000, "EUR")
	if _, err := f.svc.Apply(ctx, other.ID, "bo", exceptions.ApplyRequest{
		Lines: []exceptions.Line{{InvoiceNumber: "INV-1002", Amount: "100.00"}}}); err != nil {
		t.Fatal(err)
	}

	_, err = f.svc.Approve(ctx, out.Approval.ID, "lead.kim", "")
	if got := fields(t, err); got["lines[0].amount"] == "" {
		t.Errorf("fields %v, want lines[0].amount", got)
	}

	a, err := store.GetApproval(ctx, f.pool, out.Approval.ID, false)
	if err != nil || a.Status != store.ApprovalPending {
		t.Errorf("approval after a failed approve: %+v %v", a, err)
	}
}

func TestParkRefundReturn(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name          string
		do            func(*exceptions.Service, int64) (exceptions.Outcome, error)
		exc, pay      string
		customer, act string
	}{
		{"park for a named customer", func(s *exceptions.Service, id int64) (exceptions.Outcome,
			error) {
			return s.Park(context.Background(), id, "ana", exceptions.ParkRequest{
				CustomerID: "CUST-7", Note: "credit for next invoice"})
		}, store.ExceptionOnAccount, store.PaymentOnAccount, "CUST-7", store.ExceptionOnAccount},
		{"refund", func(s *exceptions.Service, id int64) (exceptions.Outcome, error) {
			return s.MarkRefund(context.Background(), id, "ana", exceptions.PayBackRequest{
				Note: "paid twice"})
		}, store.ExceptionRefundPending, store.PaymentRefundPending, "",
			store.ExceptionRefundPending},
		{"return", func(s *exceptions.Service, id int64) (exceptions.Outcome, error) {
			return s.MarkReturn(context.Background(), id, "ana", exceptions.PayBackRequest{})
		}, store.ExceptionReturnPending, store.PaymentReturnPending, "",
			store.ExceptionReturnPending},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()

			f := seed(t, 100050, "EUR", twoInvoices()...)
			before := f.topics(t)

			out, err := c.do(f.svc, f.exception.ID)
			if err != nil {
				t.Fatal(err)
			}

			if out.Status != c.exc || len(out.Applications) != 0 || out.UnappliedMinor != 100050 {
				t.Errorf("outcome %+v", out)
			}

			p := f.pay(t, f.payment.ID)
			if p.Status != c.pay || p.Unapplied != 100050 || p.CustomerID != c.customer {
				t.Errorf("payment %s unapplied %d customer %q, want %s 100050 %q", p.Status,
					p.Unapplied, p.CustomerID, c.pay, c.customer)
			}

			if e := f.exc(t, f.exception.ID); e.Status != c.exc || e.CustomerID != c.customer {
				t.Errorf("exception %s customer %q", e.Status, e.CustomerID)
			}

			if !f.audited(t, "exception", f.exception.ID, c.act, "ana") {
				t.Errorf("no %s audit entry by ana", c.act)
			}

			if n := f.count(t, "SELECT count(*) FROM applications"); n != 0 {
				t.Errorf("%d applications: the money is not applied", n)
			}

			for topic, n := range before {
				if got := f.topic(t, topic); got != n {
					t.Errorf("%s: %d messages", topic, got-n)
				}
			}

			if _, err := c.do(f.svc, f.exception.ID); !errors.Is(err, store.ErrConflict) {
				t.Errorf("again: %v, want ErrConflict", err)
			}
		})
	}
}

func TestCloseOnlyWhatHoldsNoCash(t *testing.T) {
	t.Parallel()

	f := seed(t, 100000, "EUR", twoInvoices()...)
	ctx := context.Background()

	_, err := f.svc.Close(ctx, f.exception.ID, "ana", exceptions.CloseRequest{Note: "done"})
	if !errors.Is(err, exceptions.ErrInvalid) {
		t.Fatalf("closing cash: %v, want ErrInvalid", err)
	}

	_, err = f.pool.Exec(ctx, "UPDATE payments SET status = 'returned', unapplied_minor = 0 "+
		"WHERE id = $1", f.payment.ID)
	if err != nil {
		t.Fatal(err)
	}

	for name, req := range map[string]exceptions.ApplyRequest{"apply": {Lines: []exceptions.Line{
		{InvoiceNumber: "INV-1001", Amount: "1.00"}}, Rest: "open"}} {
		if _, err := f.svc.Apply(ctx, f.exception.ID, "ana", req); !errors.Is(err,
			exceptions.ErrInvalid) {
			t.Errorf("%s a returned payment: %v, want ErrInvalid", name, err)
		}
	}

	if _, err := f.svc.Park(ctx, f.exception.ID, "ana", exceptions.ParkRequest{}); !errors.Is(
		err, exceptions.ErrInvalid) {
		t.Errorf("park a returned payment: %v, want ErrInvalid", err)
	}

	_, err = f.svc.Close(ctx, f.exception.ID, "ana", exceptions.CloseRequest{})
	if got := fields(t, err); got["note"] == "" {
		t.Errorf("close without a note: fields %v", got)
	}

	out, err := f.svc.Close(ctx, f.exception.ID, "ana", exceptions.CloseRequest{
		Note: "customer paid again by wire"})
	if err != nil || out.Status != store.ExceptionResolved {
		t.Fatalf("close: %+v %v", out, err)
	}

	d, err := f.svc.Get(ctx, f.exception.ID)
	if err != nil {
		t.Fatal(err)
	}

	for _, a := range d.Actions {
		if a == exceptions.ActionReopen {
			t.Errorf("a returned payment's exception offers reopen: %v", d.Actions)
		}
	}
}

func TestApplySuggested(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	f := seed(t, 50000, "EUR", twoInvoices()...)
	f.withCandidates(t, store.Candidate{InvoiceNumber: "INV-1001", Score: 0.4},
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.71})

	out, err := f.svc.ApplySuggested(ctx, f.exception.ID, "ana", "")
	if err != nil {
		t.Fatal(err)
	}

	if len(out.Applications) != 1 || out.Applications[0].InvoiceNumber != "INV-1002" ||
		out.Applications[0].Amount != 50000 || out.Status != store.ExceptionResolved {
		t.Fatalf("outcome %+v", out)
	}

	tie := f.another(t, 100, "EUR", store.Candidate{InvoiceNumber: "INV-1001", Score: 0.5},
		store.Candidate{InvoiceNumber: "INV-1002", Score: 0.5})
	if _, err := f.svc.ApplySuggested(ctx, tie.ID, "ana", ""); !errors.Is(err,
		exceptions.ErrInvalid) {
		t.Errorf("tie: %v, want ErrInvalid", err)
	}

	big := f.another(t, 70000, "EUR", store.Candidate{InvoiceNumber: "INV-1001", Score: 0.9})
	if _, err := f.svc.ApplySuggested(ctx, big.ID, "ana", ""); !errors.Is(err,
		exceptions.ErrInvalid) {
		t.Errorf("payment above the invoice: %v, want ErrInvalid", err)
	}

	paid := f.another(t, 100, "EUR", store.Candidate{InvoiceNumber: "INV-1002", Score: 0.9})
	_, err = f.svc.ApplySuggested(ctx, paid.ID, "ana", "")
	if got := fields(t, err); got["lines[0].invoice_number"] == "" {
		t.Errorf("paid invoice: fields %v", got)
	}
}

func TestCommentsThread(t *testing.T) {
	t.Parallel()

	f := seed(t, 100050, "EUR", twoInvoices()...)
	ctx := context.Background()

	for _, c := range []struct{ who, body string }{{"ana", "called the customer"},
		{"bo", "  they will send the remittance\nby Friday  "}} {
		if _, err := f.svc.Comment(ctx, f.exception.ID, c.who, c.body); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := f.svc.Park(ctx, f.exception.ID, "ana", parkFor7); err != nil {
		t.Fatal(err)
	}

	if _, err := f.svc.Comment(ctx, f.exception.ID, "ana", "parked meanwhile"); err != nil {
		t.Errorf("comment on a closed exception: %v", err)
	}

	for name, body := range map[string]string{"empty": " \n ", "control": "a\x07",
		"long": strings.Repeat("x", 4001)} {
		if _, err := f.svc.Comment(ctx, f.exception.ID, "ana", body); fields(t,
			err)["body"] == "" {
			t.Errorf("%s body: %v", name, err)
		}
	}

	if _, err := f.svc.Comment(ctx, f.exception.ID+99, "ana", "x"); !errors.Is(err,
		store.ErrNotFound) {
		t.Errorf("unknown exception: %v", err)
	}

	d, err := f.svc.Get(ctx, f.exception.ID)
	if err != nil {
		t.Fatal(err)
	}

	if len(d.Comments) != 3 || d.Comments[0].Author != "ana" || d.Comments[1].Author != "bo" ||
		d.Comments[1].Body != "they will send the remittance\nby Friday" ||
		d.Comments[0].CreatedAt.IsZero() || d.Comments[1].ID <= d.Comments[0].ID {
		t.Errorf("comments %+v", d.Comments)
	}

	if !f.audited(t, "exception", f.exception.ID, "comment", "bo") {
		t.Error("comment not audited")
	}
}

func TestAssignAndUnassign(t *testing.T) {
	t.Parallel()

	f := seed(t, 100050, "EUR", twoInvoices()...)
	ctx := context.Background()

	if err := f.svc.Assign(ctx, f.exception.ID, "ana", "ana"); err != nil {
		t.Fatal(err)
	}

	mine, err := f.svc.Queue(ctx, exceptions.Query{Assignee: exceptions.AssigneeMe}, "ana")
	if err != nil || len(mine.Items) != 1 {
		t.Fatalf("mine: %+v %v", mine, err)
	}

	if err := f.svc.Assign(ctx, f.exception.ID, "ana", ""); err != nil {
		t.Fatal(err)
	}

	none, err := f.svc.Queue(ctx, exceptions.Query{Assignee: exceptions.AssigneeNobody}, "ana")
	if err != nil || len(none.Items) != 1 || none.Items[0].Assignee != "" {
		t.Fatalf("unassigned: %+v %v", none, err)
	}

	if f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'assign'`) != 2 {
		t.Error("assign and unassign are not both audited")
	}

	if err := f.svc.Assign(ctx, f.exception.ID, "ana", "x\x01"); !errors.Is(err,
		exceptions.ErrInvalid) {
		t.Errorf("control characters: %v", err)
	}
}

func TestDetailExplainsTheDecision(t *testing.T) {
	t.Parallel()

	f := seed(t, 64000, "EUR", twoInvoices()...)
	ctx := context.Background()

	f.withCandidates(t, store.Candidate{InvoiceNumber: "INV-1002", Score: 0.55, Why: "amount"},
		store.Candidate{InvoiceNumber: "INV-1001", Score: 0.62, Why: "reference"})

	trace := `{"rules_version":"v9","candidates":[
		{"invoices":["INV-1001"],"features":{"reference":"digits","payer":"alias",
			"amount":"exact","currency":"same"},"score":0.62},
		{"invoices":["INV-1002"],"features":{"reference":"none","payer":"alias",
			"amount":"partial","currency":"same"},"score":0.55}],
		"chosen":-1,"runner_up":{"invoices":["INV-1002"],"features":{"reference":"none",
			"payer":"alias","amount":"partial","currency":"same"},"score":0.55},
		"margin":0.07,"sentence":"held: INV-1001 leads INV-1002 by 0.07"}`

	_, err := f.pool.Exec(ctx, `UPDATE payments SET decision = $2, customer_id = 'CUST-7'
		WHERE id = $1`, f.payment.ID, trace)
	if err != nil {
		t.Fatal(err)
	}

	d, err := f.svc.Get(ctx, f.exception.ID)
	if err != nil {
		t.Fatal(err)
	}

	if d.Decision == nil || d.Decision.RunnerUp == nil || d.Decision.Margin != 0.07 ||
		!strings.Contains(d.Decision.Sentence, "leads") {
		t.Errorf("decision %+v", d.Decision)
	}

	if d.Payer.CustomerID != "CUST-7" || d.Payer.CustomerName != "Tarn Mills" ||
		d.Payer.How != "alias" || d.Payer.Name != "TARN MILLS LTD" {
		t.Errorf("payer %+v", d.Payer)
	}

	if len(d.Candidates) != 2 || d.Candidates[0].InvoiceNumber != "INV-1001" ||
		d.Candidates[0].Rank != 1 || !d.Candidates[0].Suggested ||
		d.Candidates[0].Features == nil || d.Candidates[0].Features.Reference != "digits" ||
		d.Candidates[0].Invoice == nil || d.Candidates[0].Invoice.Open != 64000 {
		t.Errorf("candidates %+v", d.Candidates)
	}

	if d.Payment.Tx.Remittance != "see remittance" || d.ApprovalLimit != 5000 ||
		len(d.WriteOffReasons) != 4 {
		t.Errorf("payment remittance %q, limit %d, reasons %v", d.Payment.Tx.Remittance,
			d.ApprovalLimit, d.WriteOffReasons)
	}

	want := map[string]bool{exceptions.ActionApply: true, exceptions.ActionApplySuggested: true,
		exceptions.ActionWriteOff: true, exceptions.ActionPark: true}
	for _, a := range d.Actions {
		delete(want, a)
	}

	if len(want) != 0 {
		t.Errorf("actions %v lack %v", d.Actions, want)
	}
}

// Two people acting on one exception at once: one wins, the other is told it
// changed, and the money is applied once.
func TestConcurrentActionsApplyOnce(t *testing.T) {
	t.Parallel()

	f := seed(t, 64000, "EUR", twoInvoices()...)
	ctx := context.Background()
	errs := make(chan error, 4)

	for _, who := range []string{"ana", "bo", "cy", "di"} {
		go func() {
			_, err := f.svc.Apply(ctx, f.exception.ID, who, exceptions.ApplyRequest{
				Lines: []exceptions.Line{{InvoiceNumber: "INV-1001", Amount: "640.00"}}})
			errs <- err
		}()
	}

	won := 0
	for range 4 {
		switch err := <-errs; {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("loser's error %v, want ErrConflict", err)
		}
	}

	if won != 1 || f.count(t, "SELECT count(*) FROM applications") != 1 ||
		f.open(t, "INV-1001") != 0 {
		t.Errorf("%d winners, %d applications", won,
			f.count(t, "SELECT count(*) FROM applications"))
	}
}
