package reconcile

import (
	"fmt"

	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/money"
)

// File statuses in FileReport.Status.
const (
	StatusRead     = "read"
	StatusRejected = "rejected"
)

// Summary is what a run did, as written to summary.json. Amounts are decimal
// strings in the currency's minor digits, keyed by currency code.
type Summary struct {
	RulesVersion string            `json:"rules_version"`
	Customers    int               `json:"customers"`
	Invoices     int               `json:"invoices"`
	Files        FileCounts        `json:"files"`
	Transactions TransactionCounts `json:"transactions"`
	Payments     PaymentCounts     `json:"payments"`
	// Returns counts the returns and reversals by outcome.
	Returns ReturnCounts `json:"returns_and_reversals"`
	// Applied is the cash applied per currency, and what returns undid of it.
	Applied    map[string]*AppliedTotal `json:"applied"`
	Exceptions ExceptionCounts          `json:"exceptions"`
	// FileReports has one report per bank file, in the order read.
	FileReports []FileReport `json:"file_reports"`

	minor map[string]*minorTotals
}

// FileCounts counts the bank files of a run.
type FileCounts struct {
	Read     int `json:"read"`
	Rejected int `json:"rejected"`
	// SameContent counts files read whose bytes equal an earlier file's; their
	// transactions are all skipped as duplicates.
	SameContent int `json:"same_content"`
}

// TransactionCounts counts the transactions of the files read. Only Payments are
// matched; Duplicates (seen in an earlier file of the run) are counted nowhere
// else.
type TransactionCounts struct {
	Total      int `json:"total"`
	Duplicates int `json:"duplicates"`
	Payments   int `json:"payments"`  // credits of kind payment, matched
	Returns    int `json:"returns"`   // returned payments, not matched (see Summary.Returns)
	Reversals  int `json:"reversals"` // reversals, not matched (see Summary.Returns)
	Notices    int `json:"notices"`   // notices moving no money, not matched
	Charges    int `json:"charges"`   // bank charges, not matched
	Debits     int `json:"debits"`    // outgoing payments, not matched
	Other      int `json:"other"`     // any other kind, not matched
}

// PaymentCounts counts the matched payments by outcome.
type PaymentCounts struct {
	Count int `json:"count"`
	// Applied payments were applied in full with nothing left for the queue.
	Applied int `json:"applied"`
	// AppliedWithException payments were applied in part, or in full with a
	// refused deduction, and also have an exception.
	AppliedWithException int `json:"applied_with_exception"`
	// Held payments were not applied at all.
	Held int `json:"held"`
}

// ReturnCounts counts the returns and reversals handled (duplicates are not).
type ReturnCounts struct {
	Count int `json:"count"`
	// Undone: the payment each takes back was found and its applications undone
	// (one payment each).
	Undone int `json:"undone"`
	// Held: not acted on, in exceptions.csv as reversal_unverified or
	// return_unmatched.
	Held int `json:"held"`
	// NoCash: reversals of debits, with no cash applied to undo.
	NoCash int `json:"no_cash"`
}

// AppliedTotal is what was applied in one currency. Amount, Discount and
// WriteOff are what the payments' applications took off the invoices; the
// Undone fields are what returns and reversals gave back of them (the undo rows
// of applications.csv, as positive amounts) and NetAmount the cash that stays
// applied.
type AppliedTotal struct {
	Applications   int    `json:"applications"`
	Amount         string `json:"amount"`
	Discount       string `json:"discount"`
	WriteOff       string `json:"writeoff"`
	Undone         int    `json:"undone_applications"`
	UndoneAmount   string `json:"undone_amount"`
	UndoneDiscount string `json:"undone_discount"`
	UndoneWriteOff string `json:"undone_writeoff"`
	NetAmount      string `json:"net_amount"`
}

// ExceptionCounts counts the exceptions of a run.
type ExceptionCounts struct {
	Count    int            `json:"count"`
	ByReason map[string]int `json:"by_reason"`
	// Amount is the total exception amount per currency.
	Amount map[string]string `json:"amount"`
}

