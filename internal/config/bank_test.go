package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
)

func TestBankProfilesLoad(t *testing.T) {
	t.Setenv("O2C_DATA_DIR", "/srv/o2c/pg")

	path := writeFile(t, `
bank_profiles:
  - name: sparkasse-giro
    match: {header: [Buchungstag, Umsatz], file_name: "umsaetze_*.csv"}
    delimiter: ";"
    decimal: ","
    thousands: "."
    date_layouts: [DD.MM.YY]
    encoding: windows-1252
    skip_rows: 2
    sign: indicator
    credit_values: [H]
    debit_values: [S]
    currency: EUR
    columns:
      date: Buchungstag
      amount: Umsatz
      indicator: S/H
      remittance: [Verwendungszweck]
      transaction_id: Beleg
    checks: {balance: reject, net: warn}
  - name: us-bank
    match: {account: "123456789"}
    date_order: MDY
    currency: USD
`)

	cfg, err := load(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}

	ps := cfg.BankProfiles
	if len(ps) != 2 || ps[0].Columns.Amount != "Umsatz" || ps[0].SkipRows != 2 ||
		ps[0].Checks.Balance != "reject" || ps[1].Match.Account != "123456789" {
		t.Fatalf("profiles %+v", ps)
	}

	if _, err := bankcsv.NewReader(ps); err != nil {
		t.Fatalf("the reader refuses what the config accepted: %v", err)
	}

	if !strings.Contains(cfg.String(), "bank_profiles=[sparkasse-giro, us-bank]") {
		t.Errorf("String:\n%s", cfg)
	}
}

func TestBankProfilesValidated(t *testing.T) {
	t.Setenv("O2C_DATA_DIR", "/srv/o2c/pg")

	_, err := load(writeFile(t, `
bank_profiles:
  - name: broken
    match: {header: [Date]}
    decimal: ";"
    date_order: YMD
`), noEnv)

	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "bank_profiles" || !errors.Is(err, bankcsv.ErrProfile) ||
		!strings.Contains(err.Error(), "decimal") || !strings.Contains(err.Error(), "date_order") {
		t.Fatalf("error %v, want a bank_profiles field error naming decimal and date_order", err)
	}

	_, err = load(writeFile(t, "bank_profiles:\n  - name: x\n    delimeter: \";\"\n"), noEnv)
	if err == nil || !strings.Contains(err.Error(), "delimeter") {
		t.Fatalf("misspelt key: %v", err)
	}
}
