package pipelines_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/internal/web"
	"github.com/o2c-dev/o2c/pipelines"
)

// startBus returns a fresh database with the bus running on it, without ERP.
func startBus(t *testing.T) *pgxpool.Pool {
	t.Helper()

	pool := pgtest.DB(t)

	stop, err := service.RunRouter(context.Background(), pipelines.Config{Pool: pool,
		ReadBankFile: bank.Scan, PollInterval: 20 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop router: %v", err)
		}
	})

	return pool
}

// ledgerInvoice is an open invoice to seed: number, customer and amount in
// minor units.
type ledgerInvoice struct {
	number, customer string
	amount           int64
}

// seedLedger stores customers (id → name) and open invoices in currency.
func seedLedger(t *testing.T, pool *pgxpool.Pool, currency string, customers map[string]string,
	invs []ledgerInvoice) {
	t.Helper()

	ctx := context.Background()
	for id, name := range customers {
		if _, err := store.UpsertCustomer(ctx, pool, billing.Customer{ID: id, Name: name},
			"test"); err != nil {
			t.Fatal(err)
		}
	}

	issue := time.Date(2025, time.January, 2, 0, 0, 0, 0, time.UTC)
	for _, in := range invs {
		_, err := store.SyncERPInvoice(ctx, pool, billing.Invoice{Number: in.number,
			CustomerID: in.customer, CustomerName: customers[in.customer], Currency: currency,
			Total: in.amount, Open: in.amount, IssueDate: issue, DueDate: issue.AddDate(0, 0, 30)})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// submitWait submits a new bank file and waits until it is matched.
func submitWait(t *testing.T, pool *pgxpool.Pool, name string, raw []byte) store.BankFile {
	t.Helper()

	ctx := context.Background()

	s, err := pipelines.Submit(ctx, pool, name, raw, "treasury")
	if err != nil {
		t.Fatal(err)
	}

	if s.Duplicate {
		t.Fatalf("%s: taken for a duplicate of file %d", name, s.File.ID)
	}

	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	files, err := pipelines.WaitFiles(wctx, pool, []int64{s.File.ID}, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}

	if files[0].Status != store.FileMatched {
		t.Fatalf("%s: %s (%s) %v", name, files[0].Status, files[0].Error, files[0].Problems)
	}

	return files[0]
}

// tally is what a database holds, in rows.
type tally struct {
	files, payments, applications, exceptions, messages int
}

func countRows(t *testing.T, pool *pgxpool.Pool) tally {
	t.Helper()

	var n tally

	err := pool.QueryRow(context.Background(), `SELECT
			(SELECT count(*) FROM bank_files), (SELECT count(*) FROM payments),
			(SELECT count(*) FROM applications), (SELECT count(*) FROM exceptions),
			(SELECT count(*) FROM "watermill_`+pipelines.TopicBankFileReceived+`")`).
		Scan(&n.files, &n.payments, &n.applications, &n.exceptions, &n.messages)
	if err != nil {
		t.Fatal(err)
	}

	return n
}

// openAmounts returns each invoice's status and open amount.
func openAmounts(t *testing.T, pool *pgxpool.Pool) map[string]store.InvoiceRow {
	t.Helper()

	rows, err := store.Invoices(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}

	out := map[string]store.InvoiceRow{}
	for _, r := range rows {
		out[r.Number] = r
	}

	return out
}

// appliedTotals returns, per invoice, what was taken off it (cash, discount and
// write-off) and by how many applications.
func appliedTotals(t *testing.T, pool *pgxpool.Pool) (map[string]int64, map[string]int) {
	t.Helper()

	rows, err := pool.Query(context.Background(), `SELECT invoice_number,
			sum(amount_minor + discount_minor + writeoff_minor), count(*)
		FROM applications GROUP BY invoice_number`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()

	sums, counts := map[string]int64{}, map[string]int{}
	for rows.Next() {
		var inv string
		var sum int64
		var n int
		if err := rows.Scan(&inv, &sum, &n); err != nil {
			t.Fatal(err)
		}

		sums[inv], counts[inv] = sum, n
	}

	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	return sums, counts
}

// uploadResult is one file of the API's upload answer.
type uploadResult struct {
	File      store.BankFile `json:"file"`
	Duplicate bool           `json:"duplicate"`
	Message   string         `json:"message"`
}

// upload sends a bank file to the API at base as the holder of token.
func upload(t *testing.T, base, token, name string, raw []byte) uploadResult {
	t.Helper()

	req, err := http.NewRequest(http.MethodPost, base+"/api/bank-files?name="+name,
		bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}

	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+token)

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	var body struct {
		Files []uploadResult `json:"files"`
	}

	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("upload %s: status %d: %v", name, resp.StatusCode, err)
	}

	if resp.StatusCode != http.StatusAccepted || len(body.Files) != 1 {
		t.Fatalf("upload %s: status %d, %d files", name, resp.StatusCode, len(body.Files))
	}

	return body.Files[0]
}

// b14Header is the header row of the bank's CSV exports.
const b14Header = "Value Date,Transaction ID,Serial No,Payer,Narration,Credit,Debit,Balance," +
	"Currency\n"

// b14Export is a bank CSV export in INR of three rows; two of them share a
// transaction id and differ by serial number.
const b14Export = b14Header +
	`2025-02-03,UTR40551001,1,KAVERI TEXTILES PVT LTD,NEFT KT INV-7201,18400.00,,218400.00,INR
2025-02-04,UTR40551002,1,NILGIRI SPICE EXPORTS,IMPS INV-7202,9250.50,,227650.50,INR
2025-02-04,UTR40551002,2,NILGIRI SPICE EXPORTS,IMPS INV-7203,4120.00,,231770.50,INR
`

// b14Intraday is an intraday export that has only the second row of a
// transaction; b14Day is the day's full export with both rows. Only the serial
// number tells the rows apart: the day's export must add the first row and know
// the second.
const (
	b14Intraday = b14Header +
		`2025-02-06,UTR40551009,2,KAVERI TEXTILES PVT LTD,NEFT INV-7206,2750.00,,237820.50,INR
`
	b14Day = b14Header +
		`2025-02-06,UTR40551009,1,KAVERI TEXTILES PVT LTD,NEFT INV-7205,6100.00,,241170.50,INR
2025-02-06,UTR40551009,2,KAVERI TEXTILES PVT LTD,NEFT INV-7206,2750.00,,243920.50,INR
`
)

// b14Overlap is a later export of 2025-02-04..2025-02-05: the two rows of
// UTR40551002 again and one new row.
const b14Overlap = b14Header +
	`2025-02-04,UTR40551002,1,NILGIRI SPICE EXPORTS,IMPS INV-7202,9250.50,,227650.50,INR
2025-02-04,UTR40551002,2,NILGIRI SPICE EXPORTS,IMPS INV-7203,4120.00,,231770.50,INR
2025-02-05,UTR40551007,1,KAVERI TEXTILES PVT LTD,RTGS INV-7204,3300.00,,235070.50,INR
`

func TestB14SameExportTwiceAndOverlappingExport(t *testing.T) {
	t.Parallel()

	pool := startBus(t)
	ctx := context.Background()

	seedLedger(t, pool, "INR", map[string]string{
		"C-KAVERI": "Kaveri Textiles Pvt Ltd", "C-NILGIRI": "Nilgiri Spice Exports"},
		[]ledgerInvoice{
			{"INV-7201", "C-KAVERI", 1840000}, {"INV-7202", "C-NILGIRI", 925050},
			{"INV-7203", "C-NILGIRI", 412000}, {"INV-7204", "C-KAVERI", 330000},
			{"INV-7205", "C-KAVERI", 610000}, {"INV-7206", "C-KAVERI", 275000},
		})

	// The API as o2c serve runs it: with authentication, called by a treasury user
	// through an API token.
	access := auth.New(pool, auth.Config{Logger: quiet})
	if _, err := access.AddUser(ctx, "test", "tara", auth.RoleTreasury,
		"b14 treasury password"); err != nil {
		t.Fatal(err)
	}

	_, token, err := access.CreateToken(ctx, "test", "tara", "b14", 0)
	if err != nil {
		t.Fatal(err)
	}

	api := httptest.NewServer(web.New(web.Config{Pool: pool, Auth: access, Logger: quiet}))
	t.Cleanup(api.Close)

	// 1. First upload: three payments, both rows of UTR40551002 kept, three
	// invoices closed.
	first := submitWait(t, pool, "statement-feb.csv", []byte(b14Export))
	if first.Transactions != 3 || first.PaymentsNew != 3 || first.Duplicates != 0 {
		t.Fatalf("first upload: %d transactions, %d new, %d duplicates; want 3, 3, 0",
			first.Transactions, first.PaymentsNew, first.Duplicates)
	}

	payments, err := store.PaymentsOfFile(ctx, pool, first.ID)
	if err != nil {
		t.Fatal(err)
	}

	var shared []int64
	keys := map[string]bool{}
	for _, p := range payments {
		keys[p.Tx.DedupeKey] = true
		if strings.Contains(p.Tx.DedupeKey, "UTR40551002") {
			shared = append(shared, p.Tx.Amount.Minor)
		}
	}

	if len(keys) != 3 || len(shared) != 2 || shared[0]+shared[1] != 925050+412000 {
		t.Fatalf("UTR40551002 rows stored as %v, keys %v; want both rows, 9250.50 and 4120.00",
			shared, keys)
	}

	invs := openAmounts(t, pool)
	for _, n := range []string{"INV-7201", "INV-7202", "INV-7203"} {
		if invs[n].Open != 0 || invs[n].Status != store.InvoicePaid {
			t.Errorf("%s after the first upload: %s, open %d; want paid, 0", n, invs[n].Status,
				invs[n].Open)
		}
	}

	for _, n := range []string{"INV-7204", "INV-7205", "INV-7206"} {
		if invs[n].Open != invs[n].Total {
			t.Errorf("%s is not paid by the first export but has %d of %d open", n, invs[n].Open,
				invs[n].Total)
		}
	}

	before := countRows(t, pool)
	if before.exceptions != 0 {
		t.Fatalf("first upload opened %d exceptions", before.exceptions)
	}

	// 2. The identical bytes again, through the API as a user uploads them and
	// through Submit: recognised as the earlier import, nothing created.
	again := upload(t, api.URL, token, "statement-feb-copy.csv", []byte(b14Export))
	wantMsg := "file already imported on " + first.ReceivedAt.UTC().Format(time.RFC3339)
	if !again.Duplicate || again.File.ID != first.ID || !strings.HasPrefix(again.Message, wantMsg) {
		t.Fatalf("API re-upload: duplicate=%v file %d message %q; want true, %d, %q",
			again.Duplicate, again.File.ID, again.Message, first.ID, wantMsg)
	}

	sub, err := pipelines.Submit(ctx, pool, "statement-feb-copy2.csv", []byte(b14Export),
		"treasury")
	if err != nil {
		t.Fatal(err)
	}

	if !sub.Duplicate || sub.File.ID != first.ID || sub.File.Name != "statement-feb.csv" ||
		!sub.File.ReceivedAt.Equal(first.ReceivedAt) {
		t.Fatalf("Submit of the same bytes: duplicate=%v, file %d %q received %v; want the "+
			"earlier import %d %q received %v", sub.Duplicate, sub.File.ID, sub.File.Name,
			sub.File.ReceivedAt, first.ID, first.Name, first.ReceivedAt)
	}

	// Give a wrongly queued file time to be processed before counting.
	time.Sleep(200 * time.Millisecond)

	if after := countRows(t, pool); after != before {
		t.Fatalf("re-uploads changed the database: %+v, was %+v", after, before)
	}

	// 3. An overlapping later export: only its new row is created.
	overlap := submitWait(t, pool, "statement-feb-04-05.csv", []byte(b14Overlap))
	if overlap.Transactions != 3 || overlap.PaymentsNew != 1 || overlap.Duplicates != 2 {
		t.Fatalf("overlapping export: %d transactions, %d new, %d duplicates; want 3, 1, 2",
			overlap.Transactions, overlap.PaymentsNew, overlap.Duplicates)
	}

	// 4. Rows told apart by their serial number alone: an intraday export with
	// the second row, then the day's export with both.
	intraday := submitWait(t, pool, "statement-feb-06-1400.csv", []byte(b14Intraday))
	day := submitWait(t, pool, "statement-feb-06.csv", []byte(b14Day))
	if intraday.PaymentsNew != 1 || day.PaymentsNew != 1 || day.Duplicates != 1 {
		t.Fatalf("intraday then day export: %d new, then %d new and %d duplicates; "+
			"want 1, then 1 and 1", intraday.PaymentsNew, day.PaymentsNew, day.Duplicates)
	}

	end := countRows(t, pool)
	if end.payments != 6 || end.exceptions != 0 {
		t.Fatalf("after every export: %d payments, %d exceptions; want 6, 0",
			end.payments, end.exceptions)
	}

	// 5. Every invoice got exactly its amount, once; none is over-applied.
	sums, counts := appliedTotals(t, pool)
	for n, inv := range openAmounts(t, pool) {
		if sums[n] != inv.Total || counts[n] != 1 || inv.Open != 0 {
			t.Errorf("%s: %d applied by %d applications, total %d, open %d; want the total "+
				"once and nothing open", n, sums[n], counts[n], inv.Total, inv.Open)
		}
	}
}

// b06Statement is a camt.053.001.08 statement in EUR with two booked entries:
// a batch of three transfers that adds up, and a batch whose details (300.00 +
// 325.00) fall short of the booked 725.00.
const b06Statement = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>MSGID</MsgId><CreDtTm>2025-03-11T05:30:00+01:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>ST-2025-03-10-A</Id>
   <ElctrncSeqNb>48</ElctrncSeqNb>
   <CreDtTm>2025-03-11T05:30:00+01:00</CreDtTm>
   <Acct><Id><IBAN>FR1420041010050500013M02606</IBAN></Id><Ccy>EUR</Ccy></Acct>
   <Bal>
    <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
    <Amt Ccy="EUR">10000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-10</Dt></Dt>
   </Bal>
   <Bal>
    <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
    <Amt Ccy="EUR">14141.75</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-10</Dt></Dt>
   </Bal>
   <Ntry>
    <Amt Ccy="EUR">3416.75</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2025-03-10</Dt></BookgDt><ValDt><Dt>2025-03-10</Dt></ValDt>
    <AcctSvcrRef>LBK-0310-7781</AcctSvcrRef>
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
    <NtryDtls>
     <Btch><NbOfTxs>3</NbOfTxs><TtlAmt Ccy="EUR">3416.75</TtlAmt><CdtDbtInd>CRDT</CdtDbtInd></Btch>
     <TxDtls>
      <Refs><EndToEndId>LQM-20250307-1</EndToEndId></Refs>
      <Amt Ccy="EUR">1905.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
      <RltdPties><Dbtr><Pty><Nm>Lindqvist Marine AB</Nm></Pty></Dbtr></RltdPties>
      <RmtInf><Ustrd>Invoice INV-5301</Ustrd></RmtInf>
     </TxDtls>
     <TxDtls>
      <Refs><EndToEndId>VRD-88120</EndToEndId></Refs>
      <Amt Ccy="EUR">1111.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>
      <RltdPties><Dbtr><Pty><Nm>Vardar Logistika DOOEL</Nm></Pty></Dbtr></RltdPties>
      <RmtInf><Ustrd>INV-5302</Ustrd></RmtInf>
     </TxDtls>
     <TxDtls>
      <Refs><EndToEndId>MSL-3303</EndToEndId></Refs>
      <Amt Ccy="EUR">400.25</Amt><CdtDbtInd>CRDT</CdtDbtInd>
      <RltdPties><Dbtr><Pty><Nm>Moselle Verpackung GmbH</Nm></Pty></Dbtr></RltdPties>
      <RmtInf><Ustrd>Rechnung INV-5303</Ustrd></RmtInf>
     </TxDtls>
    </NtryDtls>
   </Ntry>
   <Ntry>
    <Amt Ccy="EUR">725.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2025-03-10</Dt></BookgDt><ValDt><Dt>2025-03-10</Dt></ValDt>
    <AcctSvcrRef>LBK-0310-7782</AcctSvcrRef>
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
    <NtryDtls>
     <Btch><NbOfTxs>2</NbOfTxs></Btch>
     <TxDtls>
      <Refs><EndToEndId>LQM-20250307-2</EndToEndId></Refs>
      <Amt Ccy="EUR">300.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
      <RltdPties><Dbtr><Pty><Nm>Lindqvist Marine AB</Nm></Pty></Dbtr></RltdPties>
      <RmtInf><Ustrd>INV-5304</Ustrd></RmtInf>
     </TxDtls>
     <TxDtls>
      <Refs><EndToEndId>LQM-20250307-3</EndToEndId></Refs>
      <Amt Ccy="EUR">325.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
      <RltdPties><Dbtr><Pty><Nm>Lindqvist Marine AB</Nm></Pty></Dbtr></RltdPties>
      <RmtInf><Ustrd>INV-5305</Ustrd></RmtInf>
     </TxDtls>
    </NtryDtls>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>
`

func TestB06BatchEntrySplitAndShortBatchHeldWhole(t *testing.T) {
	t.Parallel()

	pool := startBus(t)
	ctx := context.Background()

	seedLedger(t, pool, "EUR", map[string]string{
		"C-LQM": "Lindqvist Marine AB", "C-VRD": "Vardar Logistika DOOEL",
		"C-MSL": "Moselle Verpackung GmbH"},
		[]ledgerInvoice{
			{"INV-5301", "C-LQM", 190500}, {"INV-5302", "C-VRD", 111150},
			{"INV-5303", "C-MSL", 40025}, {"INV-5304", "C-LQM", 30000},
			{"INV-5305", "C-LQM", 32500},
		})

	raw := []byte(strings.Replace(b06Statement, "MSGID", "MSG-0311-01", 1))
	f := submitWait(t, pool, "camt053-0310.xml", raw)
	if f.Transactions != 4 || f.PaymentsNew != 4 {
		t.Fatalf("statement: %d transactions, %d new; want 4 (three details and one "+
			"held entry)", f.Transactions, f.PaymentsNew)
	}

	invs := openAmounts(t, pool)
	for _, n := range []string{"INV-5301", "INV-5302", "INV-5303"} {
		if invs[n].Open != 0 {
			t.Errorf("%s: %d open after the batch entry; want 0", n, invs[n].Open)
		}
	}

	for _, n := range []string{"INV-5304", "INV-5305"} {
		if invs[n].Open != invs[n].Total {
			t.Errorf("%s: %d open of %d; the short batch must not touch it", n, invs[n].Open,
				invs[n].Total)
		}
	}

	sums, _ := appliedTotals(t, pool)
	if len(sums) != 3 {
		t.Errorf("applications on %d invoices, want 3: %v", len(sums), sums)
	}

	exs, err := store.Exceptions(ctx, pool, store.ExceptionFilter{})
	if err != nil {
		t.Fatal(err)
	}

	if len(exs) != 1 {
		t.Fatalf("%d exceptions, want 1 for the short batch", len(exs))
	}

	if x := exs[0]; x.Amount != 72500 || x.Currency != "EUR" ||
		!strings.Contains(x.Message, "batch details") {
		t.Fatalf("exception: %d %s %q (%s); want the whole 725.00 EUR, naming the batch details",
			x.Amount, x.Currency, x.Message, x.Reason)
	}

	before := countRows(t, pool)

	// The same bytes again are the same file.
	dup, err := pipelines.Submit(ctx, pool, "camt053-0310-again.xml", raw, "treasury")
	if err != nil {
		t.Fatal(err)
	}

	if !dup.Duplicate || dup.File.ID != f.ID {
		t.Fatalf("same bytes: duplicate=%v file %d; want the earlier file %d", dup.Duplicate,
			dup.File.ID, f.ID)
	}

	// The bank delivering the statement again in a new message: read, nothing new.
	resent := []byte(strings.Replace(b06Statement, "MSGID", "MSG-0311-02", 1))
	r := submitWait(t, pool, "camt053-0310-resent.xml", resent)
	if r.Transactions != 4 || r.PaymentsNew != 0 || r.Duplicates != 4 {
		t.Fatalf("re-sent statement: %d transactions, %d new, %d duplicates; want 4, 0, 4",
			r.Transactions, r.PaymentsNew, r.Duplicates)
	}

	after := countRows(t, pool)
	before.files, before.messages = before.files+1, before.messages+1
	if after != before {
		t.Fatalf("re-import changed more than its own file: %+v, want %+v", after, before)
	}
}
