package bai2_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank/bai2"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// writeBenchFile writes a BAI2 file of about size bytes to path: one group of
// accounts with 10,000 details each, every detail with two 88 continuations,
// and trailers and balances that reconcile. It returns the number of details.
func writeBenchFile(b *testing.B, path string, size int64) int {
	b.Helper()

	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}

	w := bufio.NewWriterSize(out, 1<<20)
	written := int64(0)
	printf := func(format string, args ...any) {
		n, err := fmt.Fprintf(w, format, args...)
		if err != nil {
			b.Fatal(err)
		}

		written += int64(n)
	}

	printf("01,TESTBANK,WIDGETCO,250301,0700,1,,,2/\n")
	printf("02,WIDGETCO,TESTBANK,1,250228,2400,USD,2/\n")

	const perAccount = 10_000

	var groupTotal, groupRecords, accounts int64
	details := 0

	for written < size {
		accounts++

		var cr, db int64
		for i := range perAccount {
			amount := int64(1000 + (details+i)%900_000)
			if i%5 == 4 {
				db += amount
			} else {
				cr += amount
			}
		}

		open := int64(1_000_000_00)
		closing := open + cr - db
		printf("03,%010d,USD,010,%d,,,015,%d,,,100,%d,%d,,400,%d,%d,/\n",
			accounts, open, closing, cr, perAccount-perAccount/5, db, perAccount/5)

		total := open + closing + cr + db
		for i := range perAccount {
			amount := int64(1000 + details%900_000)
			code := 142
			if i%5 == 4 {
				code = 475
			}

			printf("16,%d,%d,0,BR%010d,PO-%06d,CUSTOMER %d PAYMENT FOR INV-%07d/\n",
				code, amount, details, details%1_000_000, details%997, details)
			printf("88,EREF: E2E-%010d/\n", details)
			printf("88,DBNM: CUSTOMER %d LLC/\n", details%997)

			total += amount
			details++
		}

		records := int64(1 + 3*perAccount + 1)
		printf("49,%d,%d/\n", total, records)

		groupTotal += total
		groupRecords += records
	}

	printf("98,%d,%d,%d/\n", groupTotal, accounts, groupRecords+2)
	printf("99,%d,1,%d/\n", groupTotal, groupRecords+4)

	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}

	if err := out.Close(); err != nil {
		b.Fatal(err)
	}

	return details
}

// BenchmarkScan scans a generated ~100 MB file from disk with a discarding
// emit and reports throughput and the peak heap in use while scanning.
func BenchmarkScan(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.bai2")
	want := writeBenchFile(b, path, 100<<20)

	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}

	b.SetBytes(st.Size())
	b.ReportAllocs()
	runtime.GC()

	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})

	go samplePeakHeap(&peak, stop, done)

	b.ResetTimer()

	for b.Loop() {
		// The last scan's garbage must not count towards this one's peak.
		b.StopTimer()
		runtime.GC()
		b.StartTimer()

		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}

		n := 0
		file, err := bai2.Scan("bench.bai2", f, func(bankfile.Transaction) error {
			n++
			return nil
		})
		f.Close()

		if err != nil {
			b.Fatal(err)
		}

		if n != want || file.Controls != bankfile.ControlsOK {
			b.Fatalf("%d transactions, controls %s", n, file.Controls)
		}
	}

	b.StopTimer()
	close(stop)
	<-done

	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-MB")
}

// samplePeakHeap records the largest heap in use (live and not yet swept
// objects, plus free space in in-use spans, as HeapInuse counts it) until stop
// is closed.
func samplePeakHeap(peak *atomic.Uint64, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)

	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
	}

	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()

	for {
		metrics.Read(samples)

		inUse := samples[0].Value.Uint64() + samples[1].Value.Uint64()
		if inUse > peak.Load() {
			peak.Store(inUse)
		}

		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}
