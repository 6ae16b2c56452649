package mt940

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Dialect names the structure found in an :86: field.
type Dialect string

// Dialects of :86: that ParseInfo recognises.
const (
	// DialectGerman is a business transaction code (GVC) followed by ?nn
	// subfields, as German and Polish banks write it.
	DialectGerman Dialect = "german"
	// DialectDutch is slash tags such as /EREF/.../REMI/.../, as ING, ABN AMRO
	// and Rabobank write them.
	DialectDutch Dialect = "dutch"
	// DialectFree is free text.
	DialectFree Dialect = "free"
)

// Info is an :86: field (information to the account owner) as far as its
// dialect structures it. Blank runs inside values are collapsed to one space.
type Info struct {
	Dialect     Dialect
	Code        string // German business transaction code (GVC), such as "166"
	BookingText string // ?00
	Primanota   string // ?10
	// Purpose is ?20-?29 then ?60-?63, joined as they are: the lines were cut
	// anywhere, so nothing is inserted between them.
	Purpose string

	EndToEndID     string   // EREF+ or /EREF/
	PaymentRef     string   // KREF+ or /PREF/
	MandateRef     string   // MREF+ or /MARF/
	CreditorID     string   // CRED+ or /CSID/
	UltimateDebtor string   // ABWA+ or /ULTD/
	Remittance     string   // SVWZ+, /REMI/ free text, else the purpose or text
	References     []string // structured creditor references (/REMI/STRD/.../ref/)

	BankID     string // counterparty bank: ?30, /BIC/ or the CNTP BIC
	Account    string // counterparty account: ?31 (or ?38 IBAN), /IBAN/, CNTP IBAN
	Name       string // counterparty name: ?32 + ?33, /NAME/ or CNTP name
	TextKeyExt string // ?34 text key extension (a return reason for returns)
	ReturnCode string // /RTRN/ reason

	// Text is the whole field as one line.
	Text string
}

// ParseInfo reads the content of an :86: field; physical lines are separated by
// line breaks in text.
func ParseInfo(text string) Info {
	return parseInfo(strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n"))
}

func parseInfo(lines []string) Info {
	n := 0
	for _, l := range lines {
		n += len(l)
	}

	var b strings.Builder
	b.Grow(n)

	for i, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if i == 0 {
			l = strings.TrimLeft(l, " ")
		}

		b.WriteString(l)
	}

	tight := b.String()

	switch {
	case germanStart(tight):
		return german(tight)
	case dutchStart(tight):
		return dutch(tight)
	}

	return free(lines)
}

// germanStart reports a GVC and a ?nn subfield: "166?00".
func germanStart(s string) bool {
	return len(s) >= 6 && digits(s[:3]) && s[3] == '?' && digits(s[4:6])
}

// sub is one ?nn subfield.
type sub struct {
	key int
	val string
}

func german(tight string) Info {
	in := Info{Dialect: DialectGerman, Code: tight[:3]}
	subs := make([]sub, 0, 16)

	for rest := tight[4:]; ; {
		part := rest
		next := strings.IndexByte(rest, '?')
		if next >= 0 {
			part = rest[:next]
		}

		switch {
		case len(part) >= 2 && digits(part[:2]):
			subs = append(subs, sub{key: two(part), val: part[2:]})
		case len(subs) > 0:
			subs[len(subs)-1].val += "?" + part // a question mark in the text
		}

		if next < 0 {
			break
		}

		rest = rest[next+1:]
	}

	if !slices.IsSortedFunc(subs, bySubKey) {
		slices.SortStableFunc(subs, bySubKey)
	}

	var purpose, name, iban strings.Builder

	for _, s := range subs {
		switch k := s.key; {
		case k == 0:
			in.BookingText += s.val
		case k == 10:
			in.Primanota += s.val
		case k >= 20 && k <= 29, k >= 60 && k <= 63:
			purpose.WriteString(s.val)
		case k == 30:
			in.BankID += s.val
		case k == 31:
			in.Account += s.val
		case k == 32, k == 33:
			name.WriteString(s.val)
		case k == 34:
			in.TextKeyExt += s.val
		case k == 38:
			iban.WriteString(s.val)
		}
	}

	in.Purpose = collapse(purpose.String())
	in.BookingText = collapse(in.BookingText)
	in.Primanota = collapse(in.Primanota)
	in.BankID = noBlanks(in.BankID)
	in.Account = noBlanks(in.Account)
	in.Name = collapse(name.String())
	in.TextKeyExt = collapse(in.TextKeyExt)

	if ib := noBlanks(iban.String()); ib != "" && !ibanShape(in.Account) {
		in.Account = ib
	}

	sepa(&in)
	in.Text = collapse(tight)

	return in
}

