package reconcile

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/reversal"
)

// rvEntry is one camt Ntry of the reversal tests, with one transaction detail.
type rvEntry struct {
	amount, dir    string
	reversal       bool
	ref, e2e       string
	payer, invoice string
}

// rvStatement writes one camt.053 Stmt of account iban; without balances when
// opening is "".
func rvStatement(id, iban, opening, closing string, entries ...rvEntry) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<Stmt><Id>%s</Id><CreDtTm>2025-04-08T05:00:00</CreDtTm>
<Acct><Id><IBAN>%s</IBAN></Id><Ccy>EUR</Ccy></Acct>
`, id, iban)
	if opening != "" {
		for _, bal := range [][2]string{{"OPBD", opening}, {"CLBD", closing}} {
			fmt.Fprintf(&b, `<Bal><Tp><CdOrPrtry><Cd>%s</Cd></CdOrPrtry></Tp>
<Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-04-07</Dt></Dt></Bal>
`, bal[0], bal[1])
		}
	}

	for _, e := range entries {
		rv := ""
		if e.reversal {
			rv = "<RvslInd>true</RvslInd>"
		}

		fmt.Fprintf(&b, `<Ntry><Amt Ccy="EUR">%s</Amt><CdtDbtInd>%s</CdtDbtInd>%s<Sts>BOOK</Sts>
<BookgDt><Dt>2025-04-07</Dt></BookgDt><ValDt><Dt>2025-04-07</Dt></ValDt>
<AcctSvcrRef>%s</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>%s</EndToEndId></Refs>
<RltdPties><Dbtr><Nm>%s</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>%s</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
`, e.amount, e.dir, rv, e.ref, e.e2e, e.payer, e.invoice)
	}

	b.WriteString("</Stmt>\n")

	return b.String()
}

// rvDocument wraps statements into a camt.053.001.02 document.
func rvDocument(msgID string, stmts ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>` + msgID + `</MsgId><CreDtTm>2025-04-08T05:00:00</CreDtTm></GrpHdr>
` + strings.Join(stmts, "") + "</BkToCstmrStmt></Document>\n"
}

const rvInvoices = "invoice_number,customer_id,customer_name,currency,total,open_amount," +
	"issue_date,due_date,discount_percent,discount_days,po_number\n" +
	"INV-5101,K-1,Alder Mill GmbH,EUR,2750.00,2750.00,2025-03-01,2025-03-31,,,\n" +
	"INV-5102,K-2,Heron Foods BV,EUR,640.00,640.00,2025-03-02,2025-04-01,,,\n" +
	"INV-5103,K-3,Quillon Freight Inc,USD,420.00,420.00,2025-03-02,2025-04-01,,,\n"

const rvCustomers = "customer_id,name,bank_account,aliases\n" +
	"K-1,Alder Mill GmbH,,\nK-2,Heron Foods BV,,\nK-3,Quillon Freight Inc,,\n"

// rvRun reconciles the bank files against rvInvoices and rvCustomers.
func rvRun(t *testing.T, files map[string]string) (Options, *Summary, string) {
	t.Helper()

	opts, stderr := setup(t, files)
	for path, content := range map[string]string{
		opts.InvoicesPath: rvInvoices, opts.CustomersPath: rvCustomers,
	} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	sum, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}

	return opts, sum, stderr.String()
}

// readRows reads an output CSV as maps by column name.
func readRows(t *testing.T, opts Options, name string) []map[string]string {
	t.Helper()

	rows, err := csv.NewReader(strings.NewReader(readOut(t, opts, name))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}

	out := make([]map[string]string, 0, len(rows)-1)
	for _, r := range rows[1:] {
		m := make(map[string]string, len(r))
		for i, c := range rows[0] {
			m[c] = r[i]
		}

		out = append(out, m)
	}

	return out
}

// netApplied sums applied_amount per invoice, in minor units.
func netApplied(t *testing.T, opts Options) map[string]int64 {
	t.Helper()

	net := map[string]int64{}
	for _, r := range readRows(t, opts, ApplicationsFile) {
		n, err := money.ParseMinor(r["applied_amount"], 2)
		if err != nil {
			t.Fatal(err)
		}

		net[r["invoice_number"]] += n
	}

	return net
}

