package nacha_test

import (
	"fmt"
	"testing"

	"github.com/moov-io/ach"

	"github.com/o2c-dev/o2c/connectors/bank/nacha"
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
