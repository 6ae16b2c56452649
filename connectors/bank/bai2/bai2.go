// Package bai2 reads BAI2 cash management balance reports (BAI Cash Management
// Balance Reporting Specification, version 2) into the format-neutral bankfile
// model. It streams: Scan reads line by line, emits each transaction detail as
// soon as its continuations are complete and never holds the whole file.
//
// # Format facts the reader relies on
//
// A file is a sequence of comma-separated logical records, each starting with
// a two-digit record code: 01 file header, 02 group header (as-of date and the
// group currency), 03 account identifier with any number of summary tuples
// (type code, amount, item count, funds type), 16 transaction detail (type code,
// amount, funds type, bank reference, customer reference, text), 88
// continuation of the record before it, 49 account trailer, 98 group trailer
// and 99 file trailer. Amounts have no decimal point: their implied decimals
// are those of the account's currency (03, else 02, else USD), which is exactly
// the number of minor units, so "125000" is 1,250.00 USD and ¥125,000. Summary
// and control amounts may be signed; detail amounts may carry a '+' and zero
// padding but never a '-'. The direction of a detail comes from its type code
// (see TypeCode): 100-399 credit, 400-699 debit, 720-728 loan credits, 760 loan
// debit, 890 information only, 920-959 bank-defined credits and 960-999
// bank-defined debits; status codes (001-099, 701-709, 900-919) and unassigned
// codes carry no direction and reject the file unless Options.TypeCodes names
// them. The funds type decides how many fields follow it: S adds three
// availability amounts, V a value date and time, D a count and that many
// (days, amount) pairs; 0, 1, 2, Z and blank add none.
//
// # Dialects handled
//
//   - '/' ends a record, but it is read as a terminator only where it ends a
//     physical line or is followed by another record on the same line; a '/'
//     inside a reference or the text ("AB/GS/0001", "2/AVENUE") is data.
//   - Several records on one physical line ("…PPD/ 16,142,…/  49,…"), files
//     without line breaks (cut at '/' boundaries while reading, so memory stays
//     bounded), LF, CRLF or CR line ends, blanks padding records to 80
//     columns, records without the closing '/'.
//   - A physical line that does not start with a record code continues the
//     record before it (a 16 text wrapped onto the next line).
//   - An 88 continues whatever the record before it left open: more summary
//     tuples of an 03, even in the middle of a tuple (the type code at the end
//     of the 03 and its amount at the start of the 88), the remaining fields
//     or the text of a 16, and further text. Fields are joined as fields,
//     never as text. A trailing ",/" (an empty last field some banks write as
//     a mere terminator) and empty summary tuples are skipped.
//   - UTF-8 with or without BOM, UTF-16 with BOM, and Windows-1252 or
//     ISO-8859-1 (decided per line) are decoded to UTF-8; control characters
//     become blanks, so no text field holds a NUL or invalid UTF-8.
//
// # What a transaction holds
//
// One transaction per 16 record: Account from the 03, Amount in the account's
// currency, BookingDate the group's as-of date, ValueDate the funds type V date
// (or the as-of date for immediate availability, funds type 0), BankRef the
// bank reference, PaymentRef the customer reference (else a CREF key),
// Remittance the text of the 16 and its 88s joined with one blank between
// records and runs of blanks collapsed. Banks that write "KEY: value" or
// "KEY:=value" fields one per 88 give EndToEndID (EREF) and, for credits,
// PayerName (DBNM, ORG, ORIGINATOR) and PayerAccount (DABA:DACT). Returns
// carry the ACH reason code stated after "Reason" as ReturnCode. A bank that
// reports a lockbox (or DTC, PAC, broker) deposit and the items in it lists
// the same money twice: items after their deposit become notices, and a
// deposit after its items carries a Problem. Groups with status 2 (deletion)
// or 4 (test) reject the file; status 3 (correction) warns.
//
// Kind: codes that return an item (a bounced deposit 555, ACH returns 257/557,
// rejected credits 261, return items 266/566...) are returns; reversals and
// posting-error corrections (252, 258, 395, 552, 558, 694...) reversals; bank
// fees, fee refunds and interest charges; 890 a notice; the rest payments.
//
// The 03 summaries are kept in File.Balances (opening and closing ledger,
// available balances, floats, total credits and debits with their item
// counts).
//
// DedupeKey is "bai2:" account ":" currency ":" as-of date (YYMMDD as written)
// ":" type code ":" amount in minor units ":" bank reference ":" customer
// reference, with "#n" appended to the n-th occurrence of the same key in the
// file (n > 1) so that two identical details both count. It is read from the
// fields, never from the layout, encoding, file id or creation time: a re-sent
// file, a copy with other line ends or wrapping, and a later intraday or
// prior-day report of the same day give the same keys. EntryKey stays empty,
// since a BAI2 bank reference is not known to be unique across days.
//
// # Controls
//
// Every 49, 98 and 99 trailer is reconciled: the account control total is the
// sum of every 03 summary amount and every 16 amount of the account (the S and
// D availability amounts are not added), the group total the sum of its
// account totals, the file total the sum of its group totals; record counts
// count logical records, 88s included, and the 98 and 99 trailers also state
// how many accounts and groups they close. Opening ledger (010) + credits −
// debits must equal closing ledger (015) when the file holds the account's
// whole day: its total credits (100) and debits (400) equal the detail
// records, or it states neither and the group is a final report (as-of-date
// modifier 2 or 4). Summaries that do not match the details only warn: the
// file does not detail every transaction, and no balance check is invented.
// Any failed check rejects the file with the stated and computed figures,
// unless Options.WarnOnly names the check for a bank known to break it.
package bai2

