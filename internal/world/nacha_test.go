package world_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moov-io/ach"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/world"
)

func writeNACHA(t *testing.T, ps []world.Payment, opts world.NACHAOptions) []byte {
	t.Helper()

	var b bytes.Buffer
	if err := world.WriteNACHA(&b, ps, opts); err != nil {
		t.Fatalf("WriteNACHA: %v", err)
	}

	return b.Bytes()
}

// readMoov reads data with moov-io/ach's reader and default validation, then
// validates the file again.
func readMoov(t *testing.T, data []byte) ach.File {
	t.Helper()

	file, err := ach.NewReader(bytes.NewReader(data)).Read()
	if err != nil {
		t.Fatalf("moov-io/ach Read: %v", err)
	}

	if err := file.Validate(); err != nil {
		t.Fatalf("moov-io/ach Validate: %v", err)
	}

	return file
}

func TestWriteNACHAPassesMoovValidation(t *testing.T) {
	t.Parallel()

	f := usFixture(t, 21, 300)
	opts := f.w.NACHAOptions()
	data := writeNACHA(t, f.payments, opts)
	file := readMoov(t, data)

	byTrace := map[string]world.Payment{}
	var total int64
	for _, p := range f.payments {
		byTrace[p.Trace] = p
		total += p.Amount.Minor
	}

	routing, account, _ := strings.Cut(opts.ReceiverAccount, ":")
	entries := 0
	secs := map[string]int{}
	for _, b := range file.Batches {
		h := b.GetHeader()
		secs[h.StandardEntryClassCode]++
		for _, e := range b.GetEntries() {
			entries++
			p, ok := byTrace[e.TraceNumber]
			if !ok {
				t.Fatalf("entry trace %s is no payment's", e.TraceNumber)
			}

			if e.TransactionCode != ach.CheckingCredit || int64(e.Amount) != p.Amount.Minor ||
				e.RDFIIdentification+e.CheckDigit != routing ||
				strings.TrimSpace(e.DFIAccountNumber) != account {
				t.Errorf("entry %s: code %d amount %d to %s%s/%s", e.TraceNumber,
					e.TransactionCode, e.Amount, e.RDFIIdentification, e.CheckDigit,
					e.DFIAccountNumber)
			}

			name := strings.ToUpper(p.PayerName)
			if len(name) > 16 {
				name = strings.TrimSpace(name[:16])
			}

			if strings.TrimSpace(h.CompanyName) != name || h.ODFIIdentification != p.Trace[:8] {
				t.Errorf("entry %s in batch of %q/%s, payer %q", e.TraceNumber, h.CompanyName,
					h.ODFIIdentification, p.PayerName)
			}
		}
	}

	fc := file.Control
	if entries != len(f.payments) || int64(fc.TotalCreditEntryDollarAmountInFile) != total ||
		fc.TotalDebitEntryDollarAmountInFile != 0 {
		t.Errorf("moov read %d entries, credit %d; wrote %d payments, total %d", entries,
			file.Control.TotalCreditEntryDollarAmountInFile, len(f.payments), total)
	}

	if secs["CTX"] == 0 || secs["CCD"] == 0 {
		t.Errorf("batches by SEC code: %v, want CTX and CCD", secs)
	}

	checkControls(t, data)
	checkAddenda(t, data, byTrace, opts)
}

func TestWriteNACHAEnvelopeAndCRLF(t *testing.T) {
	t.Parallel()

	f := usFixture(t, 4, 120)
	opts := f.w.NACHAOptions()
	opts.Envelope, opts.CRLF = true, true
	data := writeNACHA(t, f.payments, opts)
	file := readMoov(t, data)
	if n := len(file.Batches); n == 0 {
		t.Fatal("no batches")
	}

	if strings.Count(string(data), "\r\n") != strings.Count(string(data), "\n") {
		t.Error("not every record ends with CR LF")
	}

	byTrace := map[string]world.Payment{}
	for _, p := range f.payments {
		byTrace[p.Trace] = p
	}

	checkControls(t, bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")))
	n := checkAddenda(t, bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), byTrace, opts)
	if n == 0 {
		t.Error("no CTX entry to check the envelope on")
	}
}

