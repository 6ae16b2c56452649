package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/world"
)

// Every reader that takes a currency from the file refuses one that is no
// currency of cash, naming its line, field and value: o2c inspect reads a
// generated file of each format, then the same file with its currency code
// replaced by XXX (no currency) or XAU (gold).
func TestInspectRefusesCurrencyThatIsNotCash(t *testing.T) {
	t.Parallel()

	w := world.Generate(world.Config{Seed: 11, Customers: 6, DealsPerCustomer: 1,
		Currency: "EUR"})
	pays := world.Pay(w, world.InvoicesFor(w, 1), world.PayConfig{Seed: 12, Fraction: 1})

	writers := map[string]func(io.Writer) error{
		"statement.csv": func(out io.Writer) error {
			return world.WriteBankCSV(out, pays, world.CSVOptions{})
		},
		"statement.xml": func(out io.Writer) error {
			return world.WriteCAMT053(out, pays, w.CAMTOptions())
		},
		"statement.sta": func(out io.Writer) error {
			return world.WriteMT940(out, pays, w.MT940Options())
		},
		"statement.bai2": func(out io.Writer) error {
			return world.WriteBAI2(out, pays, w.BAI2Options())
		},
	}

	dir := t.TempDir()

	for name, write := range writers {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}

		if !bytes.Contains(buf.Bytes(), []byte("EUR")) {
			t.Fatalf("%s: no EUR in the generated file", name)
		}

		good := filepath.Join(dir, name)
		if err := os.WriteFile(good, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}

		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"inspect", good}, &out,
			&errOut); code != 0 {
			t.Fatalf("%s in EUR: exit %d\n%s%s", name, code, out.String(), errOut.String())
		}

		for _, code := range []string{"XXX", "XAU"} {
			bad := filepath.Join(dir, code+"-"+name)
			text := bytes.ReplaceAll(buf.Bytes(), []byte("EUR"), []byte(code))
			if err := os.WriteFile(bad, text, 0o600); err != nil {
				t.Fatal(err)
			}

			out.Reset()
			errOut.Reset()

			exit := run(context.Background(), []string{"inspect", bad}, &out, &errOut)
			rep := out.String()
			if exit != 1 || !strings.Contains(rep, "REJECTED") ||
				!strings.Contains(rep, "not a currency of cash: "+code) ||
				!strings.Contains(rep, "error: line ") ||
				!strings.Contains(rep, `(value "`) {
				t.Errorf("%s in %s: exit %d\n%s%s", name, code, exit, rep, errOut.String())
			}
		}
	}
}
