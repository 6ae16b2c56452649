package bank_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// A bank known to send a wrong batch count in its NACHA file control: strict by
// default, the file is rejected; with the check relaxed it is read, with
// Controls mismatch, through Read and Scan alike.
func TestRelaxedCheckTurnsMismatchIntoWarning(t *testing.T) {
	t.Parallel()

	data, err := os.ReadFile(filepath.Join(samplesDir(t), "nacha",
		"ppd-credits-multi-batch-usbank-example.ach"))
	if err != nil {
		t.Fatal(err)
	}

	var be *bankfile.Error
	if _, err := bank.Read("usbank.ach", data); !errors.As(err, &be) ||
		be.Controls != bankfile.ControlsMismatch {
		t.Fatalf("strict read: err = %v, want a control mismatch rejection", err)
	}

	rd, err := bank.NewReader(nil).WithRelaxed(map[string][]string{"nacha": {"batch_count"}})
	if err != nil {
		t.Fatal(err)
	}

	f, err := rd.Read("usbank.ach", data)
	if err != nil || f.Controls != bankfile.ControlsMismatch || len(f.Transactions) != 48 ||
		len(f.Warnings) == 0 {
		t.Fatalf("relaxed read: %v, controls %v, want 48 transactions with a warning",
			err, f)
	}

	sf, n, err := rd.Scan("usbank.ach", bytes.NewReader(data),
		func(bankfile.Transaction) error { return nil })
	if err != nil || n != 48 || sf.Controls != bankfile.ControlsMismatch {
		t.Fatalf("relaxed scan: %d transactions, %v", n, err)
	}
}

func TestRelaxedChecksAreValidated(t *testing.T) {
	t.Parallel()

	_, err := bank.NewReader(nil).WithRelaxed(map[string][]string{
		"nacha": {"batch_count", "total_credit"}, "swift": {"balances"}})
	if !errors.Is(err, bank.ErrRelaxed) {
		t.Fatalf("err = %v, want ErrRelaxed for total_credit and swift", err)
	}
}
