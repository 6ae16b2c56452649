package camt_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

const camtHead = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// minimalDoc is a camt.053 with one statement and one entry whose remittance
// text is ustrd; prolog comes before the Document element.
func minimalDoc(prolog, ustrd string) string {
	return camtHead + prolog + `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">` +
		"\n<BkToCstmrStmt><Stmt><Id>S-1</Id>\n" +
		"<Acct><Id><IBAN>DE02100100100006820101</IBAN></Id></Acct>\n" +
		entry{amount: "1.00", ccy: "EUR", cdi: "CRDT", ref: "X-1",
			details: []string{"<RmtInf><Ustrd>" + ustrd + "</Ustrd></RmtInf>"}}.xml() +
		"</Stmt></BkToCstmrStmt></Document>\n"
}

// Entities are never expanded: a document declaring any is refused at its
// DOCTYPE, before a reference to them is met, whether they are nested (the
// "billion laughs"), external (a file or URL), parameter entities or merely
// declared. The refusal costs no memory to speak of (the test does not run in
// parallel, so that the allocation count is its own).
func TestEntityDeclarationsRefused(t *testing.T) {
	var laughs strings.Builder
	laughs.WriteString(`<!DOCTYPE Document [` + "\n" + `<!ENTITY lol "lol">` + "\n")
	for i := 1; i <= 9; i++ {
		prev := "lol"
		if i > 1 {
			prev = "lol" + string(rune('0'+i-1))
		}

		laughs.WriteString(`<!ENTITY lol` + string(rune('0'+i)) + ` "` +
			strings.Repeat("&"+prev+";", 10) + `">` + "\n")
	}

	laughs.WriteString("]>\n")

	docs := map[string]string{
		"billion laughs": minimalDoc(laughs.String(), "&lol9;"),
		"external file": minimalDoc(`<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>`,
			"&x;"),
		"external url": minimalDoc(`<!DOCTYPE Document [<!ENTITY x PUBLIC "-//X//EN" `+
			`"http://127.0.0.1:1/x.dtd">]>`, "&x;"),
		"parameter entity": minimalDoc(`<!DOCTYPE Document [<!ENTITY % p SYSTEM `+
			`"http://127.0.0.1:1/p.dtd"> %p;]>`, "text"),
		"declared, unused": minimalDoc(`<!DOCTYPE Document [<!entity y "why">]>`, "text"),
	}

	for name, doc := range docs {
		var before, after runtime.MemStats

		runtime.ReadMemStats(&before)
		ps := mustReject(t, name, []byte(doc), camt.Options{})
		runtime.ReadMemStats(&after)

		if ps[0].Field != "DOCTYPE" || ps[0].Line != 2 || len(ps) != 1 {
			t.Errorf("%s: problems %v, want one on the DOCTYPE, line 2", name, ps)
		}

		if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
			t.Errorf("%s: reading the refusal allocated %d bytes", name, grew)
		}
	}
}

// A DOCTYPE without entity declarations is harmless and read past; an entity
// it does not declare is not expanded but refused.
func TestDoctypeWithoutEntities(t *testing.T) {
	t.Parallel()

	doc := minimalDoc("<!DOCTYPE Document>\n", "INV-1 &amp; INV-2")
	f := mustRead(t, "doctype", []byte(doc), camt.Options{})

	if len(f.Transactions) != 1 || f.Transactions[0].Remittance != "INV-1 & INV-2" {
		t.Fatalf("transactions %+v", f.Transactions)
	}

	ps := mustReject(t, "undeclared", []byte(minimalDoc("<!DOCTYPE Document>\n", "&nbsp;")),
		camt.Options{})
	if ps[0].Field != "xml" || !strings.Contains(ps[0].Message, "entity") {
		t.Fatalf("problems %v, want the undefined entity", ps)
	}
}

// Hostile shapes are refused with a clean problem: a text or an attribute
// longer than a tag or text may be, an entry of more elements than any entry
// has, nesting deeper than camt goes.
func TestOversizedInputRefused(t *testing.T) {
	t.Parallel()

	long := strings.Repeat("A", 1<<20+1)
	many := strings.Repeat("<Ustrd>x</Ustrd>", 200_001)

	cases := map[string]struct {
		doc, msg string
	}{
		"long text": {minimalDoc("", long), "longer than"},
		"long text after a comment": {minimalDoc("<!-- slow path -->\n", long),
			"longer than"},
		"long attribute": {strings.Replace(minimalDoc("", "x"), `Ccy="EUR"`,
			`Ccy="`+long+`"`, 1), "longer than"},
		"entry of too many elements": {minimalDoc("", "x</Ustrd>"+many+"<Ustrd>y"),
			"element too large"},
		"deep nesting": {minimalDoc("", "x</Ustrd>"+strings.Repeat("<a>", 70)+
			strings.Repeat("</a>", 70)+"<Ustrd>y"), "element too large"},
	}

	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			_, err := camt.Scan(name, strings.NewReader(c.doc),
				func(bankfile.Transaction) error { return nil })

			var be *bankfile.Error
			if !errors.As(err, &be) || be.Problems[0].Field != "xml" ||
				!strings.Contains(be.Problems[0].Message, c.msg) {
				t.Fatalf("err = %v, want an xml problem saying %q", err, c.msg)
			}
		})
	}
}
