package matching

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}

	return t
}

func usd(minor int64) money.Amount { return money.New(minor, "USD") }

const (
	acctC1 = "DE89 3704 0044 0532 0130 00"
	acctC2 = "011000015:000123456789"
)

func fixtureCustomers() []billing.Customer {
	return []billing.Customer{
		{ID: "C-1", Name: "Example Customer LLC", BankAccounts: []string{acctC1},
			Aliases: []string{"EXCUST Payables", "1234567890"}},
		{ID: "C-2", Name: "Example Trading B.V.", BankAccounts: []string{acctC2}},
		{ID: "C-3", Name: "Example Services SA"},
		{ID: "C-4", Name: "Example Customer West Inc", ParentID: "C-1"},
	}
}

func inv(number, cust, cur string, open int64) billing.Invoice {
	return billing.Invoice{
		Number: number, CustomerID: cust, Currency: cur, Total: open, Open: open,
		IssueDate: day("2025-01-01"), DueDate: day("2025-01-31"),
	}
}

func fixtureInvoices() []billing.Invoice {
	disc := inv("INV-10022", "C-1", "USD", 74541)
	disc.DiscountBasisPoints, disc.DiscountDays = 200, 14
	paid := inv("INV-99", "C-1", "USD", 0)
	paid.Total = 20000
	po30 := inv("INV-30", "C-3", "USD", 99900)
	po30.PONumber = "PO-7788"
	po31 := inv("INV-31", "C-3", "USD", 10000)
	po31.PONumber = "PO-7788"
	inv9 := inv("INV-9", "C-2", "USD", 64000)
	inv9.DueDate = day("2025-02-15")

	return []billing.Invoice{
		inv("INV-000123", "C-1", "USD", 50000),
		inv("INV-10017", "C-1", "USD", 125000),
		disc,
		paid,
		inv("INV-7", "C-2", "USD", 64000),
		inv9,
		inv("INV-20", "C-2", "EUR", 30000),
		po30,
		po31,
		inv("INV-40", "C-4", "USD", 7500),
		inv("INV-50", "C-1", "USD", 1000),
		inv("INV-51", "C-1", "USD", 2000),
		inv("INV-52", "C-1", "USD", 3000),
		inv("INV-53", "C-1", "USD", 4000),
	}
}

func newFixture(t testing.TB) *Engine {
	t.Helper()

	return New(fixtureCustomers(), fixtureInvoices(), DefaultRules())
}

// app is the part of an application the rule tests compare.
type app struct {
	Invoice  string
	Amount   int64
	Discount int64
	Rule     string
}

func apps(d Decision) []app {
	var out []app
	for _, a := range d.Applications {
		out = append(out, app{a.InvoiceNumber, a.Amount, a.Discount, a.Rule})
	}

	return out
}

