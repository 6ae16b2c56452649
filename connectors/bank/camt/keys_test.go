package camt_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// report returns a camt document of the given message (052, 053 or 054) for
// one account, holding the raw statement body.
func report(msg, body string) []byte {
	kind := map[string]struct{ root, stmt, version string }{
		"052": {"BkToCstmrAcctRpt", "Rpt", "camt.052.001.08"},
		"053": {"BkToCstmrStmt", "Stmt", "camt.053.001.04"},
		"054": {"BkToCstmrDbtCdtNtfctn", "Ntfctn", "camt.054.001.02"},
	}[msg]

	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:` + kind.version + `">` + "\n<" +
		kind.root + ">\n<GrpHdr><MsgId>" + msg + "</MsgId></GrpHdr>\n<" + kind.stmt +
		">\n<Id>" + msg + "-1</Id>\n" +
		"<Acct><Id><IBAN>CH5604835012345678009</IBAN></Id><Ccy>CHF</Ccy></Acct>\n" +
		body + "</" + kind.stmt + ">\n</" + kind.root + ">\n</Document>\n")
}

// booking is one entry as a report states it.
func booking(ref, ntryRef, status, amount, cdi string, details ...string) string {
	var b strings.Builder

	b.WriteString("<Ntry>")
	if ntryRef != "" {
		fmt.Fprintf(&b, "<NtryRef>%s</NtryRef>", ntryRef)
	}

	fmt.Fprintf(&b, `<Amt Ccy="CHF">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Sts><Cd>%s</Cd></Sts>`,
		amount, cdi, status)
	b.WriteString("<BookgDt><Dt>2025-06-12</Dt></BookgDt><ValDt><Dt>2025-06-12</Dt></ValDt>")

	if ref != "" {
		fmt.Fprintf(&b, "<AcctSvcrRef>%s</AcctSvcrRef>", ref)
	}

	if len(details) > 0 {
		b.WriteString("<NtryDtls>")
		for _, d := range details {
			b.WriteString("<TxDtls>" + d + "</TxDtls>")
		}

		b.WriteString("</NtryDtls>")
	}

	b.WriteString("</Ntry>\n")

	return b.String()
}

func detailOf(e2e, amount, payer string) string {
	return fmt.Sprintf(`<Refs><EndToEndId>%s</EndToEndId></Refs><Amt Ccy="CHF">%s</Amt>`+
		`<RltdPties><Dbtr><Pty><Nm>%s</Nm></Pty></Dbtr></RltdPties>`, e2e, amount, payer)
}

func balances(open, closing string) string {
	b := func(code, amt string) string {
		return `<Bal><Tp><CdOrPrtry><Cd>` + code + `</Cd></CdOrPrtry></Tp><Amt Ccy="CHF">` + amt +
			`</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-06-12</Dt></Dt></Bal>` + "\n"
	}

	return b("OPBD", open) + b("CLBD", closing)
}

// keys returns the dedupe keys and the entry keys of a file's transactions.
func keys(f *bankfile.File) (dedupe, entries map[string]bool) {
	dedupe, entries = map[string]bool{}, map[string]bool{}
	for _, tx := range f.Transactions {
		dedupe[tx.DedupeKey] = true
		entries[tx.EntryKey] = true
	}

	return dedupe, entries
}

