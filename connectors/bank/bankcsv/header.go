package bankcsv

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// role is what a column means to the reader.
type role int

// Column roles. roleNone columns are kept only for the dedupe hash.
const (
	roleNone role = iota
	roleDate
	roleValueDate
	roleAmount
	roleCredit
	roleDebit
	roleGross
	roleFee
	roleNet
	roleIndicator
	roleCurrency
	roleDescription
	roleReference
	roleInvoice
	rolePayer
	rolePayerAccount
	rolePayerID
	roleTxID
	roleSerial
	roleAccount
	roleStatus
	roleType
	roleBalance
	roleOriginalAmount
	roleOriginalRef
	roleEndToEnd
)

// synonyms maps normalised header names (lower case, accents and punctuation
// removed, single spaces) to roles. English, German, French, Spanish, Dutch
// and Italian exports are covered; a bank with other names needs a profile.
var synonyms = map[string]role{}

func init() {
	add := func(r role, names ...string) {
		for _, n := range names {
			synonyms[n] = r
		}
	}

	add(roleDate, "date", "booking date", "posting date", "transaction date", "entry date",
		"buchungstag", "buchungsdatum", "datum", "date operation", "date de l operation",
		"date comptable", "fecha", "fecha operacion", "fecha de operacion", "boekdatum",
		"data", "data operazione", "data contabile", "txn date", "tran date")
	add(roleValueDate, "value date", "valuta", "valutadatum", "wertstellung", "date de valeur",
		"date valeur", "fecha valor", "fecha de valor", "rentedatum", "data valuta",
		"effective date")
	add(roleAmount, "amount", "betrag", "montant", "importe", "bedrag", "importo",
		"transaction amount", "umsatz", "betrag eur", "amount eur", "montant eur", "value")
	add(roleCredit, "credit", "credits", "credit amount", "deposit", "deposits", "paid in",
		"money in", "haben", "gutschrift", "credito", "abono", "ingreso", "ingresos",
		"montant credit", "bij", "avere", "entrate", "deposit amount", "cr amount")
	add(roleDebit, "debit", "debits", "debit amount", "withdrawal", "withdrawals", "paid out",
		"money out", "soll", "lastschrift", "debito", "cargo", "cargos", "montant debit", "af",
		"dare", "uscite", "withdrawal amount", "dr amount")
	add(roleGross, "gross", "bruto", "brutto", "gross amount", "montant brut", "lordo")
	add(roleFee, "fee", "fees", "fee amount", "comision", "comisiones", "gebuhr", "gebuhren",
		"frais", "commission", "commissione")
	add(roleNet, "net", "neto", "netto", "net amount", "montant net")
	add(roleIndicator, "credit debit", "debit credit", "dc", "d c", "cr dr", "dr cr",
		"credit debit indicator", "debit credit indicator", "soll haben", "s h", "sens",
		"direction", "af bij", "dr cr indicator")
	add(roleCurrency, "currency", "ccy", "currency code", "wahrung", "devise", "divisa",
		"moneda", "munt", "valuta code", "iso currency")
	add(roleDescription, "description", "narration", "narrative", "details", "detail", "memo",
		"remittance", "remittance information", "label", "libelle", "verwendungszweck",
		"buchungstext", "descripcion", "concepto", "omschrijving", "mededelingen", "subject",
		"note", "notes", "purpose", "particulars", "text", "transaction details",
		"booking text", "payment details", "additional information", "causale", "descrizione")
	add(roleReference, "reference", "ref", "payment reference", "customer reference",
		"kundenreferenz", "referenz", "referencia", "referentie", "riferimento", "your reference")
	add(roleInvoice, "invoice", "invoice number", "invoice no", "invoice id", "id de factura",
		"rechnungsnummer", "numero de facture", "factuurnummer", "numero fattura")
	add(rolePayer, "payer", "payer name", "name", "counterparty", "counterparty name",
		"partner name", "partner", "payee", "auftraggeber empfanger", "auftraggeber",
		"empfanger", "zahlungspflichtiger", "beguenstigter zahlungspflichtiger",
		"beguenstigter", "nombre", "nom", "tiers", "remitter", "sender", "ordering party",
		"other party", "naam tegenpartij", "naam", "ordinante", "beneficiario")
	add(rolePayerAccount, "bank account", "counterparty account", "partner bank account",
		"payer account", "remitter account", "from account", "counterparty iban",
		"iban auftraggeber", "kontonummer iban", "cuenta bancaria", "tegenrekening",
		"compte contrepartie")
	add(rolePayerID, "from email address", "correo electronico del remitente", "payer id",
		"sender email")
	add(roleTxID, "transaction id", "transaction reference", "txn id", "tran id",
		"id de transaccion", "transaktions id", "transaktionsreferenz", "bank reference",
		"operation number", "numero d operation", "reference number", "ref no",
		"reference no", "utr", "utr no", "transactie id", "id transazione", "fitid")
	add(roleSerial, "serial no", "serial number", "serial", "sr no", "sl no", "s no",
		"sequence", "seq", "line no", "line number")
	add(roleAccount, "account", "account number", "account no", "our account", "konto",
		"kontonummer", "auftragskonto", "numero de compte", "compte", "cuenta", "rekening",
		"conto")
	add(roleStatus, "status", "state", "estado", "statut", "stato")
	add(roleType, "type", "transaction type", "tipo", "buchungsart", "umsatzart", "categorie")
	add(roleBalance, "balance", "running balance", "saldo", "solde", "kontostand",
		"ledger balance", "balance eur")
	add(roleOriginalAmount, "amount currency", "original amount", "foreign amount",
		"instructed amount", "amount in original currency", "fx amount", "ursprungsbetrag")
	add(roleOriginalRef, "reference txn id", "id de referencia de trans",
		"related transaction id", "original transaction id")
	add(roleEndToEnd, "end to end id", "end to end reference", "endtoendid", "e2e id",
		"eref", "end to end referenz")
}

