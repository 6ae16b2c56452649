package reconcile

import "testing"

func TestCellDisarmsSpreadsheetFormulas(t *testing.T) {
	t.Parallel()

	cases := map[string]string{
		"=1+2":          "'=1+2",
		"=SUM(1;2)*cmd": "'=SUM(1;2)*cmd",
		"+A1":           "'+A1",
		"-2+3":          "'-2+3",
		"@SUM(A1)":      "'@SUM(A1)",
		"\tx":           "'\tx",
		"-5":            "-5",
		"+123":          "+123",
		"INV-000123":    "INV-000123",
		"ACME CORP":     "ACME CORP",
		"":              "",
	}

	for in, want := range cases {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}
