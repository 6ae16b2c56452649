package lockbox

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrLayout reports a Layout that cannot be used.
var ErrLayout = errors.New("invalid lockbox layout")

// Span is a column range of a fixed-width record, 1-based and inclusive as
// bank guides print them. The zero Span is a field the layout does not have.
type Span struct {
	From, To int
}

// IsZero reports whether the span is absent from the layout.
func (s Span) IsZero() bool { return s.From == 0 && s.To == 0 }

// InvoiceSpan locates one invoice line in a record: the invoice number and
// the amount paid against it in cents (blank when the payer stated none).
type InvoiceSpan struct {
	Ref, Amount Span
}

// Layout is the column map of BAI lockbox records for one bank. Position 1 of
// every record is its type. Fields a bank does not send are zero Spans; only
// DetailAmount is required.
type Layout struct {
	// HeaderDate is the transmission date (YYMMDD) of the 1 record, used when
	// a batch has no deposit date.
	HeaderDate Span

	// BatchHeaderLockbox and BatchHeaderDate are the lockbox number and the
	// deposit date (YYMMDD) of the 5 record.
	BatchHeaderLockbox, BatchHeaderDate Span

	// DetailBatch and DetailItem number the check (6 record); overflow and
	// batch total records refer to them. DetailAmount is the check amount in
	// cents.
	DetailBatch, DetailItem, DetailAmount Span

	// DetailRouting and DetailAccount are the remitter's MICR routing and
	// account, DetailCheck the check number, DetailRemitter the remitter name.
	DetailRouting, DetailAccount, DetailCheck, DetailRemitter Span

	// DetailInvoices are invoice lines some banks put in the 6 record.
	DetailInvoices []InvoiceSpan

	// OverflowBatch and OverflowItem name the check an overflow (4) record
	// continues; OverflowSequence is its sequence number and OverflowLast its
	// last-record indicator ("9" on the last, "0" before).
	OverflowBatch, OverflowItem, OverflowSequence, OverflowLast Span

	// OverflowInvoices are the invoice lines of a 4 record.
	OverflowInvoices []InvoiceSpan

	// BatchTotalBatch, BatchTotalLockbox, BatchTotalCount and
	// BatchTotalAmount are the batch, lockbox, item count and amount in cents
	// of the batch total (7) record.
	BatchTotalBatch, BatchTotalLockbox, BatchTotalCount, BatchTotalAmount Span

	// LockboxTotalLockbox, LockboxTotalCount and LockboxTotalAmount are the
	// lockbox, item count and amount in cents of the lockbox total (8) record.
	LockboxTotalLockbox, LockboxTotalCount, LockboxTotalAmount Span

	// TrailerRecords is the count of all records in the 9 record.
	TrailerRecords Span
}

// DefaultLayout returns the layout of the BAI lockbox sample published with
// FundersClub/bai-lockbox, which follows the common BAI field order: 6 record
// batch 2-4, item 5-7, amount 8-17, routing 18-26, account 27-36, check number
// 37-46, check date 47-52, remitter 53-82; 4 record batch 2-4, item 5-7,
// overflow type 8, sequence 9-10, last indicator 11, then one invoice number
// (12-41) and its amount (42-51).
func DefaultLayout() Layout {
	return Layout{
		HeaderDate:          Span{24, 29},
		BatchHeaderLockbox:  Span{8, 14},
		BatchHeaderDate:     Span{15, 20},
		DetailBatch:         Span{2, 4},
		DetailItem:          Span{5, 7},
		DetailAmount:        Span{8, 17},
		DetailRouting:       Span{18, 26},
		DetailAccount:       Span{27, 36},
		DetailCheck:         Span{37, 46},
		DetailRemitter:      Span{53, 82},
		OverflowBatch:       Span{2, 4},
		OverflowItem:        Span{5, 7},
		OverflowSequence:    Span{9, 10},
		OverflowLast:        Span{11, 11},
		OverflowInvoices:    []InvoiceSpan{{Ref: Span{12, 41}, Amount: Span{42, 51}}},
		BatchTotalBatch:     Span{2, 4},
		BatchTotalLockbox:   Span{8, 14},
		BatchTotalCount:     Span{21, 23},
		BatchTotalAmount:    Span{24, 33},
		LockboxTotalLockbox: Span{8, 14},
		LockboxTotalCount:   Span{21, 24},
		LockboxTotalAmount:  Span{25, 34},
		TrailerRecords:      Span{2, 7},
	}
}