func TestMatchAppliesByRule(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name       string
		p          Payment
		want       []app
		payerMatch string
		reason     string // expected exception reason, "" for none
		excAmount  int64
		explain    []string // phrases every explanation of the first application has
	}{
		{
			name: "exact reference, payer by account",
			p: Payment{Amount: usd(125000), PayerAccount: "DE89370400440532013000",
				Remittance: "INV-10017"},
			want:       []app{{"INV-10017", 125000, 0, RuleReferenceExact}},
			payerMatch: PayerByAccount,
			explain: []string{"INV-10017 referenced in remittance",
				"amount 1250.00 equals open amount", "payer identified by account"},
		},
		{
			name: "part payment stays open",
			p: Payment{Amount: usd(30000), PayerName: "EXAMPLE CUSTOMER, L.L.C.",
				Remittance: "Invoice #123"},
			want:       []app{{"INV-000123", 30000, 0, RuleReferencePartial}},
			payerMatch: PayerByName,
			explain: []string{"number 123 in remittance matches INV-000123",
				"part payment 300.00 of open 500.00, 200.00 stays open",
				"payer identified by name"},
		},
		{
			name:   "overpayment applies the open amount only",
			p:      Payment{Amount: usd(130000), PayerAccount: acctC1, Remittance: "INV-10017"},
			want:   []app{{"INV-10017", 125000, 0, RuleReferenceOverpaid}},
			reason: ReasonOverpayment, excAmount: 5000, payerMatch: PayerByAccount,
			explain: []string{"open 1250.00 applied, 50.00 over"},
		},
		{
			name: "discount inside the window",
			p: Payment{Amount: usd(73050), PayerAccount: acctC1, Remittance: "INV-10022",
				ValueDate: day("2025-01-15")},
			want:       []app{{"INV-10022", 73050, 1491, RuleReferenceDiscount}},
			payerMatch: PayerByAccount,
			explain:    []string{"discount 14.91 allowed until 2025-01-15"},
		},
		{
			name: "discount after the window is a short payment",
			p: Payment{Amount: usd(73050), PayerAccount: acctC1, Remittance: "INV-10022",
				ValueDate: day("2025-01-16")},
			want:   []app{{"INV-10022", 73050, 0, RuleReferencePartial}},
			reason: ReasonShortPayment, excAmount: 1491, payerMatch: PayerByAccount,
			explain: []string{"window closed 2025-01-15"},
		},
		{
			name: "several references adding up",
			p: Payment{Amount: usd(199541), PayerAccount: acctC1,
				Remittance: "payment for invoices INV-10017 and INV-10022"},
			want: []app{
				{"INV-10017", 125000, 0, RuleReferenceMulti},
				{"INV-10022", 74541, 0, RuleReferenceMulti},
			},
			payerMatch: PayerByAccount,
			explain:    []string{"one of 2 referenced invoices adding up to 1995.41"},
		},
		{
			name: "several references adding up after discount",
			p: Payment{Amount: usd(198050), PayerAccount: acctC1, ValueDate: day("2025-01-10"),
				Remittance: "INV-10017/INV-10022"},
			want: []app{
				{"INV-10017", 125000, 0, RuleReferenceMulti},
				{"INV-10022", 73050, 1491, RuleReferenceMulti},
			},
			payerMatch: PayerByAccount,
		},
		{
			name: "purchase order covering two invoices",
			p: Payment{Amount: usd(109900), PayerName: "Example Services",
				Remittance: "PO 7788"},
			want: []app{
				{"INV-30", 99900, 0, RuleReferenceMulti},
				{"INV-31", 10000, 0, RuleReferenceMulti},
			},
			payerMatch: PayerByName,
			explain:    []string{"PO PO 7788 of INV-30 referenced in remittance"},
		},
		{
			name:       "amount only, one invoice of that amount",
			p:          Payment{Amount: usd(50000), PayerAccount: acctC1, Remittance: "thanks"},
			want:       []app{{"INV-000123", 50000, 0, RuleAmountUnique}},
			payerMatch: PayerByAccount,
			explain:    []string{"no reference; the payer's only open invoice of 500.00"},
		},
		{
			name: "amount only, less the allowed discount",
			p: Payment{Amount: usd(73050), PayerID: "1234567890",
				ValueDate: day("2025-01-02")},
			want:       []app{{"INV-10022", 73050, 1491, RuleAmountDiscount}},
			payerMatch: PayerByID,
		},
		{
			name: "unknown payer paying by exact reference",
			p: Payment{Amount: usd(125000), PayerName: "SOMEONE ELSE",
				PaymentRef: "INV10017"},
			want:       []app{{"INV-10017", 125000, 0, RuleReferenceExact}},
			payerMatch: PayerByReference,
			explain: []string{"INV-10017 referenced in payment reference",
				"payer not identified, customer C-1 taken from the reference"},
		},
		{
			name:       "bare number corroborated by the amount",
			p:          Payment{Amount: usd(125000), Remittance: "paying 10017 thanks"},
			want:       []app{{"INV-10017", 125000, 0, RuleReferenceExact}},
			payerMatch: PayerByReference,
			explain:    []string{"number 10017 in remittance matches INV-10017"},
		},
		{
			name:       "parent pays a child's invoice",
			p:          Payment{Amount: usd(7500), PayerAccount: acctC1, Remittance: "INV-40"},
			want:       []app{{"INV-40", 7500, 0, RuleReferenceExact}},
			payerMatch: PayerByAccount,
			explain: []string{
				"payer C-1 identified by account is related to invoice customer C-4"},
		},
		{
			name: "another customer's invoice, exact reference and amount",
			p:    Payment{Amount: usd(125000), PayerAccount: acctC2, Remittance: "INV-10017"},
			want: []app{{"INV-10017", 125000, 0, RuleReferenceExact}},
			explain: []string{
				"payer C-2 identified by account differs from invoice customer C-1"},
			payerMatch: PayerByAccount,
		},
		{
			name: "structured lines with stated amounts",
			p: Payment{Amount: usd(150000), PayerAccount: acctC1, Remits: []bankfile.Remit{
				{Ref: "INV-10017", RefType: "IV", Paid: 100000},
				{Ref: "INV-000123", RefType: "IV", Paid: 50000},
			}},
			want: []app{
				{"INV-10017", 100000, 0, RuleReferenceMulti},
				{"INV-000123", 50000, 0, RuleReferenceMulti},
			},
			payerMatch: PayerByAccount,
			explain:    []string{"INV-10017 referenced in structured remittance"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			e := newFixture(t)
			tt.p.ID = "pay-1"
			d := e.Match(tt.p)
			if got := apps(d); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("applications = %+v, want %+v (exception %+v)", got, tt.want, d.Exception)
			}

			if d.PayerMatch != tt.payerMatch {
				t.Errorf("PayerMatch = %q, want %q", d.PayerMatch, tt.payerMatch)
			}

			checkException(t, d, tt.reason, tt.excAmount)
			for _, a := range d.Applications {
				if a.Explanation == "" || a.Confidence < 0.75 || a.Confidence > 1 {
					t.Errorf("application %+v: want an explanation and confidence in [0.75, 1]", a)
				}
			}

			for _, phrase := range tt.explain {
				if !strings.Contains(d.Applications[0].Explanation, phrase) {
					t.Errorf("explanation %q lacks %q", d.Applications[0].Explanation, phrase)
				}
			}

			// The engine's open amounts went down by exactly what was applied.
			for _, a := range d.Applications {
				before := findFixture(a.InvoiceNumber).Open
				after, _ := e.Invoice(a.InvoiceNumber)
				if after.Open != before-a.Amount-a.Discount {
					t.Errorf("%s open %d after applying %d+%d to %d", a.InvoiceNumber,
						after.Open, a.Amount, a.Discount, before)
				}
			}
		})
	}
}

