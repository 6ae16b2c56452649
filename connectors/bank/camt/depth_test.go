package camt_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// Nesting is memory for an XML decoder: a document nested far deeper than any
// camt message needs is refused, inside a message and outside one.
func TestDeepNestingIsRefused(t *testing.T) {
	t.Parallel()

	deep := strings.Repeat("<Z>", 5000) + strings.Repeat("</Z>", 5000)

	docs := map[string]string{
		"outside": `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:` +
			`camt.053.001.02">` + deep + `<BkToCstmrStmt></BkToCstmrStmt></Document>`,
		"inside": `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:` +
			`camt.053.001.02"><BkToCstmrStmt><GrpHdr>` + deep +
			`</GrpHdr></BkToCstmrStmt></Document>`,
	}

	for name, doc := range docs {
		_, err := camt.Read(name+".xml", []byte(doc))

		var be *bankfile.Error
		if !errors.As(err, &be) || !strings.Contains(be.Error(), "nested more than") {
			t.Errorf("%s: err = %v, want a rejection for nesting", name, err)
		}
	}
}
