package main

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/pipelines"
)

// A status the queue does not know is a usage error naming the statuses, not an
// empty list that looks like "no exceptions".
func TestExceptionsListRefusesUnknownStatus(t *testing.T) {
	t.Parallel()

	url := pgtest.URL(t)

	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"--database-url", url, "exceptions", "list",
		"--status", "parked-ish"}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), `unknown status "parked-ish"`) {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}

	out.Reset()
	errOut.Reset()

	code = run(context.Background(), []string{"--database-url", url, "exceptions", "list",
		"--status", "on_account"}, &out, &errOut)
	if code != 0 || !strings.HasPrefix(out.String(), "ID") {
		t.Fatalf("on_account: exit %d\n%s%s", code, out.String(), errOut.String())
	}
}

// A reason no code opens exceptions with is a usage error naming the known
// reasons, not an empty table that looks like "no such exceptions".
func TestExceptionsListRefusesUnknownReason(t *testing.T) {
	t.Parallel()

	url := pgtest.URL(t)

	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"--database-url", url, "exceptions", "list",
		"--reason", "bogus"}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), `unknown reason "bogus"`) {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}

	for _, r := range []string{matching.ReasonNoMatch, pipelines.ReasonReturnUnmatched,
		exceptions.ReasonSplitRemainder} {
		if !strings.Contains(errOut.String(), r) {
			t.Errorf("error does not name reason %q: %s", r, errOut.String())
		}
	}

	if out.Len() != 0 {
		t.Errorf("a refused list printed a table:\n%s", out.String())
	}

	out.Reset()
	errOut.Reset()

	code = run(context.Background(), []string{"--database-url", url, "exceptions", "list",
		"--reason", matching.ReasonNoMatch}, &out, &errOut)
	if code != 0 || !strings.HasPrefix(out.String(), "ID") {
		t.Fatalf("no_match: exit %d\n%s%s", code, out.String(), errOut.String())
	}
}

// Every Reason constant of the packages that open exceptions is one --reason
// accepts: a new reason cannot be added without the CLI knowing it.
func TestExceptionReasonsCoverEveryReasonConstant(t *testing.T) {
	t.Parallel()

	root := repoRoot(t)

	found := 0
	for _, dir := range []string{"internal/matching", "pipelines", "internal/exceptions",
		"internal/reversal"} {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}

		for _, en := range entries {
			name := en.Name()
			if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}

			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, dir, name),
				nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}

			for _, d := range f.Decls {
				found += checkReasonConsts(t, dir, d)
			}
		}
	}

	if found != len(exceptionReasons) {
		t.Errorf("%d Reason constants in the code, %d known to the CLI", found,
			len(exceptionReasons))
	}
}

func checkReasonConsts(t *testing.T, dir string, d ast.Decl) int {
	t.Helper()

	gd, ok := d.(*ast.GenDecl)
	if !ok || gd.Tok != token.CONST {
		return 0
	}

	n := 0
	for _, spec := range gd.Specs {
		vs := spec.(*ast.ValueSpec)
		for i, name := range vs.Names {
			if !strings.HasPrefix(name.Name, "Reason") || i >= len(vs.Values) {
				continue
			}

			lit, ok := vs.Values[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}

			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}

			n++
			if !slices.Contains(exceptionReasons, v) {
				t.Errorf("%s.%s = %q is not a reason the CLI knows", dir, name.Name, v)
			}
		}
	}

	return n
}

// repoRoot walks up from the package folder to the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()

	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}

	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}

		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}

		dir = parent
	}
}
