package nacha_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/nacha"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// fileControlLine is the index of the file control in the B10 fixture.
const fileControlLine = 5

// Every count of the file control is a control total: a mismatch rejects the
// file with the numbers and says so in the error's Controls. A bank profile
// that relaxes the check reads the file, with the same numbers as a warning,
// and its Controls say mismatch.
func TestFileControlCountsRejectUnlessRelaxed(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		field, value string
		from, to     int
		check        nacha.Check
		msg          string
	}{
		{"file control batch count", "000002", 2, 7, nacha.CheckBatchCount,
			"file control: batch count 2 != 1 batches in the file"},
		{"file control block count", "000002", 8, 13, nacha.CheckBlockCount,
			"file control: block count 2 != 1 blocks of 10 records"},
		{"file control block count", "      ", 8, 13, nacha.CheckBlockCount,
			`file control: block count "      " is not a number`},
		{"file control entry/addenda count", "00000001", 14, 21, nacha.CheckEntryAddendaCount,
			"file control: entry/addenda count 1 != 2 counted in the file"},
		{"file control entry hash", "0021000022", 22, 31, nacha.CheckEntryHash,
			"file control: entry hash 21000022 != 2100002 counted in the file"},
	} {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			t.Parallel()

			ls := lines(readFixture(t, b10Fixture))
			ls[fileControlLine] = setField(t, ls[fileControlLine], tc.from, tc.to, tc.value)
			data := joinLines(ls)

			be := mustReject(t, "counts.ach", data)
			p := findProblem(t, be, tc.field)

			if p.Line != 6 || p.Message != tc.msg || p.Value != tc.value ||
				be.Controls != bankfile.ControlsMismatch {
				t.Errorf("problem %+v, controls %q", p, be.Controls)
			}

			f, err := nacha.ReadOptions("counts.ach", data,
				nacha.Options{WarnOnly: []nacha.Check{tc.check}})
			if err != nil {
				t.Fatalf("relaxed %s: %v", tc.check, err)
			}

			if f.Controls != bankfile.ControlsMismatch || !hasWarning(f, p) ||
				len(f.Transactions) != 1 || f.Transactions[0].Problem != "" {
				t.Errorf("relaxed read: controls %q, warnings %v, transactions %+v",
					f.Controls, f.Warnings, f.Transactions)
			}

			// A profile relaxing another check changes nothing.
			other := nacha.CheckBatchCount
			if tc.check == other {
				other = nacha.CheckEntryHash
			}

			_, err = nacha.ReadOptions("counts.ach", data,
				nacha.Options{WarnOnly: []nacha.Check{other}})
			if err == nil {
				t.Errorf("relaxing %s let a %s mismatch through", other, tc.check)
			}
		})
	}
}

// The same checks in a batch control are relaxed by the same names.
func TestBatchControlCountsRelaxedByTheSameChecks(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls[4] = setField(t, ls[4], 5, 10, "000001")
	data := joinLines(ls)

	be := mustReject(t, "batch-count.ach", data)
	p := findProblem(t, be, "batch control entry/addenda count")
	if p.Message != "batch 1 control: entry/addenda count 1 != 2 counted in the file" ||
		be.Controls != bankfile.ControlsMismatch {
		t.Errorf("problem %+v, controls %q", p, be.Controls)
	}

	f, err := nacha.ReadOptions("batch-count.ach", data,
		nacha.Options{WarnOnly: []nacha.Check{nacha.CheckEntryAddendaCount}})
	if err != nil || f.Controls != bankfile.ControlsMismatch {
		t.Fatalf("relaxed read: %v", err)
	}
}

// Debit and credit totals are the money: no profile relaxes them.
func TestMoneyTotalsAreAlwaysStrict(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls[fileControlLine] = setField(t, ls[fileControlLine], 44, 55, "000000327501")

	all := nacha.Options{WarnOnly: []nacha.Check{nacha.CheckBatchCount,
		nacha.CheckBlockCount, nacha.CheckEntryAddendaCount, nacha.CheckEntryHash}}

	_, err := nacha.ReadOptions("money.ach", joinLines(ls), all)

	var be *bankfile.Error
	if !errors.As(err, &be) || be.Controls != bankfile.ControlsMismatch {
		t.Fatalf("err = %v, want a control rejection", err)
	}

	if p := findProblem(t, be, "file control total credit"); p.Message !=
		"file control: total credit 3275.01 != sum of entries 3275.00" {
		t.Errorf("problem %+v", p)
	}
}

// A rejection that is not about control totals leaves Controls empty.
func TestRecordProblemIsNotAControlMismatch(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls[1] = setField(t, ls[1], 51, 53, "ADV")

	be := mustReject(t, "adv.ach", joinLines(ls))
	if be.Controls != "" || be.Problems[0].Field != "standard entry class" {
		t.Errorf("controls %q, problems %v", be.Controls, be.Problems)
	}
}

func TestUnknownCheckRefused(t *testing.T) {
	t.Parallel()

	opts := nacha.Options{WarnOnly: []nacha.Check{"batch count"}}
	if err := opts.Validate(); !errors.Is(err, nacha.ErrUnknownCheck) {
		t.Fatalf("Validate = %v", err)
	}

	_, err := nacha.ReadOptions("x.ach", readFixture(t, b10Fixture), opts)
	if !errors.Is(err, nacha.ErrUnknownCheck) || !strings.Contains(err.Error(), `"batch count"`) {
		t.Fatalf("ReadOptions = %v", err)
	}
}
