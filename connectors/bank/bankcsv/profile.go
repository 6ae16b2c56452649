package bankcsv

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/internal/money"
)

// Profile says how one bank's CSV exports are read: which files it is for, the
// dialect (delimiter, number and date formats, encoding, preamble rows) and which
// column means what. The YAML keys are those of the bank_profiles section of the
// o2c config. Every field but Name and Match is optional: what a profile leaves
// out is worked out from the file as for a file no profile matches.
type Profile struct {
	// Name identifies the profile in File.Profile, warnings and errors. Required.
	Name string `yaml:"name"`

	// Match says which files the profile is for. At least one rule is required.
	Match Match `yaml:"match"`

	// Delimiter is the field separator: ",", ";", "|" or "tab". Defaults to "":
	// detected among those four.
	Delimiter string `yaml:"delimiter"`

	// Decimal is the decimal mark, "." or ",". Defaults to "": inferred from the
	// amounts of the file.
	Decimal string `yaml:"decimal"`

	// Thousands is the digit-group separator: ",", ".", " ", "'" or "none".
	// Defaults to "": the mark that is not the decimal mark, spaces and "'".
	Thousands string `yaml:"thousands"`

	// DateOrder is the order of day and month in dates such as 03/04/2025: "DMY"
	// or "MDY". Defaults to "": inferred from the whole date column.
	DateOrder string `yaml:"date_order"`

	// DateLayouts are the date formats of the export, tried in order, written with
	// YYYY, YY, MM, M, DD, D and MON (month name), e.g. "DD.MM.YYYY" or
	// "M/D/YYYY"; a time after the date is ignored. They take precedence over
	// DateOrder. Defaults to none: dates are read in every common form.
	DateLayouts []string `yaml:"date_layouts"`

	// Encoding is the character set: "utf-8", "windows-1252", "iso-8859-1",
	// "iso-8859-15" or "utf-16". A byte-order mark always wins. Defaults to "":
	// UTF-8 when the bytes are valid UTF-8, else Windows-1252.
	Encoding string `yaml:"encoding"`

	// SkipRows is the number of rows before the header row (account number,
	// period, balances); they are still read for the account and currency.
	// Defaults to 0: the header is searched for in the first 50 rows.
	SkipRows int `yaml:"skip_rows"`

	// Columns maps header names to meanings. Defaults to none: columns are
	// recognised by name.
	Columns Columns `yaml:"columns"`

	// Sign is how a row's direction is written: "amount" (one signed amount
	// column), "indicator" (an amount column and a debit/credit indicator column)
	// or "debit_credit" (separate debit and credit columns). Defaults to "": from
	// the columns present.
	Sign string `yaml:"sign"`

	// DebitSign is how the debit column writes its amounts: "positive",
	// "negative" or "any" (every non-zero value is a debit, whatever its sign).
	// Defaults to "": the first non-zero debit sets the convention and rows that
	// differ are flagged for review.
	DebitSign string `yaml:"debit_sign"`

	// CreditSign says what a minus in the credit column means: "positive" (it is
	// read as a debit and the row flagged for review) or "signed" (it is a debit).
	// Defaults to "positive".
	CreditSign string `yaml:"credit_sign"`

	// CreditValues are the indicator values of credit rows (compared without case
	// and punctuation). Defaults to the common words: C, CR, CRDT, CREDIT, H,
	// HABEN, DEPOSIT, ...
	CreditValues []string `yaml:"credit_values"`

	// DebitValues are the indicator values of debit rows. Defaults to the common
	// words: D, DR, DBIT, DEBIT, S, SOLL, CHECK, ...
	DebitValues []string `yaml:"debit_values"`

	// Currency is the ISO 4217 code of rows whose file states none. Defaults to
	// "": a currency column, a metadata row or a code in the amount is needed.
	Currency string `yaml:"currency"`

	// Account is our account at the bank when the file does not name it.
	// Defaults to "".
	Account string `yaml:"account"`

	// SkipStatus are the status column values of rows that are not booked yet
	// and are skipped. Defaults to the common words: pending, vorgemerkt, ...
	SkipStatus []string `yaml:"skip_status"`

	// SummaryRows are prefixes of the first cell of summary rows to skip, added
	// to the built-in ones (balance, total, saldo, ...). Defaults to none.
	SummaryRows []string `yaml:"summary_rows"`

	// Checks says which control checks reject a file and which only warn.
	Checks Checks `yaml:"checks"`
}

