package nacha_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/o2c-dev/o2c/connectors/bank/nacha"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// scanFiles are the shared samples (when present), the fixtures and small
// generated files, each also without line breaks, with CR only and with CRLF.
func scanFiles(t *testing.T) map[string][]byte {
	t.Helper()

	files := map[string][]byte{
		"gen.ach":       genBytes(newGen(40, 15)),
		"gen-crlf.ach":  genBytes(&achGen{pairs: 30, perBatch: 7, eol: "\r\n"}),
		"gen-none.ach":  genBytes(&achGen{pairs: 30, perBatch: 7}),
		"gen-cr.ach":    genBytes(&achGen{pairs: 30, perBatch: 7, eol: "\r"}),
		"gen-short.ach": genBytes(&achGen{pairs: 30, perBatch: 7, eol: "\n", corrupt: 40}),
	}

	paths, err := filepath.Glob(filepath.Join("testdata", "*.ach"))
	if err != nil {
		t.Fatal(err)
	}

	if dir := sharedNACHA(); dir != "" {
		more, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil {
			t.Fatal(err)
		}

		paths = append(paths, more...)
	}

	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}

		s := strings.ReplaceAll(string(data), "\r\n", "\n")
		name := filepath.Base(p)
		files[name] = data
		files[name+"-none"] = []byte(strings.ReplaceAll(s, "\n", ""))
		files[name+"-cr"] = []byte(strings.ReplaceAll(s, "\n", "\r"))
		files[name+"-crlf"] = []byte(strings.ReplaceAll(s, "\n", "\r\n"))
	}

	return files
}

// sharedNACHA returns the shared NACHA samples folder beside the repository,
// or "" when it is absent (the fixtures are then read alone).
func sharedNACHA() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}

	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}

		if dir == filepath.Dir(dir) {
			return ""
		}

		dir = filepath.Dir(dir)
	}

	p := filepath.Join(dir, "..", "shared", "samples", "nacha")
	if _, err := os.Stat(p); err != nil {
		return ""
	}

	return p
}

// Scan emits exactly what Read returns (Read adds only the hold on credits of
// a file without controls), with any buffer size: lines longer than the
// buffer, a file without line breaks above all, are cut as they stream.
func TestScanMatchesReadWithAnyBuffer(t *testing.T) {
	t.Parallel()

	for name, data := range scanFiles(t) {
		want, wantErr := nacha.Read(name, data)

		for _, size := range []int{100, 128, 333, 4096, 64 << 10} {
			var got []bankfile.Transaction

			f, err := nacha.ScanBuffer(name, bytes.NewReader(data), nacha.Options{}, size,
				func(t bankfile.Transaction) error {
					got = append(got, t)
					return nil
				})

			if wantErr != nil {
				if !reflect.DeepEqual(err, wantErr) {
					t.Errorf("%s, buffer %d: error %v, Read %v", name, size, err, wantErr)
				}

				continue
			}

			if err != nil {
				t.Errorf("%s, buffer %d: %v", name, size, err)
				continue
			}

			if f.Controls == bankfile.ControlsNone {
				for i := range got {
					got[i].Problem = want.Transactions[i].Problem
				}
			}

			if len(got) != len(want.Transactions) ||
				(len(got) > 0 && !reflect.DeepEqual(got, want.Transactions)) {
				t.Errorf("%s, buffer %d: Scan emitted %d transactions unlike Read's %d",
					name, size, len(got), len(want.Transactions))
			}

			f.Transactions = want.Transactions
			if !reflect.DeepEqual(f, want) {
				t.Errorf("%s, buffer %d: file %+v, Read %+v", name, size, f, want)
			}
		}
	}
}

// A file without any line break, padded with NULs to a block and ended by a
// DOS end-of-file mark, reads like the same records one per line, each
// numbered by its position, with a small buffer as with the default one.
func TestFileWithoutLineBreaksStreams(t *testing.T) {
	t.Parallel()

	lf := genBytes(newGen(2_000, 600))
	none := genBytes(&achGen{pairs: 2_000, perBatch: 600})
	none = append(none, bytes.Repeat([]byte{0}, 4096-len(none)%4096)...)
	none = append(none, 0x1a)

	want := mustRead(t, "lf.ach", lf)

	for _, size := range []int{1000, 64 << 10} {
		var got []bankfile.Transaction

		f, err := nacha.ScanBuffer("none.ach", bytes.NewReader(none), nacha.Options{}, size,
			func(t bankfile.Transaction) error {
				got = append(got, t)
				return nil
			})
		if err != nil {
			t.Fatalf("buffer %d: %v", size, err)
		}

		if !reflect.DeepEqual(got, want.Transactions) || f.Controls != bankfile.ControlsOK {
			t.Errorf("buffer %d: %d transactions, controls %q", size, len(got), f.Controls)
		}

		if len(f.Warnings) != 1 || f.Warnings[0].Message !=
			"lines holding several 94-character records back to back: 1" {
			t.Errorf("buffer %d: warnings %v", size, f.Warnings)
		}
	}
}

