package matching

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
)

// v2Customers: K-1 (account, alias), K-2 child of K-1, K-3 unrelated, K-4 with a
// long name for fuzzy names.
func v2Customers() []billing.Customer {
	return []billing.Customer{
		{ID: "K-1", Name: "Larkspur Orchards Ltd", BankAccounts: []string{"GB29NWBK60161331926819"},
			Aliases: []string{"LARKSPUR AP DEPT"}},
		{ID: "K-2", Name: "Larkspur Cider Works", ParentID: "K-1"},
		{ID: "K-3", Name: "Quillon Freight GmbH", BankAccounts: []string{"026009593:77001"}},
		{ID: "K-4", Name: "Marigold Instruments Incorporated"},
	}
}

func v2Invoices() []billing.Invoice {
	mk := func(n, c string, open int64) billing.Invoice {
		return billing.Invoice{Number: n, CustomerID: c, Currency: "USD", Total: open,
			Open: open, IssueDate: day("2025-04-01"), DueDate: day("2025-05-01")}
	}
	po := mk("AR-7001", "K-1", 120000)
	po.PONumber = "PO-55120"
	so := mk("AR-7002", "K-1", 130000)
	so.SONumber = "SO-8841"
	disc := mk("AR-7003", "K-1", 250000)
	disc.DiscountBasisPoints, disc.DiscountDays = 200, 10
	paid := mk("AR-7009", "K-1", 0)
	paid.Total = 5000
	eur := mk("AR-7010", "K-3", 40000)
	eur.Currency = "EUR"

	return []billing.Invoice{
		mk("AR-000101", "K-1", 10100), mk("AR-000102", "K-1", 10200),
		mk("AR-000103", "K-1", 10300), po, so, disc, paid,
		mk("AR-7004", "K-1", 88800), mk("AR-7005", "K-2", 45500),
		mk("AR-7006", "K-3", 64000), mk("AR-7007", "K-3", 64000), eur,
		mk("AR-4152", "K-3", 30000), mk("AR-5412", "K-3", 31000),
		mk("AR-7020", "K-4", 77700), mk("AR-7021", "K-3", 99000), mk("AR-7022", "K-3", 99030),
		mk("AR-7030", "K-3", 200000),
	}
}

func v2Engine(t testing.TB) *Engine {
	t.Helper()

	return New(v2Customers(), v2Invoices(), DefaultRules())
}

func pay(id string, minor int64) Payment {
	return Payment{ID: id, Amount: money.New(minor, "USD"), ValueDate: day("2025-04-08")}
}

type v2app struct {
	Invoice            string
	Amount, Disc, WOff int64
}

func v2apps(d Decision) []v2app {
	var out []v2app
	for _, a := range d.Applications {
		out = append(out, v2app{a.InvoiceNumber, a.Amount, a.Discount, a.WriteOff})
	}

	return out
}