import (
	"bytes"
	"io"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// Check names one family of control checks, so that a bank profile can make
// its failures warnings instead of rejections.
type Check string

// The control checks of a BAI2 file.
const (
	// CheckAccountTotal is the 49 account control total.
	CheckAccountTotal Check = "account_total"
	// CheckAccountRecords is the 49 number of records.
	CheckAccountRecords Check = "account_records"
	// CheckGroupTotal is the 98 group control total.
	CheckGroupTotal Check = "group_total"
	// CheckGroupAccounts is the 98 number of accounts.
	CheckGroupAccounts Check = "group_accounts"
	// CheckGroupRecords is the 98 number of records.
	CheckGroupRecords Check = "group_records"
	// CheckFileTotal is the 99 file control total.
	CheckFileTotal Check = "file_total"
	// CheckFileGroups is the 99 number of groups.
	CheckFileGroups Check = "file_groups"
	// CheckFileRecords is the 99 number of records.
	CheckFileRecords Check = "file_records"
	// CheckBalances is opening ledger + credits − debits = closing ledger for an
	// account whose summaries show that the file details its whole day.
	CheckBalances Check = "balances"
	// CheckEnvelope requires the 01 and 02 headers and the 49, 98 and 99
	// trailers. A file read without them has Controls none at best.
	CheckEnvelope Check = "envelope"
)

// TypeCode is what a BAI2 type code means for a transaction detail.
type TypeCode struct {
	Direction bankfile.Direction
	Kind      bankfile.Kind
}

// Options is the bank profile a file is read with. The zero value is strict
// and suits an unknown bank.
type Options struct {
	// DefaultCurrency is the currency of accounts whose 03 and 02 records name
	// none. Defaults to USD, as the specification says.
	DefaultCurrency string

	// TypeCodes gives the meaning of bank-specific detail type codes and
	// overrides the built-in table for the codes it lists. Defaults to none.
	TypeCodes map[int]TypeCode

	// WarnOnly lists the checks whose failure is only a warning: the file is
	// read, its Controls say mismatch (or none) and File.Warnings tells why.
	// Defaults to none: every failed check rejects the file.
	WarnOnly []Check
}

// Read parses the BAI2 file named name with the default (strict) Options. A
// file that must be rejected yields a *bankfile.Error listing every problem,
// each with its line, field and value.
func Read(name string, data []byte) (*bankfile.File, error) {
	return ReadOptions(name, data, Options{})
}

// ReadOptions parses a BAI2 file like Read, with the bank profile opts. When a
// relaxed profile lets a file through without any trailer to prove it whole
// (Controls none), its credits carry a Problem so they are not applied without
// a person looking.
func ReadOptions(name string, data []byte, opts Options) (*bankfile.File, error) {
	var txs []bankfile.Transaction

	f, err := ScanOptions(name, bytes.NewReader(data), opts, func(t bankfile.Transaction) error {
		txs = append(txs, t)
		return nil
	})
	if err != nil {
		return nil, err
	}

	if f.Controls == bankfile.ControlsNone {
		for i := range txs {
			t := &txs[i]
			if t.Direction == bankfile.Credit && t.Kind == bankfile.KindPayment && t.Problem == "" {
				t.Problem = "file has no trailer control totals to prove it complete"
			}
		}
	}

	f.Transactions = txs

	return f, nil
}

// Scan reads a BAI2 file from r with the default (strict) Options and calls
// emit for every transaction detail, in file order, as soon as it is read. The
// returned File has no Transactions. When the file is rejected, Scan returns a
// *bankfile.Error with every problem found, and whatever was emitted before is
// void: callers store emitted transactions in a database transaction they
// commit only when Scan returns no error. An error from emit stops the scan and
// is returned wrapped; so is an error reading r.
func Scan(name string, r io.Reader, emit func(bankfile.Transaction) error) (*bankfile.File, error) {
	return ScanOptions(name, r, Options{}, emit)
}

// ScanOptions is Scan with the bank profile opts. A caller that stores what a
// relaxed profile lets through must look at File.Controls before applying
// cash: none means no trailer proved the file complete.
func ScanOptions(name string, r io.Reader, opts Options,
	emit func(bankfile.Transaction) error,
) (*bankfile.File, error) {
	p := newParser(name, opts, emit)

	return p.run(r)
}
