// Package bankfile is the format-neutral model of a bank file: what every reader
// (NACHA, camt, CSV, ...) produces and what ingestion, matching and the exception
// queue consume. It holds no parsing code; readers live under connectors/bank.
package bankfile

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/internal/money"
)

// Format names a bank file format as detected from its content.
type Format string

// The formats o2c knows. FormatUnknown is what detection reports for anything else.
const (
	FormatUnknown Format = "unknown"
	FormatNACHA   Format = "nacha"
	FormatCAMT052 Format = "camt.052"
	FormatCAMT053 Format = "camt.053"
	FormatCAMT054 Format = "camt.054"
	FormatCSV     Format = "csv"
	FormatBAI2    Format = "bai2"
	FormatMT940   Format = "mt940"
	FormatMT942   Format = "mt942" // SWIFT interim (intraday) report
	FormatLockbox Format = "lockbox"
)

// Direction says whether money came into (credit) or left (debit) our account.
type Direction string

// Directions of a transaction as seen from the statement's account.
const (
	Credit Direction = "credit"
	Debit  Direction = "debit"
)

// Kind says what a transaction is. Only KindPayment credits are cash to apply.
type Kind string

// Kinds of transaction.
const (
	// KindPayment is an ordinary transfer: for a credit, cash received.
	KindPayment Kind = "payment"
	// KindReturn is a payment sent back by the payer's bank (ACH R-codes, camt RtrInf).
	KindReturn Kind = "return"
	// KindReversal undoes an earlier entry (camt RvslInd, NACHA reversal, MT940 RC/RD).
	KindReversal Kind = "reversal"
	// KindNotice carries information only and moves no money (NACHA NOC, prenotes).
	KindNotice Kind = "notice"
	// KindCharge is a bank fee or charge.
	KindCharge Kind = "charge"
)

// Controls is the result of reconciling a file's own control totals.
type Controls string

// Control-check results.
const (
	ControlsOK       Controls = "ok"
	ControlsMismatch Controls = "mismatch"
	ControlsNone     Controls = "none"
)

// Remit is one line of structured remittance: an invoice (or other document)
// reference with the amounts the payer stated for it. Amounts are minor units of
// the transaction's currency; zero means not stated.
type Remit struct {
	Ref      string `json:"ref"`                      // document number as the payer wrote it
	RefType  string `json:"ref_type,omitempty"`       // qualifier: "IV", "PO", "SO", "RF", "CINV"
	Paid     int64  `json:"paid_minor,omitempty"`     // amount paid against this document
	Invoiced int64  `json:"invoiced_minor,omitempty"` // document amount as the payer knows it
	Discount int64  `json:"discount_minor,omitempty"` // discount the payer took
}

// Transaction is one bank transaction: for a credit of KindPayment, one payment to
// apply. Amount is always positive; Direction gives the sign.
type Transaction struct {
	// 1-based position among the file's transactions.
	Seq int `json:"seq"`

	// 1-based line where the transaction starts, 0 if unknown.
	Line int `json:"line,omitempty"`

	// Our account: IBAN, routing:account or the bank's id.
	Account string `json:"account,omitempty"`

	// Credit or debit.
	Direction Direction `json:"direction"`

	// Payment, return, reversal, notice or charge.
	Kind Kind `json:"kind"`

	// Positive amount in the transaction's currency.
	Amount money.Amount `json:"amount"`

	// Charges the banks deducted from a credit before booking it, in minor
	// units of Amount's currency: the payer sent Amount + Charges. Set only
	// when the file states the charges and its amounts confirm the deduction;
	// zero otherwise.
	Charges int64 `json:"charges_minor,omitempty"`

	// Date the bank booked it (UTC midnight), zero if absent.
	BookingDate time.Time `json:"booking_date,omitzero"`

	// Value or effective date (UTC midnight), zero if absent.
	ValueDate time.Time `json:"value_date,omitzero"`

	// The bank's own reference (see README: bank_reference).
	BankRef string `json:"bank_ref,omitempty"`

	// Payer's end-to-end id where the format has one.
	EndToEndID string `json:"end_to_end_id,omitempty"`

	// Payer's own payment reference (X12 TRN02, ...).
	PaymentRef string `json:"payment_ref,omitempty"`

	// Ordering party as the bank reports it.
	PayerName string `json:"payer_name,omitempty"`

	// Ordering party's IBAN or routing:account.
	PayerAccount string `json:"payer_account,omitempty"`

	// Ordering party's id (ACH company id, BIC, org id).
	PayerID string `json:"payer_id,omitempty"`

	// Free remittance text, continuation lines joined.
	Remittance string `json:"remittance,omitempty"`

	// Structured remittance lines, in file order.
	Remits []Remit `json:"remits,omitempty"`

	// R-code or ISO return reason for returns.
	ReturnCode string `json:"return_code,omitempty"`

	// For returns and reversals: the original's bank reference.
	OriginalRef string `json:"original_ref,omitempty"`

	// Stable key: the same transaction re-sent gets the same key.
	DedupeKey string `json:"dedupe_key"`

	// EntryKey names the bank's booking this transaction belongs to, the same in
	// every file that reports the booking, at any granularity: a camt.053 batch
	// entry and the camt.054 details of that batch share it. Money already
	// stored under an EntryKey from another file is not counted again. Empty
	// when the format gives no bank reference for the booking.
	EntryKey string `json:"entry_key,omitempty"`

	// Set when the transaction is read but must not be auto-applied.
	Problem string `json:"problem,omitempty"`
}

