package world_test

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/world"
)

// The camt structs below read both .02 and .08 by local names.
type camtDoc struct {
	XMLName xml.Name
	MsgID   string     `xml:"BkToCstmrStmt>GrpHdr>MsgId"`
	Stmts   []camtStmt `xml:"BkToCstmrStmt>Stmt"`
}

type camtAmt struct {
	Ccy   string `xml:"Ccy,attr"`
	Value string `xml:",chardata"`
	Amt   *struct {
		Ccy   string `xml:"Ccy,attr"`
		Value string `xml:",chardata"`
	} `xml:"Amt"`
}

type camtStmt struct {
	Acct struct {
		IBAN string `xml:"Id>IBAN"`
		Othr string `xml:"Id>Othr>Id"`
		Ccy  string `xml:"Ccy"`
	} `xml:"Acct"`
	Bals []struct {
		Code string  `xml:"Tp>CdOrPrtry>Cd"`
		Amt  camtAmt `xml:"Amt"`
		Ind  string  `xml:"CdtDbtInd"`
	} `xml:"Bal"`
	Summary struct {
		N      string `xml:"TtlNtries>NbOfNtries"`
		Sum    string `xml:"TtlNtries>Sum"`
		Net02  string `xml:"TtlNtries>TtlNetNtryAmt"`
		Net08  string `xml:"TtlNtries>TtlNetNtry>Amt"`
		CdtN   string `xml:"TtlCdtNtries>NbOfNtries"`
		CdtSum string `xml:"TtlCdtNtries>Sum"`
		DbtN   string `xml:"TtlDbtNtries>NbOfNtries"`
	} `xml:"TxsSummry"`
	Ntries []camtNtry `xml:"Ntry"`
}

type camtNtry struct {
	Amt camtAmt `xml:"Amt"`
	Ind string  `xml:"CdtDbtInd"`
	Sts struct {
		Text string `xml:",chardata"`
		Cd   string `xml:"Cd"`
	} `xml:"Sts"`
	Ref     string   `xml:"AcctSvcrRef"`
	BtchN   string   `xml:"NtryDtls>Btch>NbOfTxs"`
	BtchAmt camtAmt  `xml:"NtryDtls>Btch>TtlAmt"`
	Txs     []camtTx `xml:"NtryDtls>TxDtls"`
}

type camtTx struct {
	Ref    string   `xml:"Refs>AcctSvcrRef"`
	E2E    string   `xml:"Refs>EndToEndId"`
	Amt08  camtAmt  `xml:"Amt"`
	Amt02  camtAmt  `xml:"AmtDtls>TxAmt>Amt"`
	Name02 string   `xml:"RltdPties>Dbtr>Nm"`
	Name08 string   `xml:"RltdPties>Dbtr>Pty>Nm"`
	IBAN   string   `xml:"RltdPties>DbtrAcct>Id>IBAN"`
	Othr   string   `xml:"RltdPties>DbtrAcct>Id>Othr>Id"`
	Ustrd  []string `xml:"RmtInf>Ustrd"`
	Strd   []struct {
		Nb      string  `xml:"RfrdDocInf>Nb"`
		Due     camtAmt `xml:"RfrdDocAmt>DuePyblAmt"`
		Disc    camtAmt `xml:"RfrdDocAmt>DscntApldAmt"`
		Rmtd    camtAmt `xml:"RfrdDocAmt>RmtdAmt"`
		CdtrRef string  `xml:"CdtrRefInf>Ref"`
	} `xml:"RmtInf>Strd"`
}

func (a camtAmt) minor(t *testing.T) int64 {
	t.Helper()

	ccy, v := a.Ccy, strings.TrimSpace(a.Value)
	if a.Amt != nil {
		ccy, v = a.Amt.Ccy, a.Amt.Value
	}

	if v == "" {
		return 0
	}

	m, err := money.Parse(v, ccy)
	if err != nil {
		t.Fatalf("amount %q %s: %v", v, ccy, err)
	}

	return m.Minor
}

