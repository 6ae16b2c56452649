package matching

import (
	"reflect"
	"testing"
)

// TestBuilderIsNew: an engine built in two steps decides every payment of the
// synthetic world as one built by New, and a Builder builds one engine only.
func TestBuilderIsNew(t *testing.T) {
	customers, invoices, payments := synthetic(3000)
	a := New(customers, invoices, DefaultRules())
	b := NewBuilder(customers, DefaultRules())
	e := b.Engine(invoices)
	for _, p := range payments {
		da, de := a.Match(p), e.Match(p)
		if !reflect.DeepEqual(da, de) {
			t.Fatalf("payment %s: New decided %+v, Builder %+v", p.ID, da, de)
		}
	}

	defer func() {
		if recover() == nil {
			t.Error("a second Engine call did not panic")
		}
	}()

	b.Engine(invoices)
}
