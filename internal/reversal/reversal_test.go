package reversal

import (
	"reflect"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

func TestScreen(t *testing.T) {
	t.Parallel()

	for _, c := range []struct {
		name   string
		tx     bankfile.Transaction
		action Action
		reason string
		word   string // in the message
	}{
		{"camt reversal, sign checked", bankfile.Transaction{Kind: bankfile.KindReversal,
			Direction: bankfile.Debit, BankRef: "A-2"}, Link, "", ""},
		{"sign not checked", bankfile.Transaction{Kind: bankfile.KindReversal,
			Direction: bankfile.Debit, BankRef: "A-2",
			Problem: "reversal sign cannot be checked: no reconciled balances"},
			Hold, ReasonReversalUnverified, "(entry A-2) not acted on: reversal sign"},
		{"ACH return", bankfile.Transaction{Kind: bankfile.KindReturn,
			Direction: bankfile.Credit, ReturnCode: "R01"}, Link, "", ""},
		{"dishonored return", bankfile.Transaction{Kind: bankfile.KindReturn,
			Direction: bankfile.Credit, ReturnCode: "R69"},
			Hold, ReasonReversalUnverified, "dishonored"},
		{"reversal of a debit", bankfile.Transaction{Kind: bankfile.KindReversal,
			Direction: bankfile.Credit}, NoCash, "", ""},
	} {
		v := Screen(&c.tx)
		if v.Action != c.action || v.Reason != c.reason || !strings.Contains(v.Message, c.word) {
			t.Errorf("%s: %+v; want action %d, reason %q, message with %q", c.name, v,
				c.action, c.reason, c.word)
		}
	}
}

func TestDishonored(t *testing.T) {
	t.Parallel()

	for code, want := range map[string]bool{"R01": false, "R61": true, "R62": true,
		"R63": false, "R67": true, "R77": true, "R78": false, "X69": false, "": false} {
		if got := Dishonored(code); got != want {
			t.Errorf("Dishonored(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestEndToEndRefs(t *testing.T) {
	t.Parallel()

	tx := bankfile.Transaction{OriginalRef: "ORIG-1", EndToEndID: "NotProvided"}
	if got := EndToEndRefs(&tx); !reflect.DeepEqual(got, []string{"ORIG-1"}) {
		t.Errorf("EndToEndRefs %v", got)
	}

	tx = bankfile.Transaction{EndToEndID: "E2E-7"}
	if got := EndToEndRefs(&tx); !reflect.DeepEqual(got, []string{"E2E-7"}) {
		t.Errorf("EndToEndRefs %v", got)
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()

	tx := bankfile.Transaction{Kind: bankfile.KindReturn, ReturnCode: "R01",
		OriginalRef: "021000020000101", Amount: money.New(42000, "USD")}
	if got := NotFound(&tx); !strings.HasPrefix(got, "returned R01 insufficient funds: "+
		"no stored payment of ") || !strings.Contains(got, "021000020000101") {
		t.Errorf("NotFound %q", got)
	}

	for _, c := range []struct {
		invoices []string
		want     string
	}{
		{nil, "nothing was applied"},
		{[]string{"INV-1", "INV-1"}, "INV-1 reopened"},
		{[]string{"INV-1", "INV-2", "INV-1", "INV-3"}, "INV-1, INV-2 and INV-3 reopened"},
	} {
		if got := Reopened(c.invoices); got != c.want {
			t.Errorf("Reopened(%v) = %q, want %q", c.invoices, got, c.want)
		}
	}
}
