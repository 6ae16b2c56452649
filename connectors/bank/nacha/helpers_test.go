package nacha_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/samplefiles"

	"github.com/moov-io/ach"

	"github.com/o2c-dev/o2c/connectors/bank/nacha"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// samplesDir returns the shared samples folder (see internal/samplefiles), or skips.
func samplesDir(t testing.TB, sub string) string {
	t.Helper()

	return samplefiles.Dir(t, sub)
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()

	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}

	return data
}

// mustRead reads data and fails the test when the file is rejected.
func mustRead(t testing.TB, name string, data []byte) *bankfile.File {
	t.Helper()

	f, err := nacha.Read(name, data)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}

	return f
}

// mustReject reads data and returns the rejection, failing the test when the
// file is accepted or the error is not a *bankfile.Error.
func mustReject(t testing.TB, name string, data []byte) *bankfile.Error {
	t.Helper()

	f, err := nacha.Read(name, data)
	if err == nil {
		t.Fatalf("read %s: accepted with %d transactions, want a rejection",
			name, len(f.Transactions))
	}

	var be *bankfile.Error
	if !errors.As(err, &be) {
		t.Fatalf("read %s: error %T %v, want *bankfile.Error", name, err, err)
	}

	if f != nil {
		t.Errorf("read %s: rejected but also returned a file", name)
	}

	return be
}

// findProblem returns the problem with field, or fails the test.
func findProblem(t testing.TB, be *bankfile.Error, field string) bankfile.Problem {
	t.Helper()

	for _, p := range be.Problems {
		if p.Field == field {
			return p
		}
	}

	t.Fatalf("no problem on field %q in %v", field, be.Problems)

	return bankfile.Problem{}
}

// lines splits a fixture into records without line endings.
func lines(data []byte) []string {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

func joinLines(ls []string) []byte {
	return []byte(strings.Join(ls, "\n") + "\n")
}

// setField overwrites positions from..to (1-based) of a record.
func setField(t testing.TB, rec string, from, to int, value string) string {
	t.Helper()

	if len(value) != to-from+1 {
		t.Fatalf("value %q does not fit positions %d-%d", value, from, to)
	}

	return rec[:from-1] + value + rec[to:]
}

// stringFields returns every string reachable in v (struct fields, slices).
func stringFields(v reflect.Value) []string {
	switch v.Kind() {
	case reflect.String:
		return []string{v.String()}
	case reflect.Struct:
		var out []string
		for i := 0; i < v.NumField(); i++ {
			out = append(out, stringFields(v.Field(i))...)
		}

		return out
	case reflect.Slice:
		var out []string
		for i := 0; i < v.Len(); i++ {
			out = append(out, stringFields(v.Index(i))...)
		}

		return out
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}

		return stringFields(v.Elem())
	default:
		return nil
	}
}

// entrySpec describes one entry for moovFile.
type entrySpec struct {
	code    int
	rdfi    string // 9 digits
	account string
	amount  int
	ident   string
	name    string
	addenda string // 05 payment related information, "" for none
}

// moovFile builds a one-batch NACHA file with moov-io/ach's writer, so control
// totals and hashes come from an implementation other than the reader's.
func moovFile(t testing.TB, sec, company, companyID, effective string, entries []entrySpec) []byte {
	t.Helper()

	fh := moovHeader("260301", "0915", "A")

	bh := ach.NewBatchHeader()
	bh.ServiceClassCode = ach.MixedDebitsAndCredits
	bh.CompanyName = company
	bh.CompanyIdentification = companyID
	bh.StandardEntryClassCode = sec
	bh.CompanyEntryDescription = "PAYMENT"
	bh.EffectiveEntryDate = effective
	bh.ODFIIdentification = "12104288"

	batch, err := ach.NewBatch(bh)
	if err != nil {
		t.Fatal(err)
	}

	for i, es := range entries {
		ed := ach.NewEntryDetail()
		ed.TransactionCode = es.code
		ed.SetRDFI(es.rdfi)
		ed.DFIAccountNumber = es.account
		ed.Amount = es.amount
		ed.IdentificationNumber = es.ident
		ed.IndividualName = es.name
		ed.SetTraceNumber(bh.ODFIIdentification, i+1)

		if es.addenda != "" {
			a := ach.NewAddenda05()
			a.PaymentRelatedInformation = es.addenda
			ed.AddAddenda05(a)
			ed.AddendaRecordIndicator = 1
		}

		batch.AddEntry(ed)
	}

	return writeMoov(t, fh, batch)
}

// moovHeader is the file header of the files tests build with moov-io/ach.
func moovHeader(created, at, modifier string) ach.FileHeader {
	fh := ach.NewFileHeader()
	fh.ImmediateDestination = "231380104"
	fh.ImmediateOrigin = "121042882"
	fh.FileCreationDate = created
	fh.FileCreationTime = at
	fh.FileIDModifier = modifier
	fh.ImmediateDestinationName = "RIVERSIDE NATIONAL"
	fh.ImmediateOriginName = "HARBOR STATE BANK"

	return fh
}

// writeMoov completes the batches and writes them as one file with moov-io/ach,
// so control totals and hashes come from an implementation other than the reader's.
func writeMoov(tb testing.TB, fh ach.FileHeader, batches ...ach.Batcher) []byte {
	tb.Helper()

	file := ach.NewFile()
	file.SetHeader(fh)

	for _, b := range batches {
		if err := b.Create(); err != nil {
			tb.Fatal(err)
		}

		file.AddBatch(b)
	}

	if err := file.Create(); err != nil {
		tb.Fatal(err)
	}

	var buf bytes.Buffer
	if err := ach.NewWriter(&buf).Write(file); err != nil {
		tb.Fatal(err)
	}

	return buf.Bytes()
}
