package xerosim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// problem is the problem-style body Xero uses outside validation (401, 403,
// 409, 429, 5xx).
func problem(status int, title, detail string) reply {
	body, _ := json.Marshal(map[string]any{
		"Type":       nil,
		"Title":      title,
		"Status":     status,
		"Detail":     detail,
		"Instance":   "00000000-0000-0000-0000-000000000000",
		"Extensions": map[string]any{},
	})

	return reply{status: status, body: body, header: http.Header{}}
}

// notFound is Xero's plain 404.
func notFound() reply {
	return reply{
		status: http.StatusNotFound,
		body:   []byte("The resource you're looking for cannot be found"),
		header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
	}
}

// validationFailed is Xero's 400 ValidationException with the failed elements.
func validationFailed(elements []any) reply {
	body, _ := json.Marshal(map[string]any{
		"ErrorNumber": 10,
		"Type":        "ValidationException",
		"Message":     "A validation exception occurred",
		"Elements":    elements,
	})

	return reply{status: http.StatusBadRequest, body: body, header: http.Header{}}
}

// badRequest is a 400 for a request the simulator cannot read at all.
func badRequest(msg string) reply {
	body, _ := json.Marshal(map[string]any{
		"ErrorNumber": 14,
		"Type":        "PostDataInvalidException",
		"Message":     msg,
	})

	return reply{status: http.StatusBadRequest, body: body, header: http.Header{}}
}

// ok wraps items in Xero's success envelope under name.
func (s *Sim) ok(name string, items any, extra map[string]any) reply {
	env := map[string]any{
		"Id":           s.newID(),
		"Status":       "OK",
		"ProviderName": "o2c xerosim",
		"DateTimeUTC":  msDate(s.cfg.Now()),
		name:           items,
	}

	for k, v := range extra {
		env[k] = v
	}

	body, err := json.Marshal(env)
	if err != nil {
		return problem(http.StatusInternalServerError, "Internal Server Error", err.Error())
	}

	return reply{status: http.StatusOK, body: body, header: http.Header{}}
}

// validationMsgs renders messages as Xero's ValidationErrors array.
func validationMsgs(msgs []string) []map[string]string {
	out := make([]map[string]string, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, map[string]string{"Message": m})
	}

	return out
}

// msDate renders t the way Xero's JSON does: "/Date(1518685950940+0000)/".
func msDate(t time.Time) string {
	return "/Date(" + strconv.FormatInt(t.UnixMilli(), 10) + "+0000)/"
}

// isoDate renders t as Xero's DateString companion field.
func isoDate(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05")
}

// parseDate reads a request date: "2006-01-02", "2006-01-02T15:04:05" or
// "/Date(ms)/". It returns the UTC midnight of that day.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if body, ok := strings.CutPrefix(s, "/Date("); ok {
		body, _ = strings.CutSuffix(body, ")/")
		if i := strings.IndexAny(body[min(1, len(body)):], "+-"); i >= 0 {
			body = body[:i+1]
		}

		ms, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return time.Time{}, err
		}

		return dayOf(time.UnixMilli(ms)), nil
	}

	day, _, _ := strings.Cut(s, "T")

	return time.Parse("2006-01-02", day)
}

func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// errDecimal reports a value that is not a decimal number.
var errDecimal = errors.New("not a decimal number")

// scaled reads a JSON number exactly and returns it in units of 10^-dp,
// rounded half away from zero, as Xero rounds unit prices to unitdp and
// amounts to two decimals.
func scaled(n json.Number, dp int) (int64, error) {
	s := strings.TrimSpace(string(n))

	r, ok := new(big.Rat).SetString(s)
	if !ok || s == "" {
		return 0, fmt.Errorf("%w: %q", errDecimal, s)
	}

	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(dp)), nil)))

	v := roundHalfAway(r)
	if !v.IsInt64() {
		return 0, fmt.Errorf("%w: %q is too large", errDecimal, s)
	}

	return v.Int64(), nil
}

// roundHalfAway rounds r to an integer, halves away from zero.
func roundHalfAway(r *big.Rat) *big.Int {
	num := new(big.Int).Abs(r.Num())
	den := r.Denom()

	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(rem, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}

	if r.Sign() < 0 {
		q.Neg(q)
	}

	return q
}

// divRound returns a/b rounded half away from zero, exactly.
func divRound(a, b *big.Int) int64 {
	return roundHalfAway(new(big.Rat).SetFrac(a, b)).Int64()
}

// num renders v units of 10^-dp as a JSON number literal.
func num(v int64, dp int) json.Number {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}

	digits := strconv.FormatUint(u, 10)
	if dp > 0 {
		if len(digits) <= dp {
			digits = strings.Repeat("0", dp-len(digits)+1) + digits
		}

		digits = digits[:len(digits)-dp] + "." + digits[len(digits)-dp:]
	}

	if neg {
		digits = "-" + digits
	}

	return json.Number(digits)
}

// cond is one clause of a where filter: Field == value.
type cond struct {
	field string // lower case, e.g. "invoice.invoiceid"
	value string
}

