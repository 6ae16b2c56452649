package camt_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// TestB06BatchEntrySplitByDetails covers case B06: a booked entry carrying
// several TxDtls becomes one item per detail with the detail's own amount,
// payer and EndToEndId, and an entry whose details do not add up stays one item
// of the booked amount with the reason stated. Both amount layouts are read:
// AmtDtls/TxAmt/Amt (.02) and TxDtls/Amt (.08, with Dbtr/Pty/Nm).
func TestB06BatchEntrySplitByDetails(t *testing.T) {
	t.Parallel()

	for _, fixture := range []string{"b06_v02.xml", "b06_v08.xml"} {
		t.Run(fixture, func(t *testing.T) {
			t.Parallel()

			data := readFixture(t, fixture)
			f := mustRead(t, fixture, data, camt.Options{})

			if len(f.Transactions) != 4 || f.Controls != bankfile.ControlsOK {
				t.Fatalf("%d transactions, controls %s; want 4, ok", len(f.Transactions),
					f.Controls)
			}

			split := f.Transactions[:3]
			wantAmounts := []int64{150000, 64550, 20010}
			wantPayers := []string{"ALPHA WIDGETS NV", "BETA TOOLS GMBH", "GAMMA PARTS SRL"}

			var sum int64
			for i, tx := range split {
				sum += tx.Amount.Minor
				if tx.Amount.Minor != wantAmounts[i] || tx.PayerName != wantPayers[i] ||
					tx.EndToEndID != "FX-E2E-"+string(rune('1'+i)) || tx.Problem != "" {
					t.Errorf("item %d: %d %q %q problem %q", i, tx.Amount.Minor, tx.PayerName,
						tx.EndToEndID, tx.Problem)
				}

				if tx.BankRef != "FX-BATCH-1" || tx.Direction != bankfile.Credit ||
					tx.Kind != bankfile.KindPayment {
					t.Errorf("item %d: bank ref %q %s %s", i, tx.BankRef, tx.Direction, tx.Kind)
				}

				if !tx.BookingDate.Equal(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("item %d: booking date %v", i, tx.BookingDate)
				}
			}

			if sum != 234560 {
				t.Errorf("items sum to %d, want the booked 2345.60", sum)
			}

			if split[0].Line >= split[1].Line || split[1].Line >= split[2].Line {
				t.Errorf("lines %d %d %d are not those of the three TxDtls", split[0].Line,
					split[1].Line, split[2].Line)
			}

			checkB06Remittance(t, split)

			bad := f.Transactions[3]
			if bad.Amount.Minor != 65450 || bad.Problem != "batch details 600.00 ≠ booked 654.50" {
				t.Errorf("unbalanced entry: %d problem %q", bad.Amount.Minor, bad.Problem)
			}

			checkKeysStable(t, fixture, data, f)
		})
	}
}

func checkB06Remittance(t *testing.T, split []bankfile.Transaction) {
	t.Helper()

	if split[0].Remittance != "ORDER A-77 INV-2001" || split[0].PayerAccount !=
		"FR7630006000011234567890189" {
		t.Errorf("item 0: remittance %q account %q", split[0].Remittance, split[0].PayerAccount)
	}

	if split[1].PayerAccount != "ACC-BETA-9" {
		t.Errorf("item 1: payer account %q", split[1].PayerAccount)
	}

	wantDoc := []bankfile.Remit{{Ref: "INV-2002", RefType: "CINV", Paid: 64550, Invoiced: 66050,
		Discount: 1500}}
	if !reflect.DeepEqual(split[1].Remits, wantDoc) {
		t.Errorf("item 1: remits %+v, want %+v", split[1].Remits, wantDoc)
	}

	wantRF := []bankfile.Remit{{Ref: "RF18539007547034", RefType: "RF"}}
	if !reflect.DeepEqual(split[2].Remits, wantRF) {
		t.Errorf("item 2: remits %+v, want %+v", split[2].Remits, wantRF)
	}
}

