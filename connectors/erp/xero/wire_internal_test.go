package xero

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/internal/billing"
)

func TestParseDate(t *testing.T) {
	t.Parallel()

	day := time.Date(2018, 2, 15, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"/Date(1518685950940+0000)/", time.Date(2018, 2, 15, 0, 0, 0, 0, time.UTC), false},
		{"/Date(1518652800000)/", day, false},
		{"/Date(1518652800000+1300)/", day, false},
		{"/Date(-86400000+0000)/", time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), false},
		{"2018-02-15T00:00:00", day, false},
		{"2018-02-15", day, false},
		{"", time.Time{}, false},
		{"/Date(abc)/", time.Time{}, true},
		{"/Date(1518652800000", time.Time{}, true},
		{"15/02/2018", time.Time{}, true},
	}

	for _, c := range cases {
		got, err := parseDate(c.in)
		if (err != nil) != c.wantErr || !got.Equal(c.want) {
			t.Errorf("parseDate(%q) = %s, %v; want %s, error %v", c.in, got, err, c.want,
				c.wantErr)
		}
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()

	cases := []struct {
		in      string
		exp     int
		want    int64
		wantErr bool
	}{
		{"745.41", 2, 74541, false},
		{"14.9", 2, 1490, false},
		{"0.00", 2, 0, false},
		{"1000000000.07", 2, 100000000007, false},
		{"90071992547409.93", 2, 9007199254740993, false},
		{"1500.4999999", 2, 150050, false}, // a double's artefact, rounded on the text
		{"-3.005", 2, -301, false},
		{"1500.00", 0, 1500, false},
		{"1.234", 3, 1234, false},
		{"1e3", 2, 0, true},
		{"abc", 2, 0, true},
	}

	for _, c := range cases {
		got, err := parseAmount(json.Number(c.in), c.exp)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("parseAmount(%q, %d) = %d, %v; want %d, error %v", c.in, c.exp, got, err,
				c.want, c.wantErr)
		}
	}
}

func TestBuildLine(t *testing.T) {
	t.Parallel()

	c := &Client{cfg: Config{SalesAccountCode: "200"}}
	cases := []struct {
		qty              string
		unit, amount     int64
		wantQty, wantDis string
		wantErr          bool
	}{
		{"1", 74541, 74541, "1", "", false},
		{"2.5", 3, 8, "2.5", "", false},
		{"0.0001", 10000, 1, "0.0001", "", false},
		{"3", 1999, 5000, "3", "9.97", false},
		{"", 500, 500, "1", "", false},
		{"2", 500, 1001, "", "", true},      // more than quantity × price
		{"-1", 500, -500, "", "", true},     // negative quantity
		{"1.00001", 500, 500, "", "", true}, // beyond Xero's four decimals
	}

	for _, tc := range cases {
		xl, err := c.buildLine(lineItem(tc.qty, tc.unit, tc.amount), 2)
		if (err != nil) != tc.wantErr {
			t.Errorf("buildLine(%s × %d = %d) error %v, want error %v", tc.qty, tc.unit,
				tc.amount, err, tc.wantErr)
			continue
		}

		if err == nil && (string(xl.Quantity) != tc.wantQty ||
			string(xl.DiscountAmount) != tc.wantDis || xl.AccountCode != "200") {
			t.Errorf("buildLine(%s × %d = %d) = %+v", tc.qty, tc.unit, tc.amount, xl)
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()

	if got := idempotencyKey("o2c-invoice-", "INV-1"); got != "o2c-invoice-INV-1" {
		t.Errorf("short key = %q", got)
	}

	long := string(make([]byte, 200))
	k1 := idempotencyKey("o2c-invoice-", long)
	k2 := idempotencyKey("o2c-invoice-", long+"x")

	if len(k1) > maxKey || k1 == k2 || k1 != idempotencyKey("o2c-invoice-", long) {
		t.Errorf("long keys %q %q: want ≤128 chars, distinct, stable", k1, k2)
	}
}

func lineItem(qty string, unit, amount int64) billing.LineItem {
	return billing.LineItem{Name: "x", Quantity: qty, UnitPrice: unit, Amount: amount}
}
