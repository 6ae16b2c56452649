package bank_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/samplefiles"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// samplesDir returns the shared samples folder (see internal/samplefiles), or skips.
func samplesDir(t *testing.T) string {
	t.Helper()

	return samplefiles.Dir(t)
}

func pad104(s string) string {
	return s + strings.Repeat(" ", 104-len(s))
}

func pad94(s string) string {
	return s + strings.Repeat(" ", 94-len(s))
}

var (
	nachaHeader = pad94("101 021000021 0260095932603040700A094101" +
		"BANK OF THE EAST       MIDTOWN SAVINGS")
	nachaBatch = pad94("5220INITECH LLC                         1122334455" +
		"CCDPAYMENT         260305   1026009590000001")
	nachaEntry = pad94("622021000021000555666777     0000327500CUST-7781      " +
		"GLOBEX SUPPLY           1026009590000042")
)

func TestDetect(t *testing.T) {
	t.Parallel()

	utf16le := func(s string) string {
		b := []byte{0xFF, 0xFE}
		for _, r := range s {
			b = append(b, byte(r), 0)
		}

		return string(b)
	}

	tests := []struct {
		name string
		data string
		want bankfile.Format
	}{
		{"nacha", nachaHeader + "\n" + nachaBatch + "\n", bankfile.FormatNACHA},
		{"nacha crlf with bom", "\xef\xbb\xbf" + nachaHeader + "\r\n" + nachaBatch + "\r\n",
			bankfile.FormatNACHA},
		{"nacha without line breaks", nachaHeader + nachaBatch + nachaEntry, bankfile.FormatNACHA},
		{"nacha short header", nachaHeader[:69] + "\n" + nachaBatch, bankfile.FormatNACHA},
		{"nacha fragment from a batch header", nachaBatch + "\n" + nachaEntry + "\n",
			bankfile.FormatNACHA},
		{"camt.053 default namespace",
			`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>`,
			bankfile.FormatCAMT053},
		{"camt.054 prefixed",
			`<ns2:Document xmlns:ns2="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">` +
				`<ns2:BkToCstmrDbtCdtNtfctn><ns2:GrpHdr/>`,
			bankfile.FormatCAMT054},
		{"camt.052 without namespace", `<Document><BkToCstmrAcctRpt><GrpHdr>`,
			bankfile.FormatCAMT052},
		{"camt.054 in an envelope",
			`<Envelope><AppHdr><MsgDefIdr>camt.054.001.08</MsgDefIdr></AppHdr>` +
				`<Document><BkToCstmrDbtCdtNtfctn>`,
			bankfile.FormatCAMT054},
		{"camt by namespace only",
			`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"><X/>`,
			bankfile.FormatCAMT052},
		{"camt latin-1 declaration",
			`<?xml version="1.0" encoding="ISO-8859-1"?><Document><BkToCstmrStmt>`,
			bankfile.FormatCAMT053},
		{"camt utf-16", utf16le(`<?xml version="1.0"?><Document><BkToCstmrStmt>`),
			bankfile.FormatCAMT053},
		{"camt after blank lines", "\n\n  <Document><BkToCstmrStmt>", bankfile.FormatCAMT053},
		{"pain.001 is not a bank statement",
			`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn>`,
			bankfile.FormatUnknown},
		{"bai2", "01,121140399,9999999999,050608,1015,1,80,1,2/\n" +
			"02,9999999999,121140399,1,050607,,,2/\n", bankfile.FormatBAI2},
		{"mt940 swift blocks", "{1:F01ABNANL2AXXXX0000000000}{2:O940}{4:\n:20:X\n:25:Y\n-}",
			bankfile.FormatMT940},
		{"mt940 plain", ":20:STMT1\n:25:NL91ABNA0417164300\n:28C:1\n:60F:C260301EUR10,00\n",
			bankfile.FormatMT940},
		{"mt940 after bank header lines", "ABNANL2A\n940\nABNANL2A\n:20:ABN\n:25:517852257\n",
			bankfile.FormatMT940},
		{"mt942 with SOH", "\x01\n:20:ST1\n:25:PL29114010810000267002001002\n:34F:PLN0\n",
			bankfile.FormatMT940},
		{"lockbox fixed width", "100ABCDEFGHIJ00999999911605231800\n" +
			"2ABCDEFGHIJ0099999991000000000040008000801\n", bankfile.FormatLockbox},
		{"lockbox with pipes", "1|LBX100|GLOBEX|20260301|0700\n5|001|20260301\n",
			bankfile.FormatLockbox},
		{"lockbox with pipes, no batch records", "1|LBX100|GLOBEX|20260301|0700\n" +
			"6|001|001|CHK|1001|500|021000021|123456|ACME\n", bankfile.FormatLockbox},
		{"lockbox with CR line ends", "100ABCDEFGHIJ00999999911605231800\r" +
			"2ABCDEFGHIJ0099999991000000000040008000801\r", bankfile.FormatLockbox},
		// Priority 01 makes a lockbox header start "101" like a NACHA one, and
		// 104-character records make it as long: only NACHA's 094 tells them apart.
		{"lockbox header 101, 104 characters", pad104("101ABCDEFGHIJ00999999911605231800") +
			"\n" + pad104("5001000123411605231605230101") + "\n", bankfile.FormatLockbox},
		{"csv comma", "Date,Amount,Reference\n2026-03-01,10.00,INV-1\n", bankfile.FormatCSV},
		{"csv semicolon", "Datum;Betrag;Verwendungszweck\n01.03.2026;10,00;INV-1\n",
			bankfile.FormatCSV},
		{"csv tab", "Date\tAmount\n2026-03-01\t10.00\n", bankfile.FormatCSV},
		{"csv header only", `"Date","Amount"` + "\n", bankfile.FormatCSV},
		{"plain text", "hello world\nnothing here\n", bankfile.FormatUnknown},
		{"json", `{"transactions":[]}`, bankfile.FormatUnknown},
		{"nul bytes", "\x00\x00\x00\x00", bankfile.FormatUnknown},
		{"empty", "", bankfile.FormatUnknown},
	}

	for _, tt := range tests {
		if got := bank.Detect([]byte(tt.data)); got != tt.want {
			t.Errorf("%s: Detect = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// wantFormat is the format of a shared sample by folder (camt by file name).
func wantFormat(folder, name string) bankfile.Format {
	switch folder {
	case "camt":
		return bankfile.Format("camt." + name[4:7])
	case "nacha":
		return bankfile.FormatNACHA
	default:
		return bankfile.Format(folder)
	}
}

func TestDetectSharedSamples(t *testing.T) {
	t.Parallel()

	root := samplesDir(t)

	files, err := filepath.Glob(filepath.Join(root, "*", "*"))
	if err != nil {
		t.Fatal(err)
	}

	if len(files) == 0 {
		t.Fatal("no samples found")
	}

	for _, path := range files {
		folder, name := filepath.Base(filepath.Dir(path)), filepath.Base(path)

		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}

		if got, want := bank.Detect(data), wantFormat(folder, name); got != want {
			t.Errorf("%s/%s: Detect = %q, want %q", folder, name, got, want)
		}
	}
}

func TestReadNACHA(t *testing.T) {
	t.Parallel()

	data, err := os.ReadFile(filepath.Join("nacha", "testdata", "b10-ccd-crlf.ach"))
	if err != nil {
		t.Fatal(err)
	}

	f, err := bank.Read("upload-0001.ach", data)
	if err != nil {
		t.Fatal(err)
	}

	if f.Name != "upload-0001.ach" || f.Format != bankfile.FormatNACHA || len(f.Transactions) != 1 {
		t.Errorf("name %q format %q transactions %d", f.Name, f.Format, len(f.Transactions))
	}
}

// The same bytes under a misleading name are still read by content.
func TestReadIgnoresName(t *testing.T) {
	t.Parallel()

	data, err := os.ReadFile(filepath.Join("nacha", "testdata", "b10-ccd-crlf.ach"))
	if err != nil {
		t.Fatal(err)
	}

	f, err := bank.Read("statement.xml", data)
	if err != nil || f.Format != bankfile.FormatNACHA {
		t.Errorf("read as %v, %v", f, err)
	}
}

func TestReadRejectsCleanly(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, data string
		format     bankfile.Format
		field, msg string
	}{
		{"a.bin", "\x00\x01\x02 binary", bankfile.FormatUnknown,
			"format", "unrecognised bank file format"},
		{"a.txt", "", bankfile.FormatUnknown, "file", "empty file"},
		{"b.txt", " \r\n\t\n", bankfile.FormatUnknown, "file", "empty file"},
	}

	for _, tt := range tests {
		f, err := bank.Read(tt.name, []byte(tt.data))

		var be *bankfile.Error
		if f != nil || !errors.As(err, &be) {
			t.Errorf("%s: file %v error %v, want a *bankfile.Error", tt.name, f, err)
			continue
		}

		if be.File != tt.name || be.Format != tt.format || len(be.Problems) != 1 ||
			be.Problems[0].Field != tt.field || be.Problems[0].Message != tt.msg ||
			be.Problems[0].File != tt.name {
			t.Errorf("%s: %+v", tt.name, be)
		}
	}
}

// Every shared sample goes through Read without escaping as a panic or an
// untyped error: each yields a file or a *bankfile.Error naming it.
func TestReadSharedSamples(t *testing.T) {
	t.Parallel()

	root := samplesDir(t)

	files, err := filepath.Glob(filepath.Join(root, "*", "*"))
	if err != nil {
		t.Fatal(err)
	}

	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}

		name := filepath.Base(path)
		f, err := bank.Read(name, data)

		var be *bankfile.Error
		switch {
		case err == nil && (f == nil || f.Name != name || !refines(f.Format, bank.Detect(data))):
			t.Errorf("%s: file %+v", name, f)
		case err != nil && (!errors.As(err, &be) || be.File != name || len(be.Problems) == 0):
			t.Errorf("%s: error %T %v", name, err, err)
		}
	}
}

// refines reports whether a reader's format is the detected one, or the reader
// told an MT942 from the MT940 that detection names both.
func refines(read, detected bankfile.Format) bool {
	return read == detected || read == bankfile.FormatMT942 && detected == bankfile.FormatMT940
}

func TestReadFile(t *testing.T) {
	t.Parallel()

	data, err := os.ReadFile(filepath.Join("nacha", "testdata", "b10-ccd-crlf.ach"))
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "march.ach")

	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	f, err := bank.ReadFile(path)
	if err != nil || f.Name != "march.ach" || len(f.Transactions) != 1 {
		t.Fatalf("ReadFile: %v, %v", f, err)
	}

	if _, err := bank.ReadFile(filepath.Join(dir, "missing.ach")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestReadFileTooLarge(t *testing.T) {
	t.Parallel()

	path := filepath.Join(t.TempDir(), "huge.ach")

	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}

	// A sparse file: its size is over the limit without writing 256 MiB.
	if err := fh.Truncate(bank.MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}

	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}

	_, err = bank.ReadFile(path)
	if !errors.Is(err, bank.ErrTooLarge) || !strings.Contains(err.Error(), "268435456") {
		t.Errorf("error %v, want ErrTooLarge naming the limit", err)
	}
}
