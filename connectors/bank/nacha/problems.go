package nacha

import (
	"strconv"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// maxProblems caps the warnings and the rejection problems kept per file; the
// rest are counted in a last problem.
const maxProblems = 200

// stage is the step of reading that found a problem. Problems are listed stage
// by stage, each stage in file order: first the lines that could not be cut
// into records, then the structure, the field rules, the amounts, the control
// totals and last the reading of each entry.
type stage int

const (
	stageLines stage = iota
	stageStructure
	stageFields
	stageAmounts
	stageControls
	stageEntries
	nStages
)

// problemList keeps the first maxProblems problems of each stage and counts
// all of them, so that a file with a problem on every record costs no more
// memory than one with a few.
type problemList struct {
	kept  [nStages][]bankfile.Problem
	total int
}

// full reports whether a problem of stage s would only be counted.
func (l *problemList) full(s stage) bool {
	return len(l.kept[s]) >= maxProblems
}

func (l *problemList) add(s stage, p bankfile.Problem) {
	l.total++

	if !l.full(s) {
		l.kept[s] = append(l.kept[s], p)
	}
}

// list returns the problems in stage order: at most maxProblems of them, then
// one that counts the rest. It returns nil when there are none.
func (l *problemList) list() []bankfile.Problem {
	return listAll(l)
}

// listAll returns the problems of the lists, list by list, each in stage order:
// at most maxProblems of them in all, then one that counts the rest. It
// returns nil when there are none.
func listAll(lists ...*problemList) []bankfile.Problem {
	total := 0
	for _, l := range lists {
		total += l.total
	}

	if total == 0 {
		return nil
	}

	out := make([]bankfile.Problem, 0, min(total, maxProblems+1))

	for _, l := range lists {
		for _, ps := range l.kept {
			for _, p := range ps {
				if len(out) == maxProblems {
					break
				}

				out = append(out, p)
			}
		}
	}

	if rest := total - len(out); rest > 0 {
		out = append(out, bankfile.Problem{
			File: out[0].File, Field: "file",
			Message: strconv.Itoa(rest) + " more problems of this file not listed",
		})
	}

	return out
}
