package bank_test

import (
	"errors"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// A NUL byte in a payer name rejects the file whatever reads it, naming the line.
func TestNULInTextRejectsTheFile(t *testing.T) {
	t.Parallel()

	data := "Date,Transaction ID,Payer,Description,Amount,Currency\n" +
		"2025-01-13,T2,ACME\x00CORP,INV-1,12.00,USD\n"

	_, err := bank.Read("nul.csv", []byte(data))

	var be *bankfile.Error
	if !errors.As(err, &be) || len(be.Problems) != 1 || be.Problems[0].Line != 2 ||
		be.Problems[0].Field != "payer_name" {
		t.Fatalf("err = %v, want one problem on line 2, payer_name", err)
	}
}