// checkControls recomputes the batch and file controls from the records.
func checkControls(t *testing.T, data []byte) {
	t.Helper()

	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines)%10 != 0 {
		t.Errorf("%d lines, not a multiple of the blocking factor 10", len(lines))
	}

	var hash, credit, fileHash, fileCredit int64
	count, fileCount, batches, seen := 0, 0, 0, 0
	for i, l := range lines {
		if len(l) != 94 {
			t.Fatalf("line %d has %d characters: %q", i+1, len(l), l)
		}

		switch l[0] {
		case '5':
			hash, credit, count = 0, 0, 0
			batches++
		case '6':
			hash += atoi(t, l[3:11])
			credit += atoi(t, l[29:39])
			count++
		case '7':
			count++
		case '8':
			if atoi(t, l[4:10]) != int64(count) || atoi(t, l[10:20]) != hash%10_000_000_000 ||
				atoi(t, l[20:32]) != 0 || atoi(t, l[32:44]) != credit {
				t.Errorf("batch control %q: want count %d hash %d credit %d", l, count, hash,
					credit)
			}

			fileHash += hash
			fileCredit += credit
			fileCount += count
		case '9':
			if seen > 0 {
				if l != strings.Repeat("9", 94) {
					t.Errorf("filler line %q", l)
				}

				continue
			}

			seen++
			if atoi(t, l[1:7]) != int64(batches) || atoi(t, l[7:13]) != int64(len(lines)/10) ||
				atoi(t, l[13:21]) != int64(fileCount) ||
				atoi(t, l[21:31]) != fileHash%10_000_000_000 ||
				atoi(t, l[43:55]) != fileCredit {
				t.Errorf("file control %q: want %d batches, %d blocks, %d records, hash %d, "+
					"credit %d",
					l, batches, len(lines)/10, fileCount, fileHash, fileCredit)
			}
		}
	}
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()

	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("field %q is not a number", s)
	}

	return n
}

// checkAddenda joins the 05 addenda of every entry on all 80 positions and
// checks them against the payment: the X12 820 of CTX entries segment by
// segment, the single CCD addenda as text or one RMR. It returns the number of
// CTX entries.
func checkAddenda(t *testing.T, data []byte, byTrace map[string]world.Payment,
	opts world.NACHAOptions) int {
	t.Helper()

	lines := strings.Split(string(data), "\n")
	ctx := 0
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "6") {
			continue
		}

		p := byTrace[l[79:94]]
		var joined strings.Builder
		seq := 0
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "705") {
			i++
			seq++
			a := lines[i]
			if atoi(t, a[83:87]) != int64(seq) || a[87:94] != p.Trace[8:] {
				t.Errorf("addenda %q: want sequence %d of entry %s", a, seq, p.Trace)
			}

			joined.WriteString(a[3:83])
		}

		text := strings.TrimRight(joined.String(), " ")
		isCTX := l[54:58] != "    " && strings.HasPrefix(text, "ST*820") ||
			strings.HasPrefix(text, "ISA")
		switch {
		case isCTX:
			ctx++
			if atoi(t, l[54:58]) != int64(seq) || (len(text)+79)/80 != seq {
				t.Errorf("entry %s: addenda count field %s, %d addenda for %d characters",
					p.Trace, l[54:58], seq, len(text))
			}

			check820(t, text, p, opts)
		case seq > 1:
			t.Errorf("CCD entry %s has %d addenda", p.Trace, seq)
		case len(p.Remits) == 1:
			r := p.Remits[0]
			want := "RMR*" + r.RefType + "*" + r.Ref + "**" + dec(r.Paid) + "\\"
			if text != want {
				t.Errorf("CCD entry %s addenda %q, want %q", p.Trace, text, want)
			}
		case p.Remittance != "":
			if text != p.Remittance || l[78] != '1' {
				t.Errorf("CCD entry %s addenda %q, want %q", p.Trace, text, p.Remittance)
			}
		default:
			if seq != 0 || l[78] != '0' {
				t.Errorf("entry %s without remittance has %d addenda", p.Trace, seq)
			}
		}
	}

	return ctx
}