// Match holds the rules that pick a profile for a file; every rule given must
// hold.
type Match struct {
	// Header are column names the header row must contain (compared without case,
	// accents and punctuation).
	Header []string `yaml:"header"`

	// FileName is a glob on the file's base name, without case: "acme_*.csv".
	FileName string `yaml:"file_name"`

	// Account is our account as the file's metadata rows or account column name it.
	Account string `yaml:"account"`
}

// Columns maps header names to what they hold. Names are compared without case,
// accents and punctuation. When any of the amount columns (amount, debit,
// credit, indicator, gross, fee, net, balance, original_amount) is mapped, the
// others are not guessed; the same holds for the two date columns. Other roles
// left out are recognised by name.
type Columns struct {
	Date           string   `yaml:"date"`            // booking date
	ValueDate      string   `yaml:"value_date"`      // value (effective) date
	Amount         string   `yaml:"amount"`          // one amount, signed or with an indicator
	Debit          string   `yaml:"debit"`           // money out
	Credit         string   `yaml:"credit"`          // money in
	Indicator      string   `yaml:"indicator"`       // debit/credit indicator (D/C, S/H, ...)
	Gross          string   `yaml:"gross"`           // amount before the fee (PayPal)
	Fee            string   `yaml:"fee"`             // fee, booked as a charge of its own
	Net            string   `yaml:"net"`             // gross + fee, checked
	Balance        string   `yaml:"balance"`         // running balance, checked
	OriginalAmount string   `yaml:"original_amount"` // amount in another currency
	Currency       string   `yaml:"currency"`        // ISO 4217 code of the row
	PayerName      string   `yaml:"payer_name"`      // counterparty name
	PayerAccount   string   `yaml:"payer_account"`   // counterparty IBAN or account
	PayerID        string   `yaml:"payer_id"`        // counterparty id or e-mail
	Reference      []string `yaml:"reference"`       // payment references, the first is PaymentRef
	Remittance     []string `yaml:"remittance"`      // free text, joined in column order
	Invoice        string   `yaml:"invoice"`         // invoice number the payer stated
	EndToEndID     string   `yaml:"end_to_end_id"`   // SEPA end-to-end id
	TransactionID  string   `yaml:"transaction_id"`  // the bank's id: the dedupe key
	Serial         string   `yaml:"serial"`          // line number within a transaction id
	OriginalRef    string   `yaml:"original_ref"`    // id of a related transaction
	Status         string   `yaml:"status"`          // booked or pending (see SkipStatus)
	Type           string   `yaml:"type"`            // transaction type: fee, reversal, return
	Account        string   `yaml:"account"`         // our account
}

// Checks says what a failed control check does: "reject" the file, "warn" (the
// file is read, the warning shown) or "off".
type Checks struct {
	// Balance is the running-balance check: each row's balance must follow from
	// the previous one and the row's amount. Defaults to "warn".
	Balance string `yaml:"balance"`

	// Net is the gross + fee = net check of rows with those columns. Defaults to
	// "reject"; with "warn" the row is read from gross and fee and flagged.
	Net string `yaml:"net"`
}

// The check outcomes.
const (
	checkReject = "reject"
	checkWarn   = "warn"
	checkOff    = "off"
)

// Sign conventions.
const (
	signAmount      = "amount"
	signIndicator   = "indicator"
	signDebitCredit = "debit_credit"
)

