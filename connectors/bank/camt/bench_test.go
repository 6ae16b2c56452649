package camt_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// generate returns a camt.053.001.02 statement with n entries; every batch-th
// entry is a batch of three details. Balances and the summary reconcile.
func generate(n, batch int) []byte {
	var b bytes.Buffer
	if err := writeGenerated(&b, n, batch); err != nil {
		panic(err)
	}

	return b.Bytes()
}

// details are the amounts of the generated entry i, in cents.
func details(i, batch int) []int64 {
	cents := int64(1000 + i%50000)
	if batch > 0 && i%batch == 0 {
		return []int64{cents, 250, 1}
	}

	return []int64{cents}
}

// writeGenerated writes the statement of generate to w as it goes, so that a
// file of any size is written in little memory.
func writeGenerated(out io.Writer, n, batch int) error {
	w := bufio.NewWriterSize(out, 64<<10)

	var total int64
	for i := range n {
		for _, d := range details(i, batch) {
			total += d
		}
	}

	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>`+"\n"+
		"<GrpHdr><MsgId>BENCH</MsgId></GrpHdr>\n<Stmt><Id>BENCH-1</Id>\n"+
		"<Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>\n")
	fmt.Fprintf(w, "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0.00</Amt>"+
		"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-01-15</Dt></Dt></Bal>\n"+
		"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">%d.%02d</Amt>"+
		"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-01-15</Dt></Dt></Bal>\n"+
		"<TxsSummry><TtlCdtNtries><NbOfNtries>%d</NbOfNtries><Sum>%d.%02d</Sum>"+
		"</TtlCdtNtries></TxsSummry>\n",
		total/100, total%100, n, total/100, total%100)

	for i := range n {
		ds := details(i, batch)

		var sum int64
		for _, d := range ds {
			sum += d
		}

		fmt.Fprintf(w, "<Ntry>\n  <Amt Ccy=\"EUR\">%d.%02d</Amt>\n"+
			"  <CdtDbtInd>CRDT</CdtDbtInd>\n  <Sts>BOOK</Sts>\n"+
			"  <BookgDt><Dt>2025-01-15</Dt></BookgDt>\n  <ValDt><Dt>2025-01-15</Dt></ValDt>\n"+
			"  <AcctSvcrRef>REF%08d</AcctSvcrRef>\n"+
			"  <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd>"+
			"<SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\n"+
			"  <NtryDtls>\n", sum/100, sum%100, i)

		for j, d := range ds {
			fmt.Fprintf(w, "    <TxDtls>\n"+
				"      <Refs><EndToEndId>E2E-%d-%d</EndToEndId></Refs>\n"+
				"      <AmtDtls><TxAmt><Amt Ccy=\"EUR\">%d.%02d</Amt></TxAmt></AmtDtls>\n"+
				"      <RltdPties><Dbtr><Nm>CUSTOMER %d</Nm></Dbtr>"+
				"<DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct></RltdPties>\n"+
				"      <RmtInf><Ustrd>INV-%06d payment for services</Ustrd></RmtInf>\n"+
				"    </TxDtls>\n",
				i, j, d/100, d%100, i%997, i)
		}

		w.WriteString("  </NtryDtls>\n</Ntry>\n")
	}

	w.WriteString("</Stmt>\n</BkToCstmrStmt></Document>\n")

	return w.Flush()
}

func TestGeneratedStatement(t *testing.T) {
	t.Parallel()

	data := generate(300, 10)
	f := mustRead(t, "gen", data, camt.Options{})

	if len(f.Transactions) != 300+2*30 || f.Controls != "ok" {
		t.Fatalf("%d transactions, controls %s", len(f.Transactions), f.Controls)
	}
}

func BenchmarkCamtRead(b *testing.B) {
	data := generate(10_000, 10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()

	for b.Loop() {
		if _, err := camt.Read("bench", data); err != nil {
			b.Fatal(err)
		}
	}
}

// benchEntries makes the generated statement about 100 MB.
const benchEntries = 125_000

// BenchmarkScan streams a generated camt.053 of about 100 MB from a file and
// reports the peak of the heap in use while it is read (peak-MB), sampled
// every 5 ms (each sample stops the world briefly).
func BenchmarkScan(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.xml")

	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}

	if err := writeGenerated(f, benchEntries, 10); err != nil {
		b.Fatal(err)
	}

	size, err := f.Seek(0, io.SeekEnd)
	if err != nil || f.Close() != nil {
		b.Fatal(err)
	}

	b.SetBytes(size)
	b.ReportAllocs()

	var peak uint64
	for b.Loop() {
		peak = max(peak, scanFile(b, path))
	}

	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
}

// scanFile scans the file at path, checks what it read and returns the peak
// of the heap in use meanwhile.
func scanFile(b *testing.B, path string) uint64 {
	b.Helper()

	in, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()

	runtime.GC()

	var peak atomic.Uint64

	done := make(chan struct{})
	sampled := make(chan struct{})

	go func() {
		defer close(sampled)

		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()

		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}

			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()

	n := 0
	file, err := camt.Scan("big.xml", in, func(bankfile.Transaction) error {
		n++
		return nil
	})

	close(done)
	<-sampled

	if err != nil || file.Controls != bankfile.ControlsOK || n != benchEntries*12/10 {
		b.Fatalf("scan: %v, %d transactions", err, n)
	}

	return peak.Load()
}