// checkKeysStable asserts unique dedupe keys and identical keys on a re-read.
func checkKeysStable(t *testing.T, name string, data []byte, f *bankfile.File) {
	t.Helper()

	seen := map[string]bool{}
	for _, tx := range f.Transactions {
		if seen[tx.DedupeKey] {
			t.Errorf("dedupe key %q repeated", tx.DedupeKey)
		}

		seen[tx.DedupeKey] = true
	}

	again := mustRead(t, name, data, camt.Options{})
	for i := range f.Transactions {
		if again.Transactions[i].DedupeKey != f.Transactions[i].DedupeKey {
			t.Errorf("re-read key %q ≠ %q", again.Transactions[i].DedupeKey,
				f.Transactions[i].DedupeKey)
		}
	}
}

// TestB07ReversalSignCheckedAgainstBalances covers case B07: bank X repeats the
// original direction on a reversal (CRDT + RvslInd), bank Y books it in the
// direction the money moves (DBIT + RvslInd). Both reversals take money out and
// both statements must balance; a profile that states the wrong convention makes
// a statement fail its balances instead of being believed.
func TestB07ReversalSignCheckedAgainstBalances(t *testing.T) {
	t.Parallel()

	data := readFixture(t, "b07_reversals.xml")
	f := mustRead(t, "b07", data, camt.Options{})

	if f.Controls != bankfile.ControlsOK || len(f.Transactions) != 4 {
		t.Fatalf("controls %s, %d transactions", f.Controls, len(f.Transactions))
	}

	for _, i := range []int{1, 3} {
		tx := f.Transactions[i]
		if tx.Kind != bankfile.KindReversal || tx.Direction != bankfile.Debit || tx.Problem != "" {
			t.Errorf("reversal %s: %s %s problem %q", tx.BankRef, tx.Kind, tx.Direction, tx.Problem)
		}

		if orig := f.Transactions[i-1]; tx.OriginalRef != orig.BankRef ||
			tx.EndToEndID != orig.EndToEndID {
			t.Errorf("reversal %s: original %q, want %q", tx.BankRef, tx.OriginalRef, orig.BankRef)
		}
	}

	if n, sum := f.Credits(); n != 2 || sum != 284990 {
		t.Errorf("credits %d / %d, want the two originals only", n, sum)
	}

	if len(f.Warnings) != 1 || f.Warnings[0].Field != "Ntry/RvslInd" {
		t.Errorf("warnings %v, want one naming bank X's convention", f.Warnings)
	}

	// "Always invert" and "ignore RvslInd" each break one of the statements.
	profiles := []camt.Options{{Reversals: camt.ReversalISO}, {Reversals: camt.ReversalOriginal}}
	for _, opts := range profiles {
		ps := mustReject(t, "b07", data, opts)
		if len(ps) != 1 || ps[0].Field != "Bal/CLBD" {
			t.Errorf("profile %d: problems %v", opts.Reversals, ps)
		}
	}
}

// TestB07ReversalWithoutBalancesNotGuessed: with no balances and no bank
// profile the reversal's sign is never guessed; it goes to the exception queue.
// A profile that states the convention settles it.
func TestB07ReversalWithoutBalancesNotGuessed(t *testing.T) {
	t.Parallel()

	data := readFixture(t, "b07_no_balances.xml")
	f := mustRead(t, "b07nb", data, camt.Options{})

	if f.Format != bankfile.FormatCAMT052 || f.Controls != bankfile.ControlsNone {
		t.Fatalf("format %s controls %s", f.Format, f.Controls)
	}

	if len(f.Transactions) != 2 {
		t.Fatalf("%d transactions, want 2 (the pending entry skipped)", len(f.Transactions))
	}

	rev := f.Transactions[1]
	if rev.Kind != bankfile.KindReversal ||
		!strings.Contains(rev.Problem, "no reconciled balances") {
		t.Fatalf("reversal %s problem %q", rev.Kind, rev.Problem)
	}

	if !hasProblem(f.Warnings, "Ntry/Sts") {
		t.Errorf("warnings %v, want the skipped pending entry", f.Warnings)
	}

	g := mustRead(t, "b07nb", data, camt.Options{Reversals: camt.ReversalOriginal})
	if tx := g.Transactions[1]; tx.Direction != bankfile.Debit || tx.Problem != "" {
		t.Fatalf("with profile: %s problem %q", tx.Direction, tx.Problem)
	}
}

