package world

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/bankfile"
)

// camt.053 versions WriteCAMT053 can write.
const (
	// CAMT02 is camt.053.001.02: transaction amounts in TxDtls/AmtDtls/TxAmt/Amt,
	// plain Sts, Dbtr/Nm, BIC.
	CAMT02 = "001.02"
	// CAMT08 is camt.053.001.08: TxDtls/Amt and CdtDbtInd, Sts/Cd,
	// Dbtr/Pty/Nm, BICFI.
	CAMT08 = "001.08"
)

// CAMTOptions describe the statement around the payments. Zero fields take
// their defaults.
type CAMTOptions struct {
	// Account is our account: an IBAN, or any other id (written as Othr/Id).
	// Defaults to the generated worlds' company account of the payments'
	// currency (the account number alone for routing:account).
	Account string
	// BatchShare is the share of payments booked inside batch entries (one
	// Ntry with NbOfTxs and several TxDtls). Defaults to 0.2; a negative value
	// writes no batches.
	BatchShare float64
	// BIC is our bank's BIC, written as the account servicer. Defaults to the
	// EUR world's bank for IBAN accounts, none otherwise.
	BIC string
	// Created is the message creation time. Defaults to 06:00 UTC the day after
	// the latest value date.
	Created time.Time
	// Currency is the account currency, the first statement's. Payments in
	// other currencies go to further statements, one per currency. Defaults to
	// the most common payment currency.
	Currency string
	// MsgID is the message id. Defaults to "CAMT053-" and the creation date.
	MsgID string
	// OpeningBalance is the opening booked balance of the account-currency
	// statement in minor units, negative for a debit balance. Defaults to 0.
	OpeningBalance int64
	// OwnerName is the account owner's name. Defaults to the company of the
	// generated worlds.
	OwnerName string
	// Version is CAMT02 or CAMT08. Defaults to CAMT02.
	Version string
}

// CAMTOptions returns options for a statement of the world's own account.
func (w *World) CAMTOptions() CAMTOptions {
	o := CAMTOptions{OwnerName: w.Company.Name, BIC: w.Company.BIC}
	if _, acct, ok := strings.Cut(w.Company.Account, ":"); ok {
		o.Account = acct
	} else {
		o.Account = w.Company.Account
	}

	o.Currency = w.Config.Currency

	return o
}

func (o CAMTOptions) withDefaults(ps []Payment) (CAMTOptions, error) {
	if o.Version == "" {
		o.Version = CAMT02
	}

	if o.Version != CAMT02 && o.Version != CAMT08 {
		return o, fmt.Errorf("write camt: version %q is not %s or %s", o.Version, CAMT02, CAMT08)
	}

	if o.Currency == "" {
		counts := make(map[string]int)
		for _, p := range ps {
			counts[p.Amount.Currency]++
		}

		o.Currency = mostCommon(counts, "EUR")
	}

	if o.Account == "" {
		_, o.Account, _ = strings.Cut(usCompany.Account, ":")
		if ibanCurrencies[o.Currency] {
			o.Account = euCompany.Account
			o.BIC = cmpOr(o.BIC, euCompany.BIC)
		}
	}

	o.OwnerName = cmpOr(o.OwnerName, usCompany.Name)
	if ibanCurrencies[o.Currency] && o.OwnerName == usCompany.Name {
		o.OwnerName = euCompany.Name
	}

	if o.BatchShare == 0 {
		o.BatchShare = 0.2
	}

	if o.Created.IsZero() {
		latest := defaultStart
		for _, p := range ps {
			if p.ValueDate.After(latest) {
				latest = p.ValueDate
			}
		}

		o.Created = midnight(latest).AddDate(0, 0, 1).Add(6 * time.Hour)
	}

	o.MsgID = cmpOr(o.MsgID, "CAMT053-"+o.Created.Format("20060102-1504"))

	return o, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}

	return b
}

