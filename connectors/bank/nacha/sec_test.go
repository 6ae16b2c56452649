package nacha_test

import (
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// corFixture turns the B10 credit into a notification of change: a COR batch,
// a zero-dollar entry with transaction code 21 and addenda, controls with no
// money.
func corFixture(t *testing.T, addenda string) []byte {
	t.Helper()

	if len(addenda) != 94 {
		t.Fatalf("addenda of %d characters", len(addenda))
	}

	ls := lines(readFixture(t, b10Fixture))
	for i := range ls {
		ls[i] = strings.TrimRight(ls[i], "\r")
	}

	ls[1] = setField(t, ls[1], 51, 53, "COR")
	ls[2] = setField(t, ls[2], 2, 3, "21")
	ls[2] = setField(t, ls[2], 30, 39, "0000000000")
	ls[3] = addenda
	ls[4] = setField(t, ls[4], 33, 44, "000000000000")
	ls[5] = setField(t, ls[5], 44, 55, "000000000000")

	return joinLines(ls)
}

// A refused notification of change (C61-C69) is read with its own layout: a
// notice, never cash, naming the refusal and the change code it refuses.
func TestRefusedNOCIsANotice(t *testing.T) {
	t.Parallel()

	addenda := "798C62" + "026009590000042" + "      " + "02100002" +
		fmtWidth("026009590000077", 29) + "C01" + "0000042" + "     " + "026009590000042"

	f := mustRead(t, "refused-noc.ach", corFixture(t, addenda))
	tr := f.Transactions[0]

	want := "C62 Incorrect Trace Number; corrected data: 026009590000077; " +
		"refuses change code C01"
	if tr.Kind != bankfile.KindNotice || tr.ReturnCode != "C62" ||
		tr.OriginalRef != "026009590000042" || tr.Remittance != want {
		t.Errorf("refused NOC: kind %q code %q original %q remittance %q",
			tr.Kind, tr.ReturnCode, tr.OriginalRef, tr.Remittance)
	}

	if n, _ := f.Credits(); n != 0 || f.Controls != bankfile.ControlsOK {
		t.Errorf("%d payment credits, controls %q", n, f.Controls)
	}

	for _, w := range f.Warnings {
		if strings.HasPrefix(w.Field, "addenda 98") {
			t.Errorf("refused NOC checked against the NOC layout: %v", w)
		}
	}
}

// POS terminal addenda (02) are checked against their layout.
func TestPOSTerminalAddendaChecked(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls[1] = setField(t, ls[1], 51, 53, "POS")
	ls[3] = "702" + "REF0001" + "AB1" + "TERM01" + "000123" + "1340" + "AUTH01" +
		fmtWidth("5 HARBOR ROAD", 27) + fmtWidth("PORTLAND", 15) + "ME" + "026009590000042"

	f := mustRead(t, "pos.ach", joinLines(ls))

	found := false
	for _, w := range f.Warnings {
		found = found || w.Field == "addenda 02 TransactionDate" && w.Line == 4
	}

	if !found {
		t.Errorf("month 13 in a terminal addenda not reported: %v", f.Warnings)
	}

	if tr := f.Transactions[0]; tr.Kind != bankfile.KindPayment || tr.Remittance != "" {
		t.Errorf("POS entry %+v", tr)
	}
}

func fmtWidth(s string, width int) string {
	return string(pad(nil, s, width))
}
