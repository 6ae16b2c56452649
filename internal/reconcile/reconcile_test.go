package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/erp/csvfile"
	"github.com/o2c-dev/o2c/internal/matching"
)

const invoicesCSV = "invoice_number,customer_id,customer_name,currency,total,open_amount," +
	"issue_date,due_date,discount_percent,discount_days,po_number\n" +
	`INV-10017,C-1,Sample Customer LLC,EUR,1250.00,1250.00,2025-01-05,2025-02-04,,,
INV-10022,C-1,Sample Customer LLC,EUR,745.41,745.41,2025-01-05,2025-02-04,2,10,
INV-000123,C-1,Sample Customer LLC,EUR,500.00,500.00,2025-01-06,2025-02-05,,,PO-88
INV-7,C-2,Sample Trading BV,EUR,640.00,640.00,2025-01-07,2025-02-06,,,
INV-9,C-2,Sample Trading BV,EUR,640.00,640.00,2025-01-08,2025-02-07,,,
`

const customersCSV = `customer_id,name,bank_account,aliases
C-1,Sample Customer LLC,DE89 3704 0044 0532 0130 00,
C-2,Sample Trading B.V.,GB29NWBK60161331926819,Sample Trading
`

// detail is one credit transfer inside a camt entry.
type detail struct {
	amount, e2e, payer, iban, text string
}

// entry is one camt Ntry; a charge is a debit with a CHRG sub-family.
type entry struct {
	ref, amount, dir string
	charge           bool
	details          []detail
}

