package exceptions_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

// fileSeq makes every seeded bank file's bytes distinct.
var fileSeq atomic.Int64

// another stores one more credit payment of amount in currency from Tarn Mills
// in the fixture's database and an open exception for it with the candidates.
func (f *fixture) another(t *testing.T, amount int64, currency string,
	cands ...store.Candidate) store.Exception {
	t.Helper()

	ctx := context.Background()
	n := fileSeq.Add(1)

	file, _, err := store.InsertBankFile(ctx, f.pool, "more.csv",
		[]byte(fmt.Sprintf("file %d of %s", n, t.Name())), "test")
	if err != nil {
		t.Fatal(err)
	}

	tx := bankfile.Transaction{Seq: 1, Line: 2, Account: "GB33BUKB20201555555555",
		Direction: bankfile.Credit, Kind: bankfile.KindPayment,
		Amount:      money.New(amount, currency),
		BookingDate: time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC),
		BankRef:     fmt.Sprintf("REF-%d", n), PayerName: "TARN MILLS LTD",
		Remittance: "invoices as agreed"}

	if _, _, err := store.InsertPayments(ctx, f.pool, file.ID, file.SHA256,
		[]bankfile.Transaction{tx}); err != nil {
		t.Fatal(err)
	}

	ps, err := store.PaymentsOfFile(ctx, f.pool, file.ID)
	if err != nil || len(ps) != 1 {
		t.Fatalf("stored payments %d, %v", len(ps), err)
	}

	_, err = f.pool.Exec(ctx, "UPDATE payments SET status = 'exception' WHERE id = $1",
		ps[0].ID)
	if err != nil {
		t.Fatal(err)
	}

	e, err := store.OpenException(ctx, f.pool, store.Exception{PaymentID: ps[0].ID,
		Reason: "ambiguous", Message: "seeded", Amount: amount, Currency: currency,
		Candidates: cands})
	if err != nil {
		t.Fatal(err)
	}

	return e
}

// withCandidates gives the fixture's exception these candidates.
func (f *fixture) withCandidates(t *testing.T, cands ...store.Candidate) {
	t.Helper()

	body, err := json.Marshal(cands)
	if err != nil {
		t.Fatal(err)
	}

	_, err = f.pool.Exec(context.Background(),
		"UPDATE exceptions SET candidates = $2 WHERE id = $1", f.exception.ID, body)
	if err != nil {
		t.Fatal(err)
	}

	f.exception.Candidates = cands
}

// topic counts the messages published on a bus topic.
func (f *fixture) topic(t *testing.T, name string) int {
	t.Helper()

	return f.count(t, `SELECT count(*) FROM "watermill_`+name+`"`)
}

func (f *fixture) exc(t *testing.T, id int64) store.Exception {
	t.Helper()

	e, err := store.GetException(context.Background(), f.pool, id, false)
	if err != nil {
		t.Fatal(err)
	}

	return e
}

func (f *fixture) pay(t *testing.T, id int64) store.PaymentRow {
	t.Helper()

	p, err := store.GetPayment(context.Background(), f.pool, id)
	if err != nil {
		t.Fatal(err)
	}

	return p
}

// audited reports whether the audit log holds action by actor on the entity.
func (f *fixture) audited(t *testing.T, entity string, id int64, action,
	actor string) bool {
	t.Helper()

	return f.count(t, `SELECT count(*) FROM audit_log WHERE entity = $1 AND entity_id = $2
		AND action = $3 AND actor = $4`, entity, fmt.Sprint(id), action, actor) > 0
}

// fields returns the field names of a validation error, failing the test for
// any other error.
func fields(t *testing.T, err error) map[string]string {
	t.Helper()

	var ve *exceptions.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err %v, want a *ValidationError", err)
	}

	if !errors.Is(err, exceptions.ErrInvalid) {
		t.Errorf("validation error %v is not ErrInvalid", err)
	}

	out := map[string]string{}
	for _, f := range ve.Fields {
		out[f.Field] = f.Message
	}

	return out
}

// untouched checks that a refusal changed neither invoices, applications,
// exception, payment nor the bus.
func (f *fixture) untouched(t *testing.T, before map[string]int) {
	t.Helper()

	if a, b := f.open(t, "INV-1001"), f.open(t, "INV-1002"); a != 64000 || b != 50000 {
		t.Errorf("invoices open %d and %d after a refusal, want 64000 and 50000", a, b)
	}

	if n := f.count(t, "SELECT count(*) FROM applications"); n != 0 {
		t.Errorf("%d applications after a refusal", n)
	}

	if es := f.exc(t, f.exception.ID).Status; es != store.ExceptionOpen {
		t.Errorf("exception %s after a refusal, want open", es)
	}

	for topic, n := range before {
		if got := f.topic(t, topic); got != n {
			t.Errorf("%s: %d messages queued by a refusal", topic, got-n)
		}
	}
}

func (f *fixture) topics(t *testing.T) map[string]int {
	t.Helper()

	out := map[string]int{}
	for _, tp := range []string{pipelines.TopicCashApplied, pipelines.TopicCashUnapplied,
		pipelines.TopicExceptionsOpened} {
		out[tp] = f.topic(t, tp)
	}

	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
