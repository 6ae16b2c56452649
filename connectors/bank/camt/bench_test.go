package camt_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
)

// generate returns a camt.053.001.02 statement with n entries; every batch-th
// entry is a batch of three details. Balances and the summary reconcile.
func generate(n, batch int) []byte {
	var b strings.Builder
	var total int64

	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>` + "\n" +
		"<GrpHdr><MsgId>BENCH</MsgId></GrpHdr>\n<Stmt><Id>BENCH-1</Id>\n" +
		"<Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>\n")

	var entries strings.Builder
	for i := 0; i < n; i++ {
		cents := int64(1000 + i%50000)
		details := []int64{cents}

		if batch > 0 && i%batch == 0 {
			details = []int64{cents, 250, 1}
		}

		sum := int64(0)
		for _, d := range details {
			sum += d
		}

		total += sum
		fmt.Fprintf(&entries, "<Ntry>\n  <Amt Ccy=\"EUR\">%d.%02d</Amt>\n"+
			"  <CdtDbtInd>CRDT</CdtDbtInd>\n  <Sts>BOOK</Sts>\n"+
			"  <BookgDt><Dt>2025-01-15</Dt></BookgDt>\n  <ValDt><Dt>2025-01-15</Dt></ValDt>\n"+
			"  <AcctSvcrRef>REF%08d</AcctSvcrRef>\n"+
			"  <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd>"+
			"<SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\n"+
			"  <NtryDtls>\n", sum/100, sum%100, i)

		for j, d := range details {
			fmt.Fprintf(&entries, "    <TxDtls>\n"+
				"      <Refs><EndToEndId>E2E-%d-%d</EndToEndId></Refs>\n"+
				"      <AmtDtls><TxAmt><Amt Ccy=\"EUR\">%d.%02d</Amt></TxAmt></AmtDtls>\n"+
				"      <RltdPties><Dbtr><Nm>CUSTOMER %d</Nm></Dbtr>"+
				"<DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct></RltdPties>\n"+
				"      <RmtInf><Ustrd>INV-%06d payment for services</Ustrd></RmtInf>\n"+
				"    </TxDtls>\n",
				i, j, d/100, d%100, i%997, i)
		}

		entries.WriteString("  </NtryDtls>\n</Ntry>\n")
	}

	fmt.Fprintf(&b, "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0.00</Amt>"+
		"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-01-15</Dt></Dt></Bal>\n"+
		"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">%d.%02d</Amt>"+
		"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-01-15</Dt></Dt></Bal>\n"+
		"<TxsSummry><TtlCdtNtries><NbOfNtries>%d</NbOfNtries><Sum>%d.%02d</Sum>"+
		"</TtlCdtNtries></TxsSummry>\n",
		total/100, total%100, n, total/100, total%100)
	b.WriteString(entries.String())
	b.WriteString("</Stmt>\n</BkToCstmrStmt></Document>\n")

	return []byte(b.String())
}

func TestGeneratedStatement(t *testing.T) {
	t.Parallel()

	data := generate(300, 10)
	f := mustRead(t, "gen", data, camt.Options{})

	if len(f.Transactions) != 300+2*30 || f.Controls != "ok" {
		t.Fatalf("%d transactions, controls %s", len(f.Transactions), f.Controls)
	}
}

func BenchmarkCamtRead(b *testing.B) {
	data := generate(10_000, 10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()

	for b.Loop() {
		if _, err := camt.Read("bench", data); err != nil {
			b.Fatal(err)
		}
	}
}
