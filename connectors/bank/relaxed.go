package bank

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/o2c-dev/o2c/connectors/bank/bai2"
	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/connectors/bank/lockbox"
	"github.com/o2c-dev/o2c/connectors/bank/mt940"
	"github.com/o2c-dev/o2c/connectors/bank/nacha"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// ErrRelaxed reports a relaxed check that names no format or no check of it.
var ErrRelaxed = errors.New("unknown relaxed check")

// Relaxable lists, per format family ("nacha", "camt", "bai2", "mt940",
// "lockbox"), the control checks a bank profile may turn into warnings for a bank
// known to break them. A file read so has Controls mismatch, and o2c holds its
// credits for review instead of applying them.
var Relaxable = map[string][]string{
	"nacha": {string(nacha.CheckBatchCount), string(nacha.CheckBlockCount),
		string(nacha.CheckEntryAddendaCount), string(nacha.CheckEntryHash)},
	"camt": {string(camt.CheckBalances), string(camt.CheckSummary)},
	"bai2": {string(bai2.CheckAccountTotal), string(bai2.CheckAccountRecords),
		string(bai2.CheckGroupTotal), string(bai2.CheckGroupAccounts),
		string(bai2.CheckGroupRecords), string(bai2.CheckFileTotal),
		string(bai2.CheckFileGroups), string(bai2.CheckFileRecords),
		string(bai2.CheckBalances), string(bai2.CheckEnvelope)},
	"mt940": {string(mt940.CheckBalances), string(mt940.CheckContinuity),
		string(mt940.CheckTotals), string(mt940.CheckSummary), string(mt940.CheckDates)},
	"lockbox": {string(lockbox.ControlBatch), string(lockbox.ControlLockbox),
		string(lockbox.ControlTrailer)},
}

// CheckRelaxed reports every family or check in relaxed that Relaxable does not
// list.
func CheckRelaxed(relaxed map[string][]string) error {
	var errs []error

	families := make([]string, 0, len(relaxed))
	for f := range relaxed {
		families = append(families, f)
	}

	sort.Strings(families)

	for _, f := range families {
		known, ok := Relaxable[f]
		if !ok {
			errs = append(errs, fmt.Errorf("%w: format %q (one of nacha, camt, bai2, mt940, "+
				"lockbox)", ErrRelaxed, f))

			continue
		}

		for _, c := range relaxed[f] {
			if !slices.Contains(known, c) {
				errs = append(errs, fmt.Errorf("%w: %s check %q (one of %v)", ErrRelaxed, f, c,
					known))
			}
		}
	}

	return errors.Join(errs...)
}

// WithRelaxed returns a copy of the reader that turns the named control checks
// into warnings (see Relaxable).
func (rd *Reader) WithRelaxed(relaxed map[string][]string) (*Reader, error) {
	if err := CheckRelaxed(relaxed); err != nil {
		return nil, err
	}

	cp := *rd
	cp.relaxed = relaxed

	return &cp, nil
}

// family is the Relaxable key of a format.
func family(f bankfile.Format) string {
	switch f {
	case bankfile.FormatCAMT052, bankfile.FormatCAMT053, bankfile.FormatCAMT054:
		return "camt"
	case bankfile.FormatMT942:
		return "mt940"
	default:
		return string(f)
	}
}

// relaxedScanner returns the streaming reader of format with the reader's relaxed
// checks, or false when none are relaxed for it.
func (rd *Reader) relaxedScanner(format bankfile.Format) (scanner, bool) {
	names := rd.relaxed[family(format)]
	if len(names) == 0 {
		return nil, false
	}

	switch family(format) {
	case "nacha":
		opts := nacha.Options{WarnOnly: as[nacha.Check](names)}
		return func(n string, r io.Reader, emit func(bankfile.Transaction) error) (
			*bankfile.File, error) {
			return nacha.ScanOptions(n, r, opts, emit)
		}, true
	case "camt":
		opts := camt.Options{Lenient: as[camt.Check](names)}
		return func(n string, r io.Reader, emit func(bankfile.Transaction) error) (
			*bankfile.File, error) {
			return camt.ScanOptions(n, r, opts, emit)
		}, true
	case "bai2":
		opts := bai2.Options{WarnOnly: as[bai2.Check](names)}
		return func(n string, r io.Reader, emit func(bankfile.Transaction) error) (
			*bankfile.File, error) {
			return bai2.ScanOptions(n, r, opts, emit)
		}, true
	case "mt940":
		opts := mt940.Options{Lenient: as[mt940.Check](names)}
		return func(n string, r io.Reader, emit func(bankfile.Transaction) error) (
			*bankfile.File, error) {
			return mt940.ScanOptions(n, r, opts, emit)
		}, true
	case "lockbox":
		opts := lockbox.Options{Relaxed: as[lockbox.Control](names)}
		return func(n string, r io.Reader, emit func(bankfile.Transaction) error) (
			*bankfile.File, error) {
			return lockbox.ScanOptions(n, r, opts, emit)
		}, true
	}

	return nil, false
}

// as converts check names to a reader's own check type.
func as[T ~string](names []string) []T {
	out := make([]T, len(names))
	for i, n := range names {
		out[i] = T(n)
	}

	return out
}
