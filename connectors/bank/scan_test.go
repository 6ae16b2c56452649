package bank_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// Scan hands over, in order, exactly the transactions Read returns, for every
// sample file, and rejects what Read rejects.
func TestScanEmitsWhatReadReturns(t *testing.T) {
	t.Parallel()

	dir := samplesDir(t)

	paths, err := filepath.Glob(filepath.Join(dir, "*", "*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no samples in %s: %v", dir, err)
	}

	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}

		name := filepath.Base(p)
		want, wantErr := bank.Read(name, data)

		var got []bankfile.Transaction
		f, n, err := bank.Scan(name, bytes.NewReader(data), func(t bankfile.Transaction) error {
			got = append(got, t)
			return nil
		})

		if (err == nil) != (wantErr == nil) {
			t.Errorf("%s: Scan error %v, Read error %v", name, err, wantErr)
			continue
		}

		if err != nil {
			continue
		}

		if n != len(want.Transactions) || len(got) != n ||
			(n > 0 && !reflect.DeepEqual(got, want.Transactions)) {
			t.Errorf("%s: Scan emitted %d transactions (said %d), Read returned %d", name,
				len(got), n, len(want.Transactions))
		}

		if f.Transactions != nil || f.Format != want.Format || f.Controls != want.Controls {
			t.Errorf("%s: Scan file %s/%s with %d transactions, Read %s/%s", name, f.Format,
				f.Controls, len(f.Transactions), want.Format, want.Controls)
		}
	}
}

// An error of emit stops the reading and comes back as it was.
func TestScanReturnsEmitErrorUntouched(t *testing.T) {
	t.Parallel()

	stop := errors.New("store full")

	data, err := os.ReadFile(filepath.Join(samplesDir(t), "camt",
		"camt053.001.02-finnish-fffs-sample-batches.xml"))
	if err != nil {
		t.Fatal(err)
	}

	calls := 0
	_, _, err = bank.Scan("x.xml", bytes.NewReader(data), func(bankfile.Transaction) error {
		calls++
		return stop
	})

	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("err = %v after %d calls, want the emit error after 1", err, calls)
	}
}

func TestScanRejectsEmptyFile(t *testing.T) {
	t.Parallel()

	_, _, err := bank.Scan("empty.csv", bytes.NewReader([]byte("\ufeff \r\n")),
		func(bankfile.Transaction) error { return nil })

	var be *bankfile.Error
	if !errors.As(err, &be) || be.Problems[0].Message != "empty file" {
		t.Fatalf("err = %v, want an empty-file rejection", err)
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n

	return n, err
}

// Unrecognised content is refused from its head: a large junk file is not read
// into memory first.
func TestScanRefusesUnknownContentFromItsHead(t *testing.T) {
	t.Parallel()

	junk := &countingReader{r: io.LimitReader(zeroX{}, 50<<20)}
	_, _, err := bank.Scan("junk.bin", junk, func(bankfile.Transaction) error { return nil })

	var be *bankfile.Error
	if !errors.As(err, &be) || be.Format != bankfile.FormatUnknown {
		t.Fatalf("err = %v, want an unrecognised-format rejection", err)
	}

	if junk.read > 1<<20 {
		t.Fatalf("read %d bytes of junk before refusing it", junk.read)
	}
}

// zeroX is an endless stream of 'X'.
type zeroX struct{}

func (zeroX) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'X'
	}

	return len(p), nil
}