// WriteCAMT053 writes ps as a camt.053 bank-to-customer statement of our
// account: one Stmt per currency (the account currency first), credit entries
// in payment order, opening and closing booked balances and a TxsSummry that
// reconcile (opening + credits = closing). A BatchShare of the payments is
// booked as batch entries of two to five TxDtls whose amounts add up to the
// entry. Each entry has an AcctSvcrRef (the payment's trace, or "B" and the
// first trace for a batch) and each TxDtls an EndToEndId ("NOTPROVIDED" when
// the payer sent none). Free remittance goes to RmtInf/Ustrd and structured
// lines to RmtInf/Strd (RfrdDocInf with RfrdDocAmt, or CdtrRefInf for PO
// references). The output is UTF-8 and the same for the same input.
func WriteCAMT053(w io.Writer, ps []Payment, opts CAMTOptions) error {
	opts, err := opts.withDefaults(ps)
	if err != nil {
		return err
	}

	for i, p := range ps {
		if p.Amount.Minor <= 0 || len(p.Amount.Currency) != 3 {
			return fmt.Errorf("write camt: payment %d (%s): %w: %s", i, p.Trace, ErrAmount,
				p.Amount)
		}
	}

	cw := &camtWriter{x: xmlWriter{bw: bufio.NewWriterSize(w, 64<<10)}, o: opts,
		v8: opts.Version == CAMT08}
	cw.document(ps)

	return cw.x.flush()
}

type camtWriter struct {
	x  xmlWriter
	o  CAMTOptions
	v8 bool
}

// statement is the payments of one currency, cut into entries: each entry
// is a run of sizes[k] consecutive payments of members.
type statement struct {
	currency string
	members  []int32
	sizes    []int32
	total    int64
	from, to time.Time
}

func (c *camtWriter) statements(ps []Payment) []*statement {
	byCcy := make(map[string]*statement)
	var out []*statement
	get := func(ccy string) *statement {
		s := byCcy[ccy]
		if s == nil {
			s = &statement{currency: ccy}
			byCcy[ccy] = s
			out = append(out, s)
		}

		return s
	}

	get(c.o.Currency)
	for i, p := range ps {
		s := get(p.Amount.Currency)
		s.members = append(s.members, int32(i))
		s.total += p.Amount.Minor
		if s.from.IsZero() || p.ValueDate.Before(s.from) {
			s.from = p.ValueDate
		}

		if p.ValueDate.After(s.to) {
			s.to = p.ValueDate
		}
	}

	slices.SortStableFunc(out[1:], func(a, b *statement) int {
		return strings.Compare(a.currency, b.currency)
	})

	for _, s := range out {
		s.sizes = c.cut(ps, s.members)
	}

	return out
}

// cut decides the entries: a payment starts a batch of two to five with
// probability BatchShare/3.5 (the mean batch size), decided by a hash of its
// trace so that the cut depends only on the payments.
func (c *camtWriter) cut(ps []Payment, members []int32) []int32 {
	sizes := make([]int32, 0, len(members))
	threshold := uint64(0)
	if c.o.BatchShare > 0 {
		threshold = uint64(min(c.o.BatchShare/3.5, 1) * float64(1<<32))
	}

	for k := 0; k < len(members); {
		p := &ps[members[k]]
		h := hashString(p.Trace+p.PayerName) ^ uint64(k)*0x9E3779B97F4A7C15
		size := 1
		if splitmix(h)&(1<<32-1) < threshold {
			size = 2 + int(splitmix(h>>1)%4)
		}

		size = min(size, len(members)-k)
		sizes = append(sizes, int32(size))
		k += size
	}

	return sizes
}