// rowsWith returns the rows whose column col is val.
func rowsWith(rows []map[string]string, col, val string) []map[string]string {
	var out []map[string]string
	for _, r := range rows {
		if r[col] == val {
			out = append(out, r)
		}
	}

	return out
}

// TestB07CamtReversalUndoesApplication: one bank repeats the original direction
// on a reversal (CRDT + RvslInd), the other books it as a debit; the balances
// prove both signs. Each reversal is linked to its credit by end-to-end id, the
// application is undone by a negative row, the invoice is open again (a later
// payment of the run is applied to it) and nothing counts as a second payment.
func TestB07CamtReversalUndoesApplication(t *testing.T) {
	t.Parallel()

	doc := rvDocument("RV-1",
		rvStatement("RV-A", "DE02120300000000202051", "5000.00", "5000.00",
			rvEntry{"2750.00", "CRDT", false, "RA-1", "E2E-RV-A", "ALDER MILL GMBH", "INV-5101"},
			rvEntry{"2750.00", "CRDT", true, "RA-2", "E2E-RV-A", "ALDER MILL GMBH", "INV-5101"}),
		rvStatement("RV-B", "NL02ABNA0123456789", "5000.00", "5000.00",
			rvEntry{"640.00", "CRDT", false, "RB-1", "E2E-RV-B", "HERON FOODS BV", "INV-5102"},
			rvEntry{"640.00", "DBIT", true, "RB-2", "E2E-RV-B", "HERON FOODS BV", "INV-5102"}))
	again := rvDocument("RV-2", rvStatement("RV-C", "DE02120300000000202051", "5000.00",
		"7750.00",
		rvEntry{"2750.00", "CRDT", false, "RC-1", "E2E-RV-C", "ALDER MILL GMBH", "INV-5101"}))

	opts, sum, stderr := rvRun(t, map[string]string{"a.xml": doc, "b.xml": again})

	apps := readRows(t, opts, ApplicationsFile)
	for _, c := range []struct{ ref, id, amount, rule string }{
		{"RA-1", "a.xml#1", "2750.00", "reference_exact"},
		{"RB-1", "a.xml#3", "640.00", "reference_exact"},
		{"RA-2", "a.xml#2", "-2750.00", "reversal"},
		{"RB-2", "a.xml#4", "-640.00", "reversal"},
		{"RC-1", "b.xml#1", "2750.00", "reference_exact"},
	} {
		rs := rowsWith(apps, "bank_reference", c.ref)
		if len(rs) != 1 || rs[0]["payment_id"] != c.id || rs[0]["applied_amount"] != c.amount ||
			rs[0]["rule"] != c.rule {
			t.Errorf("%s: rows %v; want one of %s, %s, %s", c.ref, rs, c.id, c.amount, c.rule)
		}
	}

	if len(apps) != 5 {
		t.Errorf("%d application rows, want 5", len(apps))
	}

	// INV-5102 is open again; INV-5101 was open again and paid by b.xml.
	if net := netApplied(t, opts); net["INV-5101"] != 275000 || net["INV-5102"] != 0 {
		t.Errorf("net applied %v; want INV-5101 275000 (paid again), INV-5102 0", net)
	}

	revs := readRows(t, opts, ReversalsFile)
	want := [][3]string{{"RA-2", "a.xml#1", "RA-1"}, {"RB-2", "a.xml#3", "RB-1"}}
	if len(revs) != len(want) {
		t.Fatalf("reversals.csv %v", revs)
	}

	for i, w := range want {
		r := revs[i]
		if r["bank_reference"] != w[0] || r["outcome"] != OutcomeUndone ||
			r["reverses_payment_id"] != w[1] || r["reverses_bank_reference"] != w[2] ||
			r["reason"] != reversal.ReasonReturned || !strings.Contains(r["message"], w[0]) {
			t.Errorf("reversal %d: %v; want %v undone", i, r, w)
		}
	}

	excs := readRows(t, opts, ExceptionsFile)
	if len(excs) != 2 || excs[0]["reason"] != reversal.ReasonReturned ||
		excs[0]["candidates"] != "INV-5101" || excs[1]["candidates"] != "INV-5102" ||
		excs[1]["amount"] != "640.00" {
		t.Errorf("exceptions.csv %v; want two returned follow-ups", excs)
	}

	eur := sum.Applied["EUR"]
	if sum.Returns != (ReturnCounts{Count: 2, Undone: 2}) || eur.Undone != 2 ||
		eur.UndoneAmount != "3390.00" || eur.Amount != "6140.00" || eur.NetAmount != "2750.00" {
		t.Errorf("summary returns %+v applied %+v", sum.Returns, eur)
	}

	if sum.Transactions.Payments != 3 || sum.Transactions.Reversals != 2 ||
		sum.Payments.Count != 3 {
		t.Errorf("summary transactions %+v payments %+v; a reversal is no payment",
			sum.Transactions, sum.Payments)
	}

	if got := readSummary(t, opts); got.Returns != sum.Returns {
		t.Errorf("summary.json returns %+v", got.Returns)
	}

	if !strings.Contains(stderr, "4 transactions, 2 payments, 0 duplicates skipped, "+
		"2 returns or reversals\n") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// TestB07ReversalWithUncheckableSignIsHeld: without balances the reader cannot
// check a reversal's sign; the reversal goes to the exception queue and the
// credit stays applied.
func TestB07ReversalWithUncheckableSignIsHeld(t *testing.T) {
	t.Parallel()

	doc := rvDocument("NB-1", rvStatement("NB", "DE02120300000000202051", "", "",
		rvEntry{"2750.00", "CRDT", false, "NB-1", "E2E-NB", "ALDER MILL GMBH", "INV-5101"},
		rvEntry{"2750.00", "CRDT", true, "NB-2", "E2E-NB", "ALDER MILL GMBH", "INV-5101"}))

	opts, sum, _ := rvRun(t, map[string]string{"nobal.xml": doc})

	apps := readRows(t, opts, ApplicationsFile)
	if len(apps) != 1 || apps[0]["bank_reference"] != "NB-1" ||
		apps[0]["applied_amount"] != "2750.00" {
		t.Errorf("applications.csv %v; want the credit applied, nothing undone", apps)
	}

	excs := readRows(t, opts, ExceptionsFile)
	if len(excs) != 1 || excs[0]["bank_reference"] != "NB-2" ||
		excs[0]["reason"] != reversal.ReasonReversalUnverified || excs[0]["amount"] != "2750.00" {
		t.Errorf("exceptions.csv %v; want the reversal held as unverified", excs)
	}

	revs := readRows(t, opts, ReversalsFile)
	if len(revs) != 1 || revs[0]["outcome"] != OutcomeHeld ||
		revs[0]["reverses_payment_id"] != "" ||
		!strings.Contains(revs[0]["message"], "reversal sign cannot be checked") {
		t.Errorf("reversals.csv %v", revs)
	}

	if sum.Returns != (ReturnCounts{Count: 1, Held: 1}) ||
		sum.Exceptions.ByReason[reversal.ReasonReversalUnverified] != 1 ||
		sum.Applied["EUR"].NetAmount != "2750.00" {
		t.Errorf("summary returns %+v exceptions %+v applied %+v", sum.Returns,
			sum.Exceptions, sum.Applied["EUR"])
	}
}

// TestB07ReversalInLaterFile: the credit is in one day's statement, its
// reversal (a debit) in the next day's; the run links them across files.
func TestB07ReversalInLaterFile(t *testing.T) {
	t.Parallel()

	day1 := rvDocument("D1", rvStatement("D1", "DE02120300000000202051", "100.00", "740.00",
		rvEntry{"640.00", "CRDT", false, "D1-1", "E2E-LATE", "HERON FOODS BV", "INV-5102"}))
	day2 := rvDocument("D2", rvStatement("D2", "DE02120300000000202051", "740.00", "100.00",
		rvEntry{"640.00", "DBIT", true, "D2-1", "E2E-LATE", "HERON FOODS BV", "INV-5102"}))

	opts, sum, _ := rvRun(t, map[string]string{"2025-04-07.xml": day1, "2025-04-08.xml": day2})

	if net := netApplied(t, opts); net["INV-5102"] != 0 || len(net) != 1 {
		t.Errorf("net applied %v; want INV-5102 open again", net)
	}

	revs := readRows(t, opts, ReversalsFile)
	if len(revs) != 1 || revs[0]["payment_id"] != "2025-04-08.xml#1" ||
		revs[0]["reverses_payment_id"] != "2025-04-07.xml#1" ||
		revs[0]["outcome"] != OutcomeUndone {
		t.Errorf("reversals.csv %v", revs)
	}

	if sum.Returns.Undone != 1 || sum.Applied["EUR"].NetAmount != "0.00" {
		t.Errorf("summary returns %+v applied %+v", sum.Returns, sum.Applied["EUR"])
	}

	// The same reversal re-sent in a third file is a duplicate, and a second
	// reversal of the same credit finds it already returned.
	day3 := rvDocument("D3", rvStatement("D3", "DE02120300000000202051", "740.00", "100.00",
		rvEntry{"640.00", "DBIT", true, "D3-1", "E2E-LATE", "HERON FOODS BV", "INV-5102"}))
	opts, sum, _ = rvRun(t, map[string]string{"2025-04-07.xml": day1, "2025-04-08.xml": day2,
		"2025-04-09.xml": day3, "2025-04-10.xml": day2})

	excs := rowsWith(readRows(t, opts, ExceptionsFile), "bank_reference", "D3-1")
	if len(excs) != 1 || excs[0]["reason"] != reversal.ReasonReturnUnmatched {
		t.Errorf("second reversal: %v; want return_unmatched", excs)
	}

	if sum.Returns != (ReturnCounts{Count: 2, Undone: 1, Held: 1}) ||
		sum.Transactions.Duplicates != 1 || sum.Applied["EUR"].NetAmount != "0.00" {
		t.Errorf("summary returns %+v transactions %+v applied %+v", sum.Returns,
			sum.Transactions, sum.Applied["EUR"])
	}
}

// achEntry is one entry of nachaFile: a credit (code 22) with a 05 addenda, or
// a return (code 21) with a 99 addenda naming the original trace.
type achEntry struct {
	code          int
	amount        int64
	trace         string
	text          string // 05 addenda text
	rcode, orig   string // 99 addenda
	receiver      string
	companyInName string
}

// nachaFile writes a NACHA file of one CCD batch per entry list, with the
// control records filled in.
func nachaFile(batches ...[]achEntry) string {
	const rdfi, odfi = "12100035", "02100002"

	var b strings.Builder
	lines := 0
	rec := func(parts ...string) {
		line := strings.Join(parts, "")
		if len(line) != 94 {
			panic(fmt.Sprintf("NACHA record of %d characters: %q", len(line), line))
		}

		b.WriteString(line + "\n")
		lines++
	}

	a := func(s string, n int) string { return fmt.Sprintf("%-*.*s", n, n, s) }
	n := func(v int64, w int) string { return fmt.Sprintf("%0*d", w, v) }

	rec("101", " 121000358", " 021000021", "250407", "0800", "B", "094", "10", "1",
		a("RECEIVING BANK", 23), a("SENDING BANK", 23), a("", 8))

	var fEntries, fHash, fDebit, fCredit int64
	for bi, entries := range batches {
		var count, hash, debit, credit int64
		rec("5", "220", a("QUILLON FREIGHT", 16), a("", 20), a("1987654321", 10), "CCD",
			a("PAYMENT", 10), "250407", "250407", "   ", "1", odfi, n(int64(bi+1), 7))

		for _, e := range entries {
			rec("6", n(int64(e.code), 2), rdfi, "8", a("55500011", 17), n(e.amount, 10),
				a("K-3", 15), a(e.receiver, 22), "  ", "1", e.trace)
			if e.rcode != "" {
				rec("7", "99", e.rcode, e.orig, a("", 6), odfi, a("", 44), e.trace)
			} else {
				rec("7", "05", a(e.text, 80), "0001", e.trace[8:])
			}

			count += 2
			hash += 12100035
			if e.code%10 >= 1 && e.code%10 <= 4 {
				credit += e.amount
			} else {
				debit += e.amount
			}
		}

		rec("8", "220", n(count, 6), n(hash%10_000_000_000, 10), n(debit, 12), n(credit, 12),
			a("1987654321", 10), a("", 19), a("", 6), odfi, n(int64(bi+1), 7))
		fEntries += count
		fHash += hash
		fDebit += debit
		fCredit += credit
	}

	blocks := (lines + 1 + 9) / 10
	rec("9", n(int64(len(batches)), 6), n(int64(blocks), 6), n(fEntries, 8),
		n(fHash%10_000_000_000, 10), n(fDebit, 12), n(fCredit, 12), a("", 39))
	for lines%10 != 0 {
		b.WriteString(strings.Repeat("9", 94) + "\n")
		lines++
	}

	return b.String()
}

// TestB07NACHAReturnUndoesPayment: an ACH credit and, in the next file, its
// R01 return naming the original trace: the application is undone. A
// dishonored return (R69) is held, and a return of a trace never seen is held
// as unmatched.
func TestB07NACHAReturnUndoesPayment(t *testing.T) {
	t.Parallel()

	pay := nachaFile([]achEntry{{code: 22, amount: 42000, trace: "021000020000101",
		text: "INV-5103", receiver: "O2C RECEIVER"}})
	ret := nachaFile([]achEntry{
		{code: 21, amount: 42000, trace: "121000350000201", rcode: "R01",
			orig: "021000020000101", receiver: "QUILLON FREIGHT INC"},
		{code: 21, amount: 42000, trace: "121000350000202", rcode: "R69",
			orig: "021000020000101", receiver: "QUILLON FREIGHT INC"},
		{code: 21, amount: 13300, trace: "121000350000203", rcode: "R01",
			orig: "021000020000999", receiver: "QUILLON FREIGHT INC"},
	})

	opts, sum, stderr := rvRun(t, map[string]string{"1-pay.ach": pay, "2-ret.ach": ret})

	if net := netApplied(t, opts); net["INV-5103"] != 0 || len(net) != 1 {
		t.Errorf("net applied %v; want INV-5103 open again\n%s", net, stderr)
	}

	undo := rowsWith(readRows(t, opts, ApplicationsFile), "bank_reference", "121000350000201")
	if len(undo) != 1 || undo[0]["applied_amount"] != "-420.00" || undo[0]["rule"] != "return" ||
		undo[0]["invoice_number"] != "INV-5103" {
		t.Errorf("undo rows %v", undo)
	}

	revs := readRows(t, opts, ReversalsFile)
	wantOutcome := []struct{ ref, outcome, reason, orig string }{
		{"121000350000201", OutcomeUndone, reversal.ReasonReturned, "1-pay.ach#1"},
		{"121000350000202", OutcomeHeld, reversal.ReasonReversalUnverified, ""},
		{"121000350000203", OutcomeHeld, reversal.ReasonReturnUnmatched, ""},
	}
	if len(revs) != len(wantOutcome) {
		t.Fatalf("reversals.csv %v\n%s", revs, stderr)
	}

	for i, w := range wantOutcome {
		r := revs[i]
		if r["bank_reference"] != w.ref || r["outcome"] != w.outcome || r["reason"] != w.reason ||
			r["reverses_payment_id"] != w.orig || r["kind"] != "return" {
			t.Errorf("return %d: %v; want %+v", i, r, w)
		}
	}

	if !strings.Contains(revs[0]["message"], "R01") {
		t.Errorf("message %q does not name the return code", revs[0]["message"])
	}

	byReason := readSummary(t, opts).Exceptions.ByReason
	if sum.Returns != (ReturnCounts{Count: 3, Undone: 1, Held: 2}) ||
		byReason[reversal.ReasonReturned] != 1 || byReason[reversal.ReasonReturnUnmatched] != 1 ||
		byReason[reversal.ReasonReversalUnverified] != 1 {
		t.Errorf("summary returns %+v exceptions %v", sum.Returns, byReason)
	}
}

// TestB07MT940ReversalUndoesPayment: an MT940 credit and an RC entry (reversal
// of a credit) with the same end-to-end id: the same rule undoes the payment.
func TestB07MT940ReversalUndoesPayment(t *testing.T) {
	t.Parallel()

	sta := strings.Join([]string{
		":20:RV-MT", ":25:NL02ABNA0123456789", ":28C:12/1", ":60F:C250407EUR100,00",
		":61:2504070407C640,00NTRFNONREF//MT-1",
		":86:/EREF/E2E-MT-1//NAME/HERON FOODS BV//REMI/USTD//INV-5102/",
		":61:2504070407RC640,00NTRFNONREF//MT-2",
		":86:/EREF/E2E-MT-1//NAME/HERON FOODS BV//REMI/USTD//STORNO INV-5102/",
		":62F:C250407EUR100,00", "-",
	}, "\r\n") + "\r\n"

	opts, sum, stderr := rvRun(t, map[string]string{"day.sta": sta})

	if net := netApplied(t, opts); net["INV-5102"] != 0 || len(net) != 1 {
		t.Errorf("net applied %v; want INV-5102 open again\n%s", net, stderr)
	}

	revs := readRows(t, opts, ReversalsFile)
	if len(revs) != 1 || revs[0]["bank_reference"] != "MT-2" ||
		revs[0]["reverses_payment_id"] != "day.sta#1" || revs[0]["outcome"] != OutcomeUndone {
		t.Errorf("reversals.csv %v\n%s", revs, stderr)
	}

	if sum.Returns != (ReturnCounts{Count: 1, Undone: 1}) {
		t.Errorf("summary returns %+v", sum.Returns)
	}
}

// TestB07ReversalFittingTwoPaymentsIsHeld: two credits of an earlier file share
// the reversal's end-to-end id and amount; the sign is proven, but which payment
// it takes back is not, so nothing is undone and both are named. (Within one
// statement the camt reader links a reversal to its entry itself.)
func TestB07ReversalFittingTwoPaymentsIsHeld(t *testing.T) {
	t.Parallel()

	day1 := rvDocument("DUP1", rvStatement("DUP1", "NL02ABNA0123456789", "1000.00", "2280.00",
		rvEntry{"640.00", "CRDT", false, "DP-1", "E2E-DUP", "HERON FOODS BV", "INV-5102"},
		rvEntry{"640.00", "CRDT", false, "DP-2", "E2E-DUP", "HERON FOODS BV", "INV-5102"}))
	day2 := rvDocument("DUP2", rvStatement("DUP2", "NL02ABNA0123456789", "2280.00", "1640.00",
		rvEntry{"640.00", "DBIT", true, "DP-3", "E2E-DUP", "HERON FOODS BV", "INV-5102"}))

	opts, sum, _ := rvRun(t, map[string]string{"dup.xml": day1, "dup2.xml": day2})

	revs := readRows(t, opts, ReversalsFile)
	if len(revs) != 1 || revs[0]["outcome"] != OutcomeHeld ||
		revs[0]["reason"] != reversal.ReasonReturnUnmatched ||
		!strings.Contains(revs[0]["message"], "payments dup.xml#1, dup.xml#2 all fit") {
		t.Errorf("reversals.csv %v", revs)
	}

	if net := netApplied(t, opts); net["INV-5102"] != 64000 {
		t.Errorf("net applied %v; want INV-5102 still paid", net)
	}

	if sum.Returns != (ReturnCounts{Count: 1, Held: 1}) {
		t.Errorf("summary returns %+v", sum.Returns)
	}
}
