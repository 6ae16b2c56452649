package bai2

import "github.com/o2c-dev/o2c/internal/bankfile"

// detailCode returns what a type code means for a 16 record, and false when the
// code carries no direction (a status code or an unassigned one).
//
// Direction follows the ranges of the specification: 100-399 credits, 400-699
// debits; in the loan range 720-728 are credits (amounts applied to a loan) and
// 760 a debit (loan disbursement); 890 carries information only; of the
// bank-defined codes 920-959 are credits and 960-999 debits. Status codes
// 001-099, 701-709 and 900-919 and the unassigned rest of 700-899 have no
// direction.
//
// Kind: the codes that return an item (a bounced deposit, an ACH return, a
// rejected credit) are returns; reversals and posting-error corrections are
// reversals; bank fees, fee refunds and interest (bank-originated amounts that
// settle no invoice) are charges; 890 is a notice; everything else is a
// payment.
func detailCode(code int, custom map[int]TypeCode) (TypeCode, bool) {
	if tc, ok := custom[code]; ok {
		return tc, true
	}

	var dir bankfile.Direction

	switch {
	case code >= 100 && code <= 399, code >= 720 && code <= 728, code >= 920 && code <= 959:
		dir = bankfile.Credit
	case code >= 400 && code <= 699, code == 760, code >= 960 && code <= 999:
		dir = bankfile.Debit
	case code == 890:
		return TypeCode{Direction: bankfile.Credit, Kind: bankfile.KindNotice}, true
	default:
		return TypeCode{}, false
	}

	kind := bankfile.KindPayment
	if k, ok := kinds[code]; ok {
		kind = k
	}

	return TypeCode{Direction: dir, Kind: kind}, true
}

// kinds lists the detail codes that are not payments.
var kinds = map[int]bankfile.Kind{
	// Returned items.
	123: bankfile.KindReturn, // EDIBANX credit return
	168: bankfile.KindReturn, // ACH return item or adjustment settlement
	255: bankfile.KindReturn, // check posted and returned
	257: bankfile.KindReturn, // individual ACH return item
	261: bankfile.KindReturn, // individual rejected credit
	266: bankfile.KindReturn, // return item
	268: bankfile.KindReturn, // return item adjustment
	423: bankfile.KindReturn, // EDIBANX return item debit
	468: bankfile.KindReturn, // ACH return item or adjustment settlement
	555: bankfile.KindReturn, // deposited item returned
	557: bankfile.KindReturn, // individual ACH return item
	561: bankfile.KindReturn, // individual rejected debit
	566: bankfile.KindReturn, // return item
	568: bankfile.KindReturn, // return item adjustment

	// Reversals and corrections of earlier postings.
	252: bankfile.KindReversal, // debit reversal
	254: bankfile.KindReversal, // posting error correction credit
	258: bankfile.KindReversal, // ACH reversal credit
	395: bankfile.KindReversal, // check reversal
	552: bankfile.KindReversal, // credit reversal
	554: bankfile.KindReversal, // posting error correction debit
	558: bankfile.KindReversal, // ACH reversal debit
	694: bankfile.KindReversal, // deposit reversal

	// Bank fees, fee refunds and interest.
	346: bankfile.KindCharge, // sweep interest income
	354: bankfile.KindCharge, // interest credit
	398: bankfile.KindCharge, // miscellaneous fee refund
	564: bankfile.KindCharge, // overdraft fee
	567: bankfile.KindCharge, // return item fee
	654: bankfile.KindCharge, // interest debit
	661: bankfile.KindCharge, // account analysis fee
	698: bankfile.KindCharge, // miscellaneous fees
}

// depositItems pairs the codes of a deposit with the codes of the items in it:
// a bank that reports both lists the same money twice.
var depositItems = map[int]int{
	116: 115, // item in lockbox deposit / lockbox deposit
	136: 135, // item in DTC deposit / DTC concentration credit
	156: 155, // item in PAC deposit / preauthorized draft credit
	345: 342, // item in brokers deposit / broker deposit
}

// itemsOf is depositItems the other way round.
var itemsOf = map[int]int{115: 116, 135: 136, 155: 156, 342: 345}

// balanceNames names the summary type codes treasury reads most.
var balanceNames = map[int]string{
	10:  "opening ledger",
	15:  "closing ledger",
	20:  "average closing ledger MTD",
	30:  "current ledger",
	40:  "opening available",
	45:  "closing available",
	50:  "average closing available MTD",
	56:  "loan balance",
	57:  "total investment position",
	60:  "current available",
	63:  "total float",
	65:  "target balance",
	70:  "0-day float",
	72:  "1-day float",
	73:  "float adjustment",
	74:  "2 or more days float",
	75:  "3 or more days float",
	100: "total credits",
	105: "credits not detailed",
	110: "total lockbox deposits",
	140: "total ACH credits",
	190: "total incoming money transfers",
	400: "total debits",
	406: "debits not detailed",
	450: "total ACH debits",
	490: "total outgoing money transfers",
}
