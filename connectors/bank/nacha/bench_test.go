package nacha_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/moov-io/ach"

	"github.com/o2c-dev/o2c/connectors/bank/nacha"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// benchFile writes, with moov-io/ach, ten CCD batches of 1,000 credits each,
// every entry with one RMR addenda: 10,000 entries, 20,000 records.
func benchFile(b *testing.B) []byte {
	b.Helper()

	var batches []ach.Batcher

	for bn := 0; bn < 10; bn++ {
		bh := ach.NewBatchHeader()
		bh.ServiceClassCode = ach.CreditsOnly
		bh.CompanyName = fmt.Sprintf("CUSTOMER %03d", bn)
		bh.CompanyIdentification = fmt.Sprintf("1%09d", bn)
		bh.StandardEntryClassCode = ach.CCD
		bh.CompanyEntryDescription = "PAYMENT"
		bh.EffectiveEntryDate = "260302"
		bh.ODFIIdentification = "12104288"

		batch, err := ach.NewBatch(bh)
		if err != nil {
			b.Fatal(err)
		}

		for i := 0; i < 1000; i++ {
			n := bn*1000 + i
			cents := 10000 + n*7

			ed := ach.NewEntryDetail()
			ed.TransactionCode = ach.CheckingCredit
			ed.SetRDFI("231380104")
			ed.DFIAccountNumber = "000555666777"
			ed.Amount = cents
			ed.IdentificationNumber = fmt.Sprintf("CUST-%05d", n)
			ed.IndividualName = "GLOBEX SUPPLY"
			ed.SetTraceNumber(bh.ODFIIdentification, i+1)
			ed.AddendaRecordIndicator = 1

			a := ach.NewAddenda05()
			a.PaymentRelatedInformation = fmt.Sprintf("RMR*IV*INV-%06d**%d.%02d\\",
				n, cents/100, cents%100)
			ed.AddAddenda05(a)
			batch.AddEntry(ed)
		}

		batches = append(batches, batch)
	}

	return writeMoov(b, moovHeader("260301", "0915", "A"), batches...)
}

func BenchmarkReadNACHA(b *testing.B) {
	data := benchFile(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()

	for b.Loop() {
		f, err := nacha.Read("bench.ach", data)
		if err != nil {
			b.Fatal(err)
		}

		if len(f.Transactions) != 10000 {
			b.Fatalf("%d transactions", len(f.Transactions))
		}
	}
}

// writeGen writes a generated file to a temporary folder of b and returns its
// path and size.
func writeGen(b *testing.B, g *achGen) (string, int64) {
	b.Helper()

	path := filepath.Join(b.TempDir(), "gen.ach")

	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}

	n, err := io.Copy(f, g)
	if err != nil {
		b.Fatal(err)
	}

	if err := f.Close(); err != nil {
		b.Fatal(err)
	}

	return path, n
}

// peakHeap samples the heap in use while a benchmark runs.
type peakHeap struct {
	stop chan struct{}
	done chan struct{}
	peak uint64
}

func startPeak() *peakHeap {
	runtime.GC()

	p := &peakHeap{stop: make(chan struct{}), done: make(chan struct{})}

	go func() {
		defer close(p.done)

		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()

		var ms runtime.MemStats

		for {
			runtime.ReadMemStats(&ms)
			p.peak = max(p.peak, ms.HeapInuse)

			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	}()

	return p
}

// report stops sampling and reports the peak in MiB as peak-MB.
func (p *peakHeap) report(b *testing.B) {
	close(p.stop)
	<-p.done
	b.ReportMetric(float64(p.peak)/(1<<20), "peak-MB")
}

// scanPath scans the file at path, discarding the transactions but counting
// them and their total.
func scanPath(b *testing.B, path string) (*bankfile.File, int, int64, error) {
	b.Helper()

	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()

	n, total := 0, int64(0)
	file, err := nacha.Scan("b11.ach", f, func(t bankfile.Transaction) error {
		n++
		total += t.Amount.Minor

		return nil
	})

	return file, n, total, err
}

// BenchmarkScan100MB is case B11: 500,000 credits with their addenda (about
// 95 MB) read from disk in bounded memory, and a copy with a 93-character
// record at line 700,001 rejected naming that line, its type and the rule.
func BenchmarkScan100MB(b *testing.B) {
	const pairs, perBatch, bad = 500_000, 50_000, 700_001

	g := newGen(pairs, perBatch)
	if g.lineOf(349_994) != bad {
		b.Fatalf("line %d is not an entry detail record", bad)
	}

	valid, size := writeGen(b, g)

	g = newGen(pairs, perBatch)
	g.corrupt = bad
	corrupt, _ := writeGen(b, g)

	b.Run("valid", func(b *testing.B) {
		b.SetBytes(size)
		peak := startPeak()

		for b.Loop() {
			f, n, total, err := scanPath(b, valid)
			if err != nil || n != pairs || total != genCredits(pairs) ||
				f.Controls != bankfile.ControlsOK {
				b.Fatalf("%d transactions totalling %d: %v", n, total, err)
			}
		}

		peak.report(b)
	})

	b.Run("corrupt-line-700001", func(b *testing.B) {
		b.SetBytes(size)
		peak := startPeak()

		for b.Loop() {
			_, n, _, err := scanPath(b, corrupt)

			var be *bankfile.Error
			if !errors.As(err, &be) || n >= 349_994 {
				b.Fatalf("%d emitted, err = %v", n, err)
			}

			p := be.Problems[0]
			if p.Line != bad || p.Field != "entry detail record" ||
				p.Message != "entry detail record must be 94 characters, found 93" {
				b.Fatalf("first problem %+v", p)
			}
		}

		peak.report(b)
	})
}

// BenchmarkMoovVsScan reads the same generated files of about 10 and 100 MB
// with moov-io/ach's reader (the whole file into memory, default validation)
// and with Scan.
func BenchmarkMoovVsScan(b *testing.B) {
	for _, sz := range []struct {
		name  string
		pairs int
	}{{"10MB", 52_500}, {"100MB", 525_000}} {
		path, size := writeGen(b, newGen(sz.pairs, 50_000))

		b.Run(sz.name+"/moov", func(b *testing.B) {
			b.SetBytes(size)
			peak := startPeak()

			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}

				file, err := ach.NewReader(f).Read()
				f.Close()

				if err != nil || len(file.Batches) != (sz.pairs+49_999)/50_000 {
					b.Fatalf("%d batches: %v", len(file.Batches), err)
				}
			}

			peak.report(b)
		})

		b.Run(sz.name+"/o2c", func(b *testing.B) {
			b.SetBytes(size)
			peak := startPeak()

			for b.Loop() {
				_, n, _, err := scanPath(b, path)
				if err != nil || n != sz.pairs {
					b.Fatalf("%d transactions: %v", n, err)
				}
			}

			peak.report(b)
		})
	}
}