// check820 parses the joined 820 and compares it with the payment.
func check820(t *testing.T, text string, p world.Payment, opts world.NACHAOptions) {
	t.Helper()

	if !strings.HasSuffix(text, "\\") {
		t.Fatalf("820 of %s does not end with a segment terminator: %q", p.Trace, text)
	}

	segs := strings.Split(strings.TrimSuffix(text, "\\"), "\\")
	if strings.HasPrefix(segs[0], "ISA") {
		isa := segs[0] + "\\"
		ctl := strings.Split(segs[0], "*")[13]
		if len(isa) != 106 || segs[1][:2] != "GS" || segs[len(segs)-2] != "GE*1*1" ||
			segs[len(segs)-1] != "IEA*1*"+ctl {
			t.Errorf("envelope of %s: ISA %d characters, %q ... %q", p.Trace, len(isa), segs[1],
				segs[len(segs)-1])
		}

		segs = segs[2 : len(segs)-2]
	}

	el := func(i int) []string { return strings.Split(segs[i], "*") }
	var rmr [][]string
	for i := range segs {
		if strings.HasPrefix(segs[i], "RMR*") {
			rmr = append(rmr, el(i))
		}
	}

	bpr := el(1)
	if segs[0] != "ST*820*0001" || segs[len(segs)-1] != "SE*"+strconv.Itoa(len(segs))+"*0001" ||
		bpr[0] != "BPR" || bpr[2] != money.New(p.Amount.Minor, "USD").Decimal() {
		t.Errorf("820 of %s: %q", p.Trace, segs)
	}

	routing, account, _ := strings.Cut(opts.ReceiverAccount, ":")
	if bpr[13] != routing || bpr[15] != account || bpr[16] != p.ValueDate.Format("20060102") {
		t.Errorf("820 of %s BPR %q: receiver %s/%s", p.Trace, segs[1], routing, account)
	}

	payer := ""
	for i := range segs {
		if strings.HasPrefix(segs[i], "N1*PR*") {
			payer = segs[i][6:]
		}
	}

	if payer != strings.ToUpper(p.PayerName) {
		t.Errorf("820 of %s payer %q, want %q", p.Trace, payer, strings.ToUpper(p.PayerName))
	}

	if len(rmr) != len(p.Remits) {
		t.Fatalf("820 of %s has %d RMR, payment %d remits", p.Trace, len(rmr), len(p.Remits))
	}

	var sum int64
	for i, r := range p.Remits {
		got := rmr[i]
		want := []string{"RMR", r.RefType, r.Ref, "", dec(r.Paid), dec(r.Invoiced)}
		if r.Discount != 0 {
			want = append(want, dec(r.Discount))
		}

		if strings.Join(got, "*") != strings.Join(want, "*") {
			t.Errorf("820 of %s: %q, want %q", p.Trace, got, want)
		}

		sum += r.Paid
	}

	if sum != p.Amount.Minor {
		t.Errorf("820 of %s: RMR paid %d, BPR %d", p.Trace, sum, p.Amount.Minor)
	}
}

func dec(minor int64) string { return money.New(minor, "USD").Decimal() }