func bySubKey(a, b sub) int {
	return a.key - b.key
}

// sepaKeys are the keywords of SEPA data inside a German purpose.
var sepaKeys = map[string]bool{
	"EREF": true, "KREF": true, "MREF": true, "CRED": true, "DEBT": true, "COAM": true,
	"OAMT": true, "SVWZ": true, "ABWA": true, "ABWE": true, "IBAN": true, "BIC": true,
}

// keyed is a keyword found in a text, where it starts and where its value
// starts.
type keyed struct {
	key        string
	start, val int
}

// sepa splits the purpose at its SEPA keywords (EREF+, SVWZ+, ...). The
// remittance is SVWZ+ (after any text before the first keyword), else the
// whole purpose.
func sepa(in *Info) {
	p := in.Purpose
	in.Remittance = p

	var marks []keyed

	for i := 3; i < len(p); i++ {
		if p[i] != '+' {
			continue
		}

		from := 0
		if len(marks) > 0 {
			from = marks[len(marks)-1].val
		}

		switch {
		case i-4 >= from && sepaKeys[p[i-4:i]]:
			marks = append(marks, keyed{key: p[i-4 : i], start: i - 4, val: i + 1})
		case i-3 >= from && p[i-3:i] == "BIC":
			marks = append(marks, keyed{key: "BIC", start: i - 3, val: i + 1})
		}
	}

	if len(marks) == 0 {
		return
	}

	prefix := strings.TrimSpace(p[:marks[0].start])

	for i, m := range marks {
		end := len(p)
		if i+1 < len(marks) {
			end = marks[i+1].start
		}

		v := strings.TrimSpace(p[m.val:end])

		switch m.key {
		case "EREF":
			if !strings.EqualFold(v, "NOTPROVIDED") {
				in.EndToEndID = v
			}
		case "KREF":
			in.PaymentRef = v
		case "MREF":
			in.MandateRef = v
		case "CRED":
			in.CreditorID = v
		case "ABWA":
			in.UltimateDebtor = v
		case "SVWZ":
			in.Remittance = v
			if prefix != "" {
				in.Remittance = prefix + " " + v
			}
		case "IBAN":
			if in.Account == "" {
				in.Account = strings.ReplaceAll(v, " ", "")
			}
		case "BIC":
			if in.BankID == "" {
				in.BankID = strings.ReplaceAll(v, " ", "")
			}
		}
	}
}

// dutchKeys are the slash tags of Dutch :86: fields.
var dutchKeys = map[string]bool{
	"EREF": true, "PREF": true, "MARF": true, "CSID": true, "CNTP": true, "REMI": true,
	"RTRN": true, "ORDP": true, "BENM": true, "NAME": true, "ADDR": true, "ISDT": true,
	"TRTP": true, "IBAN": true, "BIC": true, "ID": true, "PURP": true, "ULTC": true,
	"ULTD": true, "ULTB": true, "OCMT": true, "CHGS": true, "EXCH": true, "SUM": true,
	"IREF": true, "BUSP": true, "RTYP": true,
}

// dutchKeyAt returns the slash tag starting with the '/' at i and the index
// after its closing '/'.
func dutchKeyAt(s string, i int) (string, int, bool) {
	if s[i] != '/' {
		return "", 0, false
	}

	j := strings.IndexByte(s[i+1:min(len(s), i+7)], '/')
	if j < 2 || !dutchKeys[s[i+1:i+1+j]] {
		return "", 0, false
	}

	return s[i+1 : i+1+j], i + 2 + j, true
}