func (c *camtWriter) document(ps []Payment) {
	x := &c.x
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.raw(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.` + c.o.Version + `">` + "\n")
	x.depth = 1
	x.open("BkToCstmrStmt")
	x.open("GrpHdr")
	x.leaf("MsgId", c.o.MsgID)
	x.leaf("CreDtTm", c.o.Created.UTC().Format("2006-01-02T15:04:05Z"))
	x.close("GrpHdr")

	for k, s := range c.statements(ps) {
		c.statement(ps, s, k+1)
	}

	x.close("BkToCstmrStmt")
	x.depth = 0
	x.raw("</Document>\n")
}

func (c *camtWriter) statement(ps []Payment, s *statement, seq int) {
	x := &c.x
	opening := int64(0)
	if seq == 1 {
		opening = c.o.OpeningBalance
	}

	day := s.to
	if day.IsZero() {
		day = midnight(c.o.Created).AddDate(0, 0, -1)
	}

	x.open("Stmt")
	x.leaf("Id", "STMT-"+day.Format("20060102")+"-"+s.currency)
	x.leaf("ElctrncSeqNb", strconv.Itoa(seq))
	x.leaf("CreDtTm", c.o.Created.UTC().Format("2006-01-02T15:04:05Z"))
	if !s.from.IsZero() {
		x.open("FrToDt")
		x.leaf("FrDtTm", s.from.Format("2006-01-02")+"T00:00:00Z")
		x.leaf("ToDtTm", s.to.Format("2006-01-02")+"T23:59:59Z")
		x.close("FrToDt")
	}

	c.account(s.currency)
	c.balance("OPBD", opening, s.currency, day)
	c.balance("CLBD", opening+s.total, s.currency, day)
	c.summary(s)

	k := 0
	for _, size := range s.sizes {
		c.entry(ps, s.members[k:k+int(size)])
		k += int(size)
	}

	x.close("Stmt")
}

func (c *camtWriter) account(ccy string) {
	x := &c.x
	x.open("Acct")
	x.open("Id")
	c.accountID(c.o.Account)
	x.close("Id")
	x.leaf("Ccy", ccy)
	x.open("Ownr")
	x.leaf("Nm", cutRunes(c.o.OwnerName, 140))
	x.close("Ownr")
	if c.o.BIC != "" {
		x.open("Svcr")
		x.open("FinInstnId")
		x.leaf(c.bicTag(), c.o.BIC)
		x.close("FinInstnId")
		x.close("Svcr")
	}

	x.close("Acct")
}

func (c *camtWriter) bicTag() string {
	if c.v8 {
		return "BICFI"
	}

	return "BIC"
}

// accountID writes the inside of an Id element: IBAN or Othr/Id.
func (c *camtWriter) accountID(acct string) {
	if ValidIBAN(acct) {
		c.x.leaf("IBAN", acct)
		return
	}

	c.x.open("Othr")
	c.x.leaf("Id", cutRunes(acct, 34))
	c.x.close("Othr")
}

func (c *camtWriter) balance(code string, amount int64, ccy string, day time.Time) {
	x := &c.x
	ind := "CRDT"
	if amount < 0 {
		ind, amount = "DBIT", -amount
	}

	x.open("Bal")
	x.open("Tp")
	x.open("CdOrPrtry")
	x.leaf("Cd", code)
	x.close("CdOrPrtry")
	x.close("Tp")
	x.amount("Amt", amount, ccy)
	x.leaf("CdtDbtInd", ind)
	x.open("Dt")
	x.leaf("Dt", day.Format("2006-01-02"))
	x.close("Dt")
	x.close("Bal")
}

func (c *camtWriter) summary(s *statement) {
	x := &c.x
	n := strconv.Itoa(len(s.sizes))
	sum := decimal(s.total, s.currency)
	x.open("TxsSummry")
	x.open("TtlNtries")
	x.leaf("NbOfNtries", n)
	x.leaf("Sum", sum)
	if c.v8 {
		x.open("TtlNetNtry")
		x.leaf("Amt", sum)
		x.leaf("CdtDbtInd", "CRDT")
		x.close("TtlNetNtry")
	} else {
		x.leaf("TtlNetNtryAmt", sum)
		x.leaf("CdtDbtInd", "CRDT")
	}

	x.close("TtlNtries")
	x.open("TtlCdtNtries")
	x.leaf("NbOfNtries", n)
	x.leaf("Sum", sum)
	x.close("TtlCdtNtries")
	x.open("TtlDbtNtries")
	x.leaf("NbOfNtries", "0")
	x.leaf("Sum", "0")
	x.close("TtlDbtNtries")
	x.close("TxsSummry")
}

func (c *camtWriter) entry(ps []Payment, members []int32) {
	x := &c.x
	first := &ps[members[0]]
	ccy := first.Amount.Currency
	var total int64
	for _, i := range members {
		total += ps[i].Amount.Minor
	}

	ref := first.Trace
	if len(members) > 1 {
		ref = "B" + first.Trace
	}

	x.open("Ntry")
	x.amount("Amt", total, ccy)
	x.leaf("CdtDbtInd", "CRDT")
	if c.v8 {
		x.open("Sts")
		x.leaf("Cd", "BOOK")
		x.close("Sts")
	} else {
		x.leaf("Sts", "BOOK")
	}

	x.open("BookgDt")
	x.leaf("Dt", first.ValueDate.Format("2006-01-02"))
	x.close("BookgDt")
	x.open("ValDt")
	x.leaf("Dt", first.ValueDate.Format("2006-01-02"))
	x.close("ValDt")
	x.leaf("AcctSvcrRef", ref)
	c.txCode(ccy)
	x.open("NtryDtls")
	if len(members) > 1 {
		x.open("Btch")
		x.leaf("NbOfTxs", strconv.Itoa(len(members)))
		x.amount("TtlAmt", total, ccy)
		x.leaf("CdtDbtInd", "CRDT")
		x.close("Btch")
	}

	for _, i := range members {
		c.txDetails(&ps[i], len(members) > 1)
	}

	x.close("NtryDtls")
	if len(members) > 1 {
		x.leaf("AddtlNtryInf", "COLLECTIVE CREDIT")
	}

	x.close("Ntry")
}

func (c *camtWriter) txCode(ccy string) {
	x := &c.x
	sub := "DMCT"
	if ccy == "EUR" {
		sub = "ESCT"
	}

	x.open("BkTxCd")
	x.open("Domn")
	x.leaf("Cd", "PMNT")
	x.open("Fmly")
	x.leaf("Cd", "RCDT")
	x.leaf("SubFmlyCd", sub)
	x.close("Fmly")
	x.close("Domn")
	x.close("BkTxCd")
}

func (c *camtWriter) txDetails(p *Payment, inBatch bool) {
	x := &c.x
	x.open("TxDtls")
	x.open("Refs")
	if inBatch {
		x.leaf("AcctSvcrRef", p.Trace)
	}

	x.leaf("EndToEndId", cmpOr(cutRunes(p.EndToEndID, 35), "NOTPROVIDED"))
	x.close("Refs")
	if c.v8 {
		x.amount("Amt", p.Amount.Minor, p.Amount.Currency)
		x.leaf("CdtDbtInd", "CRDT")
	} else {
		x.open("AmtDtls")
		x.open("TxAmt")
		x.amount("Amt", p.Amount.Minor, p.Amount.Currency)
		x.close("TxAmt")
		x.close("AmtDtls")
	}

	c.parties(p)
	c.remittance(p)
	x.close("TxDtls")
}

func (c *camtWriter) parties(p *Payment) {
	x := &c.x
	routing, acct, us := strings.Cut(p.PayerAccount, ":")
	bic := isBIC(p.PayerID)
	x.open("RltdPties")
	x.open("Dbtr")
	if c.v8 {
		x.open("Pty")
	}

	x.leaf("Nm", cutRunes(p.PayerName, 140))
	if p.PayerID != "" && !bic {
		x.open("Id")
		x.open("OrgId")
		x.open("Othr")
		x.leaf("Id", cutRunes(p.PayerID, 35))
		x.close("Othr")
		x.close("OrgId")
		x.close("Id")
	}

	if c.v8 {
		x.close("Pty")
	}

	x.close("Dbtr")
	if p.PayerAccount != "" {
		if !us {
			acct = p.PayerAccount
		}

		x.open("DbtrAcct")
		x.open("Id")
		c.accountID(acct)
		x.close("Id")
		x.close("DbtrAcct")
	}

	x.close("RltdPties")
	if !bic && !us {
		return
	}

	x.open("RltdAgts")
	x.open("DbtrAgt")
	x.open("FinInstnId")
	if bic {
		x.leaf(c.bicTag(), p.PayerID)
	} else {
		x.open("ClrSysMmbId")
		x.open("ClrSysId")
		x.leaf("Cd", "USABA")
		x.close("ClrSysId")
		x.leaf("MmbId", routing)
		x.close("ClrSysMmbId")
	}

	x.close("FinInstnId")
	x.close("DbtrAgt")
	x.close("RltdAgts")
}

// isBIC reports whether s has the shape of a BIC (8 or 11 characters, six
// letters first).
func isBIC(s string) bool {
	if len(s) != 8 && len(s) != 11 {
		return false
	}

	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'A' && c <= 'Z'
		if i < 6 && !letter || !letter && (c < '0' || c > '9') {
			return false
		}
	}

	return true
}

