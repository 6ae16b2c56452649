package invoices_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/invoices"
	"github.com/o2c-dev/o2c/internal/store"
)

func TestQueryValuesReadBackTheSameQuery(t *testing.T) {
	raw := "q=INV-1&customer=C-1&currency=eur&status=open,paid&amount=1.50&min_amount=1" +
		"&max_amount=2&issued_from=2026-01-01&issued_to=2026-01-31&due_from=2026-02-01" +
		"&due_to=2026-02-28&sort=amount&dir=asc&limit=20"

	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}

	q, err := invoices.ParseQueryStrict(v)
	if err != nil {
		t.Fatal(err)
	}

	again, err := invoices.ParseQueryStrict(q.Values())
	if err != nil {
		t.Fatal(err)
	}

	if again.Values().Encode() != q.Values().Encode() || q.Currency != "EUR" ||
		len(q.Statuses) != 2 || q.Limit != 20 {
		t.Errorf("%+v read back as %+v", q, again)
	}
}

func TestParseQueryIgnoresWhatStrictRefuses(t *testing.T) {
	v := url.Values{"q": {"acme"}, "exception": {"12"}}

	if _, err := invoices.ParseQuery(v); err != nil {
		t.Errorf("lenient: %v", err)
	}

	_, err := invoices.ParseQueryStrict(v)

	var ve *exceptions.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "exception" ||
		!errors.Is(err, exceptions.ErrInvalid) {
		t.Errorf("strict: %v", err)
	}
}

func TestEveryStoredStatusCanBeSearched(t *testing.T) {
	for _, st := range []string{store.InvoiceRequested, store.InvoiceOpen, store.InvoicePaid,
		store.InvoiceFailed, store.InvoiceSyncMismatch, store.InvoiceVoided} {
		if _, err := invoices.ParseQueryStrict(url.Values{"status": {st}}); err != nil {
			t.Errorf("status %s: %v", st, err)
		}
	}
}