// TestNoiseKindsApplied: one payment per noise kind the engine must apply.
func TestNoiseKindsApplied(t *testing.T) {
	acct := func(p Payment) Payment { p.PayerAccount = "GB29 NWBK 6016 1331 9268 19"; return p }
	named := func(p Payment, n string) Payment { p.PayerName = n; return p }
	text := func(p Payment, s string) Payment { p.Remittance = s; return p }
	rf := RFReference("AR-7004")

	tests := []struct {
		name   string
		p      Payment
		want   []v2app
		rule   string
		reason string // exception expected alongside, "" for none
		ref    string // Trace feature of the chosen candidate
	}{
		{"clean", text(acct(pay("n1", 88800)), "AR-7004"),
			[]v2app{{"AR-7004", 88800, 0, 0}}, RuleReferenceExact, "", "exact"},
		{"ref variant spaced", text(acct(pay("n2", 88800)), "inv AR 7004 thanks"),
			[]v2app{{"AR-7004", 88800, 0, 0}}, RuleReferenceExact, "", "exact"},
		{"ref variant zeros", text(acct(pay("n3", 10100)), "Invoice #AR101"),
			[]v2app{{"AR-000101", 10100, 0, 0}}, RuleReferenceExact, "", "exact"},
		{"range to", text(acct(pay("n5", 30600)), "AR-000101 to 103"),
			[]v2app{{"AR-000101", 10100, 0, 0}, {"AR-000102", 10200, 0, 0},
				{"AR-000103", 10300, 0, 0}}, RuleReferenceMulti, "", ""},
		{"range dash", text(acct(pay("n6", 30600)), "AR-101-103"),
			[]v2app{{"AR-000101", 10100, 0, 0}, {"AR-000102", 10200, 0, 0},
				{"AR-000103", 10300, 0, 0}}, RuleReferenceMulti, "", ""},
		{"list slash", text(acct(pay("n7", 20300)), "AR-101/102"),
			[]v2app{{"AR-000101", 10100, 0, 0}, {"AR-000102", 10200, 0, 0}}, RuleReferenceMulti,
			"", ""},
		{"rf", text(acct(pay("n8", 88800)), "ref "+rf[:4]+" "+rf[4:8]+" "+rf[8:]),
			[]v2app{{"AR-7004", 88800, 0, 0}}, RuleReferenceExact, "", "rf"},
		{"po", text(acct(pay("n9", 120000)), "our PO-55120"),
			[]v2app{{"AR-7001", 120000, 0, 0}}, RuleReferenceExact, "", "po"},
		{"so", text(acct(pay("n10", 130000)), "order SO-8841"),
			[]v2app{{"AR-7002", 130000, 0, 0}}, RuleReferenceExact, "", "so"},
		{"payer name variant", named(pay("n11", 88800), "LARKSPUR ORCHARDS LIMITED"),
			[]v2app{{"AR-7004", 88800, 0, 0}}, RuleAmountUnique, "", "none"},
		{"fuzzy name", text(named(pay("n12", 77700), "Marigold Instrumnets Inc"), "AR-7020"),
			[]v2app{{"AR-7020", 77700, 0, 0}}, RuleReferenceExact, "", "exact"},
		{"parent pays subsidiary", text(acct(pay("n13", 45500)), "AR-7005"),
			[]v2app{{"AR-7005", 45500, 0, 0}}, RuleReferenceExact, "", "exact"},
		{"third party by reference", text(named(pay("n14", 45500), "Someone Else"), "AR-7005"),
			[]v2app{{"AR-7005", 45500, 0, 0}}, RuleReferenceExact, "", "exact"},
		{"discount in window", text(acct(pay("n15", 245000)), "AR-7003"),
			[]v2app{{"AR-7003", 245000, 5000, 0}}, RuleReferenceDiscount, "", "exact"},
		{"fee within tolerance", text(acct(pay("n16", 120000-45)), "AR-7001"),
			[]v2app{{"AR-7001", 119955, 0, 45}}, RuleReferenceTolerance, "", "exact"},
		{"partial", text(acct(pay("n17", 40000)), "AR-7004"),
			[]v2app{{"AR-7004", 40000, 0, 0}}, RuleReferencePartial, "", "exact"},
		{"short beyond tolerance", text(acct(pay("n18", 85000)), "AR-7004"),
			[]v2app{{"AR-7004", 85000, 0, 0}}, RuleReferenceDeduction, ReasonShortPayment, "exact"},
		{"overpayment", text(acct(pay("n19", 90000)), "AR-7004"),
			[]v2app{{"AR-7004", 88800, 0, 0}}, RuleReferenceOverpaid, ReasonOverpayment, "exact"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := v2Engine(t)
			d := e.Match(tt.p)
			if got := v2apps(d); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("applications = %+v, want %+v; exception %+v", got, tt.want, d.Exception)
			}

			if d.Applications[0].Rule != tt.rule {
				t.Errorf("rule = %s, want %s", d.Applications[0].Rule, tt.rule)
			}

			reason := ""
			if d.Exception != nil {
				reason = d.Exception.Reason
			}

			if reason != tt.reason {
				t.Errorf("exception reason = %q, want %q (%+v)", reason, tt.reason, d.Exception)
			}

			if tt.name == "fuzzy name" && d.PayerMatch != PayerByFuzzyName {
				t.Errorf("payer match = %q, want %s", d.PayerMatch, PayerByFuzzyName)
			}

			if tt.name == "payer name variant" && d.PayerMatch != PayerByName {
				t.Errorf("payer match = %q, want %s", d.PayerMatch, PayerByName)
			}

			tr := d.Trace
			if tr.Chosen != 0 || len(tr.Candidates) == 0 || tr.RulesVersion != RulesVersion ||
				!strings.HasPrefix(tr.Sentence, "applied to ") {
				t.Fatalf("trace = %+v", tr)
			}

			if tt.ref != "" && tr.Candidates[0].Features.Reference != tt.ref {
				t.Errorf("reference feature = %q, want %q", tr.Candidates[0].Features.Reference,
					tt.ref)
			}
		})
	}
}

