package pipelines_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/connectors/erp/xero"
	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

// ledger is a running o2c with an ERP: a database, the Xero simulator and the
// bus.
type ledger struct {
	pool *pgxpool.Pool
	xs   *xerosim.Sim
}

// startLedger starts o2c against a fresh database and Xero simulator and puts
// the invoices (number → minor units, one customer each) in both.
func startLedger(t *testing.T, currency string, customers map[string]string,
	invs []ledgerInvoice) *ledger {
	t.Helper()

	ctx := context.Background()
	l := &ledger{pool: pgtest.DB(t)}

	l.xs = xerosim.New(xerosim.Config{ClientID: "id", ClientSecret: "secret", TenantID: "t",
		Seed: 11})

	u, err := l.xs.Start()
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(l.xs.Close)

	x, err := xero.New(xero.Config{BaseURL: u + "/api.xro/2.0", TokenURL: u + "/connect/token",
		ClientID: "id", ClientSecret: "secret", TenantID: "t",
		HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}

	erp := service.XeroERP{Client: x}

	for id, name := range customers {
		if _, err := store.UpsertCustomer(ctx, l.pool, billing.Customer{ID: id, Name: name},
			"test"); err != nil {
			t.Fatal(err)
		}
	}

	issue := time.Date(2025, time.January, 2, 0, 0, 0, 0, time.UTC)
	for _, in := range invs {
		inv := billing.Invoice{Number: in.number, CustomerID: in.customer,
			CustomerName: customers[in.customer], Currency: currency, Total: in.amount,
			Open: in.amount, IssueDate: issue, DueDate: issue.AddDate(0, 0, 30)}

		inv.ERPID, err = erp.CreateInvoice(ctx, inv, []billing.LineItem{{Name: "Service",
			Quantity: "1", UnitPrice: in.amount, Amount: in.amount}})
		if err != nil {
			t.Fatal(err)
		}

		if _, err := store.SyncERPInvoice(ctx, l.pool, inv); err != nil {
			t.Fatal(err)
		}
	}

	stop, err := service.RunRouter(ctx, pipelines.Config{Pool: l.pool, ERP: erp,
		ReadBankFile: bank.Scan, PollInterval: 20 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop router: %v", err)
		}
	})

	return l
}

// waitRecorded waits until no application is waiting for the ERP.
func (l *ledger) waitRecorded(t *testing.T) {
	t.Helper()

	waitFor(t, "applications settled in the erp", func() bool {
		var n int
		_ = l.pool.QueryRow(context.Background(), `SELECT count(*) FROM applications
			WHERE erp_state = 'pending'
				OR (reversed_at IS NOT NULL AND erp_state = 'recorded')`).Scan(&n)
		return n == 0
	})
}

// paymentByRef returns the stored payment with the bank reference.
func (l *ledger) paymentByRef(t *testing.T, ref string) store.PaymentRow {
	t.Helper()

	var id int64
	err := l.pool.QueryRow(context.Background(),
		"SELECT id FROM payments WHERE bank_ref = $1", ref).Scan(&id)
	if err != nil {
		t.Fatalf("payment %s: %v", ref, err)
	}

	p, err := store.GetPayment(context.Background(), l.pool, id)
	if err != nil {
		t.Fatal(err)
	}

	return p
}

// openException returns the payment's open exception.
func (l *ledger) openException(t *testing.T, paymentID int64) store.Exception {
	t.Helper()

	var id int64
	err := l.pool.QueryRow(context.Background(), `SELECT id FROM exceptions
		WHERE payment_id = $1 AND status = 'open'`, paymentID).Scan(&id)
	if err != nil {
		t.Fatalf("open exception of payment %d: %v", paymentID, err)
	}

	e, err := store.GetException(context.Background(), l.pool, id, false)
	if err != nil {
		t.Fatal(err)
	}

	return e
}

type appState struct {
	invoice  string
	amount   int64
	reversed bool
	by       int64
	reason   string
	erpState string
	erpID    string
}

