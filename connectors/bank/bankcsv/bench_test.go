package bankcsv_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// writeExport writes a German-style export (';', decimal comma, quoted text)
// with n rows and a running balance that chains; ids adds a transaction id
// column. It returns the sum of the credits in minor units.
func writeExport(w io.Writer, n int, ids bool) (credits int64, err error) {
	bw := bufio.NewWriter(w)

	idHead := ""
	if ids {
		idHead = ";Transaktions-ID"
	}

	fmt.Fprintf(bw, "Kontonummer:;DE89370400440532013000\n\n"+
		"Buchungstag;Wertstellung;Auftraggeber/Empfänger;Verwendungszweck;Betrag;Saldo;"+
		"Währung%s\n", idHead)

	var balance int64 = 1_000_000

	for i := 0; i < n; i++ {
		amount := int64(1000 + (i*7919)%900000)
		if i%5 == 0 {
			amount = -amount / 3
		} else {
			credits += amount
		}

		balance += amount

		id := ""
		if ids {
			id = fmt.Sprintf(";TX-%08d", i)
		}

		fmt.Fprintf(bw, "%02d.%02d.2025;%02d.%02d.2025;\"KUNDE %d GMBH\";\"RE 2025-%06d, "+
			"Lieferung; Zahlung\";%s;%s;EUR%s\n", 1+i%28, 1+i%12, 1+i%28, 1+i%12, i%997, i,
			german(amount), german(balance), id)
	}

	return credits, bw.Flush()
}

// generate returns writeExport's export with ids as bytes.
func generate(n int) []byte {
	var b strings.Builder

	_, _ = writeExport(&b, n, true)

	return []byte(b.String())
}

// german formats minor units as 1.234,56.
func german(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}

	whole := fmt.Sprint(minor / 100)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "." + whole[i:]
	}

	return fmt.Sprintf("%s%s,%02d", sign, whole, minor%100)
}

func TestGeneratedExport(t *testing.T) {
	t.Parallel()

	f := mustRead(t, "gen", generate(500))
	if len(f.Transactions) != 500 || f.Controls != "ok" || f.Account != "DE89370400440532013000" {
		t.Fatalf("%d transactions, controls %s, account %q", len(f.Transactions), f.Controls,
			f.Account)
	}
}

func BenchmarkCSVRead(b *testing.B) {
	data := generate(10_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()

	for b.Loop() {
		if _, err := bankcsv.Read("bench", data); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRows makes an export of about 100 MB (118-123 bytes a row).
const benchRows = 850_000

// BenchmarkScan streams a generated export of about 100 MB from an *os.File
// with a discarding emit, and reports MB/s and the peak heap in use. With
// transaction ids the key is account + id; without, a hash of the row's values.
func BenchmarkScan(b *testing.B) {
	for _, ids := range []bool{true, false} {
		b.Run(map[bool]string{true: "ids", false: "values"}[ids], func(b *testing.B) {
			benchScan(b, ids)
		})
	}
}

func benchScan(b *testing.B, ids bool) {
	path := filepath.Join(b.TempDir(), "bench.csv")

	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}

	credits, err := writeExport(out, benchRows, ids)
	if err != nil {
		b.Fatal(err)
	}

	if err := out.Close(); err != nil {
		b.Fatal(err)
	}

	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}

	b.SetBytes(st.Size())
	b.ReportAllocs()
	runtime.GC()

	var peak float64

	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}

		s := startHeapSampler()
		n, sum := 0, int64(0)

		file, err := bankcsv.Scan("bench.csv", f, func(tx bankfile.Transaction) error {
			n++
			if tx.Direction == bankfile.Credit {
				sum += tx.Amount.Minor
			}

			return nil
		})

		peak = max(peak, s.finish())
		_ = f.Close()

		if err != nil {
			b.Fatal(err)
		}

		if n != benchRows || sum != credits || file.Controls != bankfile.ControlsOK {
			b.Fatalf("%d rows, credits %d, controls %q", n, sum, file.Controls)
		}
	}

	b.ReportMetric(peak, "peak-MB")
}

// heapSampler records the largest HeapInuse seen while it runs.
type heapSampler struct {
	stop chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func startHeapSampler() *heapSampler {
	s := &heapSampler{stop: make(chan struct{})}
	s.wg.Add(1)

	go func() {
		defer s.wg.Done()

		var ms runtime.MemStats

		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()

		for {
			runtime.ReadMemStats(&ms)
			s.peak = max(s.peak, ms.HeapInuse)

			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()

	return s
}

// finish stops the sampler and returns the peak in MB.
func (s *heapSampler) finish() float64 {
	close(s.stop)
	s.wg.Wait()

	return float64(s.peak) / (1 << 20)
}