func checkException(t *testing.T, d Decision, reason string, amount int64) {
	t.Helper()

	switch {
	case reason == "" && d.Exception != nil:
		t.Errorf("unexpected exception %+v", d.Exception)
	case reason != "" && d.Exception == nil:
		t.Errorf("no exception, want %s", reason)
	case reason != "":
		if d.Exception.Reason != reason || d.Exception.Amount != amount {
			t.Errorf("exception %s %d (%s), want %s %d", d.Exception.Reason, d.Exception.Amount,
				d.Exception.Message, reason, amount)
		}

		if !strings.HasPrefix(d.Exception.Message, "held: ") {
			t.Errorf("message %q does not start with \"held: \"", d.Exception.Message)
		}
	}
}

func findFixture(number string) billing.Invoice {
	for _, i := range fixtureInvoices() {
		if i.Number == number {
			return i
		}
	}

	panic("no fixture invoice " + number)
}

func TestMatchNeverApplies(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		p       Payment
		reason  string
		message string   // exact message, when set
		cands   []string // expected candidate invoice numbers, in order
	}{
		{
			name:    "tie on amount without reference",
			p:       Payment{Amount: usd(64000), PayerAccount: acctC2},
			reason:  ReasonAmbiguous,
			message: "held: INV-7 and INV-9 both open for 640.00, no reference",
			cands:   []string{"INV-7", "INV-9"},
		},
		{
			name: "currency mismatch on a reference",
			p: Payment{Amount: money.New(125000, "EUR"), PayerAccount: acctC1,
				Remittance: "INV-10017"},
			reason: ReasonCurrency,
			cands:  []string{"INV-10017"},
		},
		{
			name:   "currency mismatch without reference",
			p:      Payment{Amount: money.New(30000, "GBP"), PayerAccount: acctC2},
			reason: ReasonCurrency,
			cands:  []string{"INV-20", "INV-7", "INV-9"},
		},
		{
			name:    "unknown payer without reference",
			p:       Payment{Amount: usd(64000), PayerName: "Nobody We Know"},
			reason:  ReasonUnknownPayer,
			message: `held: payer "Nobody We Know" not identified and no invoice reference`,
			cands:   []string{"INV-7", "INV-9"},
		},
		{
			name:    "reference to a paid invoice",
			p:       Payment{Amount: usd(20000), PayerAccount: acctC1, Remittance: "INV-99"},
			reason:  ReasonAlreadyPaid,
			message: "held: INV-99 is already paid; 200.00 not applied",
		},
		{
			name: "problem flagged by the bank reader",
			p: Payment{Amount: usd(125000), PayerAccount: acctC1, Remittance: "INV-10017",
				Problem: "batch details 1200.00 ≠ booked 1250.00"},
			reason:  ReasonBatchMismatch,
			message: "held: batch details 1200.00 ≠ booked 1250.00",
			cands:   []string{"INV-10017"},
		},
		{
			name: "references not adding up",
			p: Payment{Amount: usd(150000), PayerAccount: acctC1,
				Remittance: "INV-10017, INV-10022"},
			reason:  ReasonAmountMismatch,
			message: "held: INV-10017 and INV-10022 add up to 1995.41, payment is 1500.00",
		},
		{
			name: "stated lines not adding up to the payment",
			p: Payment{Amount: usd(150000), PayerAccount: acctC1, Remits: []bankfile.Remit{
				{Ref: "INV-10017", Paid: 125000},
			}},
			reason: ReasonAmountMismatch,
		},
		{
			name:   "payer known, nothing fits",
			p:      Payment{Amount: usd(2600), PayerAccount: acctC1},
			reason: ReasonNoMatch, message: "held: no open invoice of C-1 fits 26.00",
			cands: []string{"INV-52", "INV-51", "INV-53", "INV-50", "INV-000123"},
		},
		{
			name: "bare number alone for a part payment",
			p:    Payment{Amount: usd(1000), Remittance: "10017"},
			// The number is not corroborated: no payer, amount differs.
			reason: ReasonUnknownPayer,
		},
		{
			name:   "another customer's invoice paid in part",
			p:      Payment{Amount: usd(100000), PayerAccount: acctC2, Remittance: "INV-10017"},
			reason: ReasonPayerMismatch,
			cands:  []string{"INV-10017"},
		},
		{
			name:   "keyword number, part payment, payer unknown, reference too short",
			p:      Payment{Amount: usd(1000), Remittance: "invoice 000123 part"},
			reason: ReasonUnknownPayer,
			cands:  []string{"INV-000123"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			e := newFixture(t)
			tt.p.ID = "pay-2"
			rules := e.Rules()
			if tt.reason == ReasonLowConfidence {
				rules.MinConfidence = 0.8
				e = New(fixtureCustomers(), fixtureInvoices(), rules)
			}

			d := e.Match(tt.p)
			if len(d.Applications) != 0 {
				t.Fatalf("applied %+v", d.Applications)
			}

			if d.Exception == nil || d.Exception.Reason != tt.reason {
				t.Fatalf("exception %+v, want reason %s", d.Exception, tt.reason)
			}

			if d.Exception.Amount != tt.p.Amount.Minor {
				t.Errorf("exception amount %d, want the whole payment %d", d.Exception.Amount,
					tt.p.Amount.Minor)
			}

			if tt.message != "" && d.Exception.Message != tt.message {
				t.Errorf("message %q, want %q", d.Exception.Message, tt.message)
			}

			if tt.cands != nil {
				var got []string
				for _, c := range d.Exception.Candidates {
					got = append(got, c.InvoiceNumber)
				}

				if !reflect.DeepEqual(got[:min(len(got), len(tt.cands))], tt.cands) {
					t.Errorf("candidates %v, want %v first", got, tt.cands)
				}
			}

			for _, f := range fixtureInvoices() {
				if now, _ := e.Invoice(f.Number); now.Open != f.Open {
					t.Errorf("%s open changed from %d to %d", f.Number, f.Open, now.Open)
				}
			}
		})
	}
}