// FileReport is what happened to one bank file.
type FileReport struct {
	File         string `json:"file"` // base name, as used in payment ids
	Format       string `json:"format,omitempty"`
	Status       string `json:"status"` // StatusRead or StatusRejected
	Controls     string `json:"controls,omitempty"`
	SameAs       string `json:"same_as,omitempty"` // earlier file with the same bytes
	Transactions int    `json:"transactions"`
	Payments     int    `json:"payments"`
	Duplicates   int    `json:"duplicates"`
	// Returns counts the file's returns and reversals (not duplicates).
	Returns  int      `json:"returns_and_reversals,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	Problems []string `json:"problems,omitempty"` // why the file was rejected
}

type minorTotals struct {
	applied, discount, writeoff, exceptions int64
	undone, undoneDisc, undoneWO            int64
}

func newSummary(customers, invoices int) *Summary {
	return &Summary{
		RulesVersion: matching.RulesVersion,
		Customers:    customers,
		Invoices:     invoices,
		Applied:      make(map[string]*AppliedTotal),
		Exceptions: ExceptionCounts{
			ByReason: make(map[string]int), Amount: make(map[string]string),
		},
		FileReports: []FileReport{},
		minor:       make(map[string]*minorTotals),
	}
}

func (s *Summary) addFile(rep FileReport) {
	switch {
	case rep.Status == StatusRejected:
		s.Files.Rejected++
	case rep.SameAs != "":
		s.Files.Read++
		s.Files.SameContent++
	default:
		s.Files.Read++
	}

	s.Transactions.Total += rep.Transactions
	s.Transactions.Duplicates += rep.Duplicates
	rep.Warnings = capList(rep.Warnings)
	rep.Problems = capList(rep.Problems)
	s.FileReports = append(s.FileReports, rep)
}

// capList keeps the first maxListed items and says how many more there were.
func capList(items []string) []string {
	if len(items) <= maxListed {
		return items
	}

	more := len(items) - maxListed

	return append(items[:maxListed:maxListed], fmt.Sprintf("and %d more", more))
}

func (s *Summary) addDecision(cur string, d matching.Decision) {
	s.Payments.Count++
	switch {
	case len(d.Applications) == 0:
		s.Payments.Held++
	case d.Exception != nil:
		s.Payments.AppliedWithException++
	default:
		s.Payments.Applied++
	}

	m := s.totals(cur)
	if len(d.Applications) > 0 {
		at := s.Applied[cur]
		if at == nil {
			at = &AppliedTotal{}
			s.Applied[cur] = at
		}

		for _, a := range d.Applications {
			at.Applications++
			m.applied += a.Amount
			m.discount += a.Discount
			m.writeoff += a.WriteOff
		}
	}

	if d.Exception != nil {
		s.addException(cur, d.Exception.Reason, d.Exception.Amount)
	}
}

// totals returns the running totals of the currency.
func (s *Summary) totals(cur string) *minorTotals {
	m := s.minor[cur]
	if m == nil {
		m = &minorTotals{}
		s.minor[cur] = m
	}

	return m
}

// addException counts one exception.
func (s *Summary) addException(cur, reason string, amount int64) {
	s.Exceptions.Count++
	s.Exceptions.ByReason[reason]++
	s.totals(cur).exceptions += amount
	s.Exceptions.Amount[cur] = ""
}

// addUndone counts one application a return undid (amounts positive).
func (s *Summary) addUndone(cur string, amount, discount, writeoff int64) {
	at := s.Applied[cur]
	if at == nil {
		at = &AppliedTotal{}
		s.Applied[cur] = at
	}

	at.Undone++
	m := s.totals(cur)
	m.undone += amount
	m.undoneDisc += discount
	m.undoneWO += writeoff
}

// finish formats the amounts.
func (s *Summary) finish() {
	for cur, m := range s.minor {
		exp, err := money.Exponent(cur)
		if err != nil {
			exp = 2
		}

		if at := s.Applied[cur]; at != nil {
			at.Amount = money.FormatMinor(m.applied, exp)
			at.Discount = money.FormatMinor(m.discount, exp)
			at.WriteOff = money.FormatMinor(m.writeoff, exp)
			at.UndoneAmount = money.FormatMinor(m.undone, exp)
			at.UndoneDiscount = money.FormatMinor(m.undoneDisc, exp)
			at.UndoneWriteOff = money.FormatMinor(m.undoneWO, exp)
			at.NetAmount = money.FormatMinor(m.applied-m.undone, exp)
		}

		if _, ok := s.Exceptions.Amount[cur]; ok {
			s.Exceptions.Amount[cur] = money.FormatMinor(m.exceptions, exp)
		}
	}
}
