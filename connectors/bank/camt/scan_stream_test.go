package camt_test

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// collect scans data with opts and returns the file, the transactions in the
// order emit received them, and the error.
func collect(t testing.TB, name string, data []byte, opts camt.Options) (*bankfile.File,
	[]bankfile.Transaction, error) {
	t.Helper()

	var got []bankfile.Transaction

	f, err := camt.ScanOptions(name, strings.NewReader(string(data)), opts,
		func(tx bankfile.Transaction) error {
			got = append(got, tx)
			return nil
		})

	return f, got, err
}

// Scan hands an entry's transactions on while the rest of the document has
// not even been written.
func TestScanEmitsBeforeTheEnd(t *testing.T) {
	t.Parallel()

	data := string(generate(50, 0))
	cut := strings.Index(data, "<Ntry>") + strings.Index(data[strings.Index(data, "<Ntry>")+1:],
		"<Ntry>") + 1 // just past the first entry

	pr, pw := io.Pipe()
	first := make(chan bankfile.Transaction, 1)

	go func() {
		_, _ = io.WriteString(pw, data[:cut])

		select {
		case <-first:
		case <-time.After(10 * time.Second):
			pw.CloseWithError(errors.New("no transaction before the end"))
			return
		}

		_, _ = io.WriteString(pw, data[cut:])
		pw.Close()
	}()

	n := 0
	f, err := camt.Scan("pipe.xml", pr, func(tx bankfile.Transaction) error {
		if n++; n == 1 {
			first <- tx
		}

		return nil
	})
	if err != nil || n != 50 || f.Controls != bankfile.ControlsOK {
		t.Fatalf("scan: %v, %d transactions", err, n)
	}
}

// An error from emit stops the read and comes back as it is; so does an
// error of the reader, wrapped, and neither is a rejection of the file.
func TestScanStopsOnErrors(t *testing.T) {
	t.Parallel()

	data := generate(200, 10)
	stop := errors.New("store is full")

	n := 0
	_, err := camt.Scan("emit.xml", strings.NewReader(string(data)),
		func(bankfile.Transaction) error {
			if n++; n == 3 {
				return stop
			}

			return nil
		})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("emit error: %v after %d transactions", err, n)
	}

	broken := errors.New("disk gone")
	r := io.MultiReader(strings.NewReader(string(data[:len(data)/2])), &failing{err: broken})

	_, err = camt.Scan("read.xml", r, func(bankfile.Transaction) error { return nil })

	var be *bankfile.Error
	if !errors.Is(err, broken) || errors.As(err, &be) {
		t.Fatalf("read error: %v, want the reader's error, not a rejection", err)
	}
}

type failing struct{ err error }

func (f *failing) Read([]byte) (int, error) { return 0, f.err }

// reversalStatement is a statement whose second entry reverses the first (the
// bank repeats the original direction, CRDT + RvslInd) between two payments,
// followed by a second statement.
func reversalStatement() []byte {
	rvsl := "<RvslInd>true</RvslInd>"
	e2e := func(id string) []string {
		return []string{"<Refs><EndToEndId>" + id + "</EndToEndId></Refs>"}
	}
	head := bal("OPBD", "100.00", "CRDT") + bal("CLBD", "130.00", "CRDT")
	one := statement053("DE02100100100006820101", head,
		entry{amount: "40.00", ccy: "EUR", cdi: "CRDT", ref: "P-1", details: e2e("E-1")},
		entry{amount: "40.00", ccy: "EUR", cdi: "CRDT", ref: "R-1", extra: rvsl,
			details: e2e("E-1")},
		entry{amount: "30.00", ccy: "EUR", cdi: "CRDT", ref: "P-2", details: e2e("E-2")})

	second := "<Stmt>\n<Id>GEN-2</Id>\n" +
		"<Acct><Id><IBAN>DE02100100100006820101</IBAN></Id></Acct>\n" +
		entry{amount: "5.00", ccy: "EUR", cdi: "CRDT", ref: "P-3"}.xml() + "</Stmt>\n"

	return []byte(strings.Replace(string(one), "</Stmt>\n", "</Stmt>\n"+second, 1))
}