func TestWriteNACHAFoldsAndCutsNames(t *testing.T) {
	t.Parallel()

	vd := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	ps := []world.Payment{{
		Kind: world.KindMultiInvoice, PayerName: "Müller Präzisionswerkzeuge GmbH",
		PayerAccount: "011000015:12345678", PayerID: "1234567890",
		Amount: money.New(150000, "USD"), ValueDate: vd, Trace: "011000010000001",
		Remits: []bankfile.Remit{
			{Ref: "INV-1", RefType: "IV", Paid: 100000, Invoiced: 100000},
			{Ref: "INV-2", RefType: "IV", Paid: 50000, Invoiced: 51000, Discount: 1000},
		},
	}, {
		Kind: world.KindClean, PayerName: "Østergaard & Søn ApS", Amount: money.New(99, "USD"),
		ValueDate: vd, Trace: "not-a-trace", Remittance: "Zahlung für Rechnung INV-3",
	}}
	opts := world.NACHAOptions{ReceiverName: "Brookvale Instruments Incorporated of Ohio"}
	data := writeNACHA(t, ps, opts)
	file := readMoov(t, data)
	if len(file.Batches) != 2 {
		t.Fatalf("%d batches, want 2", len(file.Batches))
	}

	h := file.Batches[0].GetHeader()
	e := file.Batches[0].GetEntries()[0]
	if h.CompanyName != "MUELLER PRAEZISI" || h.StandardEntryClassCode != "CTX" ||
		strings.TrimSpace(e.CATXReceivingCompanyField()) != "BROOKVALE INSTRU" ||
		e.CATXAddendaRecordsField() != "0004" || len(e.Addenda05) != 4 {
		t.Errorf("CTX batch %q %s, entry %q %q", h.CompanyName, h.StandardEntryClassCode,
			e.CATXReceivingCompanyField(), e.CATXAddendaRecordsField())
	}

	h = file.Batches[1].GetHeader()
	e = file.Batches[1].GetEntries()[0]
	if h.CompanyName != "OESTERGAARD & SO" || e.IndividualName != "BROOKVALE INSTRUMENTS " ||
		e.Addenda05[0].PaymentRelatedInformation != "Zahlung fuer Rechnung INV-3" ||
		!strings.HasPrefix(e.TraceNumber, h.ODFIIdentification) {
		t.Errorf("CCD batch %q, entry %q trace %s, addenda %q", h.CompanyName, e.IndividualName,
			e.TraceNumber, e.Addenda05[0].PaymentRelatedInformation)
	}

	text := rawAddenda(data, file.Batches[0].GetEntries()[0].TraceNumber)
	if !strings.Contains(text, "\\N1*PR*MUELLER PRAEZISIONSWERKZEUGE GMBH\\") ||
		!strings.Contains(text, "\\RMR*IV*INV-2**500.00*510.00*10.00\\SE*9*0001\\") {
		t.Errorf("820 text %q", text)
	}
}

// rawAddenda joins the 80 payment-related positions of the 05 addenda that
// follow the entry with trace.
func rawAddenda(data []byte, trace string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(l, "6"):
			in = l[79:94] == trace
		case in && strings.HasPrefix(l, "705"):
			b.WriteString(l[3:83])
		default:
			in = false
		}
	}

	return b.String()
}

func TestWriteNACHARejectsWhatItCannotCarry(t *testing.T) {
	t.Parallel()

	vd := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		amount money.Amount
		want   error
	}{
		{money.New(100, "CAD"), world.ErrCurrency},
		{money.New(0, "USD"), world.ErrAmount},
		{money.New(10_000_000_000, "USD"), world.ErrAmount},
	} {
		ps := []world.Payment{{PayerName: "X", Amount: tc.amount, ValueDate: vd}}
		var b bytes.Buffer
		err := world.WriteNACHA(&b, ps, world.NACHAOptions{})
		if !errors.Is(err, tc.want) || b.Len() != 0 {
			t.Errorf("amount %v: error %v and %d bytes, want %v and nothing", tc.amount, err,
				b.Len(), tc.want)
		}
	}

	opts := world.NACHAOptions{ReceiverAccount: "123456789:1"}
	err := world.WriteNACHA(&bytes.Buffer{}, nil, opts)
	if err == nil {
		t.Error("a receiver routing number with a wrong check digit was accepted")
	}
}