func TestAmountPrecision(t *testing.T) {
	t.Parallel()

	head := bal("OPBD", "0", "CRDT") + bal("CLBD", "12.34", "CRDT")

	ok := statement053("DE02100100100006820101", head,
		entry{amount: "0000012.34000", ccy: "EUR", cdi: "CRDT", ref: "P-1"})
	if f := mustRead(t, "zeros", ok, camt.Options{}); f.Transactions[0].Amount.Minor != 1234 {
		t.Fatalf("amount %d", f.Transactions[0].Amount.Minor)
	}

	bad := statement053("DE02100100100006820101", head,
		entry{amount: "12.345", ccy: "EUR", cdi: "CRDT", ref: "P-1"})

	ps := mustReject(t, "digits", bad, camt.Options{})
	if ps[0].Field != "Ntry/Amt" || ps[0].Value != "12.345" || ps[0].Line != 11 {
		t.Fatalf("problem %+v, want Ntry/Amt on line 11", ps[0])
	}
}

func TestEveryProblemListed(t *testing.T) {
	t.Parallel()

	data := statement053("DE02100100100006820101", "",
		entry{amount: "1.00", ccy: "EUR", cdi: "CRDT", ref: "Q-1"},
		entry{amount: "-5.00", ccy: "EUR", cdi: "CRDT", ref: "Q-2"},
		entry{amount: "5.00", ccy: "XXY", cdi: "CRDT", ref: "Q-3"},
		entry{amount: "5.00", ccy: "EUR", cdi: "CREDIT", ref: "Q-4"},
		entry{amount: "5.00", ccy: "EUR", cdi: "DBIT", ref: "Q-5",
			extra: "<ValDt><Dt>2025-02-30</Dt></ValDt>"},
	)

	ps := mustReject(t, "many", data, camt.Options{})

	want := []string{"Ntry/Amt", "Ntry/Amt@Ccy", "Ntry/CdtDbtInd", "Ntry/ValDt"}
	if len(ps) != len(want) {
		t.Fatalf("problems %v, want %v", ps, want)
	}

	for i, p := range ps {
		if p.Field != want[i] || p.Line == 0 || p.File != "many" {
			t.Errorf("problem %d: %+v, want field %s with a line", i, p, want[i])
		}
	}
}

func TestSummaryChecked(t *testing.T) {
	t.Parallel()

	sum := func(n, total string) string {
		return "<TxsSummry><TtlNtries><NbOfNtries>" + n + "</NbOfNtries></TtlNtries>" +
			"<TtlCdtNtries><NbOfNtries>" + n + "</NbOfNtries>" +
			"<Sum>" + total + "</Sum></TtlCdtNtries>" +
			"</TxsSummry>\n"
	}
	entries := []entry{
		{amount: "10.00", ccy: "EUR", cdi: "CRDT", ref: "S-1"},
		{amount: "2.50", ccy: "EUR", cdi: "CRDT", ref: "S-2"},
	}

	acct := "DE02100100100006820101"

	f := mustRead(t, "sum-ok", statement053(acct, sum("2", "12.50"), entries...), camt.Options{})
	if f.Controls != bankfile.ControlsOK {
		t.Fatalf("controls %s", f.Controls)
	}

	none := camt.Options{}

	ps := mustReject(t, "sum-bad", statement053(acct, sum("2", "12.05"), entries...), none)
	if !hasProblem(ps, "TxsSummry/TtlCdtNtries/Sum") {
		t.Fatalf("problems %v", ps)
	}

	ps = mustReject(t, "count-bad", statement053(acct, sum("3", "12.50"), entries...), none)
	if !hasProblem(ps, "TxsSummry/TtlNtries/NbOfNtries") {
		t.Fatalf("problems %v", ps)
	}
}

