package camt_test

import (
	"fmt"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
)

func ExampleRead() {
	doc := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
 <BkToCstmrDbtCdtNtfctn>
  <Ntfctn>
   <Acct><Id><IBAN>CH9300762011623852957</IBAN></Id></Acct>
   <Ntry>
    <Amt Ccy="CHF">150.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2025-05-02</Dt></BookgDt><AcctSvcrRef>EX-1</AcctSvcrRef>
    <NtryDtls>
     <TxDtls><Amt Ccy="CHF">100.00</Amt><RmtInf><Ustrd>INV-1</Ustrd></RmtInf></TxDtls>
     <TxDtls><Amt Ccy="CHF">50.00</Amt><RmtInf><Ustrd>INV-2</Ustrd></RmtInf></TxDtls>
    </NtryDtls>
   </Ntry>
  </Ntfctn>
 </BkToCstmrDbtCdtNtfctn>
</Document>`)

	f, err := camt.Read("notification.xml", doc)
	if err != nil {
		fmt.Println(err)
		return
	}

	for _, t := range f.Transactions {
		fmt.Println(f.Format, t.Line, t.Direction, t.Amount, t.Remittance, t.DedupeKey)
	}

	// Output:
	// camt.054 10 credit 100.00 CHF INV-1 camt:CH9300762011623852957:EX-1:2025-05-02:C150.00CHF:#1
	// camt.054 11 credit 50.00 CHF INV-2 camt:CH9300762011623852957:EX-1:2025-05-02:C150.00CHF:#2
}
