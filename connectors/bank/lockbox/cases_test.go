package lockbox_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/lockbox"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

const b18Fixture = "b18-one-check-several-invoices.lbx"

// B18: one check paying several invoices, each with its amount, and a second
// check whose remittance lines carry no amounts. The reader's share: trailers
// validate, one credit per check with its amount, one remit per invoice line
// with the stated amount, and no amount (Paid 0) where the payer stated none,
// for the consumer to allocate by open balance.
func TestB18OneCheckPayingSeveralInvoices(t *testing.T) {
	t.Parallel()

	f := mustRead(t, b18Fixture, readFixture(t, b18Fixture), lockbox.Options{})

	if f.Controls != bankfile.ControlsOK || len(f.Warnings) != 0 || f.Account != "LBX2090" {
		t.Fatalf("controls %q account %q warnings %v", f.Controls, f.Account, f.Warnings)
	}

	if n, total := f.Credits(); n != 2 || total != 413550 {
		t.Fatalf("%d credits for %d, want 2 for 4135.50 as the trailers state", n, total)
	}

	first := f.Transactions[0]
	if first.Amount.Minor != 317550 || first.Kind != bankfile.KindPayment ||
		first.BankRef != "5531" || first.PayerName != "GLOBEX HOLDINGS INC" ||
		first.PayerAccount != "021000021:0004455667" || first.Problem != "" {
		t.Errorf("first check: %+v", first)
	}

	want := []remit{{"NW-7101", 41250}, {"NW-7102", 126300}, {"NW-7103", 150000}}
	if got := remitsOf(first); !reflect.DeepEqual(got, want) {
		t.Errorf("first check remits %v, want %v", got, want)
	}

	var sum int64
	for _, r := range first.Remits {
		sum += r.Paid
	}

	if sum != first.Amount.Minor {
		t.Errorf("stated invoice amounts add up to %d, the check is %d", sum, first.Amount.Minor)
	}

	second := f.Transactions[1]
	want = []remit{{"NW-7120", 0}, {"NW-7121", 0}}
	if got := remitsOf(second); second.Amount.Minor != 96000 || !reflect.DeepEqual(got, want) {
		t.Errorf("second check %d remits %v, want 96000 with %v", second.Amount.Minor, got, want)
	}
}

// B18, the other half of the rule: an only invoice line without an amount is
// paid the whole check, in both dialects.
func TestB18OnlyInvoiceWithoutAmountTakesTheCheck(t *testing.T) {
	t.Parallel()

	recs := records(readFixture(t, b18Fixture))
	// Drop the second remittance line of the second check, and fix nothing
	// else: trailers count checks, not remittance lines.
	var kept []string
	for _, r := range recs {
		if !strings.HasPrefix(r, "4|001|0002|02|") {
			kept = append(kept, r)
		}
	}

	f := mustRead(t, "b18-one", join(kept, "\n"), lockbox.Options{})
	if got := remitsOf(f.Transactions[1]); !reflect.DeepEqual(got, []remit{{"NW-7120", 96000}}) {
		t.Errorf("only remit %v, want the whole check", got)
	}
}

// B18 trailers must validate: a batch trailer one cent off rejects the file
// with both figures.
func TestB18TrailerMismatchRejects(t *testing.T) {
	t.Parallel()

	data := strings.Replace(string(readFixture(t, b18Fixture)), "7|001|0002|0000413550",
		"7|001|0002|0000413551", 1)

	be := mustReject(t, "b18-off", []byte(data), lockbox.Options{})
	p := findProblem(t, be.Problems, 10, "batch total amount")

	if !strings.Contains(p.Message, "4135.51 != sum of checks 4135.50") || p.Value != "4135.51" {
		t.Errorf("problem %+v", p)
	}

	if len(be.Problems) != 1 {
		t.Errorf("problems %v, want only the batch total", be.Problems)
	}
}