func TestOCRCorrectedReferenceApplied(t *testing.T) {
	e := v2Engine(t)
	p := pay("o1", 88800)
	p.PayerAccount = "GB29NWBK60161331926819"
	p.Remittance = "paying ARR-7OO4 now"
	d := e.Match(p)
	// "ARR-7OO4" has an extra letter: no correction makes it one invoice, so it
	// is not applied by reference; the amount alone finds AR-7004.
	if len(d.Applications) != 1 || d.Applications[0].Rule != RuleAmountUnique {
		t.Fatalf("decision = %+v", d)
	}

	e = v2Engine(t)
	p.Remittance = "paying AR-7OO4 now"
	d = e.Match(p)
	if got := v2apps(d); !reflect.DeepEqual(got, []v2app{{"AR-7004", 88800, 0, 0}}) {
		t.Fatalf("applications = %+v, exception %+v", got, d.Exception)
	}

	if x := d.Applications[0].Explanation; !strings.Contains(x, "read AR-7OO4") ||
		!strings.Contains(x, "as AR-7004") {
		t.Errorf("explanation %q does not name the original and the corrected reference", x)
	}

	f := d.Trace.Candidates[0].Features
	if f.Reference != "fuzzy" || f.Raw != "AR-7OO4" || f.Corrected != "AR-7004" {
		t.Errorf("features = %+v", f)
	}

	// One swap of neighbours: "AR-7040" is no invoice, "AR-7004" is one swap away.
	e = v2Engine(t)
	p.Remittance = "AR-7040"
	d = e.Match(p)
	if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "AR-7004" {
		t.Fatalf("swap: %+v", d)
	}
}

func TestRFReference(t *testing.T) {
	rf := RFReference("AR-7004")
	if _, ok := parseRF(rf); !ok || !strings.HasSuffix(rf, "AR7004") {
		t.Fatalf("RFReference = %q, not valid", rf)
	}

	// The ISO 11649 example reference validates; one changed digit does not.
	if _, ok := parseRF("RF18 5390 0754 7034"); !ok {
		t.Error("RF18 5390 0754 7034 should validate")
	}

	if _, ok := parseRF("RF18 5390 0754 7035"); ok {
		t.Error("RF18 5390 0754 7035 should not validate")
	}

	// A structured creditor reference with a bad check is not read as an RF one.
	e := v2Engine(t)
	p := pay("rf1", 88800)
	p.Remits = []bankfile.Remit{{Ref: rf, RefType: "SCOR"}}
	d := e.Match(p)
	if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "AR-7004" {
		t.Fatalf("structured RF: %+v", d)
	}
}

