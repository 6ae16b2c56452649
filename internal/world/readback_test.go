package world_test

import (
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/world"
)

// readBank reads data with o2c's own format detection and reader and checks
// what every writer must give: the format, controls ok, no warnings, and one
// credit payment per payment with the same total.
func readBank(t *testing.T, name string, data []byte, format bankfile.Format,
	ps []world.Payment) *bankfile.File {
	t.Helper()

	file, err := bank.Read(name, data)
	if err != nil {
		t.Fatalf("bank.Read %s: %v", name, err)
	}

	if file.Format != format || file.Controls != bankfile.ControlsOK || len(file.Warnings) > 0 {
		t.Fatalf("%s: format %s, controls %s, warnings %v", name, file.Format, file.Controls,
			file.Warnings)
	}

	var total int64
	for _, p := range ps {
		total += p.Amount.Minor
	}

	n, sum := file.Credits()
	if n != len(ps) || sum != total || len(file.Transactions) != n {
		t.Fatalf("%s: %d credits of %d in %d transactions; wrote %d of %d", name, n, sum,
			len(file.Transactions), len(ps), total)
	}

	return file
}

// byRef maps each transaction's bank reference to it, failing on a reference
// that is not unique.
func byRef(t *testing.T, file *bankfile.File) map[string]bankfile.Transaction {
	t.Helper()

	out := make(map[string]bankfile.Transaction, len(file.Transactions))
	for _, tx := range file.Transactions {
		if _, dup := out[tx.BankRef]; dup || tx.BankRef == "" {
			t.Fatalf("bank reference %q is empty or not unique", tx.BankRef)
		}

		if tx.Direction != bankfile.Credit || tx.Kind != bankfile.KindPayment ||
			tx.Problem != "" {
			t.Errorf("transaction %s: %s %s, problem %q", tx.BankRef, tx.Direction, tx.Kind,
				tx.Problem)
		}

		out[tx.BankRef] = tx
	}

	return out
}

// foldTable is how the writers fold the letters outside ASCII that generated
// names hold.
var foldTable = map[rune]string{
	'ä': "ae", 'ö': "oe", 'ü': "ue", 'Ä': "AE", 'Ö': "OE", 'Ü': "UE", 'ß': "ss", 'ø': "oe",
	'Ø': "OE", 'å': "a", 'é': "e", 'è': "e", 'í': "i", 'ñ': "n", 'č': "c", 'á': "a",
	'ç': "c", 'ó': "o", 'ú': "u", 'ë': "e", 'ï': "i", 'Å': "A", 'É': "E", 'È': "E",
	'Í': "I", 'Ñ': "N", 'Č': "C", 'Á': "A", 'Ç': "C", 'Ó': "O", 'Ú': "U", 'Ë': "E", 'Ï': "I",
}

// fold returns s with the letters outside ASCII folded as the writers do.
func fold(t *testing.T, s string) string {
	t.Helper()

	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case foldTable[r] != "":
			b.WriteString(foldTable[r])
		default:
			t.Fatalf("fold: no folding of %q in %q", r, s)
		}
	}

	return b.String()
}

// cut returns s cut to n bytes without the blanks the cut left at its end.
func cut(s string, n int) string {
	if len(s) > n {
		s = strings.TrimRight(s[:n], " ")
	}

	return s
}

// collapse joins the words of s with single blanks.
func collapse(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// remittanceText is what the text-only formats carry of a payment's
// remittance: the free text, else the structured references joined by
// blanks.
func remittanceText(p world.Payment) string {
	if p.Remittance != "" || len(p.Remits) == 0 {
		return p.Remittance
	}

	refs := make([]string, len(p.Remits))
	for i, r := range p.Remits {
		refs[i] = r.Ref
	}

	return strings.Join(refs, " ")
}

// e2e is the end-to-end id the payer sent, without the SEPA placeholder.
func e2e(p world.Payment) string {
	if p.EndToEndID == "NOTPROVIDED" {
		return ""
	}

	return p.EndToEndID
}

// usOnly returns the payments in US dollars.
func usOnly(ps []world.Payment) []world.Payment {
	var out []world.Payment
	for _, p := range ps {
		if p.Amount.Currency == "USD" {
			out = append(out, p)
		}
	}

	return out
}

// kindsOf counts the payments of each kind.
func kindsOf(ps []world.Payment) map[string]int {
	out := map[string]int{}
	for _, p := range ps {
		out[p.Kind]++
	}

	return out
}