// camt053 writes a camt.053.001.02 statement of account acct with the entries.
// Every entry is booked and valued on 2025-02-03.
func camt053(acct, opening, closing string, entries []entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt>
<GrpHdr><MsgId>MSG-%[1]s</MsgId><CreDtTm>2025-02-04T06:00:00</CreDtTm></GrpHdr>
<Stmt>
<Id>STMT-%[1]s</Id><CreDtTm>2025-02-04T06:00:00</CreDtTm>
<Acct><Id><IBAN>%[1]s</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%[2]s</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-02-03</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%[3]s</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-02-03</Dt></Dt></Bal>
`, acct, opening, closing)

	for _, e := range entries {
		fmly, sub := "RCDT", "ESCT"
		if e.charge {
			fmly, sub = "CCRD", "CHRG"
		}

		fmt.Fprintf(&b, `<Ntry><Amt Ccy="EUR">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2025-02-03</Dt></BookgDt><ValDt><Dt>2025-02-03</Dt></ValDt>
<AcctSvcrRef>%s</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>%s</Cd><SubFmlyCd>%s</SubFmlyCd></Fmly></Domn></BkTxCd>
`, e.amount, e.dir, e.ref, fmly, sub)
		if len(e.details) == 0 {
			b.WriteString("</Ntry>\n")
			continue
		}

		b.WriteString("<NtryDtls>\n")
		for _, d := range e.details {
			fmt.Fprintf(&b, `<TxDtls><Refs><EndToEndId>%s</EndToEndId></Refs>
<AmtDtls><TxAmt><Amt Ccy="EUR">%s</Amt></TxAmt></AmtDtls>
<RltdPties><Dbtr><Nm>%s</Nm></Dbtr>`, d.e2e, d.amount, d.payer)
			if d.iban != "" {
				fmt.Fprintf(&b, `<DbtrAcct><Id><IBAN>%s</IBAN></Id></DbtrAcct>`, d.iban)
			}

			fmt.Fprintf(&b, "</RltdPties><RmtInf><Ustrd>%s</Ustrd></RmtInf></TxDtls>\n", d.text)
		}

		b.WriteString("</NtryDtls></Ntry>\n")
	}

	b.WriteString("</Stmt></BkToCstmrStmt></Document>\n")

	return b.String()
}

const ourIBAN = "GB33BUKB20201555555555"

// statement is the main bank file of the tests: an exact payment, a tie, a batch
// of two details (one known, one from an unknown payer), a bank charge and an
// overpayment.
func statement() string {
	c1 := "DE89370400440532013000"
	c2 := "GB29NWBK60161331926819"

	return camt053(ourIBAN, "10000.00", "14165.00", []entry{
		{ref: "R-0001", amount: "1250.00", dir: "CRDT", details: []detail{
			{"1250.00", "E2E-1", "Sample Customer LLC", c1, "INV-10017"}}},
		{ref: "R-0002", amount: "640.00", dir: "CRDT", details: []detail{
			{"640.00", "E2E-2", "Sample Trading BV", c2, "February services"}}},
		{ref: "R-0003", amount: "1000.00", dir: "CRDT", details: []detail{
			{"500.00", "E2E-3A", "Sample Customer LLC", c1, "Invoice 000123"},
			{"500.00", "E2E-3B", "Mystery Ltd", "", "thank you"}}},
		{ref: "R-0004", amount: "25.00", dir: "DBIT", charge: true},
		{ref: "R-0006", amount: "1300.00", dir: "CRDT", details: []detail{
			{"1300.00", "E2E-6", "Sample Customer LLC", c1, "INV-10022"}}},
	})
}

var wantApplications = "payment_id,bank_reference,value_date,payer_name,payment_amount," +
	"currency,invoice_number,applied_amount,discount_amount,writeoff_amount,rule,confidence\n" +
	"stmt.xml#1,R-0001,2025-02-03,Sample Customer LLC,1250.00,EUR," +
	"INV-10017,1250.00,0.00,0.00,reference_exact,0.970\n" +
	"stmt.xml#3,R-0003,2025-02-03,Sample Customer LLC,500.00,EUR," +
	"INV-000123,500.00,0.00,0.00,reference_exact,0.930\n" +
	"stmt.xml#6,R-0006,2025-02-03,Sample Customer LLC,1300.00,EUR," +
	"INV-10022,745.41,0.00,0.00,reference_overpaid,0.920\n"

const wantExceptions = "payment_id,bank_reference,value_date,payer_name,amount,currency," +
	"reason,candidates\n" +
	`stmt.xml#2,R-0002,2025-02-03,Sample Trading BV,640.00,EUR,ambiguous,INV-7;INV-9
stmt.xml#4,R-0003,2025-02-03,Mystery Ltd,500.00,EUR,unknown_payer,
stmt.xml#6,R-0006,2025-02-03,Sample Customer LLC,554.59,EUR,overpayment,
`

// setup writes the invoices, customers and bank files into a temporary directory
// and returns the options to reconcile them.
func setup(t *testing.T, bankFiles map[string]string) (Options, *bytes.Buffer) {
	t.Helper()

	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}

		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}

		return p
	}

	var stderr bytes.Buffer
	opts := Options{
		InvoicesPath:  write("invoices.csv", invoicesCSV),
		CustomersPath: write("customers.csv", customersCSV),
		OutDir:        filepath.Join(dir, "out"),
		BankFiles:     []string{filepath.Join(dir, "bank")},
		Stderr:        &stderr,
	}
	for name, content := range bankFiles {
		write(filepath.Join("bank", name), content)
	}

	return opts, &stderr
}

func readOut(t *testing.T, opts Options, name string) string {
	t.Helper()

	b, err := os.ReadFile(filepath.Join(opts.OutDir, name))
	if err != nil {
		t.Fatal(err)
	}

	return string(b)
}

func readSummary(t *testing.T, opts Options) Summary {
	t.Helper()

	var s Summary
	if err := json.Unmarshal([]byte(readOut(t, opts, SummaryFile)), &s); err != nil {
		t.Fatal(err)
	}

	return s
}

func TestRunEndToEnd(t *testing.T) {
	t.Parallel()

	opts, stderr := setup(t, map[string]string{"stmt.xml": statement()})
	sum, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}

	if got := readOut(t, opts, ApplicationsFile); got != wantApplications {
		t.Errorf("applications.csv:\n%s\nwant:\n%s", got, wantApplications)
	}

	if got := readOut(t, opts, ExceptionsFile); got != wantExceptions {
		t.Errorf("exceptions.csv:\n%s\nwant:\n%s", got, wantExceptions)
	}

	want := Summary{
		RulesVersion: matching.RulesVersion, Customers: 2, Invoices: 5,
		Files:        FileCounts{Read: 1},
		Transactions: TransactionCounts{Total: 6, Payments: 5, Charges: 1},
		Payments:     PaymentCounts{Count: 5, Applied: 2, AppliedWithException: 1, Held: 2},
		Applied: map[string]*AppliedTotal{
			"EUR": {Applications: 3, Amount: "2495.41", Discount: "0.00", WriteOff: "0.00",
				UndoneAmount: "0.00", UndoneDiscount: "0.00", UndoneWriteOff: "0.00",
				NetAmount: "2495.41"},
		},
		Exceptions: ExceptionCounts{
			Count:    3,
			ByReason: map[string]int{"ambiguous": 1, "unknown_payer": 1, "overpayment": 1},
			Amount:   map[string]string{"EUR": "1694.59"},
		},
		FileReports: []FileReport{{File: "stmt.xml", Format: "camt.053", Status: StatusRead,
			Controls: "ok", Transactions: 6, Payments: 5}},
	}
	got := readSummary(t, opts)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("summary.json:\n%s\nwant:\n%s", g, w)
	}

	if sum.Payments != want.Payments || sum.Transactions != want.Transactions {
		t.Errorf("returned summary %+v differs from the file", sum)
	}

	wantErr := "bank file stmt.xml (camt.053): 6 transactions, 5 payments, 0 duplicates skipped\n"
	if stderr.String() != wantErr {
		t.Errorf("stderr %q, want %q", stderr.String(), wantErr)
	}

	// The applied cash plus the exception amounts account for every payment.
	var paid int64 = 125000 + 64000 + 100000 + 130000
	if applied, held := int64(249541), int64(169459); applied+held != paid {
		t.Errorf("applied %d + held %d != received %d", applied, held, paid)
	}
}

func TestRunRejectedFileAmongGoodOnes(t *testing.T) {
	t.Parallel()

	bad := strings.Replace(statement(), `<Amt Ccy="EUR">640.00</Amt><CdtDbtInd>`,
		`<Amt Ccy="EUR">6,40</Amt><CdtDbtInd>`, 1)
	opts, stderr := setup(t, map[string]string{
		"a-bad.xml":  bad,
		"junk.txt":   "this is not a bank file\n",
		"stmt.xml":   statement(),
		".hidden":    "ignored",
		"sub/.x.xml": "ignored too",
	})
	opts.BankFiles = append(opts.BankFiles, filepath.Join(filepath.Dir(opts.OutDir), "nope"))

	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}

	if got := readOut(t, opts, ApplicationsFile); got != wantApplications {
		t.Errorf("applications.csv:\n%s\nwant:\n%s", got, wantApplications)
	}

	if got := readOut(t, opts, ExceptionsFile); got != wantExceptions {
		t.Errorf("exceptions.csv:\n%s\nwant:\n%s", got, wantExceptions)
	}

	s := readSummary(t, opts)
	if s.Files != (FileCounts{Read: 1, Rejected: 3}) {
		t.Errorf("files %+v, want 1 read, 3 rejected", s.Files)
	}

	var names []string
	for _, r := range s.FileReports {
		names = append(names, r.File+":"+r.Status)
		if r.Status == StatusRejected && len(r.Problems) == 0 {
			t.Errorf("%s rejected without problems", r.File)
		}
	}

	want := []string{"nope:rejected", "a-bad.xml:rejected", "junk.txt:rejected", "stmt.xml:read"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("file reports %v, want %v", names, want)
	}

	out := stderr.String()
	for _, w := range []string{
		"bank file a-bad.xml (camt.053) rejected: ",
		"  a-bad.xml:", // every problem is located in its file by line
		"bank file junk.txt rejected: 1 problem\n",
		"bank file nope rejected: 1 problem\n",
		"bank file stmt.xml (camt.053): 6 transactions",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("stderr lacks %q:\n%s", w, out)
		}
	}

	if strings.Contains(out, filepath.Dir(opts.OutDir)) {
		t.Errorf("stderr shows a machine path:\n%s", out)
	}
}

// TestRunDuplicateFile: a re-sent file adds nothing, and an overlapping file
// adds only its new entry.
func TestRunDuplicateFile(t *testing.T) {
	t.Parallel()

	overlap := camt053(ourIBAN, "14165.00", "16055.00", []entry{
		{ref: "R-0001", amount: "1250.00", dir: "CRDT", details: []detail{
			{"1250.00", "E2E-1", "Sample Customer LLC", "DE89370400440532013000", "INV-10017"}}},
		{ref: "R-0009", amount: "640.00", dir: "CRDT", details: []detail{
			{"640.00", "E2E-9", "Sample Trading BV", "GB29NWBK60161331926819", "INV-9"}}},
	})

	opts, stderr := setup(t, map[string]string{
		"stmt.xml":    statement(),
		"stmt2.xml":   statement(),
		"z/later.xml": overlap,
	})
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}

	wantApps := wantApplications +
		"later.xml#2,R-0009,2025-02-03,Sample Trading BV,640.00,EUR,INV-9,640.00,0.00,0.00," +
		"reference_exact,0.970\n"
	if got := readOut(t, opts, ApplicationsFile); got != wantApps {
		t.Errorf("applications.csv:\n%s\nwant:\n%s", got, wantApps)
	}

	if got := readOut(t, opts, ExceptionsFile); got != wantExceptions {
		t.Errorf("exceptions.csv:\n%s\nwant:\n%s", got, wantExceptions)
	}

	s := readSummary(t, opts)
	if s.Transactions.Duplicates != 7 || s.Transactions.Total != 14 || s.Payments.Count != 6 {
		t.Errorf("transactions %+v payments %+v, want 7 duplicates of 14, 6 payments",
			s.Transactions, s.Payments)
	}

	if s.Files != (FileCounts{Read: 3, SameContent: 1}) {
		t.Errorf("files %+v", s.Files)
	}

	if r := s.FileReports[1]; r.File != "stmt2.xml" || r.SameAs != "stmt.xml" ||
		r.Duplicates != 6 || r.Payments != 0 {
		t.Errorf("re-sent file report %+v", r)
	}

	if !strings.Contains(stderr.String(), "bank file stmt2.xml (camt.053): 6 transactions, "+
		"0 payments, 6 duplicates skipped, same content as stmt.xml\n") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

func TestRunBadInvoicesIsAnError(t *testing.T) {
	t.Parallel()

	opts, _ := setup(t, map[string]string{"stmt.xml": statement()})
	bad := strings.Replace(invoicesCSV, "745.41,745.41", "745.41,745.411", 1)
	if err := os.WriteFile(opts.InvoicesPath, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}

	_, err := Run(context.Background(), opts)
	if err == nil {
		t.Fatal("Run accepted a bad invoices file")
	}

	want := `read invoices: invoices.csv:3: open_amount: invalid amount "745.411" for EUR`
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	var re *csvfile.RowError
	if !errors.As(err, &re) || re.Line != 3 || re.Field != "open_amount" {
		t.Errorf("error does not carry the row: %+v", re)
	}

	_, err = os.Stat(filepath.Join(opts.OutDir, ApplicationsFile))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("applications.csv written despite the error: %v", err)
	}
}

func TestRunMissingFilesAndOptions(t *testing.T) {
	t.Parallel()

	opts, _ := setup(t, nil)
	opts.CustomersPath = filepath.Join(filepath.Dir(opts.OutDir), "missing.csv")
	if _, err := Run(context.Background(), opts); err == nil ||
		!strings.HasPrefix(err.Error(), "read customers: ") {
		t.Errorf("missing customers file: %v", err)
	}

	if _, err := Run(context.Background(), Options{OutDir: "x"}); !errors.Is(err, ErrOptions) {
		t.Errorf("no invoices path: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	opts, _ = setup(t, map[string]string{"stmt.xml": statement()})
	if _, err := Run(ctx, opts); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}

	entries, _ := os.ReadDir(opts.OutDir)
	if len(entries) != 0 {
		t.Errorf("cancelled run left %d files in the output directory", len(entries))
	}
}

// TestB14SameExportTwiceAndOverlap: a bank CSV export read, then read again,
// then an overlapping export: the two rows sharing a transaction id are both kept,
// the re-sent rows add nothing and only the new row of the overlap is matched, so
// no invoice is applied twice and nothing reaches the exception queue.
func TestB14SameExportTwiceAndOverlap(t *testing.T) {
	t.Parallel()

	const header = "Value Date,Transaction ID,Serial No,Payer,Narration,Credit,Debit,Balance," +
		"Currency\n"
	rows := []string{
		"2025-03-10,TXN55010001,1,SAMPLE CUSTOMER PVT LTD,NEFT INV-7101,31000.00,,131000.00,INR\n",
		"2025-03-11,TXN55010002,1,SAMPLE TRADERS,IMPS INV-7102,14200.00,,145200.00,INR\n",
		"2025-03-11,TXN55010002,2,SAMPLE TRADERS,IMPS INV-7103,8800.00,,154000.00,INR\n",
		"2025-03-12,TXN55010007,1,SAMPLE TRADERS,IMPS INV-7104,5000.00,,159000.00,INR\n",
	}
	first := header + rows[0] + rows[1] + rows[2]
	opts, stderr := setup(t, map[string]string{
		"2025-03-a.csv": first,
		"2025-03-b.csv": first,
		"2025-03-c.csv": header + rows[1] + rows[2] + rows[3],
	})
	invoices := "invoice_number,customer_id,customer_name,currency,total,open_amount," +
		"issue_date,due_date,discount_percent,discount_days,po_number\n" +
		"INV-7101,IN-1,Sample Customer Pvt Ltd,INR,31000.00,31000.00,2025-03-01,2025-03-31,,,\n" +
		"INV-7102,IN-2,Sample Traders,INR,14200.00,14200.00,2025-03-01,2025-03-31,,,\n" +
		"INV-7103,IN-2,Sample Traders,INR,8800.00,8800.00,2025-03-01,2025-03-31,,,\n" +
		"INV-7104,IN-2,Sample Traders,INR,5000.00,5000.00,2025-03-02,2025-04-01,,,\n"
	if err := os.WriteFile(opts.InvoicesPath, []byte(invoices), 0o644); err != nil {
		t.Fatal(err)
	}

	opts.CustomersPath = ""
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}

	want := strings.Join(ApplicationsHeader, ",") + "\n" +
		"2025-03-a.csv#1,TXN55010001,2025-03-10,SAMPLE CUSTOMER PVT LTD,31000.00,INR,INV-7101," +
		"31000.00,0.00,0.00,reference_exact,0.970\n" +
		"2025-03-a.csv#2,TXN55010002,2025-03-11,SAMPLE TRADERS,14200.00,INR,INV-7102," +
		"14200.00,0.00,0.00,reference_exact,0.970\n" +
		"2025-03-a.csv#3,TXN55010002,2025-03-11,SAMPLE TRADERS,8800.00,INR,INV-7103," +
		"8800.00,0.00,0.00,reference_exact,0.970\n" +
		"2025-03-c.csv#3,TXN55010007,2025-03-12,SAMPLE TRADERS,5000.00,INR,INV-7104," +
		"5000.00,0.00,0.00,reference_exact,0.970\n"
	if got := readOut(t, opts, ApplicationsFile); got != want {
		t.Errorf("applications.csv:\n%s\nwant:\n%s", got, want)
	}

	if got := readOut(t, opts, ExceptionsFile); got != strings.Join(ExceptionsHeader, ",")+"\n" {
		t.Errorf("exceptions.csv is not empty:\n%s", got)
	}

	s := readSummary(t, opts)
	if s.Transactions.Total != 9 || s.Transactions.Duplicates != 5 || s.Payments.Applied != 4 ||
		s.Files.SameContent != 1 {
		t.Errorf("summary %+v %+v %+v", s.Transactions, s.Payments, s.Files)
	}

	if a := s.Applied["INR"]; a == nil || a.Amount != "59000.00" || a.Applications != 4 {
		t.Errorf("applied %+v, want 59000.00 in 4 applications", a)
	}

	if !strings.Contains(stderr.String(), "bank file 2025-03-c.csv (csv): 3 transactions, "+
		"1 payment, 2 duplicates skipped\n") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}