func dutchStart(s string) bool {
	if s == "" {
		return false
	}

	_, _, ok := dutchKeyAt(s, 0)

	return ok
}

func dutch(tight string) Info {
	in := Info{Dialect: DialectDutch, Text: collapse(tight)}

	var marks []keyed

	for i := 0; i < len(tight); i++ {
		key, end, ok := dutchKeyAt(tight, i)
		if !ok {
			continue
		}

		marks = append(marks, keyed{key: key, start: i, val: end})
		i = end - 2 // the closing '/' may open the next tag ("/ORDP//NAME/")
	}

	var remi []string

	for i, m := range marks {
		end := len(tight)
		if i+1 < len(marks) {
			end = marks[i+1].start
		}

		v := strings.TrimRight(tight[min(m.val, end):end], "/")

		switch m.key {
		case "EREF":
			if !strings.EqualFold(v, "NOTPROVIDED") {
				in.EndToEndID = collapse(v)
			}
		case "PREF":
			in.PaymentRef = collapse(v)
		case "MARF":
			in.MandateRef = collapse(v)
		case "CSID":
			in.CreditorID = collapse(v)
		case "ULTD":
			in.UltimateDebtor = collapse(v)
		case "RTRN":
			in.ReturnCode = collapse(v)
		case "NAME":
			in.Name = collapse(v)
		case "IBAN":
			in.Account = strings.ReplaceAll(v, " ", "")
		case "BIC":
			in.BankID = strings.ReplaceAll(v, " ", "")
		case "CNTP":
			parts := strings.Split(v, "/")
			in.Account = strings.ReplaceAll(parts[0], " ", "")
			if len(parts) > 1 {
				in.BankID = strings.ReplaceAll(parts[1], " ", "")
			}

			if len(parts) > 2 {
				in.Name = collapse(parts[2])
			}
		case "REMI":
			text, ref := remittance(v)
			if text != "" {
				remi = append(remi, text)
			}

			if ref != "" {
				in.References = append(in.References, ref)
			}
		}
	}

	in.Remittance = strings.Join(remi, " ")

	return in
}

// remittance reads a /REMI/ value: "USTD//free text", "STRD/CUR/reference" or
// plain text.
func remittance(v string) (text, ref string) {
	switch {
	case v == "USTD" || strings.HasPrefix(v, "USTD/"):
		return collapse(strings.TrimLeft(strings.TrimPrefix(v, "USTD"), "/")), ""
	case strings.HasPrefix(v, "STRD/"):
		parts := strings.Split(v, "/")
		return "", collapse(parts[len(parts)-1])
	}

	return collapse(v), ""
}

// free joins free text: a line break is a space unless the line was full (65
// characters or more), in which case the bank cut a word.
func free(lines []string) Info {
	var b strings.Builder

	prevFull := true
	for i, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if i == 0 {
			l = strings.TrimLeft(l, " ")
		}

		if !prevFull {
			b.WriteByte(' ')
		}

		b.WriteString(l)
		prevFull = utf8.RuneCountInString(l) >= 65
	}

	text := collapse(b.String())
	in := Info{Dialect: DialectFree, Text: text, Remittance: text}

	// GVC 999 announces unstructured text after the code.
	if len(text) > 3 && strings.HasPrefix(text, "999") && !digits(text[3:4]) {
		in.Code = "999"
		in.Remittance = strings.TrimSpace(text[3:])
	}

	return in
}

// collapse trims s and reduces every run of blanks to one space.
func collapse(s string) string {
	if !needsCollapse(s) {
		return s
	}

	return strings.Join(strings.Fields(s), " ")
}

func needsCollapse(s string) bool {
	if s == "" {
		return false
	}

	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return true
	}

	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\t', '\n', '\r', '\v', '\f':
			return true
		case ' ':
			if i+1 < len(s) && s[i+1] == ' ' {
				return true
			}
		}
	}

	return false
}