// TestMustNotApply: kinds of payment that must be held.
func TestMustNotApply(t *testing.T) {
	tests := []struct {
		name   string
		p      Payment
		reason string
		cands  []string // invoices the exception must list
	}{
		{"equal amounts without reference",
			Payment{ID: "m1", Amount: money.New(64000, "USD"), PayerAccount: "026009593:77001"},
			ReasonAmbiguous, []string{"AR-7006", "AR-7007"}},
		{"unknown payer without reference",
			Payment{ID: "m2", Amount: money.New(88800, "USD"), PayerName: "Nobody Known"},
			ReasonUnknownPayer, []string{"AR-7004"}},
		{"wrong currency",
			Payment{ID: "m3", Amount: money.New(40000, "USD"), Remittance: "AR-7010"},
			ReasonCurrency, []string{"AR-7010"}},
		{"already paid",
			Payment{ID: "m4", Amount: money.New(5000, "USD"), Remittance: "AR-7009",
				PayerAccount: "GB29NWBK60161331926819"},
			ReasonAlreadyPaid, []string{"AR-7009"}},
		{"reference fuzzes to two invoices",
			Payment{ID: "m5", Amount: money.New(30000, "USD"), Remittance: "AR-4512",
				PayerAccount: "026009593:77001"},
			ReasonAmbiguous, []string{"AR-4152", "AR-5412"}},
		{"below-margin tie",
			Payment{ID: "m6", Amount: money.New(99000, "USD"), PayerAccount: "026009593:77001"},
			ReasonAmbiguous, []string{"AR-7021", "AR-7022"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := v2Engine(t)
			d := e.Match(tt.p)
			if len(d.Applications) > 0 {
				t.Fatalf("applied %+v", v2apps(d))
			}

			if d.Exception == nil || d.Exception.Reason != tt.reason {
				t.Fatalf("exception = %+v, want reason %s", d.Exception, tt.reason)
			}

			var got []string
			for _, c := range d.Exception.Candidates {
				got = append(got, c.InvoiceNumber)
			}

			for _, w := range tt.cands {
				if !contains(got, w) {
					t.Errorf("candidates %v lack %s", got, w)
				}
			}

			if d.Trace.Chosen != -1 || !strings.HasPrefix(d.Trace.Sentence, "held") {
				t.Errorf("trace = %+v", d.Trace)
			}
		})
	}
}

func TestBelowMarginTraceHasRunnerUp(t *testing.T) {
	e := v2Engine(t)
	d := e.Match(Payment{ID: "m6", Amount: money.New(99000, "USD"),
		PayerAccount: "026009593:77001"})
	tr := d.Trace
	if tr.RunnerUp == nil || tr.Margin >= DefaultRules().MinMargin {
		t.Fatalf("trace = %+v", tr)
	}

	// With no margin required, the exact amount wins over the tolerance fit.
	r := DefaultRules()
	r.MinMargin = 0
	e = New(v2Customers(), v2Invoices(), r)
	d = e.Match(Payment{ID: "m6", Amount: money.New(99000, "USD"),
		PayerAccount: "026009593:77001"})
	if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != "AR-7021" {
		t.Fatalf("decision = %+v", d)
	}
}

func TestPolicies(t *testing.T) {
	withRules := func(f func(*Rules)) *Engine {
		r := DefaultRules()
		f(&r)

		return New(v2Customers(), v2Invoices(), r)
	}

	p := pay("s1", 85000)
	p.PayerAccount, p.Remittance = "GB29NWBK60161331926819", "AR-7004"
	d := withRules(func(r *Rules) { r.Deductions = false }).Match(p)
	if len(d.Applications) != 0 || d.Exception.Reason != ReasonShortPayment {
		t.Errorf("deductions off: %+v", d)
	}

	p.Amount.Minor = 40000
	d = withRules(func(r *Rules) { r.Partials = false }).Match(p)
	if len(d.Applications) != 0 || d.Exception.Reason != ReasonShortPayment {
		t.Errorf("partials off: %+v", d)
	}

	p.Amount.Minor = 88800 - 45
	d = withRules(func(r *Rules) { r.Tolerances = nil }).Match(p)
	if len(d.Applications) != 1 || d.Applications[0].WriteOff != 0 ||
		d.Exception == nil || d.Exception.Reason != ReasonShortPayment {
		t.Errorf("no tolerance: %+v", d)
	}

	p.Amount.Minor = 88800 - 2
	d = v2Engine(t).Match(p)
	if len(d.Applications) != 1 || d.Applications[0].WriteOffReason != WriteOffRounding {
		t.Errorf("rounding: %+v", d)
	}

	// A fuzzy name below the threshold does not identify the payer.
	q := pay("f1", 77700)
	q.PayerName, q.Remittance = "Marigold Instrumnets Inc", "AR-7020"
	d = withRules(func(r *Rules) { r.NameThreshold = 0.999 }).Match(q)
	if d.PayerMatch == PayerByFuzzyName {
		t.Errorf("threshold ignored: %+v", d)
	}
}

