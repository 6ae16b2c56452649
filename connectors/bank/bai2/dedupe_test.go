package bai2_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/bai2"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// Dedupe keys come from the fields, so copies of a file that differ only in
// bytes (line ends, wrapping, several records per line, padding, encoding)
// give the same keys, and a re-sent file gives them again.
func TestDedupeKeysStableAcrossCopies(t *testing.T) {
	t.Parallel()

	lf := standard()
	want := keysOf(t, mustRead(t, "lf.bai2", []byte(lf), bai2.Options{}))

	padded := ""
	for _, l := range strings.Split(strings.TrimSuffix(lf, "\n"), "\n") {
		padded += l + strings.Repeat(" ", max(0, 80-len(l))) + "\r\n"
	}

	copies := map[string]string{
		"crlf":     strings.ReplaceAll(lf, "\n", "\r\n"),
		"cr":       strings.ReplaceAll(lf, "\n", "\r"),
		"no final": strings.TrimSuffix(lf, "\n"),
		"padded":   padded,
		"one line": strings.ReplaceAll(lf, "/\n", "/"),
		"two per line": strings.Replace(strings.ReplaceAll(lf, "/\n16,", "/ 16,"),
			"/\n49,", "/  49,", 1),
		// The wire's text re-wrapped: the first 88 split over two 88s, the
		// second 88 wrapped onto a physical line of its own.
		"rewrapped": strings.Replace(strings.Replace(lf,
			"88,ORG:=SOUTHWIND/EXPORT GMBH/", "88,ORG:=SOUTHWIND/EXPORT/\n88,GMBH/", 1),
			"88,OBI:=INVOICES INV-1002, INV-1003/", "88,OBI:=INVOICES INV-1002,\n INV-1003/", 1),
		"new file id": strings.Replace(lf, "250301,0700,42,", "250302,1130,43,", 1),
		"bom":         "\ufeff" + lf,
	}

	for name, text := range copies {
		opts := bai2.Options{}
		if name == "rewrapped" { // one more 88: the record counts change
			opts.WarnOnly = []bai2.Check{bai2.CheckAccountRecords, bai2.CheckGroupRecords,
				bai2.CheckFileRecords}
		}

		f := mustRead(t, name, []byte(text), opts)
		if got := keysOf(t, f); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: keys %v, want %v", name, got, want)
		}
	}
}

func keysOf(t testing.TB, f *bankfile.File) []string {
	t.Helper()

	var out []string
	for _, tx := range f.Transactions {
		out = append(out, tx.DedupeKey)
	}

	return out
}

// Two identical transactions in one file both count: the second key carries
// "#2". A later report of the same day (prior-day after intraday) repeating a
// transaction gives it the same key.
func TestDedupeIdenticalTransactionsAndLaterReports(t *testing.T) {
	t.Parallel()

	same := det{code: 142, amount: 5000, text: "MONTHLY FEE CUSTOMER 7"}
	f := mustRead(t, "twice.bai2", []byte(build("111", "USD", "250228", 0, same, same)),
		bai2.Options{})

	k1, k2 := f.Transactions[0].DedupeKey, f.Transactions[1].DedupeKey
	if k1 == k2 || k2 != k1+"#2" {
		t.Errorf("keys %q and %q", k1, k2)
	}

	intraday := build("111", "USD", "250228", 0,
		det{code: 195, amount: 7000, bankRef: "W1", text: "WIRE IN"})
	intraday = strings.Replace(intraday, ",2400,USD,2/", ",1200,USD,3/", 1)
	priorDay := build("111", "USD", "250228", 0,
		det{code: 142, amount: 300, bankRef: "A9", text: "ACH IN"},
		det{code: 195, amount: 7000, bankRef: "W1", text: "WIRE IN FROM SOUTHWIND"})

	a := mustRead(t, "intraday.bai2", []byte(intraday), bai2.Options{})
	b := mustRead(t, "prior.bai2", []byte(priorDay), bai2.Options{})

	if a.Transactions[0].DedupeKey != b.Transactions[1].DedupeKey {
		t.Errorf("intraday key %q, prior-day key %q", a.Transactions[0].DedupeKey,
			b.Transactions[1].DedupeKey)
	}

	if b.Transactions[0].DedupeKey == b.Transactions[1].DedupeKey {
		t.Error("different transactions share a key")
	}
}
