package bai2_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/bai2"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
)

// Non-ASCII text is decoded to UTF-8 whatever the file's encoding; the
// encoding is reported and the keys do not change.
func TestEncodings(t *testing.T) {
	t.Parallel()

	base := build("111", "EUR", "250228", 0,
		det{code: 195, amount: 9900, bankRef: "W1", text: "MÜLLER & SÖHNE € INV-55"})
	want := mustRead(t, "utf8.bai2", []byte(base), bai2.Options{})

	if want.Encoding != "utf-8" || want.Transactions[0].Remittance != "MÜLLER & SÖHNE € INV-55" {
		t.Fatalf("utf-8: %s %q", want.Encoding, want.Transactions[0].Remittance)
	}

	cp1252 := strings.NewReplacer("Ü", "\xdc", "Ö", "\xd6", "€", "\x80").Replace(base)
	latin1 := strings.NewReplacer("Ü", "\xdc", "Ö", "\xd6", "€", "\x9d").Replace(base)

	utf16 := []byte{0xFF, 0xFE}
	for _, r := range base {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}

	for _, c := range []struct {
		name, encoding, text string
		data                 []byte
	}{
		{"bom", "utf-8-bom", "MÜLLER & SÖHNE € INV-55", []byte("\ufeff" + base)},
		{"cp1252", "windows-1252", "MÜLLER & SÖHNE € INV-55", []byte(cp1252)},
		{"latin1", "iso-8859-1", "MÜLLER & SÖHNE \u009d INV-55", []byte(latin1)},
		{"utf16", "utf-16", "MÜLLER & SÖHNE € INV-55", utf16},
	} {
		f := mustRead(t, c.name, c.data, bai2.Options{})
		tx := f.Transactions[0]

		if f.Encoding != c.encoding || tx.Remittance != c.text ||
			tx.DedupeKey != want.Transactions[0].DedupeKey {
			t.Errorf("%s: encoding %s, text %q, key %q", c.name, f.Encoding, tx.Remittance,
				tx.DedupeKey)
		}
	}
}

// NUL and other control bytes in text become blanks: no text field holds a
// NUL, and the file says so in a warning.
func TestControlCharactersBecomeBlanks(t *testing.T) {
	t.Parallel()

	text := build("111", "USD", "250228", 0,
		det{code: 142, amount: 100, bankRef: "A\x001", text: "ACME\x00CORP\x1aINV-9"})
	f := mustRead(t, "nul.bai2", []byte(text), bai2.Options{})

	tx := f.Transactions[0]
	if tx.Remittance != "ACME CORP INV-9" || tx.BankRef != "A 1" || len(f.Warnings) != 1 ||
		f.Warnings[0].Field != "encoding" {
		t.Errorf("remittance %q bank ref %q warnings %v", tx.Remittance, tx.BankRef, f.Warnings)
	}
}

// A line longer than 64 KiB without a line break or a record-ending '/' is
// rejected cleanly; a file without line breaks at all is read in pieces.
func TestLongLines(t *testing.T) {
	t.Parallel()

	long := build("111", "USD", "250228", 0,
		det{code: 142, amount: 100, text: strings.Repeat("X", 70_000)})
	be := mustReject(t, "long.bai2", []byte(long), bai2.Options{})

	if p := be.Problems[0]; p.Field != "line" || p.Line != 4 || len(be.Problems) != 1 {
		t.Errorf("problems %+v", be.Problems)
	}

	var dets []det
	for i := range 4000 {
		dets = append(dets, det{code: 142, amount: int64(100 + i), bankRef: "R" + strconv.Itoa(i),
			text: "PAYMENT " + strconv.Itoa(i)})
	}

	lf := build("111", "USD", "250228", 0, dets...)
	oneLine := strings.ReplaceAll(lf, "/\n", "/")

	if len(oneLine) < 128<<10 || strings.Contains(strings.TrimSpace(oneLine), "\n") {
		t.Fatalf("generated %d bytes", len(oneLine))
	}

	want := mustRead(t, "lf.bai2", []byte(lf), bai2.Options{})
	got := mustRead(t, "oneline.bai2", []byte(oneLine), bai2.Options{})

	if len(got.Transactions) != 4000 || !reflect.DeepEqual(keysOf(t, got), keysOf(t, want)) {
		t.Fatalf("%d transactions from the one-line file", len(got.Transactions))
	}

	for i, tx := range got.Transactions {
		if tx.Remittance != want.Transactions[i].Remittance || tx.Line != 1 {
			t.Fatalf("transaction %d: %q on line %d", i, tx.Remittance, tx.Line)
		}
	}
}