// File is a bank file as read: its detected format and encoding, its transactions
// and the result of its control checks. Warnings did not stop the read.
type File struct {
	Name         string
	Format       Format
	Encoding     string // "utf-8", "utf-8-bom", "windows-1252", "iso-8859-1", "ascii"
	Account      string // main account of the file, when there is one
	Currency     string // main currency of the file, when there is one
	Transactions []Transaction
	Controls     Controls
	Warnings     []Problem
	// Balances the file states for its accounts (opening and closing ledger,
	// available balances, summary totals), in file order; nil when it states none.
	Balances []Balance
	// Profile names the bank profile a CSV export was read with or, when none
	// matched, describes what the reader guessed. Empty for other formats.
	Profile string
}

// Problem is one thing wrong in a file, located as precisely as the format allows.
type Problem struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Value   string `json:"value,omitempty"`
	Message string `json:"message"`
}

// Error formats the problem as "file:line: field: message (value "v")".
func (p Problem) Error() string {
	var b strings.Builder

	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}

	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}

	b.WriteString(p.Message)
	if p.Value != "" {
		fmt.Fprintf(&b, " (value %q)", p.Value)
	}

	return b.String()
}

// Error rejects a whole file and lists every problem found in it.
type Error struct {
	File     string
	Format   Format
	Problems []Problem
	// Controls is ControlsMismatch when a control total of the file did not
	// reconcile; empty when the reader did not get that far or does not say.
	Controls Controls
	// Profile is what File.Profile of the rejected file would have said; empty
	// when the reader did not get that far or does not say.
	Profile string
}

// Error joins the first problems into one line; Problems has them all.
func (e *Error) Error() string {
	if len(e.Problems) == 0 {
		return fmt.Sprintf("%s: rejected", e.File)
	}

	msgs := make([]string, 0, 3)
	for i, p := range e.Problems {
		if i == 3 {
			msgs = append(msgs, fmt.Sprintf("and %d more", len(e.Problems)-3))
			break
		}

		msgs = append(msgs, p.Error())
	}

	return strings.Join(msgs, "; ")
}

// Credits returns the count and total of credit transactions of KindPayment.
func (f *File) Credits() (count int, total int64) {
	for _, t := range f.Transactions {
		if t.Direction == Credit && t.Kind == KindPayment {
			count++
			total += t.Amount.Minor
		}
	}

	return count, total
}

// TextProblems lists the transaction text fields that no store or export can hold
// as text: NUL bytes and invalid UTF-8. Readers decode to UTF-8, so these come
// only from files that smuggle control bytes into names and remittance.
func (f *File) TextProblems() []Problem {
	var out []Problem

	for i := range f.Transactions {
		out = append(out, f.Transactions[i].TextProblems(f.Name)...)
	}

	return out
}

// TextProblems lists the text fields of t that no store or export can hold as
// text (NUL bytes, invalid UTF-8), as problems of the file named file.
func (t *Transaction) TextProblems(file string) []Problem {
	var out []Problem

	for _, fv := range [...]struct{ field, value string }{
		{"account", t.Account}, {"bank_ref", t.BankRef}, {"end_to_end_id", t.EndToEndID},
		{"payment_ref", t.PaymentRef}, {"payer_name", t.PayerName},
		{"payer_account", t.PayerAccount}, {"payer_id", t.PayerID},
		{"remittance", t.Remittance}, {"return_code", t.ReturnCode},
		{"original_ref", t.OriginalRef}, {"dedupe_key", t.DedupeKey},
		{"entry_key", t.EntryKey},
	} {
		if badText(fv.value) {
			out = append(out, Problem{File: file, Line: t.Line, Field: fv.field,
				Value:   strings.ToValidUTF8(strings.ReplaceAll(fv.value, "\x00", `\0`), "?"),
				Message: "contains a NUL byte or invalid UTF-8"})
		}
	}

	for _, r := range t.Remits {
		if badText(r.Ref) || badText(r.RefType) {
			out = append(out, Problem{File: file, Line: t.Line, Field: "remittance reference",
				Message: "contains a NUL byte or invalid UTF-8"})
		}
	}

	return out
}

func badText(s string) bool {
	return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s)
}
