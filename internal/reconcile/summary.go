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
	// Applied is the cash applied per currency.
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
	Returns    int `json:"returns"`   // returned payments, not matched
	Reversals  int `json:"reversals"` // reversals, not matched
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

// AppliedTotal is what was applied in one currency.
type AppliedTotal struct {
	Applications int    `json:"applications"`
	Amount       string `json:"amount"`
	Discount     string `json:"discount"`
	WriteOff     string `json:"writeoff"`
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
	File         string   `json:"file"` // base name, as used in payment ids
	Format       string   `json:"format,omitempty"`
	Status       string   `json:"status"` // StatusRead or StatusRejected
	Controls     string   `json:"controls,omitempty"`
	SameAs       string   `json:"same_as,omitempty"` // earlier file with the same bytes
	Transactions int      `json:"transactions"`
	Payments     int      `json:"payments"`
	Duplicates   int      `json:"duplicates"`
	Warnings     []string `json:"warnings,omitempty"`
	Problems     []string `json:"problems,omitempty"` // why the file was rejected
}

type minorTotals struct {
	applied, discount, writeoff, exceptions int64
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

	m := s.minor[cur]
	if m == nil {
		m = &minorTotals{}
		s.minor[cur] = m
	}

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
		s.Exceptions.Count++
		s.Exceptions.ByReason[d.Exception.Reason]++
		m.exceptions += d.Exception.Amount
		s.Exceptions.Amount[cur] = ""
	}
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
		}

		if _, ok := s.Exceptions.Amount[cur]; ok {
			s.Exceptions.Amount[cur] = money.FormatMinor(m.exceptions, exp)
		}
	}
}