// TestB17OCRConfusedReferences: own fixture with the traps of case B17.
func TestB17OCRConfusedReferences(t *testing.T) {
	customers := []billing.Customer{
		{ID: "D-10", Name: "Fernhill Joinery LLC"},
		{ID: "D-20", Name: "Fernhill Bakery Inc"},
	}
	mk := func(n, c string, open int64) billing.Invoice {
		return billing.Invoice{Number: n, CustomerID: c, Currency: "USD", Total: open,
			Open: open}
	}
	invoices := []billing.Invoice{
		mk("INV-2026-0307", "D-10", 73000), mk("INV-2026-0370", "D-10", 48000),
		mk("INV-2026-0037", "D-20", 73000),
	}

	tests := []struct {
		remit, payer string
		amount       int64
		want         string // applied invoice, or "" when held
		suggest      string
	}{
		{"INV-2O26-O3O7", "FERNHILL JOINERY LLC", 73000, "INV-2026-0307", ""},
		{"lNV 2026 037O", "FERNHILL JOINERY LLC", 48000, "INV-2026-0370", ""},
		{"INV-2026-O37", "FERNHILL PAYMENTS LTD", 73000, "", "INV-2026-0037"},
	}

	for _, tt := range tests {
		e := New(customers, invoices, DefaultRules())
		d := e.Match(Payment{ID: tt.remit, Amount: money.New(tt.amount, "USD"),
			PayerName: tt.payer, Remittance: tt.remit})
		if tt.want != "" {
			if len(d.Applications) != 1 || d.Applications[0].InvoiceNumber != tt.want {
				t.Errorf("%s: got %+v, want %s", tt.remit, d, tt.want)
				continue
			}

			x := d.Applications[0].Explanation
			if !strings.Contains(x, "read "+tt.remit) || !strings.Contains(x, "as "+tt.want) {
				t.Errorf("%s: explanation %q lacks original and corrected key", tt.remit, x)
			}

			continue
		}

		if len(d.Applications) != 0 || d.Exception == nil ||
			len(d.Exception.Candidates) == 0 || d.Exception.Candidates[0].InvoiceNumber !=
			tt.suggest {
			t.Errorf("%s: got %+v, want held with %s suggested", tt.remit, d, tt.suggest)
		}
	}
}

// TestB19DiscountJudgedOnValueDate: own fixture with the dates of case B19.
func TestB19DiscountJudgedOnValueDate(t *testing.T) {
	customers := []billing.Customer{{ID: "E-1", Name: "Birkenhof Maschinen GmbH"}}
	mk := func(n string) billing.Invoice {
		return billing.Invoice{Number: n, CustomerID: "E-1", Currency: "EUR", Total: 238000,
			Open: 238000, IssueDate: day("2025-06-02"), DueDate: day("2025-07-02"),
			DiscountBasisPoints: 200, DiscountDays: 10}
	}
	e := New(customers, []billing.Invoice{mk("RE-501"), mk("RE-502")}, DefaultRules())

	in := e.Match(Payment{ID: "in", Amount: money.New(233240, "EUR"),
		ValueDate: day("2025-06-12"), PayerName: "BIRKENHOF MASCHINEN GMBH",
		Remittance: "RE-501 ABZUEGL. 2% SKONTO"})
	if got := v2apps(in); !reflect.DeepEqual(got, []v2app{{"RE-501", 233240, 4760, 0}}) ||
		in.Exception != nil {
		t.Fatalf("inside window: %+v %+v", got, in.Exception)
	}

	if inv, _ := e.Invoice("RE-501"); inv.Open != 0 {
		t.Errorf("RE-501 open %d, want paid", inv.Open)
	}

	late := e.Match(Payment{ID: "late", Amount: money.New(233240, "EUR"),
		ValueDate: day("2025-06-19"), PayerName: "BIRKENHOF MASCHINEN GMBH",
		Remittance: "RE-502 ABZUEGL. 2% SKONTO"})
	if got := v2apps(late); !reflect.DeepEqual(got, []v2app{{"RE-502", 233240, 0, 0}}) {
		t.Fatalf("late: %+v", got)
	}

	x := late.Exception
	if x == nil || x.Reason != ReasonShortPayment || x.Amount != 4760 ||
		!strings.Contains(x.Message, "unearned discount 47.60 taken (paid 7 days late)") {
		t.Fatalf("late exception = %+v", x)
	}

	if inv, _ := e.Invoice("RE-502"); inv.Open != 4760 {
		t.Errorf("RE-502 open %d, want 4760", inv.Open)
	}
}

