package store_test

import (
	"context"
	"testing"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/store"
)

// TestCustomersCarryTheirApprovedRefFormats: approved formats come back with
// their customer, once each, and go when removed; formats the engine cannot read
// are refused by the table.
func TestCustomersCarryTheirApprovedRefFormats(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	pool := pgtest.DB(t)
	for _, c := range []billing.Customer{{ID: "A", Name: "Alpha"}, {ID: "B", Name: "Beta"}} {
		if _, err := store.UpsertCustomer(ctx, pool, c, "test"); err != nil {
			t.Fatal(err)
		}
	}

	for _, f := range []string{"prefix:IN", "digits", "prefix:IN"} {
		if _, err := store.AddCustomerRefFormat(ctx, pool, "A", f, 0, "dana"); err != nil {
			t.Fatal(err)
		}
	}

	for _, bad := range []string{"full", "prefix:", "prefix:IN1", "absent"} {
		if _, err := store.AddCustomerRefFormat(ctx, pool, "B", bad, 0, "dana"); err == nil {
			t.Errorf("format %q stored", bad)
		}
	}

	cs, err := store.Customers(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}

	if len(cs) != 2 || len(cs[0].RefFormats) != 2 || cs[1].RefFormats != nil {
		t.Fatalf("customers %+v, want A with two formats, B with none", cs)
	}

	for i, want := range []string{"digits", "prefix:IN"} {
		f := cs[0].RefFormats[i]
		if f.Format != want || f.ApprovedBy != "dana" || f.ApprovedAt.IsZero() {
			t.Errorf("format %d: %+v, want %s approved by dana", i, f, want)
		}
	}

	removed, err := store.RemoveCustomerRefFormat(ctx, pool, "A", "digits")
	if err != nil || !removed {
		t.Fatalf("remove: %v, %v", removed, err)
	}

	cs, err = store.Customers(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}

	if len(cs[0].RefFormats) != 1 || cs[0].RefFormats[0].Format != "prefix:IN" {
		t.Errorf("after removal: %+v", cs[0].RefFormats)
	}
}
