package matching

import (
	"testing"

	"github.com/o2c-dev/o2c/internal/billing"
)

func feeWorld() *Engine {
	custs := []billing.Customer{
		{ID: "F-1", Name: "Wrenfield Optics Ltd", BankAccounts: []string{"026009593:88001"}},
		{ID: "F-2", Name: "Ardmore Castings Ltd"},
	}
	invs := []billing.Invoice{
		{Number: "INV-8101", CustomerID: "F-1", Currency: "USD", Total: 3446812, Open: 3446812},
		{Number: "INV-8102", CustomerID: "F-2", Currency: "USD", Total: 3446812, Open: 3446812},
	}

	return New(custs, invs, DefaultRules())
}

// TestKnownBankFeeWrittenOff: a wire paid short by a known fee (15.00) of an
// exactly referenced invoice of the identified payer closes it, the fee written
// off as a bank fee.
func TestKnownBankFeeWrittenOff(t *testing.T) {
	p := pay("P-1", 3446812-1500)
	p.PayerAccount = "026009593:88001"
	p.Remittance = "INV-8101"

	d := feeWorld().Match(p)
	if len(d.Applications) != 1 || d.Exception != nil {
		t.Fatalf("applied %+v, exception %+v; want INV-8101 closed", v2apps(d), d.Exception)
	}

	a := d.Applications[0]
	if a.InvoiceNumber != "INV-8101" || a.Amount != 3446812-1500 || a.WriteOff != 1500 ||
		a.WriteOffReason != WriteOffBankFee || a.Rule != RuleReferenceBankFee {
		t.Fatalf("application %+v", a)
	}
}

// TestKnownBankFeeNeedsPayerAndKnownAmount: the fee rule does not apply when the
// payer is not identified as the invoice's customer, nor for a gap that is not a
// known fee, nor when KnownFees is empty.
func TestKnownBankFeeNeedsPayerAndKnownAmount(t *testing.T) {
	closed := func(d Decision) bool {
		for _, a := range d.Applications {
			if a.Rule == RuleReferenceBankFee {
				return true
			}
		}

		return false
	}

	p := pay("P-1", 3446812-1500)
	p.Remittance = "INV-8101"
	if d := feeWorld().Match(p); closed(d) {
		t.Errorf("unidentified payer: applied %+v", v2apps(d))
	}

	p.PayerName = "Ardmore Castings Ltd"
	if d := feeWorld().Match(p); closed(d) {
		t.Errorf("other customer: applied %+v", v2apps(d))
	}

	p = pay("P-2", 3446812-1234)
	p.PayerAccount = "026009593:88001"
	p.Remittance = "INV-8101"
	if d := feeWorld().Match(p); closed(d) {
		t.Errorf("12.34 is no known fee: applied %+v", v2apps(d))
	}

	r := DefaultRules()
	r.KnownFees = nil
	e := New([]billing.Customer{{ID: "F-1", Name: "Wrenfield Optics Ltd",
		BankAccounts: []string{"026009593:88001"}}}, []billing.Invoice{{Number: "INV-8101",
		CustomerID: "F-1", Currency: "USD", Total: 3446812, Open: 3446812}}, r)
	p.Amount.Minor = 3446812 - 1500
	if d := e.Match(p); closed(d) {
		t.Errorf("rule off: applied %+v", v2apps(d))
	}
}