// TestIdenticalEntriesBothCount: two identical entries without any reference
// are two payments; each gets its own key, and the keys survive a re-read.
func TestIdenticalEntriesBothCount(t *testing.T) {
	t.Parallel()

	e := entry{amount: "75.00", ccy: "EUR", cdi: "CRDT",
		details: []string{"<RmtInf><Ustrd>INV-9</Ustrd></RmtInf>"}}
	data := statement053("DE02100100100006820101", "", e, e)
	f := mustRead(t, "twins", data, camt.Options{})

	if len(f.Transactions) != 2 || f.Transactions[0].DedupeKey == f.Transactions[1].DedupeKey {
		t.Fatalf("transactions %+v", f.Transactions)
	}

	checkKeysStable(t, "twins", data, f)

	// The same entry in another file (with one more entry) keeps its key.
	other := statement053("DE02100100100006820101", "", e,
		entry{amount: "1.00", ccy: "EUR", cdi: "DBIT"})
	g := mustRead(t, "other", other, camt.Options{})
	if g.Transactions[0].DedupeKey != f.Transactions[0].DedupeKey {
		t.Fatalf("key %q in the second file, %q in the first", g.Transactions[0].DedupeKey,
			f.Transactions[0].DedupeKey)
	}
}

func TestEncodings(t *testing.T) {
	t.Parallel()

	party := "<RltdPties><Dbtr><Nm>Müller & Söhne €</Nm></Dbtr></RltdPties>"
	utf := statement053("DE02100100100006820101", "", entry{amount: "1.00", ccy: "EUR", cdi: "CRDT",
		ref: "E-1", details: []string{party}})
	utf = bytes.Replace(utf, []byte("&"), []byte("&amp;"), 1)

	t.Run("declared windows-1252", func(t *testing.T) {
		t.Parallel()

		latin, err := charmap.Windows1252.NewEncoder().Bytes(bytes.Replace(utf, []byte(`"UTF-8"`),
			[]byte(`"windows-1252"`), 1))
		if err != nil {
			t.Fatal(err)
		}

		f := mustRead(t, "cp1252", latin, camt.Options{})
		if f.Encoding != "windows-1252" || f.Transactions[0].PayerName != "Müller & Söhne €" {
			t.Fatalf("encoding %q payer %q", f.Encoding, f.Transactions[0].PayerName)
		}
	})

	t.Run("declared iso-8859-1", func(t *testing.T) {
		t.Parallel()

		src := bytes.Replace(bytes.Replace(utf, []byte(`"UTF-8"`), []byte(`"ISO-8859-1"`), 1),
			[]byte(" €"), nil, 1)

		latin, err := charmap.ISO8859_1.NewEncoder().Bytes(src)
		if err != nil {
			t.Fatal(err)
		}

		f := mustRead(t, "latin1", latin, camt.Options{})
		if f.Encoding != "iso-8859-1" || f.Transactions[0].PayerName != "Müller & Söhne" {
			t.Fatalf("encoding %q payer %q", f.Encoding, f.Transactions[0].PayerName)
		}
	})

	t.Run("undeclared latin-1 falls back with a warning", func(t *testing.T) {
		t.Parallel()

		src := bytes.Replace(utf, []byte(` encoding="UTF-8"`), nil, 1)

		latin, err := charmap.Windows1252.NewEncoder().Bytes(src)
		if err != nil {
			t.Fatal(err)
		}

		f := mustRead(t, "undeclared", latin, camt.Options{})
		if f.Encoding != "windows-1252" || !hasProblem(f.Warnings, "encoding") ||
			f.Transactions[0].PayerName != "Müller & Söhne €" {
			t.Fatalf("encoding %q warnings %v payer %q", f.Encoding, f.Warnings,
				f.Transactions[0].PayerName)
		}
	})
}