// ErrProfile reports a bank profile that cannot be used.
var ErrProfile = errors.New("invalid bank profile")

// CheckProfiles validates profiles as NewReader does and returns every problem,
// joined, each wrapping ErrProfile and naming the profile and its key.
func CheckProfiles(profiles []Profile) error {
	var errs []error

	names := map[string]bool{}
	for i, p := range profiles {
		if _, err := compile(p); err != nil {
			errs = append(errs, fmt.Errorf("bank_profiles[%d]: %w", i, err))
		}

		if names[p.Name] && p.Name != "" {
			errs = append(errs, fmt.Errorf("bank_profiles[%d]: %w: name %q is used twice",
				i, ErrProfile, p.Name))
		}

		names[p.Name] = true
	}

	return errors.Join(errs...)
}

// settings is a compiled profile, or the guess for a file no profile matches.
type settings struct {
	name    string // "" for the guess
	profile *Profile

	headerNames []string // Match.Header, normalised
	fileGlob    string
	matchAcct   string

	delimiter  rune // 0: detect
	decimal    byte // 0: infer
	thousands  byte // 0: the other mark; noGrouping: none
	order      DateOrder
	layouts    []dateLayout
	encoding   string
	skipRows   int
	mapped     map[string]role // normalised header name → role
	mappedRole map[role]bool
	mapsMoney  bool
	mapsDates  bool
	sign       string
	debitSign  string
	creditSign string
	creditVals map[string]bool // nil: the default words
	debitVals  map[string]bool
	currency   string
	account    string
	skipStatus map[string]bool
	summary    []string
	balance    string
	net        string
}

// noGrouping is the thousands setting of a profile that allows no grouping.
const noGrouping = 'x'

var moneyRoles = map[role]bool{
	roleAmount: true, roleDebit: true, roleCredit: true, roleIndicator: true, roleGross: true,
	roleFee: true, roleNet: true, roleBalance: true, roleOriginalAmount: true,
}

// guessSettings are the settings of a file no profile matches.
func guessSettings() *settings {
	return &settings{balance: checkWarn, net: checkReject, mapped: map[string]role{},
		mappedRole: map[role]bool{}}
}

// compile checks a profile and turns it into settings.
func compile(p Profile) (*settings, error) {
	var msgs []string

	bad := func(format string, args ...any) {
		msgs = append(msgs, fmt.Sprintf(format, args...))
	}

	s := guessSettings()
	s.name, s.profile = p.Name, &p

	if strings.TrimSpace(p.Name) == "" {
		bad("name: required")
	}

	compileMatch(&p, s, bad)
	compileDialect(&p, s, bad)
	compileColumns(&p, s, bad)
	compileSigns(&p, s, bad)

	if p.Currency != "" && !money.ValidCurrency(p.Currency) {
		bad("currency %q: %s", p.Currency, money.CurrencyProblem(p.Currency))
	}

	s.currency, s.account = p.Currency, strings.TrimSpace(p.Account)
	s.skipStatus = wordSet(p.SkipStatus)

	for _, w := range p.SummaryRows {
		if n := normalise(w); n != "" {
			s.summary = append(s.summary, n)
		} else {
			bad("summary_rows: %q has no letters or digits", w)
		}
	}

	for _, c := range []struct {
		key, value, def string
		to              *string
	}{{"checks.balance", p.Checks.Balance, checkWarn, &s.balance},
		{"checks.net", p.Checks.Net, checkReject, &s.net}} {
		switch c.value {
		case "":
			*c.to = c.def
		case checkReject, checkWarn, checkOff:
			*c.to = c.value
		default:
			bad("%s %q: want reject, warn or off", c.key, c.value)
		}
	}

	if len(msgs) > 0 {
		return nil, fmt.Errorf("%w %q: %s", ErrProfile, p.Name, strings.Join(msgs, "; "))
	}

	return s, nil
}

