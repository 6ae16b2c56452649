// Package bankcsv reads bank CSV exports with a header row into the
// format-neutral bankfile model.
package bankcsv

import (
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// Read parses the bank CSV export named name. A file that must be rejected
// yields a *bankfile.Error listing every problem found.
func Read(name string, data []byte) (*bankfile.File, error) {
	return nil, &bankfile.Error{File: name, Format: bankfile.FormatCSV, Problems: []bankfile.Problem{
		{File: name, Message: "csv reader not implemented yet"},
	}}
}
