// Package nacha reads NACHA ACH files (the US ACH network's 94-character
// fixed-width format) into the format-neutral bankfile model.
//
// The reader does its own record handling rather than relying on
// github.com/moov-io/ach's file reader, because real files break that reader's
// rules in ways that must only be warnings: CRLF or no line breaks at all,
// short or unpadded records, missing nines filler, missing file header or
// control (processor fragments), UTF-8 names that make a record longer than 94
// bytes, masked routing numbers and bank-specific return codes. It also needs
// the raw 80 positions of payment related information, which moov-io/ach
// trims. moov-io/ach is used record by record: its record types validate each
// record (their findings become warnings) and its tables name return and
// change codes.
//
// A file is rejected only when money could be miscounted: a batch or file
// control total that does not reconcile, an unreadable amount or transaction
// code, an unknown record type or records after the file control.
package nacha

import (
	"strconv"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// maxProblems caps the warnings and the rejection problems kept per file; the
// rest are counted in a last problem.
const maxProblems = 200

// Read parses the NACHA file named name. A file that must be rejected yields a
// *bankfile.Error listing every problem, each naming its line and field.
func Read(name string, data []byte) (*bankfile.File, error) {
	p := &parser{name: name}

	recs, info, lineProbs := splitRecords(data)
	for _, lp := range lineProbs {
		p.reject(lp.line, lp.field, lp.value, "%s", lp.msg)
	}

	if len(recs) == 0 && len(lineProbs) == 0 {
		p.reject(0, "file", "", "file holds no NACHA records")
	}

	p.lineWarnings(info)
	p.structure(recs)
	p.validateRecords()
	p.readEntries()
	controls := p.checkControls()

	if len(p.rejs) > 0 {
		return nil, &bankfile.Error{
			File: name, Format: bankfile.FormatNACHA, Problems: capProblems(p.rejs),
		}
	}

	f := &bankfile.File{
		Name:     name,
		Format:   bankfile.FormatNACHA,
		Encoding: info.encoding,
		Currency: currency,
		Controls: controls,
	}

	f.Transactions = p.transactions()
	f.Account = commonAccount(f.Transactions)

	if controls == bankfile.ControlsNone {
		// Nothing proves the file whole (a fragment, or a file cut short): its
		// credits are kept but never applied without a person looking.
		for i := range f.Transactions {
			t := &f.Transactions[i]
			if t.Direction == bankfile.Credit && t.Kind == bankfile.KindPayment && t.Problem == "" {
				t.Problem = "file has no batch or file control totals to prove it complete"
			}
		}
	}
	f.Warnings = capProblems(p.warns)

	return f, nil
}

func (p *parser) lineWarnings(info lineInfo) {
	if info.padded > 0 {
		p.warn(0, "record length", "",
			"records shorter than 94 characters padded with blanks: %d", info.padded)
	}

	if info.trimmed > 0 {
		p.warn(0, "record length", "",
			"records longer than 94 characters cut to 94 (only blanks removed): %d", info.trimmed)
	}

	if info.split > 0 {
		p.warn(0, "record length", "",
			"lines holding several 94-character records back to back: %d", info.split)
	}
}

// transactions maps every entry, numbers them and makes dedupe keys unique
// within the file: two identical entries (same trace, date, code and amount)
// both count, the second gets "#2" appended, and a re-sent file gives the same
// keys again.
func (p *parser) transactions() []bankfile.Transaction {
	n := 0
	for _, f := range p.files {
		for _, b := range f.batches {
			n += len(b.entries)
		}
	}

	out := make([]bankfile.Transaction, 0, n)
	seen := make(map[string]int, n)

	for _, f := range p.files {
		for _, b := range f.batches {
			b.date = p.batchDate(b)

			for _, e := range b.entries {
				t := p.transaction(b, e)
				t.Seq = len(out) + 1

				seen[t.DedupeKey]++
				if n := seen[t.DedupeKey]; n > 1 {
					t.DedupeKey += "#" + strconv.Itoa(n)
				}

				out = append(out, t)
			}
		}
	}

	return out
}

// commonAccount returns the account every forward entry posts to, or "" when
// they differ or there is none.
func commonAccount(ts []bankfile.Transaction) string {
	acct := ""

	for _, t := range ts {
		if t.Account == "" {
			continue
		}

		if acct != "" && acct != t.Account {
			return ""
		}

		acct = t.Account
	}

	return acct
}

func capProblems(ps []bankfile.Problem) []bankfile.Problem {
	if len(ps) <= maxProblems {
		return ps
	}

	rest := len(ps) - maxProblems
	out := append([]bankfile.Problem(nil), ps[:maxProblems]...)

	return append(out, bankfile.Problem{
		File: ps[0].File, Field: "file",
		Message: strconv.Itoa(rest) + " more problems of this file not listed",
	})
}