func compileMatch(p *Profile, s *settings, bad func(string, ...any)) {
	m := p.Match
	if len(m.Header) == 0 && m.FileName == "" && m.Account == "" {
		bad("match: needs header, file_name or account")
	}

	for _, h := range m.Header {
		n := normalise(h)
		if n == "" {
			bad("match.header: %q has no letters or digits", h)
		}

		s.headerNames = append(s.headerNames, n)
	}

	if m.FileName != "" {
		if _, err := path.Match(strings.ToLower(m.FileName), ""); err != nil {
			bad("match.file_name %q: %v", m.FileName, err)
		}
	}

	s.fileGlob = strings.ToLower(m.FileName)
	s.matchAcct = compact(m.Account)
}

func compileDialect(p *Profile, s *settings, bad func(string, ...any)) {
	switch d := p.Delimiter; {
	case d == "":
	case strings.EqualFold(d, "tab") || d == "\t":
		s.delimiter = '\t'
	case utf8.RuneCountInString(d) == 1 && !strings.ContainsAny(d, "\"\r\n") && d != " ":
		s.delimiter, _ = utf8.DecodeRuneInString(d)
	default:
		bad("delimiter %q: want one character such as , ; | or tab", d)
	}

	switch p.Decimal {
	case "":
	case ".", ",":
		s.decimal = p.Decimal[0]
	default:
		bad("decimal %q: want . or ,", p.Decimal)
	}

	switch t := p.Thousands; {
	case t == "":
	case t == "none":
		s.thousands = noGrouping
	case t == "'" || t == " ":
		s.thousands = ' ' // cleanNumber turns both into a space
	case t == "," || t == ".":
		if s.decimal == t[0] {
			bad("thousands %q: same as the decimal mark", t)
		}

		s.thousands = t[0]
	default:
		bad("thousands %q: want , . ' space or none", t)
	}

	if s.decimal == 0 && (s.thousands == ',' || s.thousands == '.') {
		s.decimal = ',' + '.' - s.thousands // the other mark
	}

	switch strings.ToUpper(p.DateOrder) {
	case "":
	case "DMY":
		s.order = DayFirst
	case "MDY":
		s.order = MonthFirst
	default:
		bad("date_order %q: want DMY or MDY", p.DateOrder)
	}

	for _, l := range p.DateLayouts {
		dl, err := parseLayout(l)
		if err != nil {
			bad("date_layouts %q: %v", l, err)
			continue
		}

		s.layouts = append(s.layouts, dl)
	}

	switch e := strings.ToLower(p.Encoding); e {
	case "", "auto":
	case "utf-8", "utf8":
		s.encoding = encUTF8
	case "windows-1252", "cp1252":
		s.encoding = encCP1252
	case "iso-8859-1", "latin-1", "latin1":
		s.encoding = encLatin1
	case "iso-8859-15", "latin-9":
		s.encoding = encLatin9
	case "utf-16":
		s.encoding = encUTF16
	default:
		bad("encoding %q: want utf-8, windows-1252, iso-8859-1, iso-8859-15 or utf-16", e)
	}

	if p.SkipRows < 0 || p.SkipRows >= headerSearch {
		bad("skip_rows %d: want 0 to %d", p.SkipRows, headerSearch-1)
	}

	s.skipRows = p.SkipRows
}