func (c *camtWriter) remittance(p *Payment) {
	if p.Remittance == "" && len(p.Remits) == 0 {
		return
	}

	x := &c.x
	x.open("RmtInf")
	if p.Remittance != "" {
		x.leaf("Ustrd", cutRunes(p.Remittance, 140))
	}

	for _, r := range p.Remits {
		c.structured(r, p.Amount.Currency)
	}

	x.close("RmtInf")
}

func (c *camtWriter) structured(r bankfile.Remit, ccy string) {
	x := &c.x
	x.open("Strd")
	if r.RefType == "PO" || r.RefType == "RF" {
		code := "PUOR"
		if r.RefType == "RF" {
			code = "SCOR"
		}

		if r.Paid != 0 {
			x.open("RfrdDocAmt")
			x.amount("RmtdAmt", r.Paid, ccy)
			x.close("RfrdDocAmt")
		}

		x.open("CdtrRefInf")
		x.open("Tp")
		x.open("CdOrPrtry")
		x.leaf("Cd", code)
		x.close("CdOrPrtry")
		x.close("Tp")
		x.leaf("Ref", cutRunes(r.Ref, 35))
		x.close("CdtrRefInf")
		x.close("Strd")

		return
	}

	x.open("RfrdDocInf")
	x.open("Tp")
	x.open("CdOrPrtry")
	x.leaf("Cd", "CINV")
	x.close("CdOrPrtry")
	x.close("Tp")
	x.leaf("Nb", cutRunes(r.Ref, 35))
	x.close("RfrdDocInf")
	x.open("RfrdDocAmt")
	if r.Invoiced != 0 {
		x.amount("DuePyblAmt", r.Invoiced, ccy)
	}

	if r.Discount != 0 {
		if c.v8 {
			x.open("DscntApldAmt")
			x.amount("Amt", r.Discount, ccy)
			x.close("DscntApldAmt")
		} else {
			x.amount("DscntApldAmt", r.Discount, ccy)
		}
	}

	x.amount("RmtdAmt", r.Paid, ccy)
	x.close("RfrdDocAmt")
	x.close("Strd")
}

