package lockbox_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/lockbox"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// generate writes a BAI lockbox transmission of 104-character records with
// the given number of checks in batches of batchSize, a lockbox total every
// 20 batches and the trailer's record count. Every third check carries no
// invoice, the others one or two overflow records; of two, the last has no
// amount. It returns the checks' total in cents.
func generate(w io.Writer, checks, batchSize int) (int64, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	records := 0
	put := func(format string, args ...any) {
		fmt.Fprintf(bw, "%-104s\n", fmt.Sprintf(format, args...))
		records++
	}

	const lb, day = "0004417", "250314"

	put("100NWTRADERS 02100002102503140615")
	put("2NWTRADERS 0210000210000000000040008000801")

	var fileTotal, boxTotal, batchTotal int64
	var boxCount, batchCount, batch int

	closeBatch := func() {
		put("7%03d000%s%s%03d%010d", batch%1000, lb, day, batchCount, batchTotal)
		batchTotal, batchCount = 0, 0

		if batch%20 == 0 {
			put("8000000%s%s%04d%010d", lb, day, boxCount%10000, boxTotal)
			boxTotal, boxCount = 0, 0
		}
	}

	for i := 0; i < checks; i++ {
		if i%batchSize == 0 {
			if i > 0 {
				closeBatch()
			}

			batch++
			put("5%03d000%s%sNWTRADERS 0210000210", batch%1000, lb, day)
		}

		item := i%batchSize + 1
		amount := int64(1000 + (i*7919)%900_000)
		put("6%03d%03d%010d%09d%010d%010d031025%-30s%-20s", batch%1000, item%1000, amount,
			21000021+i%5000, 4455667+i%100000, 5000+i, fmt.Sprintf("CUSTOMER %d INC", i%997),
			"NORTHWIND TRADERS")

		if n := i % 3; n > 0 {
			for k := 1; k <= n; k++ {
				last := "0"
				if k == n {
					last = "9"
				}

				if k == n && n > 1 {
					put("4%03d%03d6%02d%s%-30s", batch%1000, item%1000, k, last,
						fmt.Sprintf("INV-%07d", i*3+k))
				} else {
					put("4%03d%03d6%02d%s%-30s%010d", batch%1000, item%1000, k, last,
						fmt.Sprintf("INV-%07d", i*3+k), amount/int64(n))
				}
			}
		}

		fileTotal += amount
		boxTotal += amount
		batchTotal += amount
		boxCount++
		batchCount++
	}

	closeBatch()
	if boxCount > 0 {
		put("8000000%s%s%04d%010d", lb, day, boxCount%10000, boxTotal)
	}

	put("9%06d", records+1)

	return fileTotal, bw.Flush()
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n

	return n, err
}

// Scan hands checks over as their batch totals prove them, long before the end
// of a large file, in file order, and the file it returns has no
// transactions.
func TestScanStreams(t *testing.T) {
	t.Parallel()

	var buf bytes.Buffer
	total, err := generate(&buf, 30_000, 200)
	if err != nil {
		t.Fatal(err)
	}

	size := buf.Len()
	cr := &countingReader{r: &buf}
	firstAt, n := -1, 0

	var sum int64

	f, err := lockbox.Scan("gen", cr, func(tr bankfile.Transaction) error {
		if firstAt < 0 {
			firstAt = cr.n
		}

		n++
		sum += tr.Amount.Minor

		if tr.Seq != n || tr.Problem != "" {
			t.Fatalf("emitted seq %d as number %d, problem %q", tr.Seq, n, tr.Problem)
		}

		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if n != 30_000 || sum != total || f.Controls != bankfile.ControlsOK ||
		f.Transactions != nil {
		t.Fatalf("%d checks for %d (want %d), controls %q", n, sum, total, f.Controls)
	}

	if firstAt > size/10 {
		t.Errorf("first check emitted after %d of %d bytes: not streaming", firstAt, size)
	}
}

// An error of emit stops the scan and comes back wrapped.
func TestScanEmitError(t *testing.T) {
	t.Parallel()

	stop := errors.New("store full")
	calls := 0

	_, err := lockbox.Scan("x", bytes.NewReader(readFixture(t, multiBatch)),
		func(bankfile.Transaction) error {
			calls++
			return stop
		})

	var be *bankfile.Error
	if !errors.Is(err, stop) || errors.As(err, &be) || calls != 1 {
		t.Errorf("error %v after %d calls, want the emit error after 1", err, calls)
	}
}

// A file rejected at a later batch's total got its earlier batch emitted
// (the caller voids it); nothing is emitted after the rejection.
func TestScanStopsEmittingOnRejection(t *testing.T) {
	t.Parallel()

	recs := records(readFixture(t, multiBatch))
	data := strings.Replace(string(join(recs, "\n")), "700200000044172503140020000145000",
		"700200000044172503140020000145001", 1)

	var refs []string
	_, err := lockbox.Scan("x", strings.NewReader(data), func(tr bankfile.Transaction) error {
		refs = append(refs, tr.BankRef)
		return nil
	})

	var be *bankfile.Error
	if !errors.As(err, &be) || strings.Join(refs, ",") != "5531,2204" {
		t.Errorf("error %v, emitted %v, want batch 1 only and a rejection", err, refs)
	}
}

// An unreadable stream is an error of its own, not a rejection.
func TestScanReadError(t *testing.T) {
	t.Parallel()

	broken := io.MultiReader(strings.NewReader("100NWTRADERS 0210000210250314\n"),
		iotestErr{})

	_, err := lockbox.Scan("x", broken, func(bankfile.Transaction) error { return nil })

	var be *bankfile.Error
	if err == nil || errors.As(err, &be) || !strings.Contains(err.Error(), "read lockbox file") {
		t.Errorf("error %v", err)
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("disk gone") }

// A file whose checks no total covers cannot be held whole: past the pending
// limit the oldest checks are emitted early, marked, before the end.
func TestScanEmitsEarlyPastThePendingLimit(t *testing.T) {
	t.Parallel()

	var b strings.Builder
	b.WriteString("1|LBX9|PAYEE|20250401|0900\n5|001|20250401\n")

	const n = 40_000
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "6|001|%05d|CHK|%d|%010d|011000015|%09d|PAYER %d\n", i, i, 100+i, i, i)
	}

	size := b.Len()
	cr := &countingReader{r: strings.NewReader(b.String())}
	firstAt, count := -1, 0

	f, err := lockbox.Scan("nototals", cr, func(tr bankfile.Transaction) error {
		if firstAt < 0 {
			firstAt = cr.n
		}

		count++
		if !strings.Contains(tr.Problem, "not proved by a batch, lockbox or file total") {
			t.Fatalf("check %d emitted without a problem", tr.Seq)
		}

		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if count != n || f.Controls != bankfile.ControlsNone || firstAt > size*3/4 {
		t.Errorf("%d checks, controls %q, first emitted at %d of %d bytes", count, f.Controls,
			firstAt, size)
	}
}