func compileColumns(p *Profile, s *settings, bad func(string, ...any)) {
	c := p.Columns
	one := []struct {
		key  string
		name string
		role role
	}{
		{"date", c.Date, roleDate}, {"value_date", c.ValueDate, roleValueDate},
		{"amount", c.Amount, roleAmount}, {"debit", c.Debit, roleDebit},
		{"credit", c.Credit, roleCredit}, {"indicator", c.Indicator, roleIndicator},
		{"gross", c.Gross, roleGross}, {"fee", c.Fee, roleFee}, {"net", c.Net, roleNet},
		{"balance", c.Balance, roleBalance}, {"original_amount", c.OriginalAmount,
			roleOriginalAmount}, {"currency", c.Currency, roleCurrency},
		{"payer_name", c.PayerName, rolePayer}, {"payer_account", c.PayerAccount,
			rolePayerAccount}, {"payer_id", c.PayerID, rolePayerID},
		{"invoice", c.Invoice, roleInvoice}, {"end_to_end_id", c.EndToEndID, roleEndToEnd},
		{"transaction_id", c.TransactionID, roleTxID}, {"serial", c.Serial, roleSerial},
		{"original_ref", c.OriginalRef, roleOriginalRef}, {"status", c.Status, roleStatus},
		{"type", c.Type, roleType}, {"account", c.Account, roleAccount},
	}

	for _, r := range c.Reference {
		one = append(one, struct {
			key  string
			name string
			role role
		}{"reference", r, roleReference})
	}

	for _, r := range c.Remittance {
		one = append(one, struct {
			key  string
			name string
			role role
		}{"remittance", r, roleDescription})
	}

	for _, m := range one {
		if m.name == "" {
			continue
		}

		n := normalise(m.name)
		if n == "" {
			bad("columns.%s %q: has no letters or digits", m.key, m.name)
			continue
		}

		if prev, dup := s.mapped[n]; dup && prev != m.role {
			bad("columns.%s %q: the column is mapped twice", m.key, m.name)
			continue
		}

		s.mapped[n] = m.role
		s.mappedRole[m.role] = true
		s.mapsMoney = s.mapsMoney || moneyRoles[m.role]
		s.mapsDates = s.mapsDates || m.role == roleDate || m.role == roleValueDate
	}

	if s.mapsDates && !s.mappedRole[roleDate] && !s.mappedRole[roleValueDate] {
		bad("columns: no date column")
	}
}

func compileSigns(p *Profile, s *settings, bad func(string, ...any)) {
	m := s.mappedRole
	hasAmount := m[roleAmount] || m[roleGross] || m[roleNet]

	switch p.Sign {
	case "":
	case signAmount, signIndicator, signDebitCredit:
		s.sign = p.Sign
	default:
		bad("sign %q: want amount, indicator or debit_credit", p.Sign)
	}

	if s.mapsMoney {
		switch {
		case s.sign == signIndicator && (!m[roleAmount] || !m[roleIndicator]):
			bad("sign indicator: needs columns.amount and columns.indicator")
		case s.sign == signDebitCredit && !m[roleDebit] && !m[roleCredit]:
			bad("sign debit_credit: needs columns.debit or columns.credit")
		case s.sign == signAmount && !hasAmount:
			bad("sign amount: needs columns.amount (or gross or net)")
		case !hasAmount && !m[roleDebit] && !m[roleCredit]:
			bad("columns: no amount, debit or credit column")
		}
	}

	switch p.DebitSign {
	case "", "any", "positive", "negative":
		s.debitSign = p.DebitSign
	default:
		bad("debit_sign %q: want positive, negative or any", p.DebitSign)
	}

	switch p.CreditSign {
	case "", "positive", "signed":
		s.creditSign = p.CreditSign
	default:
		bad("credit_sign %q: want positive or signed", p.CreditSign)
	}

	if len(p.CreditValues) > 0 || len(p.DebitValues) > 0 {
		s.creditVals, s.debitVals = indicatorSet(p.CreditValues), indicatorSet(p.DebitValues)
		for w := range s.creditVals {
			if s.debitVals[w] {
				bad("credit_values and debit_values both hold %q", w)
			}
		}
	}
}

// wordSet normalises words into a set; nil for none.
func wordSet(words []string) map[string]bool {
	if len(words) == 0 {
		return nil
	}

	out := map[string]bool{}
	for _, w := range words {
		out[normalise(w)] = true
	}

	return out
}

// indicatorSet is the set of the indicator keys of values.
func indicatorSet(values []string) map[string]bool {
	out := map[string]bool{}
	for _, v := range values {
		out[indicatorKey(v)] = true
	}

	return out
}

