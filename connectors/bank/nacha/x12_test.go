package nacha

import (
	"reflect"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

func TestParseX12(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		text   string
		remits []bankfile.Remit
		total  int64
		payer  string
		trn    string
		probs  int
	}{
		{
			name:   "banking convention segment with backslash",
			text:   `RMR*IV*A-1**10.00\`,
			remits: []bankfile.Remit{{RefType: "IV", Ref: "A-1", Paid: 1000}},
		},
		{
			name:   "single segment without terminator",
			text:   "RMR*IV*A-2**7.5    ",
			remits: []bankfile.Remit{{RefType: "IV", Ref: "A-2", Paid: 750}},
		},
		{
			name: "tilde terminator, credit memo, payer and trace",
			text: "BPR*C*90.00*C*ACH~TRN*1*CHK-88~N1*PR*ACME*91*77~" +
				"RMR*IV*X1**100.00*100.00~RMR*CM*X2**-10.00~",
			remits: []bankfile.Remit{
				{RefType: "IV", Ref: "X1", Paid: 10000, Invoiced: 10000},
				{RefType: "CM", Ref: "X2", Paid: -1000},
			},
			total: 9000, payer: "ACME", trn: "CHK-88",
		},
		{
			name: "ISA gives the separators: '|' and '\\n'",
			text: "ISA|00|          |00|          |ZZ|SENDER         |ZZ|RECEIVER       |" +
				"260301|1200|U|00401|000000001|0|P|>\nST|820|1\nRMR|IV|Q~1||5.00\nSE|3|1\n",
			remits: []bankfile.Remit{{RefType: "IV", Ref: "Q~1", Paid: 500}},
		},
		{
			name:   "amount with too many decimals is a problem, not a rounding",
			text:   `RMR*IV*B-1**10.005\`,
			remits: []bankfile.Remit{{RefType: "IV", Ref: "B-1"}},
			probs:  1,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			x, ok := parseX12(tt.text)
			if !ok {
				t.Fatalf("%q not read as X12", tt.text)
			}

			if !reflect.DeepEqual(x.remits, tt.remits) {
				t.Errorf("remits %+v, want %+v", x.remits, tt.remits)
			}

			if x.total != tt.total || x.payer != tt.payer || x.traceRef != tt.trn ||
				len(x.problems) != tt.probs {
				t.Errorf("total %d payer %q trn %q problems %v",
					x.total, x.payer, x.traceRef, x.problems)
			}
		})
	}
}

func TestParseX12RejectsFreeText(t *testing.T) {
	t.Parallel()

	for _, s := range []string{
		`PAY-GATE payment\`,
		"Debit First Account",
		"INVOICE 1234 THANK YOU",
		"",
		"ISA",
	} {
		if _, ok := parseX12(s); ok {
			t.Errorf("%q read as X12", s)
		}
	}
}

func TestJoinFreeText(t *testing.T) {
	t.Parallel()

	full := "PAYMENT FOR ORDERS 1001 1002 1003 1004 1005 1006 1007 1008 1009 1010 1011 1012 1" // 80
	if len(full) != 80 {
		t.Fatalf("full record is %d characters", len(full))
	}

	got := joinFreeText([]string{full, "013 1014" + blanks(72), "THANK YOU" + blanks(71)})
	want := full + "013 1014 THANK YOU"

	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func blanks(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}

	return string(b)
}
