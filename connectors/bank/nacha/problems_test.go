package nacha_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/nacha"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// problemOn returns the problem of line and field, or fails the test.
func problemOn(t *testing.T, be *bankfile.Error, line int, field string) bankfile.Problem {
	t.Helper()

	for _, p := range be.Problems {
		if p.Line == line && p.Field == field {
			return p
		}
	}

	t.Errorf("no problem on line %d, field %q in\n%s", line, field, problemText(be))

	return bankfile.Problem{}
}

func problemText(be *bankfile.Error) string {
	var b strings.Builder
	for _, p := range be.Problems {
		b.WriteString(p.Error() + "\n")
	}

	return b.String()
}

// scanRejected writes data to a file and reads it back through ScanOptions,
// as ingest does, returning the rejection.
func scanRejected(t *testing.T, name string, data []byte) *bankfile.Error {
	t.Helper()

	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	_, err = nacha.Scan(name, f, func(bankfile.Transaction) error { return nil })

	be, ok := err.(*bankfile.Error)
	if !ok {
		t.Fatalf("%s: %T %v, want a rejection", name, err, err)
	}

	return be
}

// A file with several problems lists every one of them in one read, each with
// file, line, field and value: the rejections (a stray record type where the
// batch control should be, an amount that is not a number), and the problems
// that alone would only be warnings, found before or after the first
// rejection (RDFI routing numbers with a letter, the batch left without its
// control, a blank trace number).
func TestEveryProblemReportedInOnePass(t *testing.T) {
	t.Parallel()

	g := newGen(12, 4) // batches of 4 entries at lines 3-9, 13-19, 23-29
	ls := lines(genBytes(g))

	ls[g.lineOf(1)-1] = setField(t, ls[g.lineOf(1)-1], 6, 6, "X") // RDFI
	ls[10] = setField(t, ls[10], 1, 1, "4")                       // batch 1 control
	ls[g.lineOf(6)-1] = setField(t, ls[g.lineOf(6)-1], 30, 39, "00001X0000")
	ls[g.lineOf(9)-1] = setField(t, ls[g.lineOf(9)-1], 80, 94, strings.Repeat(" ", 15))
	ls[g.lineOf(11)-1] = setField(t, ls[g.lineOf(11)-1], 5, 5, "?") // RDFI
	ls[g.lineOf(12)-1] = setField(t, ls[g.lineOf(12)-1], 9, 9, "O") // RDFI

	be := scanRejected(t, "several.ach", joinLines(ls))

	want := []struct {
		line         int
		field, value string
	}{
		{11, "record type", "4"},
		{15, "entry detail amount", "00001X0000"},
		{3, "entry detail RDFI identification", ls[2][3:11]},
		{12, "batch control", ""},
		{23, "trace number", ""},
		{27, "entry detail RDFI identification", ls[26][3:11]},
		{29, "entry detail RDFI identification", ls[28][3:11]},
	}

	for _, w := range want {
		p := problemOn(t, be, w.line, w.field)
		if p.File != "several.ach" || p.Value != w.value || p.Message == "" {
			t.Errorf("line %d %s: %+v, want value %q", w.line, w.field, p, w.value)
		}
	}

	// What rejects the file comes first.
	if be.Problems[0].Field != "record type" || be.Problems[1].Field != "entry detail amount" {
		t.Errorf("rejections not first:\n%s", problemText(be))
	}
}

// However many problems a file has, the list stops at 200 with one that counts
// the rest, and problems that would be warnings count towards the bound.
func TestEveryProblemListBounded(t *testing.T) {
	t.Parallel()

	g := newGen(600, 600)
	ls := lines(genBytes(g))

	for seq := 1; seq <= 600; seq++ {
		i := g.lineOf(seq) - 1
		ls[i] = setField(t, ls[i], 6, 6, "X")
	}

	ls[1] = setField(t, ls[1], 1, 1, "3") // the batch header: a rejection

	be := scanRejected(t, "many.ach", joinLines(ls))

	last := be.Problems[len(be.Problems)-1]
	if len(be.Problems) != 201 || !strings.Contains(last.Message, "more problems") ||
		be.Problems[0].Field != "record type" {
		t.Errorf("%d problems, first %+v, last %+v", len(be.Problems), be.Problems[0], last)
	}
}