func parseDecimal(t *testing.T, s, ccy string) int64 {
	t.Helper()

	return camtAmt{Ccy: ccy, Value: s}.minor(t)
}

func writeCAMT(t *testing.T, ps []world.Payment, opts world.CAMTOptions) (camtDoc, []byte) {
	t.Helper()

	var b bytes.Buffer
	if err := world.WriteCAMT053(&b, ps, opts); err != nil {
		t.Fatalf("WriteCAMT053: %v", err)
	}

	var doc camtDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("camt output is not well-formed XML: %v", err)
	}

	return doc, b.Bytes()
}

func TestWriteCAMT053(t *testing.T) {
	t.Parallel()

	usd := newFixture(t, world.Config{Seed: 31, Customers: 150},
		world.PayConfig{Seed: 3, Fraction: 0.9, Noise: true})
	eur := newFixture(t, world.Config{Seed: 32, Customers: 150, Currency: "EUR"},
		world.PayConfig{Seed: 4, Fraction: 0.9, Noise: true})
	for _, tc := range []struct {
		name    string
		f       fixture
		version string
		opening int64
	}{
		{"usd-02", usd, world.CAMT02, 0},
		{"usd-08", usd, world.CAMT08, -50000},
		{"eur-02", eur, world.CAMT02, 500000},
		{"eur-08", eur, world.CAMT08, 123},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			opts := tc.f.w.CAMTOptions()
			opts.Version, opts.OpeningBalance = tc.version, tc.opening
			doc, raw := writeCAMT(t, tc.f.payments, opts)
			ns := "urn:iso:std:iso:20022:tech:xsd:camt.053." + tc.version
			if doc.XMLName.Space != ns || doc.XMLName.Local != "Document" {
				t.Errorf("root %v, want Document in %s", doc.XMLName, ns)
			}

			if tc.version == world.CAMT08 && bytes.Contains(raw, []byte("<AmtDtls>")) ||
				tc.version == world.CAMT02 && bytes.Contains(raw, []byte("<Pty>")) {
				t.Error("elements of the other version in the output")
			}

			checkStatements(t, doc, tc.f, tc.opening)
		})
	}
}

// checkStatements checks balances and summaries, and that the transactions
// are the payments, in order, currency by currency.
func checkStatements(t *testing.T, doc camtDoc, f fixture, opening int64) {
	t.Helper()

	byCcy := map[string][]world.Payment{}
	for _, p := range f.payments {
		byCcy[p.Amount.Currency] = append(byCcy[p.Amount.Currency], p)
	}

	if len(doc.Stmts) != len(byCcy) || doc.Stmts[0].Acct.Ccy != f.w.Config.Currency {
		t.Fatalf("%d statements, first in %s; payments in %d currencies", len(doc.Stmts),
			doc.Stmts[0].Acct.Ccy, len(byCcy))
	}

	refs := map[string]bool{}
	batches := 0
	for k, s := range doc.Stmts {
		ccy := s.Acct.Ccy
		open := int64(0)
		if k == 0 {
			open = opening
			if want := f.w.CAMTOptions().Account; s.Acct.IBAN+s.Acct.Othr != want {
				t.Errorf("account %q%q, want %q", s.Acct.IBAN, s.Acct.Othr, want)
			}
		}

		var sum int64
		var txs []camtTx
		for _, n := range s.Ntries {
			amt := n.Amt.minor(t)
			sum += amt
			if n.Ind != "CRDT" || n.Sts.Text != "BOOK" && n.Sts.Cd != "BOOK" || refs[n.Ref] ||
				n.Ref == "" || n.Amt.Ccy != ccy {
				t.Errorf("entry %+v: not a booked credit in %s with a unique reference", n, ccy)
			}

			refs[n.Ref] = true
			var txSum int64
			for _, tx := range n.Txs {
				txSum += tx.Amt02.minor(t) + tx.Amt08.minor(t)
			}

			if txSum != amt {
				t.Errorf("entry %s: details add up to %d, entry %d", n.Ref, txSum, amt)
			}

			if len(n.Txs) > 1 {
				batches++
				if n.BtchN != strconv.Itoa(len(n.Txs)) || n.BtchAmt.minor(t) != amt ||
					!strings.HasPrefix(n.Ref, "B") {
					t.Errorf("batch entry %s: NbOfTxs %s, TtlAmt %v for %d details", n.Ref,
						n.BtchN, n.BtchAmt, len(n.Txs))
				}
			}

			txs = append(txs, n.Txs...)
		}

		checkBalances(t, s, open, sum)
		checkTransactions(t, txs, byCcy[ccy])
	}

	if batches == 0 {
		t.Error("no batch entry")
	}
}

