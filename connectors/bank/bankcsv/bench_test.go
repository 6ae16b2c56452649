package bankcsv_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
)

// generate returns a German-style export (';', decimal comma, quoted text)
// with n rows and a running balance that chains.
func generate(n int) []byte {
	var b strings.Builder

	b.WriteString("Kontonummer:;DE89370400440532013000\n\n")
	b.WriteString("Buchungstag;Wertstellung;Auftraggeber/Empfänger;Verwendungszweck;Betrag;Saldo;" +
		"Währung;Transaktions-ID\n")

	var balance int64 = 1_000_000

	for i := 0; i < n; i++ {
		amount := int64(1000 + (i*7919)%900000)
		if i%5 == 0 {
			amount = -amount / 3
		}

		balance += amount
		fmt.Fprintf(&b, "%02d.%02d.2025;%02d.%02d.2025;\"KUNDE %d GMBH\";\"RE 2025-%06d, "+
			"Lieferung; Zahlung\";%s;%s;EUR;TX-%08d\n", 1+i%28, 1+i%12, 1+i%28, 1+i%12, i%997, i,
			german(amount), german(balance), i)
	}

	return []byte(b.String())
}

// german formats minor units as 1.234,56.
func german(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}

	whole := fmt.Sprint(minor / 100)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "." + whole[i:]
	}

	return fmt.Sprintf("%s%s,%02d", sign, whole, minor%100)
}

func TestGeneratedExport(t *testing.T) {
	t.Parallel()

	f := mustRead(t, "gen", generate(500), bankcsv.Options{})
	if len(f.Transactions) != 500 || f.Controls != "ok" || f.Account != "DE89370400440532013000" {
		t.Fatalf("%d transactions, controls %s, account %q", len(f.Transactions), f.Controls,
			f.Account)
	}
}

func BenchmarkCSVRead(b *testing.B) {
	data := generate(10_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()

	for b.Loop() {
		if _, err := bankcsv.Read("bench", data); err != nil {
			b.Fatal(err)
		}
	}
}