// TestMatchOpenAmountsCarryOver checks applied money is gone for later payments:
// once INV-7 is paid by reference, the old tie on 640.00 is broken, and paying
// INV-7 again is held as already paid.
func TestMatchOpenAmountsCarryOver(t *testing.T) {
	t.Parallel()

	e := newFixture(t)
	d := e.Match(Payment{ID: "1", Amount: usd(64000), PayerAccount: acctC2, Remittance: "INV-7"})
	if got := apps(d); len(got) != 1 || got[0].Invoice != "INV-7" {
		t.Fatalf("first payment: %+v %+v", got, d.Exception)
	}

	d = e.Match(Payment{ID: "2", Amount: usd(64000), PayerAccount: acctC2})
	got := apps(d)
	if len(got) != 1 || got[0].Invoice != "INV-9" || got[0].Rule != RuleAmountUnique {
		t.Fatalf("second payment: %+v %+v", got, d.Exception)
	}

	d = e.Match(Payment{ID: "3", Amount: usd(64000), PayerAccount: acctC2, Remittance: "INV-7"})
	if d.Exception == nil || d.Exception.Reason != ReasonAlreadyPaid || len(d.Applications) != 0 {
		t.Fatalf("third payment: %+v %+v", d.Applications, d.Exception)
	}

	// A part payment leaves the rest open, and the rest can be paid by amount.
	d = e.Match(Payment{ID: "4", Amount: usd(20000), PayerAccount: acctC1,
		Remittance: "INV-000123"})
	if got := apps(d); len(got) != 1 || got[0].Rule != RuleReferencePartial {
		t.Fatalf("part payment: %+v %+v", got, d.Exception)
	}

	d = e.Match(Payment{ID: "5", Amount: usd(30000), PayerAccount: acctC1})
	if got := apps(d); len(got) != 1 || got[0].Invoice != "INV-000123" {
		t.Fatalf("rest by amount: %+v %+v", got, d.Exception)
	}

	if now, _ := e.Invoice("INV-000123"); now.Open != 0 {
		t.Errorf("INV-000123 open %d, want 0", now.Open)
	}
}