func (l *ledger) applications(t *testing.T, paymentID int64) []appState {
	t.Helper()

	rows, err := l.pool.Query(context.Background(), `SELECT invoice_number, amount_minor,
			reversed_at IS NOT NULL, COALESCE(reversed_by_payment_id, 0), reversal_reason,
			erp_state, erp_payment_id
		FROM applications WHERE payment_id = $1 ORDER BY id`, paymentID)
	if err != nil {
		t.Fatal(err)
	}

	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (appState, error) {
		var a appState
		err := r.Scan(&a.invoice, &a.amount, &a.reversed, &a.by, &a.reason, &a.erpState,
			&a.erpID)
		return a, err
	})
	if err != nil {
		t.Fatal(err)
	}

	return out
}

func (l *ledger) auditActions(t *testing.T, entity, id string) map[string]int {
	t.Helper()

	es, err := store.AuditLog(context.Background(), l.pool, entity, id, 100)
	if err != nil {
		t.Fatal(err)
	}

	out := map[string]int{}
	for _, e := range es {
		out[e.Action]++
	}

	return out
}

// achEntry is one entry of a hand-written NACHA file.
type achEntry struct {
	code    int    // transaction code: 22 credit, 21 return of a credit
	amount  int64  // cents
	trace   string // 15 digits
	addenda string // payment information (05), or for a return "R01|original trace"
}

// achBatch is one batch: the originating company and its entries.
type achBatch struct {
	company, companyID, desc string
	entries                  []achEntry
}

// writeACH writes a NACHA file with correct control totals: records of 94
// characters, padded to a block of ten with nines.
func writeACH(batches []achBatch) []byte {
	const rdfi, odfi = "23138010", "12104288"

	var b strings.Builder
	rec := func(parts ...string) {
		line := strings.Join(parts, "")
		if len(line) != 94 {
			panic(fmt.Sprintf("record of %d characters: %q", len(line), line))
		}

		b.WriteString(line + "\n")
	}

	pad := func(s string, n int) string { return fmt.Sprintf("%-*.*s", n, n, s) }
	num := func(v int64, n int) string { return fmt.Sprintf("%0*d", n, v) }

	lines := 2
	var fileCount, fileHash, fileCredit, fileDebit int64

	rec("101", " 231380104", " 121042882", "250120", "1200", "A094101",
		pad("OUR BANK", 23), pad("PAYER BANK", 23), pad("", 8))

	for bi, bt := range batches {
		var count, hash, credit, debit int64

		rec("5220", pad(bt.company, 16), pad("", 20), pad(bt.companyID, 10), "CCD",
			pad(bt.desc, 10), "250120", "250120", "   ", "1", odfi, num(int64(bi+1), 7))

		for _, e := range bt.entries {
			rec("6", num(int64(e.code), 2), rdfi, "4", pad("998877", 17), num(e.amount, 10),
				pad("ID42", 15), pad("O2C TEST COMPANY", 22), "  ", "1", e.trace)

			if e.code%10 == 1 {
				code, orig, _ := strings.Cut(e.addenda, "|")
				rec("799", code, orig, pad("", 6), rdfi, pad("", 44), e.trace)
			} else {
				rec("705", pad(e.addenda, 80), "0001", e.trace[8:])
			}

			count += 2
			hash += 23138010

			if d := e.code % 10; d >= 1 && d <= 4 {
				credit += e.amount
			} else {
				debit += e.amount
			}
		}

		rec("8220", num(count, 6), num(hash%1e10, 10), num(debit, 12), num(credit, 12),
			pad(bt.companyID, 10), pad("", 19), pad("", 6), odfi, num(int64(bi+1), 7))

		lines += 2 + int(count)
		fileCount += count
		fileHash += hash
		fileCredit += credit
		fileDebit += debit
	}

	blocks := (lines + 9) / 10

	rec("9", num(int64(len(batches)), 6), num(int64(blocks), 6), num(fileCount, 8),
		num(fileHash%1e10, 10), num(fileDebit, 12), num(fileCredit, 12), pad("", 39))

	for ; lines < blocks*10; lines++ {
		b.WriteString(strings.Repeat("9", 94) + "\n")
	}

	return []byte(b.String())
}