// Text that happens to hold a '/' followed by a record code is data: only a
// '/' followed by something shaped like a record starts one.
func TestSlashesInTextAreData(t *testing.T) {
	t.Parallel()

	texts := []string{
		"PAID 1/16, 2/16 AND 3/16",
		"INVOICE DATED 12/03,2025 / 88, SEE ABOVE",
		"REF A/B/C/49,X",
		"INV 77/99,1,2 PART",
		"/LEADING AND TRAILING/",
	}

	var dets []det
	for i, text := range texts {
		dets = append(dets, det{code: 142, amount: int64(100 + i), text: text,
			conts: []string{"/MORE/TEXT/" + strconv.Itoa(i)}})
	}

	f := mustRead(t, "slashes.bai2", []byte(build("111", "USD", "250228", 0, dets...)),
		bai2.Options{})

	for i, text := range texts {
		want := text + " /MORE/TEXT/" + strconv.Itoa(i)
		if got := f.Transactions[i].Remittance; got != want {
			t.Errorf("transaction %d: %q, want %q", i, got, want)
		}
	}
}

// Short records: a detail without funds type, references or text, records
// without their closing '/', an account without currency or summaries.
func TestShortRecords(t *testing.T) {
	t.Parallel()

	data := []byte("01,TESTBANK,WIDGETCO,250301,0700,42,,,2\r\n" +
		"02,WIDGETCO,TESTBANK,1,250228\r\n" +
		"03,111\r\n" +
		"16,142,100/\r\n" +
		"16,475,50\r\n" +
		"88,TEXT OF THE DEBIT\r\n" +
		"49,150,5\r\n" +
		"98,150,1,7\r\n" +
		"99,150,1,9")

	f := mustRead(t, "short.bai2", data, bai2.Options{})
	if len(f.Transactions) != 2 || f.Controls != bankfile.ControlsOK {
		t.Fatalf("%d transactions, controls %s", len(f.Transactions), f.Controls)
	}

	cr, db := f.Transactions[0], f.Transactions[1]
	if cr.Amount != money.New(100, "USD") || cr.BankRef != "" || cr.Remittance != "" ||
		db.Direction != bankfile.Debit || db.Remittance != "TEXT OF THE DEBIT" {
		t.Errorf("transactions %+v", f.Transactions)
	}
}

// Lines that belong to no record (a transmission header before the 01, a
// trailer line after the 99) are skipped with a warning.
func TestTransmissionLinesSkipped(t *testing.T) {
	t.Parallel()

	text := "$$ADD ID=WIDGETCO BID='BAI2 PRIOR DAY'\n" + standard() + "END OF TRANSMISSION\n"
	f := mustRead(t, "wrapped.bai2", []byte(text), bai2.Options{})

	if len(f.Transactions) != 5 || f.Controls != bankfile.ControlsOK || len(f.Warnings) != 2 ||
		f.Warnings[0].Line != 1 || f.Warnings[1].Line != 20 || f.Transactions[0].Line != 5 {
		t.Fatalf("%d transactions, controls %s, warnings %v", len(f.Transactions), f.Controls,
			f.Warnings)
	}
}

// A 16 or 88 that fills the physical record length the 01 states (80) and
// has no '/' was cut there: its text goes on in the next 88 without a blank,
// so an invoice number cut in two reads whole. Shorter records are joined
// with a blank.
func TestTextCutAtRecordLength(t *testing.T) {
	t.Parallel()

	head := "16,142,1000,0,R1,,PAYMENT FOR INVOICES "
	tail := " INV-10"
	full := head + strings.Repeat("X", 80-len(head)-len(tail)) + tail

	if len(full) != 80 {
		t.Fatalf("line of %d characters", len(full))
	}

	file := func(header string) []byte {
		return lines(header,
			"02,WIDGETCO,TESTBANK,1,250228,2400,USD,2/",
			"03,111,USD/",
			full,
			"88,02, INV-1003/",
			"16,142,2000,0,R2,,SHORT LINE INV-20",
			"88,04/",
			"49,3000,6/",
			"98,3000,1,8/",
			"99,3000,1,10/")
	}

	f := mustRead(t, "cut.bai2", file("01,TESTBANK,WIDGETCO,250301,0700,1,80,1,2/"),
		bai2.Options{})

	wantFull := strings.TrimPrefix(full, "16,142,1000,0,R1,,")

	if got := f.Transactions[0].Remittance; got != wantFull+"02, INV-1003" {
		t.Errorf("full record: %q", got)
	}

	if got := f.Transactions[1].Remittance; got != "SHORT LINE INV-20 04" {
		t.Errorf("short record: %q", got)
	}

	// Without a stated record length nothing is glued.
	g := mustRead(t, "cut.bai2", file("01,TESTBANK,WIDGETCO,250301,0700,1,,,2/"), bai2.Options{})
	if got := g.Transactions[0].Remittance; got != wantFull+" 02, INV-1003" {
		t.Errorf("no record length: %q", got)
	}
}
