package bankcsv_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// Scan hands rows to emit while the rest of the file is still unwritten: the
// writer waits for the first emitted row before it writes the last ones, so a
// reader that held the whole file would never see it. (The first 64 KiB are
// read ahead to choose the profile.)
func TestScanEmitsBeforeTheEnd(t *testing.T) {
	t.Parallel()

	pr, pw := io.Pipe()
	first := make(chan struct{})
	wrote := make(chan error, 1)

	go func() {
		fmt.Fprintln(pw, "Date,Description,Amount,Currency")

		for i := range 3000 {
			fmt.Fprintf(pw, "2025-03-%02d,ROW %d,%d.00,EUR\n", 1+i%28, i, 1+i)
		}

		select {
		case <-first:
		case <-time.After(10 * time.Second):
			wrote <- errors.New("no row emitted before the end of the file")
			_ = pw.CloseWithError(errors.New("timeout"))

			return
		}

		fmt.Fprintln(pw, "2025-03-30,LAST,1.00,EUR")
		wrote <- pw.Close()
	}()

	n := 0

	f, err := bankcsv.Scan("pipe.csv", pr, func(tx bankfile.Transaction) error {
		if n++; n == 1 {
			close(first)
		}

		if tx.Seq != n {
			return fmt.Errorf("seq %d at %d", tx.Seq, n)
		}

		return nil
	})
	if werr := <-wrote; werr != nil {
		t.Fatal(werr)
	}

	if err != nil || n != 3001 || f.Transactions != nil || f.Currency != "EUR" {
		t.Fatalf("scan: %v, %d emitted, file %+v", err, n, f)
	}
}

// Rows whose dates fit both orders are held back until a later row decides,
// then emitted in file order with that order.
func TestScanHoldsAmbiguousRowsUntilDecided(t *testing.T) {
	t.Parallel()

	var b strings.Builder

	b.WriteString(b23Header + "\n")

	for i := range 500 {
		fmt.Fprintf(&b, "%02d/%02d/2025,ACME,INV-%d,10.00,GBP\n", 1+i%12, 1+(i/12)%12, i)
	}

	b.WriteString("25/12/2025,ACME,INV-LAST,10.00,GBP\n")

	var got []bankfile.Transaction

	_, err := bankcsv.Scan("held.csv", strings.NewReader(b.String()),
		func(tx bankfile.Transaction) error {
			got = append(got, tx)
			return nil
		})
	if err != nil || len(got) != 501 {
		t.Fatalf("%v, %d transactions", err, len(got))
	}

	// Row i = 1 is 02/01/2025: day-first, so 2 January.
	if !got[1].BookingDate.Equal(day(2025, 1, 2)) || got[1].PaymentRef != "INV-1" ||
		!got[500].BookingDate.Equal(day(2025, 12, 25)) {
		t.Fatalf("row 1 %v %s, last %v", got[1].BookingDate, got[1].PaymentRef,
			got[500].BookingDate)
	}
}

// When more rows than can be held back leave the order open, the file is
// rejected as ambiguous, even though a much later row would have decided.
func TestScanAmbiguousBeyondTheWindow(t *testing.T) {
	t.Parallel()

	var b bytes.Buffer

	b.WriteString("Date,Amount,Currency\n")

	for i := range 100_001 {
		fmt.Fprintf(&b, "%02d/%02d/2025,1.00,EUR\n", 1+i%12, 1+(i/12)%12)
	}

	b.WriteString("25/12/2025,1.00,EUR\n")

	_, err := bankcsv.Scan("long.csv", &b, func(bankfile.Transaction) error { return nil })

	var be *bankfile.Error
	if !errors.As(err, &be) || len(be.Problems) != 1 ||
		!strings.Contains(be.Problems[0].Message, "date format ambiguous: every date of "+
			"the first 100000 rows") {
		t.Fatalf("error %v", err)
	}
}

