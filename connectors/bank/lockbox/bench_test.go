package lockbox_test

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank/lockbox"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// benchChecks makes a generated file of about 100 MB.
const benchChecks = 470_000

// heapSampler records the peak of live heap objects while it runs.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

func startHeapSampler() *heapSampler {
	s := &heapSampler{stop: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

	s.done.Add(1)

	go func() {
		defer s.done.Done()

		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()

		for {
			metrics.Read(sample)
			s.peak = max(s.peak, sample[0].Value.Uint64())

			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()

	return s
}

// finish stops sampling and returns the peak in MB.
func (s *heapSampler) finish() float64 {
	close(s.stop)
	s.done.Wait()

	return float64(s.peak) / (1 << 20)
}

// BenchmarkScan scans a generated BAI lockbox file of about 100 MB from an
// *os.File with a discarding emit, and reports MB/s and the peak heap.
func BenchmarkScan(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.lbx")

	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}

	total, err := generate(out, benchChecks, 200)
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

		file, err := lockbox.Scan("bench", f, func(tr bankfile.Transaction) error {
			n++
			sum += tr.Amount.Minor

			return nil
		})

		peak = max(peak, s.finish())
		_ = f.Close()

		if err != nil {
			b.Fatal(err)
		}

		if n != benchChecks || sum != total || file.Controls != bankfile.ControlsOK {
			b.Fatalf("%d checks for %d, controls %q", n, sum, file.Controls)
		}
	}

	b.ReportMetric(peak, "peak-MB")
}