// parseWhere reads the subset of Xero's where syntax the simulator supports:
// clauses Field=="text", Field==guid("id") or Field==Guid("id"), joined by
// AND. Anything else is an error, so a client relying on more is caught.
func parseWhere(where string) ([]cond, error) {
	where = strings.TrimSpace(where)
	if where == "" {
		return nil, nil
	}

	var out []cond

	for _, clause := range splitAnd(where) {
		field, value, ok := strings.Cut(clause, "==")
		if !ok {
			return nil, fmt.Errorf("unsupported where clause %q", clause)
		}

		field = strings.ToLower(strings.TrimSpace(field))
		value = strings.TrimSpace(value)

		lv := strings.ToLower(value)
		if strings.HasPrefix(lv, `guid("`) && strings.HasSuffix(lv, `")`) {
			value = value[6 : len(value)-2]
		} else if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		} else {
			return nil, fmt.Errorf("unsupported where value %q", value)
		}

		out = append(out, cond{field: field, value: value})
	}

	return out, nil
}

// splitAnd splits on the word AND outside double quotes.
func splitAnd(s string) []string {
	var parts []string
	inQuote := false
	start := 0

	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			inQuote = !inQuote
		case !inQuote && i+5 <= len(s) && strings.EqualFold(s[i:i+5], " AND "):
			parts = append(parts, strings.TrimSpace(s[start:i]))
			start = i + 5
			i += 4
		}
	}

	return append(parts, strings.TrimSpace(s[start:]))
}

// listParam splits a comma-separated query parameter.
func listParam(v string) []string {
	var out []string

	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}

	return out
}

// decodeElements reads a request body holding either one object or
// {"<name>": [objects]}.
func decodeElements[T any](body []byte, name string) ([]T, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, err
	}

	if raw, ok := probe[name]; ok {
		var list []T
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}

		return list, nil
	}

	var one T
	if err := json.Unmarshal(body, &one); err != nil {
		return nil, err
	}

	return []T{one}, nil
}

// invoiceJSON renders an invoice in Xero's response shape; line items and
// payments only when full.
func (s *Sim) invoiceJSON(inv *invoice, full bool) map[string]any {
	out := map[string]any{
		"Type":                  inv.Type,
		"InvoiceID":             inv.ID,
		"InvoiceNumber":         inv.Number,
		"Reference":             inv.Reference,
		"Contact":               contactJSON(inv.Contact),
		"DateString":            isoDate(inv.Date),
		"Date":                  msDate(inv.Date),
		"Status":                inv.Status,
		"LineAmountTypes":       inv.LineAmountTypes,
		"SubTotal":              num(inv.SubTotal, 2),
		"TotalTax":              num(inv.TotalTax, 2),
		"Total":                 num(inv.Total, 2),
		"TotalDiscount":         num(0, 2),
		"AmountDue":             num(inv.AmountDue, 2),
		"AmountPaid":            num(inv.AmountPaid, 2),
		"AmountCredited":        num(0, 2),
		"CurrencyCode":          inv.Currency,
		"CurrencyRate":          json.Number(inv.CurrencyRate),
		"UpdatedDateUTC":        msDate(inv.Updated),
		"HasErrors":             false,
		"StatusAttributeString": "OK",
	}

	if !inv.DueDate.IsZero() {
		out["DueDateString"] = isoDate(inv.DueDate)
		out["DueDate"] = msDate(inv.DueDate)
	}

	if !full {
		return out
	}

	lines := make([]map[string]any, 0, len(inv.Lines))
	for _, ln := range inv.Lines {
		l := map[string]any{
			"LineItemID":  ln.ID,
			"Description": ln.Description,
			"Quantity":    num(ln.Qty, 4),
			"UnitAmount":  num(ln.Unit/pow10(4-ln.UnitDP), ln.UnitDP),
			"AccountCode": ln.AccountCode,
			"TaxType":     ln.TaxType,
			"TaxAmount":   num(ln.Tax, 2),
			"LineAmount":  num(ln.Amount, 2),
		}
		if ln.Discount != 0 {
			l["DiscountAmount"] = num(ln.Discount, 2)
		}

		lines = append(lines, l)
	}

	pays := []map[string]any{}
	for _, p := range inv.Payments {
		if p.Status == "DELETED" {
			continue
		}

		pays = append(pays, map[string]any{
			"PaymentID": p.ID, "Date": msDate(p.Date), "Amount": num(p.Amount, 2),
			"Reference": p.Reference,
		})
	}

	out["LineItems"] = lines
	out["Payments"] = pays

	return out
}

func contactJSON(c *contact) map[string]any {
	if c == nil {
		return nil
	}

	return map[string]any{"ContactID": c.ID, "ContactNumber": c.Number, "Name": c.Name}
}

// echoInvoice is a failed element as Xero returns it: what was sent, plus the
// errors.
func echoInvoice(el inInvoice, msgs []string) map[string]any {
	var raw map[string]any
	data, _ := json.Marshal(el)

	// UseNumber keeps the numbers' text as sent.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if dec.Decode(&raw) != nil || raw == nil {
		raw = map[string]any{}
	}

	raw["HasErrors"] = true
	raw["StatusAttributeString"] = "ERROR"
	raw["ValidationErrors"] = validationMsgs(msgs)

	return raw
}