func TestScanReturnsEmitError(t *testing.T) {
	t.Parallel()

	stop := errors.New("store full")
	n := 0

	_, err := bankcsv.Scan("stop.csv", bytes.NewReader(generate(500)),
		func(bankfile.Transaction) error {
			if n++; n == 3 {
				return stop
			}

			return nil
		})
	if err != stop || n != 3 {
		t.Fatalf("error %v after %d rows, want the emit error itself after 3", err, n)
	}
}

// Encodings decided as the bytes come: an ASCII start followed, past the
// first 64 KiB, by Windows-1252 text; and UTF-8 followed by a stray byte.
func TestScanEncodingDecidedLate(t *testing.T) {
	t.Parallel()

	ascii := "Buchungstag;Payer;Betrag;Currency\n" +
		strings.Repeat("03.02.2025;Schmidt & Co;1,00;EUR\n", 3000)

	cp, err := charmap.Windows1252.NewEncoder().String(ascii +
		"04.02.2025;Müller & Söhne;2,00;EUR\n")
	if err != nil {
		t.Fatal(err)
	}

	f := mustRead(t, "late.csv", []byte(cp))
	if f.Encoding != "windows-1252" || f.Transactions[3000].PayerName != "Müller & Söhne" {
		t.Fatalf("encoding %s, payer %q", f.Encoding, f.Transactions[3000].PayerName)
	}

	if f := mustRead(t, "ascii.csv", []byte(ascii)); f.Encoding != "ascii" {
		t.Fatalf("ascii file read as %s", f.Encoding)
	}

	mixed := "Buchungstag;Empfänger;Betrag;Währung\n03.02.2025;Müller;1,00;EUR\n" +
		"04.02.2025;M\xfcller;2,00;EUR\n"

	ps := mustReject(t, "mixed.csv", []byte(mixed))
	if len(ps) != 1 || ps[0].Field != "encoding" || !strings.Contains(ps[0].Message,
		"mixes encodings") {
		t.Fatalf("problems %v", ps)
	}

	// The stray byte far beyond the bytes that chose UTF-8.
	late := "Buchungstag;Empfänger;Betrag;Währung\n" +
		strings.Repeat("03.02.2025;Schmidt;1,00;EUR\n", 3000) + "04.02.2025;M\xfcller;2,00;EUR\n"

	ps = mustReject(t, "late-mixed.csv", []byte(late))
	if len(ps) != 1 || ps[0].Field != "encoding" || ps[0].Line != 3002 {
		t.Fatalf("problems %v, want the encoding on line 3002", ps)
	}
}

// An unclosed quote must not read the rest of a big file into one field.
func TestScanUnclosedQuote(t *testing.T) {
	t.Parallel()

	data := "Date,Description,Amount,Currency\n2025-02-03,\"open quote,1.00,EUR\n" +
		strings.Repeat("2025-02-03,more,1.00,EUR\n", 60_000)

	ps := mustReject(t, "quote.csv", []byte(data))
	if len(ps) != 1 || ps[0].Field != "csv" || !strings.Contains(ps[0].Message, "1 MiB") {
		t.Fatalf("problems %v", ps)
	}
}

