package pipelines_test

import (
	"fmt"
	"strings"
	"testing"
)

// camtBatch053 is an end-of-day statement booking three customer payments as
// one batch entry with only a transaction count, as banks do for collections.
const camtBatch053 = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>EOD-0612</MsgId><CreDtTm>2025-06-12T20:00:00Z</CreDtTm></GrpHdr>
    <Stmt>
      <Id>EOD-0612-1</Id>
      <Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2025-06-12</Dt></BookgDt><AcctSvcrRef>BATCH-7781</AcctSvcrRef>
        <NtryDtls><Btch><NbOfTxs>3</NbOfTxs></Btch></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
`

// camtDetails054 is the notification of the same batch, one detail per payment.
const camtDetails054 = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.04">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>NTF-0612</MsgId><CreDtTm>2025-06-12T21:00:00Z</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>NTF-0612-1</Id>
      <Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2025-06-12</Dt></BookgDt><AcctSvcrRef>BATCH-7781</AcctSvcrRef>
        <NtryDtls>
          <Btch><NbOfTxs>3</NbOfTxs></Btch>
%s        </NtryDtls>
      </Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
`

const camtDetail = `          <TxDtls>
            <Refs><EndToEndId>%s</EndToEndId></Refs>
            <Amt Ccy="EUR">%s</Amt>
            <RltdPties><Dbtr><Nm>%s</Nm></Dbtr></RltdPties>
            <RmtInf><Ustrd>%s</Ustrd></RmtInf>
          </TxDtls>
`

func granularityFiles() (batch, details []byte) {
	var dets strings.Builder
	for _, d := range [][4]string{
		{"E2E-1", "1200.00", "NORDWIND HANDEL GMBH", "INV-7101"},
		{"E2E-2", "800.00", "KESSLER BAU AG", "INV-7102"},
		{"E2E-3", "450.50", "LINDGREN OY", "INV-7103"},
	} {
		fmt.Fprintf(&dets, camtDetail, d[0], d[1], d[2], d[3])
	}

	return []byte(fmt.Sprintf(camtBatch053, "2450.50")),
		[]byte(fmt.Sprintf(camtDetails054, "2450.50", dets.String()))
}

// A camt.054 that details a batch the camt.053 booked as one entry reports the
// same money: whichever arrives second adds nothing, and no invoice is paid
// twice.
func TestBatchAndItsDetailsCountedOnce(t *testing.T) {
	t.Parallel()

	batch, details := granularityFiles()

	for _, order := range []string{"details first", "batch first"} {
		t.Run(order, func(t *testing.T) {
			t.Parallel()

			pool := startBus(t)
			seedLedger(t, pool, "EUR", map[string]string{"C1": "Nordwind Handel GmbH",
				"C2": "Kessler Bau AG", "C3": "Lindgren Oy"}, []ledgerInvoice{
				{"INV-7101", "C1", 120000}, {"INV-7102", "C2", 80000},
				{"INV-7103", "C3", 45050}})

			first, second := details, batch
			firstN, secondN := 3, 1
			if order == "batch first" {
				first, second = batch, details
				firstN, secondN = 1, 3
			}

			f1 := submitWait(t, pool, "first.xml", first)
			if f1.PaymentsNew != firstN || f1.Duplicates != 0 {
				t.Fatalf("first file: %d new, %d duplicates; want %d new", f1.PaymentsNew,
					f1.Duplicates, firstN)
			}

			f2 := submitWait(t, pool, "second.xml", second)
			if f2.PaymentsNew != 0 || f2.Duplicates != secondN {
				t.Fatalf("second file: %d new, %d duplicates; want 0 new, %d duplicates",
					f2.PaymentsNew, f2.Duplicates, secondN)
			}

			var received int64
			err := pool.QueryRow(t.Context(), `SELECT COALESCE(sum(amount_minor), 0)
				FROM payments WHERE direction = 'credit'`).Scan(&received)
			if err != nil || received != 245050 {
				t.Fatalf("cash received %d (%v), want 245050 once", received, err)
			}

			for number, inv := range openAmounts(t, pool) {
				if inv.Open < 0 || inv.Open > inv.Total {
					t.Errorf("%s open %d of %d", number, inv.Open, inv.Total)
				}
			}

			if order == "details first" {
				for number, inv := range openAmounts(t, pool) {
					if inv.Open != 0 {
						t.Errorf("%s still open for %d after its detailed payment", number,
							inv.Open)
					}
				}
			}
		})
	}
}
