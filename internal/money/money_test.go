package money_test

import (
	"errors"
	"testing"

	"github.com/o2c-dev/o2c/internal/money"
)

func TestParse(t *testing.T) {
	t.Parallel()

	cases := []struct {
		in       string
		currency string
		want     int64
		wantErr  bool
	}{
		{"1234.56", "USD", 123456, false},
		{"1234.5", "EUR", 123450, false},
		{"1234", "USD", 123400, false},
		{"-0.01", "USD", -1, false},
		{"+7.00", "USD", 700, false},
		{".5", "USD", 50, false},
		{"10.500", "USD", 1050, false},
		{"10.505", "USD", 0, true},
		{"1500", "JPY", 1500, false},
		{"1500.5", "JPY", 0, true},
		{"1.234", "KWD", 1234, false},
		{"", "USD", 0, true},
		{"1,234.00", "USD", 0, true},
		{"1e3", "USD", 0, true},
		{".", "USD", 0, true},
		{"12.34", "XXQ", 0, true},
		{"99999999999999999999", "USD", 0, true},
	}

	for _, c := range cases {
		got, err := money.Parse(c.in, c.currency)
		if c.wantErr {
			if err == nil {
				t.Errorf("Parse(%q, %s) = %v, want error", c.in, c.currency, got)
			}

			continue
		}

		if err != nil {
			t.Errorf("Parse(%q, %s): %v", c.in, c.currency, err)
			continue
		}

		if got.Minor != c.want {
			t.Errorf("Parse(%q, %s) = %d, want %d", c.in, c.currency, got.Minor, c.want)
		}
	}
}

func TestParseUnknownCurrency(t *testing.T) {
	t.Parallel()

	_, err := money.Parse("1.00", "ABC")
	if !errors.Is(err, money.ErrCurrency) {
		t.Fatalf("err = %v, want ErrCurrency", err)
	}
}

func TestFormatMinor(t *testing.T) {
	t.Parallel()

	cases := []struct {
		minor int64
		exp   int
		want  string
	}{
		{123456, 2, "1234.56"},
		{5, 2, "0.05"},
		{-105, 2, "-1.05"},
		{0, 2, "0.00"},
		{1500, 0, "1500"},
		{1234, 3, "1.234"},
	}

	for _, c := range cases {
		if got := money.FormatMinor(c.minor, c.exp); got != c.want {
			t.Errorf("FormatMinor(%d, %d) = %q, want %q", c.minor, c.exp, got, c.want)
		}
	}

	if got := money.New(198050, "EUR").String(); got != "1980.50 EUR" {
		t.Errorf("String() = %q", got)
	}
}
