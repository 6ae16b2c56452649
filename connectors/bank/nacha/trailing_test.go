package nacha_test

import (
	"strings"
	"testing"
)

// A file whose last record is the file control, ending in blanks with no line
// break and no 9-fill, is complete: no record was short and nothing is padded.
func TestFileControlEndingInBlanksIsNotShort(t *testing.T) {
	t.Parallel()

	var recs []string
	for _, l := range lines(readFixture(t, "b10-ccd-crlf.ach")) {
		l = strings.TrimRight(l, "\r")
		if !strings.HasPrefix(l, "9999") {
			recs = append(recs, l)
		}
	}

	last := recs[len(recs)-1]
	if !strings.HasPrefix(last, "9") || !strings.HasSuffix(last, " ") || len(last) != 94 {
		t.Fatalf("fixture's file control does not end in blanks: %q", last)
	}

	f := mustRead(t, "blank-tail.ach", []byte(strings.Join(recs, "\n")))

	for _, w := range f.Warnings {
		if strings.Contains(w.Message, "shorter than 94") {
			t.Errorf("complete file read with warning %q", w.Message)
		}
	}
}