// TestACHReturnUnappliesReopensAndTellsTheERP: two customers pay by ACH, both
// payments are applied and recorded in Xero; then an R01 return of one of them
// arrives. Its applications are reversed (the rows stay), its invoices are open
// again for exactly what they were, the Xero payments are deleted, and the
// original payment gets a "returned" exception. Sending the returns again, or
// a copy in other bytes, changes nothing.
func TestACHReturnUnappliesReopensAndTellsTheERP(t *testing.T) {
	t.Parallel()

	l := startLedger(t, "USD", map[string]string{
		"c1": "Harbor Lights Inc", "c2": "Quarry Mill LLC",
	}, []ledgerInvoice{
		{"INV-7101", "c1", 120000}, {"INV-7102", "c1", 30050}, {"INV-7201", "c2", 99900},
	})
	ctx := context.Background()

	payments := writeACH([]achBatch{
		{company: "HARBOR LIGHTS INC", companyID: "1555000111", desc: "PAYMENT",
			entries: []achEntry{{code: 22, amount: 150050, trace: "121042880000001",
				addenda: "INV-7101 INV-7102"}}},
		{company: "QUARRY MILL LLC", companyID: "1555000222", desc: "PAYMENT",
			entries: []achEntry{{code: 22, amount: 99900, trace: "121042880000002",
				addenda: "INV-7201"}}},
	})

	submitWait(t, l.pool, "payments.ach", payments)
	l.waitRecorded(t)

	harbor := l.paymentByRef(t, "121042880000001")
	before := l.applications(t, harbor.ID)
	if len(before) != 2 || before[0].erpState != "recorded" || before[1].erpState != "recorded" {
		t.Fatalf("harbor's payment before the return: %+v; want two recorded applications",
			before)
	}

	for _, n := range []string{"INV-7101", "INV-7102"} {
		v, _ := l.xs.Invoice(n)
		if v.AmountDue != 0 {
			t.Fatalf("xero %s due %d before the return, want 0", n, v.AmountDue)
		}
	}

	returns := writeACH([]achBatch{{company: "HARBOR LIGHTS INC", companyID: "1555000111",
		desc: "RETURN", entries: []achEntry{{code: 21, amount: 150050,
			trace: "231380100000009", addenda: "R01|121042880000001"}}}})

	submitWait(t, l.pool, "returns.ach", returns)
	l.waitRecorded(t)

	apps := l.applications(t, harbor.ID)
	if len(apps) != 2 {
		t.Fatalf("%d applications after the return, want the 2 originals kept", len(apps))
	}

	ret := l.paymentByRef(t, "231380100000009")
	for _, a := range apps {
		if !a.reversed || a.by != ret.ID || !strings.Contains(a.reason, "R01") ||
			a.erpState != store.ERPReversed {
			t.Errorf("application to %s: %+v; want reversed by %d for R01, erp reversed",
				a.invoice, a, ret.ID)
		}
	}

	invs := openAmounts(t, l.pool)
	for n, want := range map[string]int64{"INV-7101": 120000, "INV-7102": 30050,
		"INV-7201": 0} {
		if invs[n].Open != want {
			t.Errorf("%s open %d, want %d", n, invs[n].Open, want)
		}
	}

	if invs["INV-7101"].Status != store.InvoiceOpen || invs["INV-7201"].Status != "paid" {
		t.Errorf("statuses %s and %s, want open and paid", invs["INV-7101"].Status,
			invs["INV-7201"].Status)
	}

	for n, want := range map[string]int64{"INV-7101": 120000, "INV-7102": 30050} {
		v, _ := l.xs.Invoice(n)
		if v.AmountDue != want {
			t.Errorf("xero %s due %d, want %d", n, v.AmountDue, want)
		}

		for _, p := range v.Payments {
			if p.Status != "DELETED" {
				t.Errorf("xero payment %s on %s is %s, want DELETED", p.ID, n, p.Status)
			}
		}
	}

	harbor = l.paymentByRef(t, "121042880000001")
	if harbor.Status != store.PaymentReturned {
		t.Errorf("original payment is %s, want returned", harbor.Status)
	}

	e := l.openException(t, harbor.ID)
	if e.Reason != pipelines.ReasonReturned || !strings.Contains(e.Message, "R01") ||
		!strings.Contains(e.Message, "INV-7101 and INV-7102 reopened") {
		t.Errorf("exception %s: %q", e.Reason, e.Message)
	}

	info, err := store.GetReversalInfo(ctx, l.pool, ret.ID)
	if err != nil || info.ReversesPaymentID != harbor.ID || info.HandledAt == nil {
		t.Errorf("return row: %+v, %v; want it to point at %d, handled", info, err, harbor.ID)
	}

	acts := l.auditActions(t, "payment", fmt.Sprint(harbor.ID))
	if acts["apply"] != 2 || acts["returned"] != 1 {
		t.Errorf("payment audit %v; want both applications and the return", acts)
	}

	if a := l.auditActions(t, "invoice", "INV-7101"); a["reopen"] != 1 {
		t.Errorf("invoice audit %v; want one reopen", a)
	}

	if a := l.auditActions(t, "application", ""); a["reverse"] != 2 || a["erp_reversed"] != 2 {
		t.Errorf("application audit %v; want 2 reverse and 2 erp_reversed", a)
	}

	// Again: the same bytes are a duplicate; a copy with CRLF is read but its
	// transaction is already stored; a redelivered announcement finds nothing.
	rows := countRows(t, l.pool)
	deletes := countDeletes(l.xs)

	if s, err := pipelines.Submit(ctx, l.pool, "returns-again.ach", returns,
		"treasury"); err != nil || !s.Duplicate {
		t.Fatalf("resubmitted returns: %+v, %v", s, err)
	}

	crlf := []byte(strings.ReplaceAll(string(returns), "\n", "\r\n"))
	submitWait(t, l.pool, "returns-crlf.ach", crlf)

	err = store.InTx(ctx, l.pool, func(tx pgx.Tx) error {
		if err := pipelines.Publish(ctx, tx, pipelines.TopicPaymentsIngested,
			pipelines.PaymentsIngested{FileID: ret.FileID}); err != nil {
			return err
		}

		return pipelines.Publish(ctx, tx, pipelines.TopicCashUnapplied,
			pipelines.CashUnapplied{ApplicationIDs: []int64{1, 2, 3}})
	})
	if err != nil {
		t.Fatal(err)
	}

	time.Sleep(400 * time.Millisecond)

	after := countRows(t, l.pool)
	if after.payments != rows.payments || after.applications != rows.applications ||
		after.exceptions != rows.exceptions {
		t.Errorf("redelivery changed rows: %+v → %+v", rows, after)
	}

	if n := countDeletes(l.xs); n != deletes {
		t.Errorf("xero got %d more delete requests on redelivery", n-deletes)
	}

	if got := openAmounts(t, l.pool)["INV-7101"].Open; got != 120000 {
		t.Errorf("INV-7101 open %d after redelivery, want 120000", got)
	}

	if e2 := l.openException(t, harbor.ID); e2.Message != e.Message {
		t.Errorf("exception changed on redelivery: %q", e2.Message)
	}
}