// normalise lower-cases a header or key, removes accents and BOMs, turns
// punctuation into spaces and collapses runs of spaces.
func normalise(s string) string {
	if s == "" {
		return ""
	}

	out := s
	if !isASCII(s) {
		t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
		if stripped, _, err := transform.String(t, s); err == nil {
			out = stripped
		}
	}

	out = strings.ReplaceAll(out, "ß", "ss")
	out = strings.Map(func(r rune) rune {
		switch {
		case r == '\ufeff':
			return -1
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			return unicode.ToLower(r)
		}

		return ' '
	}, out)

	return strings.Join(strings.Fields(out), " ")
}

// column is one mapped column of the header.
type column struct {
	index int
	name  string // header text as written
	norm  string
	role  role
}

// layout is the mapping of a header row: the first column of each role, and
// every description column in order.
type layout struct {
	cols   []column
	first  map[role]int // role → column index
	descrs []int
}

func (l *layout) has(r role) bool {
	_, ok := l.first[r]
	return ok
}

// cell returns the trimmed cell of role r in row, or "".
func (l *layout) cell(row []string, r role) string {
	i, ok := l.first[r]
	if !ok || i >= len(row) {
		return ""
	}

	return strings.TrimSpace(row[i])
}

// name returns the header text of the first column of role r, or "".
func (l *layout) name(r role) string {
	i, ok := l.first[r]
	if !ok {
		return ""
	}

	for _, c := range l.cols {
		if c.index == i {
			return c.name
		}
	}

	return ""
}

// guessable reports whether a column may take role r by its name: the profile
// has not mapped r, nor, for amount and date roles, any role of that group.
func (s *settings) guessable(r role) bool {
	switch {
	case r == roleNone, s.mappedRole[r]:
		return false
	case moneyRoles[r]:
		return !s.mapsMoney
	case r == roleDate || r == roleValueDate:
		return !s.mapsDates
	}

	return true
}

// newLayout maps a header row with the settings' columns and, where they allow,
// the synonyms. It reports ok when the row has a date column and at least one
// amount column, which is what makes it the header, and lists the profile's
// columns the row lacks.
func newLayout(row []string, s *settings) (l *layout, ok bool, missing []string) {
	l = &layout{first: map[role]int{}}
	found := map[string]bool{}

	for i, h := range row {
		n := normalise(h)
		if n == "" {
			continue
		}

		r, mapped := s.mapped[n]
		if mapped {
			found[n] = true
		} else if g := synonyms[n]; s.guessable(g) {
			r = g
		}

		l.cols = append(l.cols, column{index: i, name: strings.TrimSpace(h), norm: n, role: r})
	}

	for n := range s.mapped {
		if !found[n] {
			missing = append(missing, n)
		}
	}

	l.rebuild()

	hasDate := l.has(roleDate) || l.has(roleValueDate)
	hasAmount := l.has(roleAmount) || l.has(roleCredit) || l.has(roleDebit) || l.has(roleGross) ||
		l.has(roleNet)

	return l, hasDate && hasAmount, missing
}

// hasNames reports whether the row holds every one of the normalised names.
func hasNames(row []string, names []string) bool {
	if len(names) == 0 {
		return false
	}

	cells := make(map[string]bool, len(row))
	for _, c := range row {
		cells[normalise(c)] = true
	}

	for _, n := range names {
		if !cells[n] {
			return false
		}
	}

	return true
}

// indicatorWords are the values a debit/credit indicator column may hold.
var indicatorWords = map[string]bool{
	"c": true, "cr": true, "crdt": true, "credit": true, "h": true, "haben": true,
	"gutschrift": true, "credito": true, "abono": true, "deposit": true, "dslip": true,
	"d": true, "dr": true, "dbit": true, "debit": true, "s": true, "soll": true,
	"lastschrift": true, "debito": true, "cargo": true, "withdrawal": true, "check": true,
	"af": true, "bij": true,
}

var creditWords = map[string]bool{
	"c": true, "cr": true, "crdt": true, "credit": true, "h": true, "haben": true,
	"gutschrift": true, "credito": true, "abono": true, "deposit": true, "dslip": true, "bij": true,
}

// promoteIndicator turns a details or type column whose every value is a
// debit/credit word (Chase's "Details": DEBIT/CREDIT) into the indicator.
func (l *layout) promoteIndicator(rows [][]string) {
	if l.has(roleIndicator) {
		return
	}

	for ci, c := range l.cols {
		if c.role != roleDescription && c.role != roleType {
			continue
		}

		seen := 0
		all := true

		for _, row := range rows {
			if c.index >= len(row) {
				continue
			}

			v := normalise(row[c.index])
			if v == "" {
				continue
			}

			seen++
			if !indicatorWords[v] {
				all = false
				break
			}
		}

		if all && seen > 0 {
			l.cols[ci].role = roleIndicator
			l.first[roleIndicator] = c.index
			l.rebuild()

			return
		}
	}
}

// rebuild recomputes first and descrs after a role change.
func (l *layout) rebuild() {
	l.first = map[role]int{}
	l.descrs = nil

	for _, c := range l.cols {
		if c.role == roleDescription {
			l.descrs = append(l.descrs, c.index)
		}

		if _, dup := l.first[c.role]; !dup && c.role != roleNone {
			l.first[c.role] = c.index
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}

	return true
}
