package camt_test

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// tagName matches the name in a start or end tag.
var tagName = regexp.MustCompile(`<(/?)([A-Za-z][A-Za-z0-9]*)([ >/])`)

// The reader goes by local names: one statement reads the same whatever the
// message version in its namespace (.02 to .13), with a namespace prefix on
// every element, without a namespace, with a mistyped one, or inside a
// business application header envelope; and as an account report (camt.052)
// or a notification (camt.054).
func TestVersionsAndNamespacesReadAlike(t *testing.T) {
	t.Parallel()

	base := string(readFixture(t, "b06_v08.xml"))
	want := mustRead(t, "b06", []byte(base), camt.Options{})

	const ns = `xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"`

	variants := map[string]string{
		"no namespace": strings.Replace(base, " "+ns, "", 1),
		"mistyped namespace": strings.Replace(base, ns,
			`xmlns="urn:iso:std:iso:20023:tech:xsd:camt.053.001.08"`, 1),
		"prefixed": tagName.ReplaceAllString(strings.Replace(base, ns,
			`xmlns:c="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"`, 1), "<${1}c:${2}${3}"),
		"envelope": strings.Replace(strings.Replace(base, "<Document ",
			`<BizMsg><AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02">`+
				"<MsgDefIdr>camt.053.001.08</MsgDefIdr></AppHdr><Document ", 1),
			"</Document>", "</Document></BizMsg>", 1),
	}

	for _, v := range []string{"02", "03", "04", "06", "10", "13"} {
		variants["version "+v] = strings.Replace(base, "camt.053.001.08", "camt.053.001."+v, 1)
	}

	for name, doc := range variants {
		f := mustRead(t, name, []byte(doc), camt.Options{})
		if f.Format != bankfile.FormatCAMT053 || !sameTransactions(f, want) {
			t.Errorf("%s: format %s, transactions differ:\n%+v\nwant\n%+v", name, f.Format,
				f.Transactions, want.Transactions)
		}
	}

	kinds := map[bankfile.Format][2]string{
		bankfile.FormatCAMT052: {"BkToCstmrAcctRpt", "Rpt"},
		bankfile.FormatCAMT054: {"BkToCstmrDbtCdtNtfctn", "Ntfctn"},
	}

	for format, names := range kinds {
		doc := strings.NewReplacer("BkToCstmrStmt", names[0], "<Stmt>", "<"+names[1]+">",
			"</Stmt>", "</"+names[1]+">", "camt.053", string(format)).Replace(base)

		f := mustRead(t, string(format), []byte(doc), camt.Options{})
		if f.Format != format || !sameTransactions(f, want) {
			t.Errorf("%s: format %s, transactions differ", format, f.Format)
		}
	}
}

// sameTransactions compares the transactions of two reads of one statement.
func sameTransactions(f, g *bankfile.File) bool {
	if len(f.Transactions) != len(g.Transactions) {
		return false
	}

	for i := range f.Transactions {
		if !reflect.DeepEqual(f.Transactions[i], g.Transactions[i]) {
			return false
		}
	}

	return f.Controls == g.Controls
}