func countDeletes(xs *xerosim.Sim) int {
	n := 0
	for _, r := range xs.Requests() {
		if strings.Contains(r.Path, "/Payments/") && r.Method == http.MethodPost {
			n++
		}
	}

	return n
}

// TestACHReturnOfUnknownPaymentGoesToTheQueue: a return whose trace o2c never
// stored touches nothing and opens a return_unmatched exception on itself.
func TestACHReturnOfUnknownPaymentGoesToTheQueue(t *testing.T) {
	t.Parallel()

	l := startLedger(t, "USD", map[string]string{"c1": "Harbor Lights Inc"},
		[]ledgerInvoice{{"INV-7301", "c1", 5000}})

	returns := writeACH([]achBatch{{company: "HARBOR LIGHTS INC", companyID: "1555000111",
		desc: "RETURN", entries: []achEntry{{code: 21, amount: 5000,
			trace: "231380100000077", addenda: "R03|121042889999999"}}}})

	submitWait(t, l.pool, "returns.ach", returns)

	ret := l.paymentByRef(t, "231380100000077")
	e := l.openException(t, ret.ID)
	if e.Reason != pipelines.ReasonReturnUnmatched || !strings.Contains(e.Message,
		"121042889999999") {
		t.Errorf("exception %s: %q", e.Reason, e.Message)
	}

	if got := openAmounts(t, l.pool)["INV-7301"]; got.Open != 5000 {
		t.Errorf("INV-7301 open %d, want untouched 5000", got.Open)
	}
}