// The intraday camt.052 and the end-of-day camt.053 report the same bookings:
// each booking gets the same DedupeKey and EntryKey in both, although the bank
// numbers the entries of each report afresh (NtryRef). A pending entry of the
// 052 is no cash; booked in the 053 it is new money there. The camt.054
// detailing a batch shares the batch entry's EntryKey.
func TestReportsOfOneBookingShareKeys(t *testing.T) {
	t.Parallel()

	a := detailOf("E2E-A", "120.00", "ALPENHOF AG")
	b1, b2 := detailOf("E2E-B1", "300.00", "BERGLI GMBH"), detailOf("E2E-B2", "80.50", "CIMA SA")

	intraday := report("052",
		booking("BK-A", "1", "BOOK", "120.00", "CRDT", a)+
			booking("BK-P", "2", "PDNG", "999.00", "CRDT")+
			booking("BK-B", "3", "BOOK", "380.50", "CRDT", b1, b2))

	statement := report("053", balances("1000.00", "2599.50")+
		booking("BK-X", "1", "BOOK", "100.00", "CRDT")+
		booking("BK-A", "2", "BOOK", "120.00", "CRDT", a)+
		booking("BK-P", "3", "BOOK", "999.00", "CRDT")+
		booking("BK-B", "4", "BOOK", "380.50", "CRDT", b1, b2))

	// The 053 of another bank books the batch as one line; its 054 details it.
	batch := report("053", balances("0", "380.50")+
		booking("BK-B", "7", "BOOK", "380.50", "CRDT"))
	notice := report("054", booking("BK-B", "", "BOOK", "380.50", "CRDT", b1, b2))

	f052 := mustRead(t, "052.xml", intraday, camt.Options{})
	f053 := mustRead(t, "053.xml", statement, camt.Options{})

	if n, sum := f052.Credits(); n != 3 || sum != 50050 || !hasProblem(f052.Warnings, "Ntry/Sts") {
		t.Fatalf("052: %d credits of %d, warnings %v; want the pending entry skipped", n, sum,
			f052.Warnings)
	}

	if f053.Controls != bankfile.ControlsOK || len(f053.Transactions) != 5 {
		t.Fatalf("053: controls %s, %d transactions", f053.Controls, len(f053.Transactions))
	}

	dedupe, entries := keys(f053)
	for _, tx := range f052.Transactions {
		if !dedupe[tx.DedupeKey] || !entries[tx.EntryKey] || tx.EntryKey == "" {
			t.Errorf("052 %s %s: keys %q %q not in the 053", tx.BankRef, tx.EndToEndID,
				tx.DedupeKey, tx.EntryKey)
		}
	}

	dedupe, _ = keys(f052)
	for _, tx := range f053.Transactions {
		if (tx.BankRef == "BK-X" || tx.BankRef == "BK-P") == dedupe[tx.DedupeKey] {
			t.Errorf("053 %s: key %q shared with the 052: %v", tx.BankRef, tx.DedupeKey,
				dedupe[tx.DedupeKey])
		}
	}

	one := mustRead(t, "batch.xml", batch, camt.Options{}).Transactions
	many := mustRead(t, "notice.xml", notice, camt.Options{}).Transactions

	if len(one) != 1 || len(many) != 2 {
		t.Fatalf("%d batch lines, %d notified details", len(one), len(many))
	}

	for _, tx := range many {
		if tx.EntryKey != one[0].EntryKey || tx.EntryKey != f053.Transactions[3].EntryKey {
			t.Errorf("054 %s: entry key %q, the 053 batch has %q", tx.EndToEndID, tx.EntryKey,
				one[0].EntryKey)
		}
	}
}

// Keys never tie distinct bookings together: a reference that a bank reuses
// for another amount or day, a placeholder reference, and entry numbers that
// restart in every report all give different keys.
func TestDistinctBookingsGetDistinctKeys(t *testing.T) {
	t.Parallel()

	day := func(d string, entries ...string) *bankfile.File {
		body := strings.Join(entries, "")
		body = strings.ReplaceAll(body, "2025-06-12", d)

		return mustRead(t, d, report("052", body), camt.Options{})
	}

	monday := day("2025-06-09",
		booking("REF-1", "1", "BOOK", "10.00", "CRDT"),
		booking("NOTPROVIDED", "1", "BOOK", "20.00", "CRDT"),
		booking("", "1", "BOOK", "30.00", "CRDT"))
	tuesday := day("2025-06-10",
		booking("REF-1", "1", "BOOK", "10.00", "CRDT"),
		booking("NOTPROVIDED", "1", "BOOK", "20.00", "CRDT"),
		booking("", "1", "BOOK", "30.00", "CRDT"))

	seen := map[string]string{}
	entries := map[string]string{}

	for _, f := range []*bankfile.File{monday, tuesday} {
		for _, tx := range f.Transactions {
			what := f.Name + " " + tx.Amount.String()
			if other, ok := seen[tx.DedupeKey]; ok {
				t.Errorf("%s and %s share dedupe key %q", what, other, tx.DedupeKey)
			}

			if other, ok := entries[tx.EntryKey]; ok && tx.EntryKey != "" {
				t.Errorf("%s and %s share entry key %q", what, other, tx.EntryKey)
			}

			seen[tx.DedupeKey], entries[tx.EntryKey] = what, what

			if tx.BankRef == "NOTPROVIDED" {
				t.Errorf("placeholder taken for the bank reference: %+v", tx)
			}
		}
	}

	// Within one file, the same reference on two bookings counts twice.
	twice := day("2025-06-11",
		booking("REF-9", "", "BOOK", "10.00", "CRDT"),
		booking("REF-9", "", "BOOK", "10.00", "CRDT"))
	if k := twice.Transactions; len(k) != 2 || k[0].DedupeKey == k[1].DedupeKey {
		t.Fatalf("transactions %+v", k)
	}
}
