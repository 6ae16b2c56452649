package learning_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/learning"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(service.Prepare)
	pgtest.Main(m)
}

// Two customers: Harbor Lights (no account on file) and Quill and Ink, who banks
// from quillAccount.
const (
	harbor       = "CUST-HL"
	quill        = "CUST-QI"
	quillAccount = "GB29 NWBK 6016 1331 9268 19"
	newAccount   = "NL91ABNA0417164300"
)

var issued = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

type world struct {
	t     *testing.T
	ctx   context.Context
	pool  *pgxpool.Pool
	svc   *exceptions.Service
	files int
}

func newWorld(t *testing.T) *world {
	t.Helper()

	w := &world{t: t, ctx: context.Background(), pool: pgtest.DB(t)}
	w.svc = &exceptions.Service{Pool: w.pool}

	for _, c := range []billing.Customer{
		{ID: harbor, Name: "Harbor Lights Ltd"},
		{ID: quill, Name: "Quill & Ink", BankAccounts: []string{quillAccount}},
	} {
		if _, err := store.UpsertCustomer(w.ctx, w.pool, c, "test"); err != nil {
			t.Fatal(err)
		}
	}

	return w
}

// invoice stores an open invoice of customer for open minor units of EUR.
func (w *world) invoice(number, customer string, open int64) {
	w.t.Helper()

	_, err := store.SyncERPInvoice(w.ctx, w.pool, billing.Invoice{Number: number,
		ERPID: "erp-" + number, CustomerID: customer, CustomerName: customer, Currency: "EUR",
		Total: open, Open: open, IssueDate: issued, DueDate: issued.AddDate(0, 0, 30)})
	if err != nil {
		w.t.Fatal(err)
	}
}

// payments stores a bank file of incoming EUR payments and returns them.
func (w *world) payments(txs ...bankfile.Transaction) []store.PaymentRow {
	w.t.Helper()

	w.files++
	f, _, err := store.InsertBankFile(w.ctx, w.pool, "f.csv",
		[]byte(fmt.Sprintf("%s file %d", w.t.Name(), w.files)), "test")
	if err != nil {
		w.t.Fatal(err)
	}

	for i := range txs {
		txs[i].Seq, txs[i].Direction, txs[i].Kind = i+1, bankfile.Credit, bankfile.KindPayment
		txs[i].BookingDate = issued.AddDate(0, 0, 10)
		txs[i].BankRef = fmt.Sprintf("B%d-%d", w.files, i+1)
	}

	if _, _, err := store.InsertPayments(w.ctx, w.pool, f.ID, f.SHA256, txs); err != nil {
		w.t.Fatal(err)
	}

	ps, err := store.PaymentsOfFile(w.ctx, w.pool, f.ID)
	if err != nil {
		w.t.Fatal(err)
	}

	return ps
}

func pay(minor int64, name, account, remittance string) bankfile.Transaction {
	return bankfile.Transaction{Amount: money.New(minor, "EUR"), PayerName: name,
		PayerAccount: account, Remittance: remittance}
}

// held stores one payment and an open exception for it, as matching would.
func (w *world) held(tx bankfile.Transaction) store.Exception {
	w.t.Helper()

	p := w.payments(tx)[0]
	if err := store.SetPaymentOutcome(w.ctx, w.pool, p.ID, store.PaymentException, "",
		p.Tx.Amount.Minor); err != nil {
		w.t.Fatal(err)
	}

	e, err := store.OpenException(w.ctx, w.pool, store.Exception{PaymentID: p.ID,
		Reason: matching.ReasonUnknownPayer, Message: "held", Amount: p.Tx.Amount.Minor,
		Currency: "EUR"})
	if err != nil {
		w.t.Fatal(err)
	}

	return e
}

func (w *world) resolve(e store.Exception, actor string, r exceptions.Resolution) {
	w.t.Helper()

	if _, err := w.svc.Resolve(w.ctx, e.ID, actor, r); err != nil {
		w.t.Fatal(err)
	}
}

func apply(invoice, amount string) exceptions.Resolution {
	return exceptions.Resolution{Allocations: []exceptions.Allocation{
		{InvoiceNumber: invoice, Amount: amount}}}
}

// match runs the engine as the match pipeline builds it, from the database.
func (w *world) match(tx bankfile.Transaction) matching.Decision {
	w.t.Helper()

	customers, err := store.Customers(w.ctx, w.pool)
	if err != nil {
		w.t.Fatal(err)
	}

	invoices, err := store.InvoicesToMatch(w.ctx, w.pool)
	if err != nil {
		w.t.Fatal(err)
	}

	e := matching.New(customers, invoices, matching.DefaultRules())

	return e.Match(matching.PaymentFrom("next", tx))
}

func (w *world) count(q string, args ...any) int {
	w.t.Helper()

	var n int
	if err := w.pool.QueryRow(w.ctx, q, args...).Scan(&n); err != nil {
		w.t.Fatal(err)
	}

	return n
}