// TestACHReturnOfHeldPaymentExtendsItsException: a payment nobody could match
// is held; its return closes nothing, adds to the open exception and marks the
// payment returned so the money is never applied later.
func TestACHReturnOfHeldPaymentExtendsItsException(t *testing.T) {
	t.Parallel()

	l := startLedger(t, "USD", map[string]string{"c1": "Harbor Lights Inc"},
		[]ledgerInvoice{{"INV-7401", "c1", 5000}})

	submitWait(t, l.pool, "held.ach", writeACH([]achBatch{{company: "NOBODY KNOWN CO",
		companyID: "1999000999", desc: "PAYMENT", entries: []achEntry{{code: 22, amount: 777,
			trace: "121042880000031", addenda: "THANKS"}}}}))

	held := l.paymentByRef(t, "121042880000031")
	before := l.openException(t, held.ID)

	submitWait(t, l.pool, "returns.ach", writeACH([]achBatch{{company: "NOBODY KNOWN CO",
		companyID: "1999000999", desc: "RETURN", entries: []achEntry{{code: 21, amount: 777,
			trace: "231380100000032", addenda: "R02|121042880000031"}}}}))

	after := l.openException(t, held.ID)
	if after.ID != before.ID || after.Reason != before.Reason ||
		!strings.HasPrefix(after.Message, before.Message+"; returned R02") ||
		!strings.Contains(after.Message, "nothing was applied") {
		t.Errorf("exception %d %s %q; want %d extended with the return", after.ID,
			after.Reason, after.Message, before.ID)
	}

	if p := l.paymentByRef(t, "121042880000031"); p.Status != store.PaymentReturned {
		t.Errorf("held payment is %s, want returned", p.Status)
	}

	var n int
	_ = l.pool.QueryRow(context.Background(), "SELECT count(*) FROM exceptions").Scan(&n)
	if n != 1 {
		t.Errorf("%d exceptions, want the one extended", n)
	}
}

// camtFile writes a camt.053 with the given statements.
func camtFile(stmts ...string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt>
<GrpHdr><MsgId>RV-TEST</MsgId><CreDtTm>2025-03-04T06:00:00Z</CreDtTm></GrpHdr>
` + strings.Join(stmts, "\n") + `
</BkToCstmrStmt>
</Document>`)
}

// camtStmt is one statement; balances are left out when open is "".
func camtStmt(id, iban, open, closing string, entries ...string) string {
	bal := ""
	if open != "" {
		bal = `<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">` + open +
			`</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-02</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">` + closing +
			`</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-03</Dt></Dt></Bal>`
	}

	return `<Stmt><Id>` + id + `</Id><CreDtTm>2025-03-04T06:00:00Z</CreDtTm>
<Acct><Id><IBAN>` + iban + `</IBAN></Id><Ccy>EUR</Ccy></Acct>` + bal +
		strings.Join(entries, "\n") + `</Stmt>`
}

// camtEntry is one booked entry; reversal sets RvslInd.
func camtEntry(amount, dir string, reversal bool, ref, e2e, payer, text string) string {
	rv := ""
	if reversal {
		rv = "<RvslInd>true</RvslInd>"
	}

	return `<Ntry><Amt Ccy="EUR">` + amount + `</Amt><CdtDbtInd>` + dir + `</CdtDbtInd>` + rv +
		`<Sts>BOOK</Sts><BookgDt><Dt>2025-03-03</Dt></BookgDt><ValDt><Dt>2025-03-03</Dt></ValDt>
<AcctSvcrRef>` + ref + `</AcctSvcrRef>
<NtryDtls><TxDtls><Refs><EndToEndId>` + e2e + `</EndToEndId></Refs>
<RltdPties><Dbtr><Nm>` + payer + `</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>` + text + `</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>`
}

