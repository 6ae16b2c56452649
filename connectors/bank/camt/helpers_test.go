package camt_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/samplefiles"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// samplesDir returns the shared samples folder (see internal/samplefiles), or skips.
func samplesDir(t testing.TB, sub string) string {
	t.Helper()

	return samplefiles.Dir(t, sub)
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()

	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}

	return data
}

// mustRead reads data and fails the test when it is rejected.
func mustRead(t testing.TB, name string, data []byte, opts camt.Options) *bankfile.File {
	t.Helper()

	f, err := camt.ReadOptions(name, data, opts)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}

	return f
}

// mustReject reads data, expects a rejection and returns its problems.
func mustReject(t testing.TB, name string, data []byte, opts camt.Options) []bankfile.Problem {
	t.Helper()

	f, err := camt.ReadOptions(name, data, opts)
	if err == nil {
		t.Fatalf("read %s: accepted with %d transactions, want a rejection", name,
			len(f.Transactions))
	}

	var be *bankfile.Error
	if !errors.As(err, &be) {
		t.Fatalf("read %s: error %T %v is not a *bankfile.Error", name, err, err)
	}

	if len(be.Problems) == 0 {
		t.Fatalf("read %s: rejection lists no problem", name)
	}

	return be.Problems
}

func hasProblem(ps []bankfile.Problem, field string) bool {
	for _, p := range ps {
		if p.Field == field {
			return true
		}
	}

	return false
}

// entry is one Ntry of a generated camt.053.
type entry struct {
	amount, ccy, cdi, ref string
	details               []string // TxDtls bodies
	extra                 string   // raw elements after AcctSvcrRef
}

func (e entry) xml() string {
	var b strings.Builder

	fmt.Fprintf(&b, "<Ntry>\n<Amt Ccy=%q>%s</Amt>\n<CdtDbtInd>%s</CdtDbtInd>\n",
		e.ccy, e.amount, e.cdi)
	b.WriteString("<Sts>BOOK</Sts>\n<BookgDt><Dt>2025-02-03</Dt></BookgDt>\n")

	if e.ref != "" {
		fmt.Fprintf(&b, "<AcctSvcrRef>%s</AcctSvcrRef>\n", e.ref)
	}

	b.WriteString(e.extra)

	if len(e.details) > 0 {
		b.WriteString("<NtryDtls>\n")

		for _, d := range e.details {
			b.WriteString("<TxDtls>" + d + "</TxDtls>\n")
		}

		b.WriteString("</NtryDtls>\n")
	}

	b.WriteString("</Ntry>\n")

	return b.String()
}

// statement053 returns a camt.053.001.02 document with one statement for
// account acct holding the raw balance/summary block head and the entries.
func statement053(acct, head string, entries ...entry) []byte {
	var b strings.Builder

	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">` + "\n")
	b.WriteString("<BkToCstmrStmt>\n<GrpHdr><MsgId>GEN</MsgId></GrpHdr>\n<Stmt>\n<Id>GEN-1</Id>\n")
	fmt.Fprintf(&b, "<Acct><Id><IBAN>%s</IBAN></Id></Acct>\n", acct)
	b.WriteString(head)

	for _, e := range entries {
		b.WriteString(e.xml())
	}

	b.WriteString("</Stmt>\n</BkToCstmrStmt>\n</Document>\n")

	return []byte(b.String())
}

func bal(code, amount, cdi string) string {
	return fmt.Sprintf("<Bal><Tp><CdOrPrtry><Cd>%s</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">%s</Amt>"+
		"<CdtDbtInd>%s</CdtDbtInd><Dt><Dt>2025-02-03</Dt></Dt></Bal>\n", code, amount, cdi)
}