func TestResolutionLearnsAccountAndAliasAndNextPaymentApplies(t *testing.T) {
	w := newWorld(t)
	w.invoice("INV-000501", harbor, 125000)
	w.invoice("INV-000502", harbor, 130000)

	fromAccount := pay(130000, "Somebody Else", "nl91 abna 0417 1643 00", "")
	fromName := pay(130000, "H.L. Trading Co.", "", "")

	for _, tx := range []bankfile.Transaction{fromAccount, fromName} {
		if d := w.match(tx); len(d.Applications) != 0 {
			t.Fatalf("before learning, %q/%q applied %+v", tx.PayerName, tx.PayerAccount,
				d.Applications)
		}
	}

	e := w.held(pay(125000, "HL Trading Co", newAccount, "thank you"))
	w.resolve(e, "alice", apply("INV-000501", "1250.00"))

	if n := w.count(`SELECT count(*) FROM customer_accounts
		WHERE account = $1 AND customer_id = $2 AND learned`, newAccount, harbor); n != 1 {
		t.Errorf("learned accounts = %d, want 1", n)
	}

	if n := w.count(`SELECT count(*) FROM customer_aliases
		WHERE alias = 'HL Trading Co' AND customer_id = $1 AND learned`, harbor); n != 1 {
		t.Errorf("learned aliases = %d, want 1", n)
	}

	for _, action := range []string{"learn_account", "learn_alias"} {
		if n := w.count(`SELECT count(*) FROM audit_log WHERE action = $1 AND actor = 'alice'
			AND entity = 'customer' AND entity_id = $2`, action, harbor); n != 1 {
			t.Errorf("%s audit entries = %d, want 1", action, n)
		}
	}

	for tx, by := range map[*bankfile.Transaction]string{
		&fromAccount: matching.PayerByAccount, &fromName: matching.PayerByAlias,
	} {
		d := w.match(*tx)
		if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "INV-000502" ||
			d.Exception != nil {
			t.Fatalf("after learning, %q/%q: applications %+v, exception %+v", tx.PayerName,
				tx.PayerAccount, d.Applications, d.Exception)
		}

		if d.CustomerID != harbor || d.PayerMatch != by {
			t.Errorf("payer %s by %q, want %s by %q", d.CustomerID, d.PayerMatch, harbor, by)
		}
	}
}

func TestResolutionDoesNotTakeAnotherCustomersAccount(t *testing.T) {
	w := newWorld(t)
	w.invoice("INV-000601", harbor, 5000)

	e := w.held(pay(5000, "Harbor Lights", quillAccount, "INV 601"))
	w.resolve(e, "bob", apply("INV-000601", "50.00"))

	var owner string
	var learned bool

	err := w.pool.QueryRow(w.ctx, `SELECT customer_id, learned FROM customer_accounts
		WHERE account = $1`, quillAccount).Scan(&owner, &learned)
	if err != nil {
		t.Fatal(err)
	}

	if owner != quill || learned {
		t.Errorf("account held by %s (learned %v), want %s as given", owner, learned, quill)
	}

	if n := w.count(`SELECT count(*) FROM customer_accounts WHERE customer_id = $1`,
		harbor); n != 0 {
		t.Errorf("harbor has %d accounts, want 0", n)
	}

	ps, err := store.Proposals(w.ctx, w.pool, store.ProposalProposed)
	if err != nil {
		t.Fatal(err)
	}

	if len(ps) != 1 || ps[0].Kind != store.ProposalAccountConflict || ps[0].CustomerID != harbor {
		t.Fatalf("proposals %+v, want one account conflict for %s", ps, harbor)
	}

	if n := w.count(`SELECT count(*) FROM audit_log WHERE entity = 'rule_proposal'
		AND entity_id = $1 AND action = 'propose'`, strconv.FormatInt(ps[0].ID, 10)); n != 1 {
		t.Errorf("propose audit entries = %d, want 1", n)
	}

	if _, err := learning.Approve(w.ctx, w.pool, ps[0].ID, "carol"); err != nil {
		t.Fatal(err)
	}

	if n := w.count(`SELECT count(*) FROM customer_accounts WHERE account = $1
		AND customer_id = $2 AND NOT learned`, quillAccount, harbor); n != 1 {
		t.Errorf("approved conflict did not move the account to %s", harbor)
	}
}

// threeAlike resolves three payments from the same unknown payer name, each
// writing its invoice number as bare digits, to invoices of Harbor Lights.
func threeAlike(w *world) {
	w.t.Helper()

	for i := range 3 {
		n := 701 + i
		number := fmt.Sprintf("INV-000%d", n)
		w.invoice(number, harbor, 10000)

		e := w.held(pay(9000, "Harbour Lights Trading", "", fmt.Sprintf("paid %d", n)))
		w.resolve(e, "alice", apply(number, "90.00"))

		ps, err := store.Proposals(w.ctx, w.pool, "")
		if err != nil {
			w.t.Fatal(err)
		}

		if i < 2 && len(ps) != 0 {
			w.t.Fatalf("after %d resolutions: proposals %+v, want none", i+1, ps)
		}
	}
}