// TestB22CaseShape reads an export shaped like case B22 (';', decimal comma,
// dot thousands, value date, payer, remittance, transaction id): -0,00 keeps
// its debit direction, zero lines are notices rather than receipts, the fee is
// a charge, nothing reads as negative zero, and the net movement holds.
func TestB22CaseShape(t *testing.T) {
	t.Parallel()

	data := lines("Buchungstag;Valuta;Auftraggeber/Empfänger;Verwendungszweck;Betrag;Währung;"+
		"Transaktions-ID",
		"07.02.2025;07.02.2025;BEISPIEL KUNDE KG;RE 2025-0777;2.468,10;EUR;ZX-10",
		"07.02.2025;07.02.2025;MUSTERBANK AG;ENTGELT KONTOFUEHRUNG 01/2025;-0,00;EUR;ZX-11",
		"08.02.2025;08.02.2025;MUSTERBANK AG;HABENZINSEN Q1/2025;0,00;EUR;ZX-12",
		"08.02.2025;08.02.2025;MUSTERBANK AG;ENTGELT SEPA-AUSLAND;-9,50;EUR;ZX-13")

	f := mustRead(t, "b22.csv", data)

	want := []struct {
		minor int64
		dir   bankfile.Direction
		kind  bankfile.Kind
	}{
		{246810, "credit", "payment"}, {0, "debit", "notice"}, {0, "credit", "notice"},
		{950, "debit", "charge"},
	}

	var net int64

	for i, w := range want {
		tx := f.Transactions[i]
		if tx.Amount.Minor != w.minor || tx.Direction != w.dir || tx.Kind != w.kind ||
			tx.Problem != "" {
			t.Errorf("row %d: %d %s %s %q, want %+v", i, tx.Amount.Minor, tx.Direction, tx.Kind,
				tx.Problem, w)
		}

		if strings.HasPrefix(tx.Amount.Decimal(), "-") || strings.Contains(tx.Amount.String(),
			"-0") {
			t.Errorf("row %d shows %s", i, tx.Amount)
		}

		if tx.Direction == bankfile.Debit {
			net -= tx.Amount.Minor
		} else {
			net += tx.Amount.Minor
		}
	}

	if n, sum := f.Credits(); n != 1 || sum != 246810 {
		t.Errorf("receipts %d / %d, want only the 2,468.10 payment", n, sum)
	}

	if net != 245860 {
		t.Errorf("net movement %d, want +2,458.60", net)
	}
}

// TestB23CaseShape reads an export shaped like case B23 with a profile that
// states DD/MM/YYYY as a layout, and without one (the column decides).
func TestB23CaseShape(t *testing.T) {
	t.Parallel()

	data := lines(b23Header,
		"05/06/2025,SAMPLE CUSTOMER LTD,INV-9101,640.00,GBP",
		"17/06/2025,SAMPLE CUSTOMER LTD,INV-9102,75.25,GBP",
		"06/07/2025,SAMPLE TRADING LTD,INV-9103,1010.00,GBP")

	p := byHeader("uk-bank", "Date", "Description", "Reference", "Amount", "Currency")
	p.DateLayouts = []string{"DD/MM/YYYY"}

	want := []time.Time{day(2025, 6, 5), day(2025, 6, 17), day(2025, 7, 6)}

	for _, f := range []*bankfile.File{mustRead(t, "profile", data, p),
		mustRead(t, "guess", data)} {
		for i, tx := range f.Transactions {
			if !tx.BookingDate.Equal(want[i]) || tx.PaymentRef != fmt.Sprintf("INV-910%d", i+1) {
				t.Errorf("%s row %d: %v %s", f.Profile, i, tx.BookingDate, tx.PaymentRef)
			}
		}
	}

	allAmbiguous := lines(b23Header, "05/06/2025,SAMPLE CUSTOMER LTD,INV-9101,640.00,GBP",
		"06/07/2025,SAMPLE TRADING LTD,INV-9103,1010.00,GBP")

	if ps := mustReject(t, "ambiguous", allAmbiguous); len(ps) != 1 ||
		!strings.Contains(ps[0].Message, "date format ambiguous") {
		t.Errorf("no profile: %v", ps)
	}

	if f := mustRead(t, "with profile", allAmbiguous, p); !f.Transactions[1].BookingDate.Equal(
		day(2025, 7, 6)) {
		t.Errorf("profile: %v", f.Transactions[1].BookingDate)
	}

	impossible := lines(b23Header, "31/02/2025,SAMPLE CUSTOMER LTD,INV-9104,1.00,GBP")
	if ps := mustReject(t, "31 feb", impossible, p); len(ps) != 1 || ps[0].Value != "31/02/2025" {
		t.Errorf("31/02/2025: %v", ps)
	}
}
