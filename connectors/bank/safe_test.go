package bank

import (
	"errors"
	"testing"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

func TestSafeReadTurnsPanicIntoRejection(t *testing.T) {
	t.Parallel()

	boom := func(string, []byte) (*bankfile.File, error) {
		var m map[string]int
		m["x"]++ // a nil-map write, as a reader bug would

		return nil, nil
	}

	f, err := safeRead("bad.ach", bankfile.FormatNACHA, []byte("x"), boom)

	var be *bankfile.Error
	if f != nil || !errors.As(err, &be) {
		t.Fatalf("file %v error %v, want a rejection", f, err)
	}

	p := be.Problems[0]
	if be.File != "bad.ach" || be.Format != bankfile.FormatNACHA ||
		p.Message != "internal error reading file: assignment to entry in nil map" {
		t.Errorf("rejection %+v", be)
	}
}

func TestSafeReadStampsNameAndFormat(t *testing.T) {
	t.Parallel()

	ok := func(string, []byte) (*bankfile.File, error) { return &bankfile.File{}, nil }

	f, err := safeRead("x.csv", bankfile.FormatCSV, nil, ok)
	if err != nil || f.Name != "x.csv" || f.Format != bankfile.FormatCSV {
		t.Errorf("file %+v error %v", f, err)
	}

	bad := func(string, []byte) (*bankfile.File, error) { return nil, &bankfile.Error{} }

	_, err = safeRead("y.csv", bankfile.FormatCSV, nil, bad)

	var be *bankfile.Error
	if !errors.As(err, &be) || be.File != "y.csv" || be.Format != bankfile.FormatCSV {
		t.Errorf("error %+v", err)
	}

	none := func(string, []byte) (*bankfile.File, error) { return nil, nil }
	if _, err := safeRead("z.csv", bankfile.FormatCSV, nil, none); err == nil {
		t.Error("a reader returning nothing was accepted")
	}
}
