package mt940_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/mt940"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// eod is an end-of-day statement: two payments from one payer with the same
// amount and no references (genuinely two transactions), one with a bank
// reference, and a debit.
var eod = []string{
	":20:EOD-20250115",
	":25:DE89370400440532013000EUR",
	":28C:00042/001",
	":60F:C250114EUR1000,00",
	":61:2501150115C250,00NTRFNONREF",
	":86:166?00GUTSCHRIFT?20SVWZ+RE 2025-0001?32M\xdcLLER KG",
	":61:2501150115C250,00NTRFNONREF",
	":86:166?00GUTSCHRIFT?20SVWZ+RE 2025-0001?32M\xdcLLER KG",
	":61:2501150115C1234,56NTRFE2E-77//BANK-REF-1",
	":86:166?00GUTSCHRIFT?20EREF+E2E-77?21SVWZ+RE 2025-0002 RE 2025-0003?32NORD HANDEL G",
	"?33MBH",
	":61:2501150115D99,00NCHGNONREF//FEE-1",
	":86:805?00ENTGELT",
	":62F:C250115EUR2635,56",
	"-",
}

// rewrapped is eod re-sent by another channel: a new statement reference, SWIFT
// blocks, UTF-8 names, CRLF, the account without its currency suffix, the
// :86: wrapped elsewhere and a :61: wrapped inside its amount.
var rewrapped = []string{
	"{1:F01COBADEFFAXXX0000000000}{2:O940COBADEFFXXXXN}{4:",
	":20:RESEND-7",
	":25:DE89370400440532013000",
	":28C:00042/",
	"001",
	":60F:C250114EUR1000,00",
	":61:2501150115C250,00NTRFNONREF",
	":86:166?00GUTSCHRIFT?20SVWZ+RE 20",
	"25-0001?32MÜLLER KG",
	":61:2501150115C2",
	"50,00NTRFNONREF",
	":86:166?00GUTSCHRIFT?2",
	"0SVWZ+RE 2025-0001?32MÜLLER KG",
	":61:2501150115C1234,56NTRFE2E-77//BANK-REF-1   ",
	":86:166?00GUTSCHRIFT?20EREF+E2E-77?21SVWZ+RE 2025-0002 RE 2025-0003?32NORD HANDEL G?3",
	"3MBH",
	":61:2501150115D99,00NCHGNONREF//FEE-1",
	":86:805?00ENTGELT",
	":62F:C250115EUR2635,56",
	"-}{5:}",
}

func TestDedupeKeysStableAcrossResends(t *testing.T) {
	first := mustRead(t, "eod.sta", lf(eod...), mt940.Options{})
	want := keysOf(first)

	if len(want) != 4 {
		t.Fatalf("%d transactions", len(want))
	}

	for name, data := range map[string][]byte{
		"same file again": lf(eod...),
		"crlf":            crlf(lf(eod...)),
		"cr":              bytes.ReplaceAll(lf(eod...), []byte("\n"), []byte("\r")),
		"rewrapped":       crlf(lf(rewrapped...)),
	} {
		f := mustRead(t, name, data, mt940.Options{})
		if got := keysOf(f); !slices.Equal(got, want) {
			t.Errorf("%s: keys\n%v\nwant\n%v", name, got, want)
		}

		if f.Transactions[0].PayerName != "MÜLLER KG" ||
			f.Transactions[2].PayerName != "NORD HANDEL GMBH" ||
			f.Transactions[2].Remittance != "RE 2025-0002 RE 2025-0003" {
			t.Errorf("%s: texts %+v", name, f.Transactions[2])
		}
	}
}

func TestDedupeKeysCountIdenticalLines(t *testing.T) {
	f := mustRead(t, "eod.sta", lf(eod...), mt940.Options{})
	keys := keysOf(f)

	if keys[0] == keys[1] || !strings.HasSuffix(keys[1], "#2") ||
		strings.TrimSuffix(keys[1], "#2") != keys[0] {
		t.Errorf("identical lines got keys %q and %q", keys[0], keys[1])
	}

	if !strings.HasPrefix(keys[0], "mt940:DE89370400440532013000:250115:C:250.00EUR:") {
		t.Errorf("key %q", keys[0])
	}
}

// TestDedupeKeysIntradayThenEndOfDay: an MT942 reported two of the day's
// lines (one still expected, EC); the end-of-day MT940 repeats the booked one
// with the same key, books the expected one under a new key, and adds more.
func TestDedupeKeysIntradayThenEndOfDay(t *testing.T) {
	intraday := lf(
		"{1:F01COBADEFFAXXX0000000000}{2:O942COBADEFFXXXXN}{4:",
		":20:INTRA-1",
		":25:DE89370400440532013000",
		":28C:1/1",
		":34F:EUR0,00",
		":13D:2501151130+0100",
		":61:2501150115C1234,56NTRFE2E-77//BANK-REF-1",
		":86:166?20EREF+E2E-77?21SVWZ+RE 2025-0002",
		":61:2501150115EC99,50NTRFNONREF//EXP-1",
		":90D:0EUR0,00",
		":90C:2EUR1334,06",
		"-}",
	)

	i := mustRead(t, "intra", intraday, mt940.Options{})
	if i.Format != bankfile.FormatMT942 || len(i.Transactions) != 2 {
		t.Fatalf("format %s, %d transactions", i.Format, len(i.Transactions))
	}

	if i.Transactions[1].Problem == "" {
		t.Error("expected (EC) entry carries no problem")
	}

	e := mustRead(t, "eod", lf(eod...), mt940.Options{})
	if i.Transactions[0].DedupeKey != e.Transactions[2].DedupeKey {
		t.Errorf("intraday key %q, end of day %q", i.Transactions[0].DedupeKey,
			e.Transactions[2].DedupeKey)
	}

	for _, tx := range e.Transactions {
		if tx.DedupeKey == i.Transactions[1].DedupeKey {
			t.Errorf("expected entry's key %q reused by a booked line", tx.DedupeKey)
		}
	}
}