// xmlWriter streams indented XML elements.
type xmlWriter struct {
	bw    *bufio.Writer
	depth int
	err   error
}

var indents = strings.Repeat("  ", 16)

func (x *xmlWriter) indent() {
	x.bw.WriteString(indents[:2*min(x.depth, 16)])
}

func (x *xmlWriter) raw(s string) {
	x.bw.WriteString(s)
}

func (x *xmlWriter) open(tag string) {
	x.indent()
	x.bw.WriteByte('<')
	x.bw.WriteString(tag)
	x.bw.WriteString(">\n")
	x.depth++
}

func (x *xmlWriter) close(tag string) {
	x.depth--
	x.indent()
	x.bw.WriteString("</")
	x.bw.WriteString(tag)
	x.bw.WriteString(">\n")
}

func (x *xmlWriter) leaf(tag, text string) {
	x.indent()
	x.bw.WriteByte('<')
	x.bw.WriteString(tag)
	x.bw.WriteByte('>')
	x.escape(text)
	x.bw.WriteString("</")
	x.bw.WriteString(tag)
	x.bw.WriteString(">\n")
}

func (x *xmlWriter) amount(tag string, minor int64, ccy string) {
	x.indent()
	x.bw.WriteByte('<')
	x.bw.WriteString(tag)
	x.bw.WriteString(` Ccy="`)
	x.escape(ccy)
	x.bw.WriteString(`">`)
	x.bw.WriteString(decimal(minor, ccy))
	x.bw.WriteString("</")
	x.bw.WriteString(tag)
	x.bw.WriteString(">\n")
}

// escape writes s as XML character data, dropping characters XML 1.0 does
// not allow.
func (x *xmlWriter) escape(s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch c := s[i]; {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '"':
			esc = "&quot;"
		case c == '\'':
			esc = "&apos;"
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			esc = ""
		default:
			continue
		}

		x.bw.WriteString(s[start:i])
		x.bw.WriteString(esc)
		start = i + 1
	}

	x.bw.WriteString(s[start:])
}

func (x *xmlWriter) flush() error {
	if err := x.bw.Flush(); err != nil {
		return fmt.Errorf("write camt: %w", err)
	}

	return nil
}