// TestB07CamtReversalReopensInvoice: one bank repeats the original direction on
// a reversal (CRDT + RvslInd), the other books it as a debit; in both the
// balances prove the sign, the reversal is linked to its payment, the
// application is reversed, the invoice is open again and nothing is counted as a
// second incoming payment.
func TestB07CamtReversalReopensInvoice(t *testing.T) {
	t.Parallel()

	l := startLedger(t, "EUR", map[string]string{
		"k1": "Lindenhof Werkzeuge GmbH", "k2": "Polder Foods BV",
	}, []ledgerInvoice{{"INV-4401", "k1", 275000}, {"INV-4402", "k2", 64000}})

	raw := camtFile(
		camtStmt("RV-A", "DE02120300000000202051", "5000.00", "5000.00",
			camtEntry("2750.00", "CRDT", false, "RA-1", "E2E-RV-A", "LINDENHOF WERKZEUGE GMBH",
				"INV-4401"),
			camtEntry("2750.00", "CRDT", true, "RA-2", "E2E-RV-A", "LINDENHOF WERKZEUGE GMBH",
				"INV-4401")),
		camtStmt("RV-B", "NL02ABNA0123456789", "5000.00", "5000.00",
			camtEntry("640.00", "CRDT", false, "RB-1", "E2E-RV-B", "POLDER FOODS BV",
				"INV-4402"),
			camtEntry("640.00", "DBIT", true, "RB-2", "E2E-RV-B", "POLDER FOODS BV",
				"INV-4402")))

	submitWait(t, l.pool, "b07.xml", raw)
	l.waitRecorded(t)

	invs := openAmounts(t, l.pool)
	for n, want := range map[string]int64{"INV-4401": 275000, "INV-4402": 64000} {
		if invs[n].Open != want || invs[n].Status != store.InvoiceOpen {
			t.Errorf("%s: %s open %d, want open %d", n, invs[n].Status, invs[n].Open, want)
		}

		if v, _ := l.xs.Invoice(n); v.AmountDue != want {
			t.Errorf("xero %s due %d, want %d", n, v.AmountDue, want)
		}
	}

	for _, refs := range [][2]string{{"RA-1", "RA-2"}, {"RB-1", "RB-2"}} {
		orig, rev := l.paymentByRef(t, refs[0]), l.paymentByRef(t, refs[1])
		if orig.Status != store.PaymentReturned || rev.Status != store.PaymentNotCash {
			t.Errorf("%s is %s, %s is %s; want returned and not cash", refs[0], orig.Status,
				refs[1], rev.Status)
		}

		apps := l.applications(t, orig.ID)
		if len(apps) != 1 || !apps[0].reversed || apps[0].by != rev.ID {
			t.Errorf("%s applications %+v; want one, reversed by %d", refs[0], apps, rev.ID)
		}

		if n := len(l.applications(t, rev.ID)); n != 0 {
			t.Errorf("reversal %s has %d applications, want none", refs[1], n)
		}

		e := l.openException(t, orig.ID)
		if e.Reason != pipelines.ReasonReturned || !strings.Contains(e.Message, refs[1]) {
			t.Errorf("%s exception %s: %q", refs[0], e.Reason, e.Message)
		}
	}

	// Both steps are in the invoice's history.
	if a := l.auditActions(t, "invoice", "INV-4401"); a["reopen"] != 1 {
		t.Errorf("INV-4401 audit %v; want a reopen", a)
	}
}

// TestCamtReversalInLaterFileFindsItsPayment: the reversal arrives in the next
// statement; it is linked by end-to-end id and amount.
func TestCamtReversalInLaterFileFindsItsPayment(t *testing.T) {
	t.Parallel()

	l := startLedger(t, "EUR", map[string]string{"k1": "Lindenhof Werkzeuge GmbH"},
		[]ledgerInvoice{{"INV-4501", "k1", 90000}})

	submitWait(t, l.pool, "day1.xml", camtFile(camtStmt("D1", "DE02120300000000202051",
		"100.00", "1000.00", camtEntry("900.00", "CRDT", false, "D1-1", "E2E-LATE",
			"LINDENHOF WERKZEUGE GMBH", "INV-4501"))))
	l.waitRecorded(t)

	if got := openAmounts(t, l.pool)["INV-4501"].Open; got != 0 {
		t.Fatalf("INV-4501 open %d after payment, want 0", got)
	}

	submitWait(t, l.pool, "day2.xml", camtFile(camtStmt("D2", "DE02120300000000202051",
		"1000.00", "100.00", camtEntry("900.00", "DBIT", true, "D2-1", "E2E-LATE",
			"LINDENHOF WERKZEUGE GMBH", "INV-4501"))))
	l.waitRecorded(t)

	if got := openAmounts(t, l.pool)["INV-4501"].Open; got != 90000 {
		t.Errorf("INV-4501 open %d after reversal, want 90000", got)
	}

	if v, _ := l.xs.Invoice("INV-4501"); v.AmountDue != 90000 {
		t.Errorf("xero INV-4501 due %d, want 90000", v.AmountDue)
	}
}

