package bai2_test

import (
	"fmt"
	"strings"
)

// det is one transaction detail for build: a 16 record (type code, amount,
// funds type 0, bank and customer reference, text) and its 88 continuations.
type det struct {
	code          int
	amount        int64
	bankRef, cust string
	text          string
	conts         []string
}

// build writes a one-group, one-account BAI2 file whose trailers and ledger
// balances agree with the details: 010 open, 015 open + credits - debits, and
// 100/400 with their item counts. Codes below 400 are credits.
func build(account, ccy, asOf string, open int64, dets ...det) string {
	var cr, db int64
	var ncr, ndb int

	for _, d := range dets {
		if d.code < 400 {
			cr += d.amount
			ncr++
		} else {
			db += d.amount
			ndb++
		}
	}

	closing := open + cr - db
	recs := []string{
		"01,TESTBANK,WIDGETCO,250301,0700,42,,,2/",
		fmt.Sprintf("02,WIDGETCO,TESTBANK,1,%s,2400,%s,2/", asOf, ccy),
		fmt.Sprintf("03,%s,%s,010,%d,,,015,%d,,,100,%d,%d,,400,%d,%d,/",
			account, ccy, open, closing, cr, ncr, db, ndb),
	}
	total := open + closing + cr + db

	for _, d := range dets {
		recs = append(recs, fmt.Sprintf("16,%03d,%d,0,%s,%s,%s/", d.code, d.amount, d.bankRef,
			d.cust, d.text))
		for _, c := range d.conts {
			recs = append(recs, "88,"+c+"/")
		}

		total += d.amount
	}

	n := len(recs) - 2 // the 03, 16 and 88 records
	recs = append(recs,
		fmt.Sprintf("49,%d,%d/", total, n+1),
		fmt.Sprintf("98,%d,1,%d/", total, n+3),
		fmt.Sprintf("99,%d,1,%d/", total, n+5))

	return strings.Join(recs, "\n") + "\n"
}

// standard is a file with the shapes most tests need: an ACH credit with a
// wire-style 88, a lockbox deposit, an incoming wire with text split over
// three 88s, an outgoing wire and a returned deposit.
func standard() string {
	return build("000123456789", "USD", "250228", 1500000,
		det{code: 142, amount: 125000, bankRef: "ACH0000001", cust: "PO-4411",
			text: "NORTHWIND TRADING INV-1001", conts: []string{"EREF: E2E-1001",
				"DBNM: NORTHWIND TRADING LLC", "DABA: 021000021", "DACT: 556677"}},
		det{code: 115, amount: 98765, bankRef: "LBX0000002", text: "LOCKBOX 4411"},
		det{code: 195, amount: 250000, bankRef: "WIR0000003", cust: "",
			text: "INCOMING WIRE", conts: []string{"ORG:=SOUTHWIND/EXPORT GMBH",
				"OBI:=INVOICES INV-1002, INV-1003", "AND INV-1004"}},
		det{code: 495, amount: 40000, bankRef: "WIR0000004", text: "OUTGOING WIRE"},
		det{code: 555, amount: 12000, bankRef: "RET0000005", text: "DEPOSITED ITEM RETURNED"},
	)
}
