package lockbox_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/o2c-dev/o2c/connectors/bank/lockbox"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// pad writes every record padded with blanks to n characters.
func pad(recs []string, n int) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r + strings.Repeat(" ", n-len([]rune(r)))
	}

	return out
}

// perLine writes k padded records on each line.
func perLine(recs []string, k int) []byte {
	var b strings.Builder
	for i, r := range recs {
		b.WriteString(r)
		if (i+1)%k == 0 || i == len(recs)-1 {
			b.WriteString("\n")
		}
	}

	return []byte(b.String())
}

// utf8Records decodes the Windows-1252 fixture to UTF-8 records.
func utf8Records(t *testing.T, data []byte) []string {
	t.Helper()

	text, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		t.Fatal(err)
	}

	return records(text)
}

// The same transmission in other bytes reads to the same checks with the same
// keys: LF, CRLF or CR line endings, records blocked without line breaks,
// several records per line, UTF-8 with or without BOM instead of
// Windows-1252, and a re-sent copy with a new header time and renumbered
// batches.
func TestSameChecksInOtherBytesKeepTheirKeys(t *testing.T) {
	t.Parallel()

	raw := readFixture(t, multiBatch)
	recs := records(raw)
	u := utf8Records(t, raw)

	resent := make([]string, len(recs))
	for i, r := range recs {
		r = strings.Replace(r, "2503140615", "2503141830", 1)
		if len(r) > 4 && strings.ContainsRune("4567", rune(r[0])) {
			r = r[:1] + strings.NewReplacer("001", "011", "002", "012").Replace(r[1:4]) + r[4:]
		}

		resent[i] = r
	}

	variants := map[string][]byte{
		"crlf":         raw,
		"lf":           join(recs, "\n"),
		"cr":           join(recs, "\r"),
		"no final eol": []byte(strings.Join(recs, "\n")),
		"blocked 104":  []byte(strings.Join(pad(recs, 104), "")),
		"blocked 160":  []byte(strings.Join(pad(recs, 160), "")),
		"3 per line":   perLine(pad(recs, 104), 3),
		"utf-8":        join(u, "\n"),
		"utf-8 bom":    append([]byte("\xEF\xBB\xBF"), join(u, "\r\n")...),
		"utf-8 blocks": []byte(strings.Join(pad(u, 104), "")),
		"re-sent":      join(resent, "\n"),
	}

	base := mustRead(t, "crlf", raw, lockbox.Options{})

	for name, data := range variants {
		f := mustRead(t, name, data, lockbox.Options{})
		if f.Controls != bankfile.ControlsOK || len(f.Transactions) != len(base.Transactions) {
			t.Errorf("%s: controls %q, %d transactions, warnings %v", name, f.Controls,
				len(f.Transactions), f.Warnings)
			continue
		}

		if !reflect.DeepEqual(keysOf(f), keysOf(base)) {
			t.Errorf("%s: keys\n%v\nwant\n%v", name, keysOf(f), keysOf(base))
		}

		for i, tr := range f.Transactions {
			b := base.Transactions[i]
			if tr.Amount != b.Amount || tr.PayerName != b.PayerName ||
				!reflect.DeepEqual(tr.Remits, b.Remits) || tr.BankRef != b.BankRef {
				t.Errorf("%s check %d:\n got %+v\nwant %+v", name, i, tr, b)
			}

			if name != "3 per line" && tr.Line != b.Line {
				t.Errorf("%s check %d: line %d, want %d", name, i, tr.Line, b.Line)
			}
		}
	}
}

// An intraday transmission with the first batch and the day's final one with
// both give the first batch's checks the same keys.
func TestIntradayAndFinalShareKeys(t *testing.T) {
	t.Parallel()

	recs := records(readFixture(t, multiBatch))
	intraday := append(append([]string(nil), recs[:11]...),
		"8000000000441725031400020000413550", "9000013")

	early := mustRead(t, "intraday", join(intraday, "\n"), lockbox.Options{})
	final := mustRead(t, "final", join(recs, "\n"), lockbox.Options{})

	if len(early.Transactions) != 2 || !reflect.DeepEqual(keysOf(early), keysOf(final)[:2]) {
		t.Errorf("intraday keys %v, final %v", keysOf(early), keysOf(final))
	}
}