func TestTraceDeterministicAndJSON(t *testing.T) {
	run := func() []byte {
		e := v2Engine(t)
		var ds []Decision
		for _, p := range []Payment{
			{ID: "a", Amount: money.New(64000, "USD"), PayerAccount: "026009593:77001"},
			{ID: "b", Amount: money.New(30600, "USD"), Remittance: "AR-101 to 103"},
			{ID: "c", Amount: money.New(88800, "USD"), Remittance: "AR-7OO4",
				PayerName: "Larkspur Orchards"},
		} {
			ds = append(ds, e.Match(p))
		}

		b, err := json.Marshal(ds)
		if err != nil {
			t.Fatal(err)
		}

		return b
	}

	a, b := run(), run()
	if string(a) != string(b) {
		t.Fatalf("decisions differ:\n%s\n%s", a, b)
	}

	if !strings.Contains(string(a), `"rules_version":"`+RulesVersion+`"`) {
		t.Errorf("trace JSON lacks rules_version: %s", a)
	}
}

func TestMultiInvoiceWithoutReference(t *testing.T) {
	customers := []billing.Customer{{ID: "G-1", Name: "Tamsin Glassworks",
		BankAccounts: []string{"NL91ABNA0417164300"}}}
	mk := func(n string, open int64, bp int) billing.Invoice {
		return billing.Invoice{Number: n, CustomerID: "G-1", Currency: "EUR", Total: open,
			Open: open, IssueDate: day("2025-04-01"), DueDate: day("2025-05-01"),
			DiscountBasisPoints: bp, DiscountDays: 10}
	}
	invoices := []billing.Invoice{mk("G-11", 31700, 0), mk("G-12", 50000, 200),
		mk("G-13", 12900, 0), mk("G-14", 77300, 0)}
	p := Payment{ID: "s", Amount: money.New(31700+49000, "EUR"), ValueDate: day("2025-04-05"),
		PayerAccount: "NL91 ABNA 0417 1643 00"}

	d := New(customers, invoices, DefaultRules()).Match(p)
	want := []v2app{{"G-11", 31700, 0, 0}, {"G-12", 49000, 1000, 0}}
	if got := v2apps(d); !reflect.DeepEqual(got, want) || d.Exception != nil {
		t.Fatalf("applications = %+v, want %+v; %+v", got, want, d.Exception)
	}

	if d.Applications[0].Rule != RuleAmountMulti ||
		!strings.HasPrefix(d.Trace.Sentence, "applied to G-11 and G-12: no reference") {
		t.Errorf("rule %s, sentence %q", d.Applications[0].Rule, d.Trace.Sentence)
	}

	// G-15 is open for G-11 + G-13, so G-11 + G-13 + G-14 and G-15 + G-14 both
	// pay 121900: the set is not unique and nothing is applied.
	invoices = append(invoices, mk("G-15", 44600, 0))
	p.Amount.Minor = 31700 + 12900 + 77300
	d = New(customers, invoices, DefaultRules()).Match(p)
	if len(d.Applications) != 0 || d.Exception == nil {
		t.Fatalf("two sets fit (G-11+G-13+G-14 and G-15+G-14), applied %+v", v2apps(d))
	}
}