func TestHostileInput(t *testing.T) {
	t.Parallel()

	cases := map[string]struct {
		data  string
		field string
	}{
		"entity declaration": {`<?xml version="1.0"?>` +
			`<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>` +
			`<Document><BkToCstmrStmt><Stmt><Ntry>&x;</Ntry></Stmt></BkToCstmrStmt></Document>`,
			"DOCTYPE"},
		"undefined entity": {
			`<Document><BkToCstmrStmt><Stmt><Id>&x;</Id></Stmt></BkToCstmrStmt></Document>`, "xml",
		},
		"not camt":  {`<Document><pain.001/></Document>`, "Document"},
		"not xml":   {"Date,Amount\n2025-01-01,1.00\n", "Document"},
		"truncated": {`<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy="EUR">1`, "xml"},
		"too deep": {`<Document><BkToCstmrStmt><Stmt><Ntry>` + strings.Repeat("<a>", 100) +
			strings.Repeat("</a>", 100) + `</Ntry></Stmt></BkToCstmrStmt></Document>`, "xml"},
	}

	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			ps := mustReject(t, name, []byte(c.data), camt.Options{})
			if ps[0].Field != c.field {
				t.Fatalf("problems %v, want field %s", ps, c.field)
			}
		})
	}
}

// TestMixedDirectionBatch: details whose directions differ are netted against
// the entry and keep their own direction.
func TestMixedDirectionBatch(t *testing.T) {
	t.Parallel()

	det := func(amt, cdi, id string) string {
		return `<Refs><EndToEndId>` + id + `</EndToEndId></Refs><Amt Ccy="EUR">` + amt +
			`</Amt><CdtDbtInd>` + cdi + `</CdtDbtInd>`
	}
	head := bal("OPBD", "0", "CRDT") + bal("CLBD", "80.00", "DBIT")
	data := statement053("DE02100100100006820101", head,
		entry{amount: "80.00", ccy: "EUR", cdi: "DBIT", ref: "M-1", details: []string{
			det("100.00", "DBIT", "M-A"), det("20.00", "CRDT", "M-B"),
		}})

	f := mustRead(t, "mixed", data, camt.Options{})
	if len(f.Transactions) != 2 || f.Transactions[0].Direction != bankfile.Debit ||
		f.Transactions[1].Direction != bankfile.Credit || f.Transactions[1].Amount.Minor != 2000 {
		t.Fatalf("transactions %+v", f.Transactions)
	}
}

// TestReversalsThatNetToZero: two reversals of opposite direction balance under
// either convention, so the balances cannot confirm their signs.
func TestReversalsThatNetToZero(t *testing.T) {
	t.Parallel()

	rvsl := "<RvslInd>true</RvslInd>"
	head := bal("OPBD", "50.00", "CRDT") + bal("CLBD", "50.00", "CRDT")
	data := statement053("DE02100100100006820101", head,
		entry{amount: "20.00", ccy: "EUR", cdi: "CRDT", ref: "R-1", extra: rvsl},
		entry{amount: "20.00", ccy: "EUR", cdi: "DBIT", ref: "R-2", extra: rvsl})

	f := mustRead(t, "net-zero", data, camt.Options{})
	for _, tx := range f.Transactions {
		if !strings.Contains(tx.Problem, "not confirmed") {
			t.Errorf("%s: problem %q", tx.BankRef, tx.Problem)
		}
	}

	g := mustRead(t, "net-zero", data, camt.Options{Reversals: camt.ReversalOriginal})
	if g.Transactions[0].Direction != bankfile.Debit || g.Transactions[0].Problem != "" {
		t.Errorf("with profile: %s problem %q", g.Transactions[0].Direction,
			g.Transactions[0].Problem)
	}
}
