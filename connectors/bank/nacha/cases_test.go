package nacha_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

const b08Fixture = "b08-ctx-820-split-addenda.ach"

// paymentInfo returns positions 4-83 of the addenda records of a fixture.
func paymentInfo(ls []string) []string {
	var out []string

	for _, l := range ls {
		if strings.HasPrefix(l, "705") {
			out = append(out, l[3:83])
		}
	}

	return out
}

// B08: the payment related information of CTX addenda is joined on all 80
// positions, never trimmed at a record boundary, then read as X12 820.
func TestB08CTXAddendaJoinedOnAllPositions(t *testing.T) {
	t.Parallel()

	data := readFixture(t, b08Fixture)

	// The fixture must keep its traps: a boundary on a significant blank inside
	// the payer's name, one after a leading blank, one inside an invoice number.
	info := paymentInfo(lines(data))
	if len(info) != 6 || !strings.HasSuffix(info[2], "*NORTHWIND TRADERS ") ||
		!strings.HasPrefix(info[3], "INC\\") || !strings.HasPrefix(info[2], " PER CONTRACT") ||
		!strings.HasSuffix(info[4], "RMR*IV*INV-2004") ||
		!strings.HasPrefix(info[5], "5**1361.37") {
		t.Fatalf("fixture lost its record-boundary traps: %q", info)
	}

	f := mustRead(t, b08Fixture, data)
	if len(f.Transactions) != 1 || f.Controls != bankfile.ControlsOK {
		t.Fatalf("%d transactions, controls %q", len(f.Transactions), f.Controls)
	}

	tr := f.Transactions[0]
	if tr.Direction != bankfile.Credit || tr.Kind != bankfile.KindPayment ||
		tr.Amount.Minor != 246137 || tr.BankRef != "071000010000007" {
		t.Errorf("entry: %s %s %d trace %q", tr.Direction, tr.Kind, tr.Amount.Minor, tr.BankRef)
	}

	if tr.PayerName != "NORTHWIND TRADERS INC" || tr.PayerID != "9876543210" {
		t.Errorf("payer %q id %q, want the N1*PR name and the company id", tr.PayerName, tr.PayerID)
	}

	if tr.PaymentRef != "NWPAY-20260302-01" || tr.Problem != "" {
		t.Errorf("payment ref %q problem %q", tr.PaymentRef, tr.Problem)
	}

	want := []bankfile.Remit{
		{RefType: "IV", Ref: "INV-20031", Paid: 110000, Invoiced: 110000},
		{RefType: "IV", Ref: "INV-20045", Paid: 136137, Invoiced: 138915, Discount: 2778},
	}
	if !reflect.DeepEqual(tr.Remits, want) {
		t.Errorf("remits %+v, want %+v", tr.Remits, want)
	}

	for _, s := range []string{
		"MARCH DELIVERIES PER CONTRACT", "ACCOUNTS RECEIVABLE", "N1*PR*NORTHWIND TRADERS INC\\",
	} {
		if !strings.Contains(tr.Remittance, s) {
			t.Errorf("remittance %q lacks %q", tr.Remittance, s)
		}
	}

	if strings.HasSuffix(tr.Remittance, " ") || tr.Account != "021000021:000555666777" {
		t.Errorf("remittance not trimmed at the end or account %q wrong", tr.Account)
	}
}

// Addenda out of file order are joined in addenda sequence order.
func TestB08AddendaJoinedInSequenceOrder(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b08Fixture))
	ls[3], ls[5] = ls[5], ls[3] // addenda 0001 and 0003

	f := mustRead(t, "shuffled.ach", joinLines(ls))
	inOrder := mustRead(t, b08Fixture, readFixture(t, b08Fixture))

	got, want := f.Transactions[0], inOrder.Transactions[0]
	if !reflect.DeepEqual(got.Remits, want.Remits) || got.Remittance != want.Remittance ||
		got.PayerName != want.PayerName {
		t.Errorf("shuffled addenda read differently:\n%+v\n%+v", got, want)
	}
}

