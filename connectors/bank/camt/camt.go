// Package camt reads ISO 20022 bank-to-customer cash reports (camt.052 account
// reports, camt.053 statements and camt.054 debit/credit notifications) of any
// version into the format-neutral bankfile model.
package camt

import (
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// Read parses a camt.052, camt.053 or camt.054 document named name. A file that
// must be rejected yields a *bankfile.Error listing every problem found.
func Read(name string, data []byte) (*bankfile.File, error) {
	return nil, &bankfile.Error{File: name, Format: bankfile.FormatCAMT053, Problems: []bankfile.Problem{
		{File: name, Message: "camt reader not implemented yet"},
	}}
}