func checkBalances(t *testing.T, s camtStmt, open, sum int64) {
	t.Helper()

	ccy := s.Acct.Ccy
	bal := map[string]int64{}
	for _, b := range s.Bals {
		v := b.Amt.minor(t)
		if b.Ind == "DBIT" {
			v = -v
		}

		bal[b.Code] = v
	}

	sm := s.Summary
	n := strconv.Itoa(len(s.Ntries))
	net := sm.Net02 + sm.Net08
	if bal["OPBD"] != open || bal["CLBD"] != bal["OPBD"]+sum || len(s.Bals) != 2 {
		t.Errorf("%s: opening %d + entries %d != closing %d", ccy, bal["OPBD"], sum, bal["CLBD"])
	}

	if sm.N != n || sm.CdtN != n || sm.DbtN != "0" || parseDecimal(t, sm.Sum, ccy) != sum ||
		parseDecimal(t, sm.CdtSum, ccy) != sum || parseDecimal(t, net, ccy) != sum {
		t.Errorf("%s: summary %+v for %s entries of %d", ccy, sm, n, sum)
	}
}

func checkTransactions(t *testing.T, txs []camtTx, ps []world.Payment) {
	t.Helper()

	if len(txs) != len(ps) {
		t.Fatalf("%d transactions for %d payments", len(txs), len(ps))
	}

	for i, tx := range txs {
		p := ps[i]
		e2e := p.EndToEndID
		if e2e == "" {
			e2e = "NOTPROVIDED"
		}

		acct := p.PayerAccount
		if _, a, ok := strings.Cut(acct, ":"); ok {
			acct = a
		}

		amt := tx.Amt02.minor(t) + tx.Amt08.minor(t)
		if amt != p.Amount.Minor || tx.E2E != e2e || tx.Name02+tx.Name08 != p.PayerName ||
			tx.IBAN+tx.Othr != acct {
			t.Errorf("transaction %d %+v, payment %+v", i, tx, p)
		}

		ustrd := strings.Join(tx.Ustrd, "")
		if ustrd != p.Remittance || len(tx.Strd) != len(p.Remits) {
			t.Errorf("transaction %d remittance %q %d, payment %q %v", i, ustrd, len(tx.Strd),
				p.Remittance, p.Remits)
			continue
		}

		for k, r := range p.Remits {
			s := tx.Strd[k]
			if s.Nb+s.CdtrRef != r.Ref || s.Rmtd.minor(t) != r.Paid ||
				s.Due.minor(t) != r.Invoiced ||
				s.Disc.minor(t) != r.Discount {
				t.Errorf("transaction %d structured %+v, remit %+v", i, s, r)
			}
		}
	}
}

func TestWriteCAMT053WithoutBatches(t *testing.T) {
	t.Parallel()

	f := usFixture(t, 8, 60)
	doc, _ := writeCAMT(t, f.payments, world.CAMTOptions{BatchShare: -1})
	if len(doc.Stmts) != 1 || len(doc.Stmts[0].Ntries) != len(f.payments) {
		t.Fatalf("%d statements; want 1 with %d entries", len(doc.Stmts), len(f.payments))
	}

	for _, n := range doc.Stmts[0].Ntries {
		if len(n.Txs) != 1 || n.BtchN != "" {
			t.Fatalf("entry %s has %d details", n.Ref, len(n.Txs))
		}
	}
}