// A reversal waits for the end of its statement, where the balances decide
// its sign; Seq keeps the file order, which Read restores.
func TestScanHoldsReversalsToStatementEnd(t *testing.T) {
	t.Parallel()

	data := reversalStatement()

	_, got, err := collect(t, "scan.xml", data, camt.Options{})
	if err != nil {
		t.Fatal(err)
	}

	var order []string
	for _, tx := range got {
		order = append(order, tx.BankRef)
	}

	if want := []string{"P-1", "P-2", "R-1", "P-3"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("emitted %v, want %v", order, want)
	}

	rev := got[2]
	if rev.Seq != 2 || rev.Direction != bankfile.Debit || rev.OriginalRef != "P-1" ||
		rev.Problem != "" {
		t.Fatalf("reversal: seq %d %s original %q problem %q", rev.Seq, rev.Direction,
			rev.OriginalRef, rev.Problem)
	}

	f := mustRead(t, "rev.xml", data, camt.Options{})
	for i, tx := range f.Transactions {
		if tx.Seq != i+1 {
			t.Fatalf("Read: transaction %d has seq %d", i, tx.Seq)
		}
	}
}

// A statement whose balances do not reconcile rejects the whole file once it
// ends, after some of its transactions were handed on: the caller rolls them
// back. The rejection says the controls failed.
func TestScanRejectsAfterEmitting(t *testing.T) {
	t.Parallel()

	head := bal("OPBD", "0", "CRDT") + bal("CLBD", "99.00", "CRDT")
	data := statement053("DE02100100100006820101", head,
		entry{amount: "10.00", ccy: "EUR", cdi: "CRDT", ref: "A-1"},
		entry{amount: "20.00", ccy: "EUR", cdi: "CRDT", ref: "A-2"})

	f, got, err := collect(t, "scan.xml", data, camt.Options{})

	var be *bankfile.Error
	if f != nil || !errors.As(err, &be) || be.Controls != bankfile.ControlsMismatch ||
		be.Problems[0].Field != "Bal/CLBD" {
		t.Fatalf("file %v, err %v; want a rejection for the balances", f, err)
	}

	if len(got) != 2 {
		t.Fatalf("%d transactions handed on before the statement ended, want 2", len(got))
	}
}

// A bank profile may downgrade a control check that a bank is known to break:
// the file is read, says "mismatch", and the statement's transactions carry a
// Problem so that none is applied unattended.
func TestLenientChecksMarkTheStatement(t *testing.T) {
	t.Parallel()

	summary := "<TxsSummry><TtlNtries><NbOfNtries>3</NbOfNtries></TtlNtries></TxsSummry>\n"
	head := bal("OPBD", "0", "CRDT") + bal("CLBD", "99.00", "CRDT") + summary
	data := statement053("DE02100100100006820101", head,
		entry{amount: "10.00", ccy: "EUR", cdi: "CRDT", ref: "A-1"},
		entry{amount: "20.00", ccy: "EUR", cdi: "CRDT", ref: "A-2"})

	cases := map[string]struct {
		lenient []camt.Check
		reject  string
	}{
		"strict": {reject: "Bal/CLBD"},
		"balances only": {lenient: []camt.Check{camt.CheckBalances},
			reject: "TxsSummry/TtlNtries/NbOfNtries"},
		"both":           {lenient: []camt.Check{camt.CheckBalances, camt.CheckSummary}},
		"summary only":   {lenient: []camt.Check{camt.CheckSummary}, reject: "Bal/CLBD"},
		"unknown checks": {lenient: []camt.Check{"dates"}, reject: "Bal/CLBD"},
	}

	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			opts := camt.Options{Lenient: c.lenient}
			if c.reject != "" {
				ps := mustReject(t, name, data, opts)
				if !hasProblem(ps, c.reject) {
					t.Fatalf("problems %v, want %s", ps, c.reject)
				}

				return
			}

			f, got, err := collect(t, name, data, opts)
			if err != nil {
				t.Fatal(err)
			}

			if f.Controls != bankfile.ControlsMismatch || !hasProblem(f.Warnings, "Bal/CLBD") ||
				!hasProblem(f.Warnings, "TxsSummry/TtlNtries/NbOfNtries") {
				t.Fatalf("controls %s warnings %v", f.Controls, f.Warnings)
			}

			if len(got) != 2 {
				t.Fatalf("%d transactions", len(got))
			}

			for _, tx := range got {
				if !strings.Contains(tx.Problem, "control totals do not reconcile") {
					t.Errorf("%s: problem %q", tx.BankRef, tx.Problem)
				}
			}
		})
	}
}

// Scan and Read agree on every generated statement, whatever its size.
func TestScanAgreesWithRead(t *testing.T) {
	t.Parallel()

	for _, n := range []int{0, 1, 37, 1000} {
		data := generate(n, 7)
		f := mustRead(t, "gen", data, camt.Options{})

		g, got, err := collect(t, "gen", data, camt.Options{})
		if err != nil {
			t.Fatal(err)
		}

		if len(got) > 0 {
			g.Transactions = got
		}

		if !reflect.DeepEqual(f, g) {
			t.Errorf("%d entries: Scan and Read differ", n)
		}
	}
}