// The segment terminator is taken from the data: '~' works like '\'.
func TestB08TerminatorDetectedFromData(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b08Fixture))
	for i, l := range ls {
		if strings.HasPrefix(l, "705") {
			ls[i] = l[:3] + strings.ReplaceAll(l[3:83], `\`, "~") + l[83:]
		}
	}

	f := mustRead(t, "tilde.ach", joinLines(ls))
	tr := f.Transactions[0]

	if len(tr.Remits) != 2 || tr.Remits[1].Ref != "INV-20045" ||
		tr.PayerName != "NORTHWIND TRADERS INC" {
		t.Errorf("with '~' terminators: remits %+v payer %q", tr.Remits, tr.PayerName)
	}
}

// B08: when the RMR amounts disagree with the entry, the transaction carries a
// problem (it goes to the exception queue) but the file is still read.
func TestB08RemittanceTotalMismatchFlagsTransaction(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b08Fixture))
	changed := false

	for i, l := range ls {
		if strings.HasPrefix(l, "705") && strings.Contains(l, "**1361.37*") {
			ls[i] = strings.Replace(l, "**1361.37*", "**1261.37*", 1)
			changed = true
		}
	}

	if !changed {
		t.Fatal("RMR04 of INV-20045 not found in the fixture")
	}

	f := mustRead(t, "short-remit.ach", joinLines(ls))
	tr := f.Transactions[0]

	if tr.Problem != "remittance total 2361.37 != entry amount 2461.37" {
		t.Errorf("problem %q", tr.Problem)
	}

	if f.Controls != bankfile.ControlsOK || tr.Remits[1].Paid != 126137 {
		t.Errorf("controls %q, paid %d", f.Controls, tr.Remits[1].Paid)
	}
}

const b10Fixture = "b10-ccd-crlf.ach"

// B10: CRLF, LF, CR and no separators at all read alike, with or without a
// terminator after the last record, and no field keeps a '\r'.
func TestB10LineEndingsReadAlike(t *testing.T) {
	t.Parallel()

	crlf := readFixture(t, b10Fixture)
	if strings.Count(string(crlf), "\r\n") != 10 || len(crlf) != 10*96 {
		t.Fatalf("fixture is not ten CRLF-terminated 94-character records (%d bytes)", len(crlf))
	}

	s := string(crlf)
	variants := map[string]string{
		"crlf":              s,
		"crlf-no-last":      strings.TrimSuffix(s, "\r\n"),
		"lf":                strings.ReplaceAll(s, "\r\n", "\n"),
		"lf-no-last":        strings.TrimSuffix(strings.ReplaceAll(s, "\r\n", "\n"), "\n"),
		"cr":                strings.ReplaceAll(s, "\r\n", "\r"),
		"none":              strings.ReplaceAll(s, "\r\n", ""),
		"none-with-last-lf": strings.ReplaceAll(s, "\r\n", "") + "\n",
	}

	if len(variants["none"]) != 940 {
		t.Fatalf("no-separator variant has %d bytes, want 940", len(variants["none"]))
	}

	base := mustRead(t, "b10.ach", crlf)

	for name, v := range variants {
		f := mustRead(t, "b10.ach", []byte(v))

		if !reflect.DeepEqual(f.Transactions, base.Transactions) || f.Controls != base.Controls {
			t.Errorf("%s: read differently from CRLF:\n%+v\n%+v",
				name, f.Transactions, base.Transactions)
		}

		for _, str := range stringFields(reflect.ValueOf(f)) {
			if strings.ContainsRune(str, '\r') {
				t.Errorf("%s: a field contains a carriage return: %q", name, str)
			}
		}
	}

	tr := base.Transactions[0]
	want := []bankfile.Remit{{RefType: "IV", Ref: "INV-7781", Paid: 327500}}

	if base.Controls != bankfile.ControlsOK || len(base.Transactions) != 1 ||
		tr.Direction != bankfile.Credit || tr.Amount.Minor != 327500 ||
		tr.PayerName != "INITECH LLC" || tr.PayerID != "1122334455" ||
		tr.BankRef != "026009590000042" || !reflect.DeepEqual(tr.Remits, want) {
		t.Errorf("B10 content: %+v", tr)
	}

	for _, w := range base.Warnings {
		if w.Field == "record length" {
			t.Errorf("CRLF file warned about record length: %v", w)
		}
	}
}