// indicatorKey is an indicator value as compared: normalised, or trimmed when
// it is only punctuation ("+", "-").
func indicatorKey(v string) string {
	if n := normalise(v); n != "" {
		return n
	}

	return strings.TrimSpace(v)
}

// compact removes spaces and upper-cases an account number for comparison.
func compact(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// Builtins returns the built-in profiles, tried after the user's: exports whose
// header identifies the bank or service well enough to fix what the file
// cannot say.
func Builtins() []Profile {
	return []Profile{
		{
			// Chase checking accounts (a US bank): Details is DEBIT/CREDIT/CHECK/
			// DSLIP, amounts are signed, dates month-first, money in US dollars.
			Name: "chase-checking",
			Match: Match{Header: []string{"Details", "Posting Date", "Description", "Amount",
				"Type", "Balance", "Check or Slip #"}},
			Delimiter: ",", Decimal: ".", DateOrder: "MDY", Currency: "USD",
			Sign: signIndicator,
			Columns: Columns{Date: "Posting Date", Amount: "Amount", Indicator: "Details",
				Balance: "Balance", Remittance: []string{"Description"}, Type: "Type",
				Reference: []string{"Check or Slip #"}},
			CreditValues: []string{"CREDIT", "DSLIP"},
			DebitValues:  []string{"DEBIT", "CHECK"},
		},
		{
			// PayPal activity download in English. Dates follow the account's
			// locale, so their order is inferred.
			Name: "paypal-activity",
			Match: Match{Header: []string{"Date", "Time", "TimeZone", "Name", "Type", "Status",
				"Currency", "Gross", "Fee", "Net", "Transaction ID"}},
			Delimiter: ",", Decimal: ".",
			Columns: paypalColumns("Date", "Name", "Type", "Status", "Currency", "Gross", "Fee",
				"Net", "Balance", "From Email Address", "Transaction ID", "Reference Txn ID",
				"Invoice Number", "Subject", "Note"),
		},
		{
			// PayPal statement in Spanish: Spanish locale, so D/M/YYYY dates and
			// 4.626,81 amounts.
			Name: "paypal-statement-es",
			Match: Match{Header: []string{"Fecha", "Hora", "Zona horaria", "Divisa", "Bruto",
				"Comisión", "Neto", "Id. de transacción"}},
			Delimiter: ",", Decimal: ",", Thousands: ".", DateOrder: "DMY",
			Columns: paypalColumns("Fecha", "Nombre", "", "", "Divisa", "Bruto", "Comisión",
				"Neto", "Saldo", "Correo electrónico del remitente", "Id. de transacción",
				"Id. de referencia de trans.", "Id. de factura", "Descripción", ""),
		},
		{
			// French bank download: metadata preamble (account, ": EUR"), DD/MM/YY
			// dates, decimal comma, debits written negative in their own column.
			Name: "fr-bank-operations",
			Match: Match{Header: []string{"Date", "Operation Number", "Label", "Debit", "Credit",
				"Detail"}},
			Delimiter: ",", Decimal: ",", DateOrder: "DMY", Sign: signDebitCredit,
			DebitSign: "negative",
			Columns: Columns{Date: "Date", Debit: "Debit", Credit: "Credit",
				TransactionID: "Operation Number", Remittance: []string{"Label", "Detail"}},
		},
	}
}

// paypalColumns maps the columns PayPal exports have in every language.
func paypalColumns(date, name, typ, status, ccy, gross, fee, net, balance, from, txid,
	ref, invoice, subject, note string) Columns {
	c := Columns{Date: date, PayerName: name, Type: typ, Status: status, Currency: ccy,
		Gross: gross, Fee: fee, Net: net, Balance: balance, PayerID: from, TransactionID: txid,
		OriginalRef: ref, Invoice: invoice}

	for _, r := range []string{subject, note} {
		if r != "" {
			c.Remittance = append(c.Remittance, r)
		}
	}

	return c
}