// Two genuinely identical checks in one file (same payer account, check
// number, amount and day) both count, under different keys that a re-read
// gives again.
func TestIdenticalChecksGetOccurrenceKeys(t *testing.T) {
	t.Parallel()

	recs := records(readFixture(t, b18Fixture))
	dup := []string{
		"6|001|0003|CHK|00002204|0000096000|122105278|0000881234|INITECH LLC",
		"6|001|0004|CHK|00002204|0000096000|122105278|0000881234|INITECH LLC",
	}
	data := append(append(recs[:9:9], dup...), "7|001|0004|0000605550", "9|0001|0004|0000605550")

	f := mustRead(t, "dup", join(data, "\n"), lockbox.Options{})
	again := mustRead(t, "dup", join(data, "\r\n"), lockbox.Options{})

	keys := keysOf(f)
	base := "lockbox:LBX2090:20250310:122105278:881234:2204:96000"
	want := []string{"lockbox:LBX2090:20250310:21000021:4455667:5531:317550", base,
		base + "#2", base + "#3"}

	if !reflect.DeepEqual(keys, want) || !reflect.DeepEqual(keysOf(again), want) {
		t.Errorf("keys %v\nagain %v\nwant %v", keys, keysOf(again), want)
	}

	if n, total := f.Credits(); n != 4 || total != 605550 {
		t.Errorf("%d credits for %d: identical checks must all count", n, total)
	}
}

func ExampleRead() {
	data := strings.Join([]string{
		"1|LBX100|EXAMPLE PAYEE|20250102|0800",
		"5|001|20250102",
		"6|001|0001|CHK|1001|0000150000|011000015|000123456|EXAMPLE PAYER",
		"4|001|0001|01|INV-1|0000100000",
		"4|001|0001|02|INV-2|0000050000",
		"7|001|0001|0000150000",
		"9|0001|0001|0000150000",
	}, "\n")

	f, err := lockbox.Read("example.lbx", []byte(data))
	if err != nil {
		fmt.Println(err)
		return
	}

	for _, t := range f.Transactions {
		fmt.Println(t.Amount, t.PayerAccount, t.BankRef, t.Remits, f.Controls)
	}

	// Output:
	// 1500.00 USD 011000015:000123456 1001 [{INV-1  100000 0 0} {INV-2  50000 0 0}] ok
}

// A blocked UTF-8 file whose first 4 KiB end inside a two-byte character is
// still read as UTF-8, on character columns.
func TestBlockedUTF8CutAtTheDetectionWindow(t *testing.T) {
	t.Parallel()

	recs := []string{
		"100NWTRADERS 02100002102503140615",
		"2NWTRADERS 0210000210000000000040008000801",
		"50010000004417250314NWTRADERS 0210000210",
	}

	var total int64
	for i := 1; i <= 36; i++ {
		amount := int64(10000 + i)
		total += amount
		recs = append(recs, fmt.Sprintf("6001%03d%010d021000021%010d%010d031025%-30s", i, amount,
			4455667+i, 7000+i, fmt.Sprintf("CUSTOMER %d", i)))
	}

	// Record 40 starts at byte 39*104 = 4056; its column 40 is byte 4095, the
	// last of the 4096 bytes examined for line breaks.
	ref := strings.Repeat("X", 28) + "É"
	recs = append(recs, "4001036601"+"9"+ref,
		fmt.Sprintf("7001000000441725031403%d%010d", 6, total),
		fmt.Sprintf("80000000004417250314%04d%010d", 36, total), "9000043")

	data := []byte(strings.Join(pad(recs, 104), ""))
	if !strings.HasPrefix(string(data[4095:]), "É") {
		t.Fatalf("fixture lost its trap: byte 4095 is %q", data[4095:4097])
	}

	f := mustRead(t, "cut", data, lockbox.Options{})
	if f.Encoding != "utf-8" || len(f.Transactions) != 36 ||
		!reflect.DeepEqual(remitsOf(f.Transactions[35]), []remit{{ref, 10036}}) {
		t.Errorf("encoding %q, %d checks, last remits %v, warnings %v", f.Encoding,
			len(f.Transactions), remitsOf(f.Transactions[35]), f.Warnings)
	}
}