func proposalOf(t *testing.T, ps []store.Proposal, kind string) store.Proposal {
	t.Helper()

	var out []store.Proposal
	for _, p := range ps {
		if p.Kind == kind {
			out = append(out, p)
		}
	}

	if len(out) != 1 {
		t.Fatalf("%d proposals of kind %s in %+v, want 1", len(out), kind, ps)
	}

	return out[0]
}

func TestThreeIdenticalResolutionsProposeOneRule(t *testing.T) {
	w := newWorld(t)
	threeAlike(w)

	ps, err := store.Proposals(w.ctx, w.pool, "")
	if err != nil {
		t.Fatal(err)
	}

	if len(ps) != 2 {
		t.Fatalf("proposals %+v, want a payer name and a reference format", ps)
	}

	name := proposalOf(t, ps, store.ObservePayerName)
	if name.CustomerID != harbor || name.Support != 3 || name.Precision != 1 ||
		name.PatternKey != "HARBOUR LIGHTS TRADING" {
		t.Errorf("payer name proposal %+v, want %s support 3 precision 1", name, harbor)
	}

	format := proposalOf(t, ps, store.ObserveRefFormat)
	if format.PatternKey != learning.FormatDigits || format.Support != 3 || format.Precision != 1 {
		t.Errorf("format proposal %+v, want digits support 3 precision 1", format)
	}

	// The same name once resolved to another customer lowers the precision.
	w.invoice("INV-000801", quill, 10000)
	e := w.held(pay(9000, "Harbour Lights Trading", "", "INV-000801"))
	w.resolve(e, "alice", apply("INV-000801", "90.00"))

	got, err := store.GetProposal(w.ctx, w.pool, name.ID, false)
	if err != nil {
		t.Fatal(err)
	}

	if got.Support != 3 || got.Occurrences != 4 || got.Precision != 0.75 {
		t.Errorf("after a fourth resolution elsewhere: %+v, want support 3 of 4", got)
	}
}

func TestApproveAndRejectAreAudited(t *testing.T) {
	w := newWorld(t)
	threeAlike(w)

	ps, err := store.Proposals(w.ctx, w.pool, store.ProposalProposed)
	if err != nil {
		t.Fatal(err)
	}

	name := proposalOf(t, ps, store.ObservePayerName)
	format := proposalOf(t, ps, store.ObserveRefFormat)

	if _, err := learning.Approve(w.ctx, w.pool, name.ID, ""); !errors.Is(err,
		learning.ErrInvalid) {
		t.Fatalf("approve without actor: %v, want ErrInvalid", err)
	}

	got, err := learning.Approve(w.ctx, w.pool, name.ID, "dana")
	if err != nil {
		t.Fatal(err)
	}

	if got.Status != store.ProposalApproved || got.DecidedBy != "dana" || got.DecidedAt == nil {
		t.Errorf("approved proposal %+v", got)
	}

	if n := w.count(`SELECT count(*) FROM customer_aliases WHERE customer_id = $1
		AND alias = 'Harbour Lights Trading' AND NOT learned`, harbor); n != 1 {
		t.Errorf("confirmed aliases = %d, want 1", n)
	}

	if _, err := learning.Approve(w.ctx, w.pool, name.ID, "dana"); !errors.Is(err,
		store.ErrConflict) {
		t.Errorf("second approval: %v, want ErrConflict", err)
	}

	if _, err := learning.Reject(w.ctx, w.pool, format.ID, "erin"); err != nil {
		t.Fatal(err)
	}

	for id, want := range map[int64]string{name.ID: "dana approved", format.ID: "erin rejected"} {
		hist, err := store.AuditLog(w.ctx, w.pool, "rule_proposal", strconv.FormatInt(id, 10), 1)
		if err != nil {
			t.Fatal(err)
		}

		if len(hist) != 1 || hist[0].Actor+" "+hist[0].Action != want {
			t.Errorf("last audit of proposal %d: %+v, want %s", id, hist, want)
		}
	}

	rejected, err := store.Proposals(w.ctx, w.pool, store.ProposalRejected)
	if err != nil {
		t.Fatal(err)
	}

	if len(rejected) != 1 || rejected[0].ID != format.ID {
		t.Errorf("rejected %+v, want the format proposal", rejected)
	}
}

func TestParkingForANamedCustomerLearnsTheAccount(t *testing.T) {
	w := newWorld(t)

	e := w.held(pay(4200, "", newAccount, "advance"))
	w.resolve(e, "alice", exceptions.Resolution{Park: true, CustomerID: harbor})

	if n := w.count(`SELECT count(*) FROM customer_accounts WHERE account = $1
		AND customer_id = $2 AND learned`, newAccount, harbor); n != 1 {
		t.Errorf("parking learned %d accounts, want 1", n)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		text, want string
	}{
		{"INV-000123", learning.FormatFull},
		{"inv 123", learning.FormatFull},
		{"payment 123 thanks", learning.FormatDigits},
		{"IN-123", learning.FormatPrefix + "IN"},
		{"RE 123 and 0123", learning.FormatDigits},
		{"nothing here", learning.FormatAbsent},
		{"INV-000124", learning.FormatAbsent},
	} {
		if got := learning.Format("INV-000123", matching.ExtractRefs(c.text)); got != c.want {
			t.Errorf("Format(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}
