package camt_test

import (
	"fmt"
	"testing"

	"github.com/o2c-dev/o2c/connectors/bank/camt"
	"github.com/o2c-dev/o2c/internal/bankfile"
)

// chrgs02 is a charge as camt .02 and .03 state it; rcrd is one of .04 on.
func chrgs02(amount string) string {
	return `<Chrgs><Amt Ccy="EUR">` + amount + `</Amt><Tp><Cd>COMM</Cd></Tp></Chrgs>`
}

func rcrd(amount, incl string) string {
	return `<Chrgs><TtlChrgsAndTaxAmt Ccy="EUR">` + amount + `</TtlChrgsAndTaxAmt><Rcrd>` +
		`<Amt Ccy="EUR">` + amount + `</Amt><CdtDbtInd>DBIT</CdtDbtInd>` +
		`<ChrgInclInd>` + incl + `</ChrgInclInd></Rcrd></Chrgs>`
}

// paid is a TxDtls body: end-to-end id, the amount booked for it (TxAmt) and,
// when not empty, the amount the payer instructed, then extra elements.
func paid(id, txAmt, instd, extra string) string {
	amts := `<TxAmt><Amt Ccy="EUR">` + txAmt + `</Amt></TxAmt>`
	if instd != "" {
		amts = `<InstdAmt><Amt Ccy="EUR">` + instd + `</Amt></InstdAmt>` + amts
	}

	return `<Refs><EndToEndId>` + id + `</EndToEndId></Refs><AmtDtls>` + amts + `</AmtDtls>` +
		extra
}

// Bank charges taken from incoming payments are recorded where the amounts
// prove them, and never change what is counted as booked: a detail is booked
// net with Charges set, or, for charges stated only for a whole batch, the
// details keep what the payers sent and the charges are a debit of their own.
func TestChargesOfIncomingPayments(t *testing.T) {
	t.Parallel()

	type want struct {
		amount  int64
		dir     bankfile.Direction
		kind    bankfile.Kind
		charges int64
	}

	credit := func(amount, charges int64) want {
		return want{amount, bankfile.Credit, bankfile.KindPayment, charges}
	}

	cases := map[string]struct {
		booked string
		extra  string // entry-level elements
		dets   []string
		want   []want
		prob   string
	}{
		"net detail, gross instructed, charges of the detail (.02)": {
			booked: "5455.00", dets: []string{paid("E-1", "5455.00", "5500.00", chrgs02("45.00"))},
			want: []want{credit(545500, 4500)},
		},
		"gross detail, charges of the detail (.04)": {
			booked: "98.00", dets: []string{paid("E-1", "100.00", "", rcrd("2.00", "true"))},
			want: []want{credit(9800, 200)},
		},
		"charges for information only": {
			booked: "100.00", dets: []string{paid("E-1", "100.00", "", chrgs02("2.00"))},
			want: []want{credit(10000, 0)},
		},
		"batch, charges of each detail": {
			booked: "595.00", dets: []string{
				paid("E-1", "400.00", "", chrgs02("3.00")),
				paid("E-2", "200.00", "", chrgs02("2.00")),
			},
			want: []want{credit(39700, 300), credit(19800, 200)},
		},
		"batch, charges of the entry": {
			booked: "595.00", extra: rcrd("5.00", "true"),
			dets: []string{paid("E-1", "400.00", "", ""), paid("E-2", "200.00", "", "")},
			want: []want{credit(40000, 0), credit(20000, 0),
				{500, bankfile.Debit, bankfile.KindCharge, 0}},
		},
		"batch, charges booked apart": {
			booked: "595.00", extra: rcrd("5.00", "false"),
			dets: []string{paid("E-1", "400.00", "", ""), paid("E-2", "200.00", "", "")},
			want: []want{credit(59500, 0)}, prob: "batch details 600.00 ≠ booked 595.00",
		},
		"no details, instructed amount of the entry": {
			booked: "97.50", extra: `<AmtDtls><InstdAmt><Amt Ccy="EUR">100.00</Amt></InstdAmt>` +
				`</AmtDtls>` + chrgs02("2.50"),
			want: []want{credit(9750, 250)},
		},
		"charges in another currency": {
			booked: "98.00",
			dets:   []string{paid("E-1", "100.00", "", `<Chrgs><Amt Ccy="USD">2.00</Amt></Chrgs>`)},
			want:   []want{credit(9800, 0)}, prob: "batch details 100.00 ≠ booked 98.00",
		},
	}

	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			head := bal("OPBD", "0", "CRDT") + bal("CLBD", c.booked, "CRDT")
			data := statement053("DE02100100100006820101", head, entry{amount: c.booked,
				ccy: "EUR", cdi: "CRDT", ref: "C-1", extra: c.extra, details: c.dets})

			f := mustRead(t, name, data, camt.Options{})
			if len(f.Transactions) != len(c.want) || f.Controls != bankfile.ControlsOK {
				t.Fatalf("%d transactions, controls %s: %+v", len(f.Transactions), f.Controls,
					f.Transactions)
			}

			var net int64
			for i, tx := range f.Transactions {
				w := c.want[i]
				got := want{tx.Amount.Minor, tx.Direction, tx.Kind, tx.Charges}
				if got != w || tx.Problem != c.prob {
					t.Errorf("transaction %d: %+v problem %q, want %+v problem %q", i, got,
						tx.Problem, w, c.prob)
				}

				if tx.Direction == bankfile.Credit {
					net += tx.Amount.Minor
				} else {
					net -= tx.Amount.Minor
				}
			}

			if booked := parseCents(c.booked); net != booked {
				t.Errorf("transactions net %d, booked %d", net, booked)
			}
		})
	}
}

func parseCents(s string) int64 {
	var units, cents int64
	if _, err := fmt.Sscanf(s, "%d.%d", &units, &cents); err != nil {
		panic(err)
	}

	return units*100 + cents
}