func TestMatchIsDeterministic(t *testing.T) {
	t.Parallel()

	payments := []Payment{
		{ID: "a", Amount: usd(64000), PayerAccount: acctC2},
		{ID: "b", Amount: usd(125000), Remittance: "INV-10017"},
		{ID: "c", Amount: usd(2600), PayerAccount: acctC1},
		{ID: "d", Amount: usd(109900), Remittance: "PO-7788"},
		{ID: "e", Amount: usd(64000), PayerName: "nobody"},
		{ID: "f", Amount: usd(198050), PayerAccount: acctC1, ValueDate: day("2025-01-03"),
			Remits: []bankfile.Remit{
				{Ref: "INV-10017", Paid: 125000},
				{Ref: "INV-10022", Paid: 73050, Invoiced: 74541, Discount: 1491},
			}},
	}
	run := func() []Decision {
		e := newFixture(t)
		out := make([]Decision, 0, len(payments))
		for _, p := range payments {
			out = append(out, e.Match(p))
		}

		return out
	}

	first, second := run(), run()
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("two runs differ:\n%+v\n%+v", first, second)
	}
}

func TestPaymentFrom(t *testing.T) {
	t.Parallel()

	tx := bankfile.Transaction{
		Amount: usd(100), BookingDate: day("2025-01-02"), PayerName: "A", PayerAccount: "B",
		PayerID: "C", PaymentRef: "D", EndToEndID: "E", Remittance: "F",
		Remits: []bankfile.Remit{{Ref: "G"}}, Problem: "H",
	}
	p := PaymentFrom("id", tx)
	want := Payment{
		ID: "id", Amount: usd(100), ValueDate: day("2025-01-02"), PayerName: "A",
		PayerAccount: "B", PayerID: "C", PaymentRef: "D", EndToEndID: "E", Remittance: "F",
		Remits: []bankfile.Remit{{Ref: "G"}}, Problem: "H",
	}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("PaymentFrom = %+v, want %+v", p, want)
	}

	tx.ValueDate = day("2025-01-03")
	if p := PaymentFrom("id", tx); !p.ValueDate.Equal(day("2025-01-03")) {
		t.Errorf("value date %v, want the transaction's value date", p.ValueDate)
	}
}
