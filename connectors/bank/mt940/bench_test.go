package mt940_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank/mt940"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// generate writes daily statements of perDay lines each (alternating credits
// with a German structured :86: wrapped over three lines, and debits) until
// at least size bytes are written. Balances reconcile.
func generate(w io.Writer, size int64, perDay int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := &countWriter{w: bw}
	balance := int64(1_000_000)
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

	for n := 0; cw.n < size; n++ {
		d := day.AddDate(0, 0, n).Format("060102")
		md := d[2:]
		fmt.Fprintf(cw, "{1:F01COBADEFFAXXX0000000000}{2:O940COBADEFFXXXXN}{4:\r\n"+
			":20:STMT%08d\r\n:25:DE89370400440532013000\r\n:28C:%05d/001\r\n"+
			":60F:C%sEUR%d,%02d\r\n", n, n%100000, d, balance/100, balance%100)

		for i := range perDay {
			cents := int64(1000 + (n*perDay+i)%90000)
			if i%4 == 3 {
				balance -= cents
				fmt.Fprintf(cw, ":61:%s%sD%d,%02dNTRFNONREF//B%d-%d\r\n"+
					":86:805?00ENTGELT?20Gebuehr %d\r\n", d, md, cents/100, cents%100, n, i, i)

				continue
			}

			balance += cents
			fmt.Fprintf(cw, ":61:%s%sC%d,%02dNTRFNONREF//B%d-%d\r\n"+
				":86:166?00GUTSCHRIFT?109310?20EREF+E2E-%d-%d?21SVWZ+RE 2024-%06d KD 5\r\n"+
				"5012 RE 2024-%06d?30COBADEFFXXX?31DE02120300000000202051\r\n"+
				"?32EXAMPLE CUSTOMER GMBH ABT?33EILUNG BUCHHALTUNG\r\n",
				d, md, cents/100, cents%100, n, i, n, i, i, i+1)
		}

		fmt.Fprintf(cw, ":62F:C%sEUR%d,%02d\r\n-}{5:}\r\n", d, balance/100, balance%100)
	}

	return bw.Flush()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)

	return n, err
}

// generatedFile writes the ~100 MB benchmark file into b.TempDir.
func generatedFile(b *testing.B) string {
	b.Helper()

	path := filepath.Join(b.TempDir(), "bench.sta")

	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}

	if err := generate(f, 100<<20, 1000); err != nil {
		b.Fatal(err)
	}

	if err := f.Close(); err != nil {
		b.Fatal(err)
	}

	return path
}

// BenchmarkScan streams a generated ~100 MB file from disk with a discarding
// emit and reports throughput and the peak heap in use while scanning.
func BenchmarkScan(b *testing.B) {
	path := generatedFile(b)

	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}

	b.SetBytes(st.Size())
	b.ReportAllocs()

	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})

	runtime.GC()

	go func() {
		defer close(done)

		// Heap in use: live and unswept objects plus free space in heap spans,
		// read without stopping the world (runtime.ReadMemStats would).
		samples := []metrics.Sample{
			{Name: "/memory/classes/heap/objects:bytes"},
			{Name: "/memory/classes/heap/unused:bytes"},
		}
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()

		for {
			metrics.Read(samples)
			if inuse := samples[0].Value.Uint64() + samples[1].Value.Uint64(); inuse > peak.Load() {
				peak.Store(inuse)
			}

			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	n := 0
	cpu0 := cpuTime()

	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}

		n = 0

		file, err := mt940.Scan("bench.sta", f, func(bankfile.Transaction) error {
			n++
			return nil
		})
		_ = f.Close()

		if err != nil {
			b.Fatal(err)
		}

		if file.Controls != bankfile.ControlsOK {
			b.Fatalf("controls %s", file.Controls)
		}
	}

	close(stop)
	<-done

	// CPU seconds of the whole process (GC workers included) per scan: on a
	// shared machine MB/s measures the neighbours too, this measures the reader.
	if cpu := (cpuTime() - cpu0).Seconds() / float64(b.N); cpu > 0 {
		b.ReportMetric(float64(st.Size())/cpu/1e6, "cpu-MB/s")
	}
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-MB")
	b.ReportMetric(float64(n), "txs/op")
}

// TestGeneratedFileReconciles keeps the generator honest at a small size.
func TestGeneratedFileReconciles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "small.sta")

	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}

	if err := generate(f, 200<<10, 50); err != nil {
		t.Fatal(err)
	}

	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	file := mustRead(t, "small.sta", data, mt940.Options{})
	if file.Controls != bankfile.ControlsOK || len(file.Transactions) < 500 {
		t.Fatalf("controls %s, %d transactions", file.Controls, len(file.Transactions))
	}

	tx := file.Transactions[0]
	if tx.Remittance != "RE 2024-000000 KD 55012 RE 2024-000001" ||
		tx.PayerName != "EXAMPLE CUSTOMER GMBH ABTEILUNG BUCHHALTUNG" {
		t.Errorf("first transaction %+v", tx)
	}
}