// TestB07ReversalWithUncheckableSignIsHeld: without balances the sign of a
// reversal is never guessed: the reversal opens reversal_unverified and the
// payment stays applied.
func TestB07ReversalWithUncheckableSignIsHeld(t *testing.T) {
	t.Parallel()

	l := startLedger(t, "EUR", map[string]string{"k1": "Lindenhof Werkzeuge GmbH"},
		[]ledgerInvoice{{"INV-4601", "k1", 41000}})

	submitWait(t, l.pool, "nobal.xml", camtFile(camtStmt("NB", "DE02120300000000202051",
		"", "",
		camtEntry("410.00", "CRDT", false, "NB-1", "E2E-NB", "LINDENHOF WERKZEUGE GMBH",
			"INV-4601"),
		camtEntry("410.00", "CRDT", true, "NB-2", "E2E-NB", "LINDENHOF WERKZEUGE GMBH",
			"INV-4601"))))
	l.waitRecorded(t)

	rev := l.paymentByRef(t, "NB-2")
	e := l.openException(t, rev.ID)
	if e.Reason != pipelines.ReasonReversalUnverified || !strings.Contains(e.Message, "sign") {
		t.Errorf("exception %s: %q", e.Reason, e.Message)
	}

	orig := l.paymentByRef(t, "NB-1")
	if orig.Status != store.PaymentApplied {
		t.Errorf("original is %s, want still applied", orig.Status)
	}

	if got := openAmounts(t, l.pool)["INV-4601"]; got.Open != 0 {
		t.Errorf("INV-4601 open %d, want 0 (still paid)", got.Open)
	}

	if apps := l.applications(t, orig.ID); len(apps) != 1 || apps[0].reversed {
		t.Errorf("applications %+v; want one, not reversed", apps)
	}
}

// TestACHReturnInSameFileIsNeverRecorded: the payment and its return arrive in
// one file. The application is reversed before the ERP heard of it, so it is
// skipped: Xero never gets the payment.
func TestACHReturnInSameFileIsNeverRecorded(t *testing.T) {
	t.Parallel()

	l := startLedger(t, "USD", map[string]string{"c1": "Harbor Lights Inc"},
		[]ledgerInvoice{{"INV-7501", "c1", 42000}})

	submitWait(t, l.pool, "both.ach", writeACH([]achBatch{
		{company: "HARBOR LIGHTS INC", companyID: "1555000111", desc: "PAYMENT",
			entries: []achEntry{{code: 22, amount: 42000, trace: "121042880000041",
				addenda: "INV-7501"}}},
		{company: "HARBOR LIGHTS INC", companyID: "1555000111", desc: "RETURN",
			entries: []achEntry{{code: 21, amount: 42000, trace: "231380100000042",
				addenda: "R16|121042880000041"}}},
	}))
	l.waitRecorded(t)

	orig := l.paymentByRef(t, "121042880000041")
	apps := l.applications(t, orig.ID)
	if len(apps) != 1 || !apps[0].reversed || apps[0].erpState != store.ERPSkipped ||
		apps[0].erpID != "" {
		t.Fatalf("applications %+v; want one, reversed and skipped", apps)
	}

	time.Sleep(200 * time.Millisecond)

	if v, _ := l.xs.Invoice("INV-7501"); v.AmountDue != 42000 || len(v.Payments) != 0 {
		t.Errorf("xero INV-7501 due %d with %d payments; want 42000, none", v.AmountDue,
			len(v.Payments))
	}

	if got := openAmounts(t, l.pool)["INV-7501"]; got.Open != 42000 {
		t.Errorf("INV-7501 open %d, want 42000", got.Open)
	}
}