// Validate reports a layout whose spans are reversed, start in the record
// type column, lie beyond MaxLineLen or hold amounts too long for int64, and a
// layout without DetailAmount.
func (l Layout) Validate() error {
	if l.DetailAmount.IsZero() {
		return fmt.Errorf("%w: DetailAmount is required", ErrLayout)
	}

	for name, s := range l.spans() {
		if s.IsZero() {
			continue
		}

		if s.From < 2 || s.To < s.From || s.To > MaxLineLen {
			return fmt.Errorf("%w: %s %d-%d", ErrLayout, name, s.From, s.To)
		}
	}

	for name, s := range l.amountSpans() {
		if s.To-s.From+1 > 18 {
			return fmt.Errorf("%w: %s %d-%d is longer than 18 digits", ErrLayout, name,
				s.From, s.To)
		}
	}

	return nil
}

func (l Layout) spans() map[string]Span {
	m := map[string]Span{
		"HeaderDate": l.HeaderDate, "BatchHeaderLockbox": l.BatchHeaderLockbox,
		"BatchHeaderDate": l.BatchHeaderDate, "DetailBatch": l.DetailBatch,
		"DetailItem": l.DetailItem, "DetailRouting": l.DetailRouting,
		"DetailAccount": l.DetailAccount, "DetailCheck": l.DetailCheck,
		"DetailRemitter": l.DetailRemitter, "OverflowBatch": l.OverflowBatch,
		"OverflowItem": l.OverflowItem, "OverflowSequence": l.OverflowSequence,
		"OverflowLast": l.OverflowLast, "BatchTotalBatch": l.BatchTotalBatch,
		"BatchTotalLockbox": l.BatchTotalLockbox, "LockboxTotalLockbox": l.LockboxTotalLockbox,
		"TrailerRecords": l.TrailerRecords,
	}

	for name, s := range l.amountSpans() {
		m[name] = s
	}

	for i, in := range l.DetailInvoices {
		m[fmt.Sprintf("DetailInvoices[%d].Ref", i)] = in.Ref
	}

	for i, in := range l.OverflowInvoices {
		m[fmt.Sprintf("OverflowInvoices[%d].Ref", i)] = in.Ref
	}

	return m
}

// amountSpans are the numeric fields read as int64.
func (l Layout) amountSpans() map[string]Span {
	m := map[string]Span{
		"DetailAmount": l.DetailAmount, "BatchTotalCount": l.BatchTotalCount,
		"BatchTotalAmount": l.BatchTotalAmount, "LockboxTotalCount": l.LockboxTotalCount,
		"LockboxTotalAmount": l.LockboxTotalAmount,
	}

	for i, in := range l.DetailInvoices {
		m[fmt.Sprintf("DetailInvoices[%d].Amount", i)] = in.Amount
	}

	for i, in := range l.OverflowInvoices {
		m[fmt.Sprintf("OverflowInvoices[%d].Amount", i)] = in.Amount
	}

	return m
}

// fixed is one fixed-width record: its text and, when the text is not ASCII,
// its characters, so that columns count characters rather than bytes.
type fixed struct {
	text  string
	runes []rune
}

func newFixed(text string) fixed {
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			return fixed{text: text, runes: []rune(text)}
		}
	}

	return fixed{text: text}
}

// field returns the characters of span s, "" for a zero span or one beyond
// the end of a short (unpadded) record.
func (f fixed) field(s Span) string {
	if s.IsZero() {
		return ""
	}

	if f.runes == nil {
		if s.From > len(f.text) {
			return ""
		}

		return f.text[s.From-1 : min(s.To, len(f.text))]
	}

	if s.From > len(f.runes) {
		return ""
	}

	return string(f.runes[s.From-1 : min(s.To, len(f.runes))])
}

// length is the record's length in characters.
func (f fixed) length() int {
	if f.runes == nil {
		return len(f.text)
	}

	return len(f.runes)
}