// A line too long for the buffer that breaks the record rules is named with
// its line, length and first characters.
func TestLongBadLineRejected(t *testing.T) {
	t.Parallel()

	ls := lines(readFixture(t, b10Fixture))
	ls[2] = strings.TrimRight(ls[2], "\r") + strings.Repeat("Z", 5000)

	var emitted int

	_, err := nacha.ScanBuffer("long.ach", bytes.NewReader(joinLines(ls)), nacha.Options{},
		1024, func(bankfile.Transaction) error {
			emitted++
			return nil
		})

	var be *bankfile.Error
	if !errors.As(err, &be) || emitted != 0 {
		t.Fatalf("err = %v after %d emitted", err, emitted)
	}

	p := be.Problems[0]
	if p.Line != 3 || p.Field != "entry detail record" || !strings.HasPrefix(p.Value, "622") ||
		p.Message != "entry detail record must be 94 characters, found 5094 "+
			"(and position 95 does not start another record)" {
		t.Errorf("problem %+v", p)
	}
}

// An error of emit stops the scan and comes back as it was.
func TestScanStopsOnEmitError(t *testing.T) {
	t.Parallel()

	stop := errors.New("store full")
	calls := 0

	_, err := nacha.Scan("stop.ach", newGen(1_000, 100), func(bankfile.Transaction) error {
		calls++
		if calls == 3 {
			return stop
		}

		return nil
	})

	if err != stop || calls != 3 {
		t.Fatalf("err = %v after %d calls, want the emit error after 3", err, calls)
	}
}

// An error reading the stream is returned wrapped, not as a rejection.
func TestScanReadErrorWrapped(t *testing.T) {
	t.Parallel()

	broken := errors.New("connection reset")
	r := io.MultiReader(io.LimitReader(newGen(1_000, 100), 5_000), &failingReader{broken})

	_, err := nacha.Scan("cut.ach", r, func(bankfile.Transaction) error { return nil })

	var be *bankfile.Error
	if !errors.Is(err, broken) || errors.As(err, &be) ||
		!strings.HasPrefix(err.Error(), "read nacha file: ") {
		t.Fatalf("err = %v", err)
	}
}

type failingReader struct{ err error }

func (f *failingReader) Read([]byte) (int, error) { return 0, f.err }

// B11: a file over the profile's size limit fails fast, naming the limit.
func TestB11SizeLimitFailsFast(t *testing.T) {
	t.Parallel()

	r := &countingReader{r: newGen(50_000, 10_000)}

	_, err := nacha.ScanOptions("big.ach", r, nacha.Options{MaxBytes: 1 << 20},
		func(bankfile.Transaction) error { return nil })

	var be *bankfile.Error
	if !errors.As(err, &be) || len(be.Problems) != 1 ||
		be.Problems[0].Message != "file is larger than the limit of 1048576 bytes" {
		t.Fatalf("err = %v", err)
	}

	if r.n > 2<<20 {
		t.Errorf("read %d bytes of a file over a 1 MiB limit", r.n)
	}

	// A file of exactly the limit is read.
	data := genBytes(newGen(10, 10))
	if _, err := nacha.ScanOptions("fits.ach", bytes.NewReader(data),
		nacha.Options{MaxBytes: int64(len(data))},
		func(bankfile.Transaction) error { return nil }); err != nil {
		t.Errorf("file of exactly the limit: %v", err)
	}
}

// Readers that return a byte at a time, half what is asked, or the last bytes
// together with io.EOF are read alike.
func TestScanReaderShapes(t *testing.T) {
	t.Parallel()

	data := genBytes(&achGen{pairs: 300, perBatch: 70, eol: "\r\n"})
	want := mustRead(t, "shapes.ach", data)

	for name, r := range map[string]io.Reader{
		"one byte": iotest.OneByteReader(bytes.NewReader(data)),
		"half":     iotest.HalfReader(bytes.NewReader(data)),
		"data+EOF": iotest.DataErrReader(bytes.NewReader(data)),
	} {
		f, got, err := scanAll(r)
		if err != nil || !reflect.DeepEqual(got, want.Transactions) ||
			f.Controls != bankfile.ControlsOK {
			t.Errorf("%s: %v, %d transactions", name, err, len(got))
		}
	}
}
