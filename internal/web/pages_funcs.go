package web

import (
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/money"
)

// templateFuncs are the helpers every template may call.
var templateFuncs = template.FuncMap{
	"amount": func(minor int64, currency string) string {
		return money.New(minor, currency).Decimal()
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}

		return t.UTC().Format("2006-01-02")
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}

		return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
	},
	"isotime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"status":  statusBadge,
	"why":     reasonWords,
	// cols splits column names joined by "|", for the "thead" template.
	"cols": func(names string) []string { return strings.Split(names, "|") },
	// tally names a count and total of a bank.Report, for the "tally" template.
	"tally": func(label, currency string, t bank.Tally) tallyRow {
		return tallyRow{Label: label, Currency: currency, Count: t.Count, Total: t.Total}
	},
	// entityHref links an audited entity to its page, "" when it has none.
	"entityHref": func(entity, id string) string {
		if entity == "bank_file" {
			return "/files/" + url.PathEscape(id)
		}

		return ""
	},
	"bytes": byteSize,
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}

		return many
	},
	"query": func(base string, pairs ...any) string { return withQuery(base, pairs...) },
}

// tallyRow is a row of counts and totals of the result page.
type tallyRow struct {
	Label, Currency string
	Count           int
	Total           string
}

// statuses give each status a sign and words besides its colour, so it reads
// without colour.
var statuses = map[string]struct{ sign, label, tone string }{
	"received":         {"…", "received: waiting to be read", "pending"},
	"ingested":         {"…", "ingested: matching", "pending"},
	"matched":          {"●", "matching done", "neutral"},
	"rejected":         {"✗", "rejected", "bad"},
	"ok":               {"✓", "ok", "good"},
	"mismatch":         {"✗", "mismatch", "bad"},
	"none":             {"–", "none in the file", "neutral"},
	"new":              {"…", "new", "pending"},
	"applied":          {"✓", "applied", "good"},
	"partly_applied":   {"◐", "partly applied", "warn"},
	"exception":        {"!", "exception", "bad"},
	"on_account":       {"▣", "on account", "neutral"},
	"not_cash":         {"–", "not cash", "neutral"},
	"open":             {"!", "open", "warn"},
	"resolved":         {"✓", "resolved", "good"},
	"parked":           {"▣", "parked", "neutral"},
	"duplicate":        {"=", "already imported", "neutral"},
	"refused":          {"✗", "refused", "bad"},
	"returned":         {"↩", "returned by the bank", "neutral"},
	"refund_pending":   {"↩", "to be refunded", "warn"},
	"return_pending":   {"↩", "to be returned", "warn"},
	"superseded":       {"–", "merged back on reopening", "neutral"},
	"pending_approval": {"…", "awaiting approval", "pending"},
	"closed":           {"✓", "closed", "good"},
	"requested":        {"…", "requested: not yet in the ERP", "pending"},
	"paid":             {"✓", "paid", "good"},
	"failed":           {"✗", "failed: the ERP refused it", "bad"},
	"voided":           {"–", "voided", "neutral"},
	"sync_mismatch":    {"≠", "sync amount mismatch: the ERP's total differs", "bad"},
}

// statusBadge draws a status as a sign and words in a coloured box.
func statusBadge(status string) template.HTML {
	st, ok := statuses[status]
	if !ok {
		st.label, st.tone = status, "neutral"
		if status == "" {
			st.label = "unknown"
		}
	}

	var b strings.Builder
	b.WriteString(`<span class="status status-` + st.tone + `" data-status="`)
	template.HTMLEscape(&b, []byte(status))
	b.WriteString(`">`)

	if st.sign != "" {
		b.WriteString(`<span aria-hidden="true">` + st.sign + `</span> `)
	}

	template.HTMLEscape(&b, []byte(st.label))
	b.WriteString(`</span>`)

	// Every part is either constant or escaped above.
	return template.HTML(b.String())
}

// byteSize writes a size for people: 512 B, 3.4 KiB, 12.0 MiB.
func byteSize(n int64) string {
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KiB"
	default:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	}
}

// withQuery returns base with the query parameters given as name, value pairs;
// empty values and a zero int64 are left out.
func withQuery(base string, pairs ...any) string {
	q := url.Values{}

	for i := 0; i+1 < len(pairs); i += 2 {
		k := fmt.Sprint(pairs[i])

		switch v := pairs[i+1].(type) {
		case string:
			if v != "" {
				q.Add(k, v)
			}
		case int64:
			if v != 0 {
				q.Add(k, strconv.FormatInt(v, 10))
			}
		case int:
			if v != 0 {
				q.Add(k, strconv.Itoa(v))
			}
		default:
			q.Add(k, fmt.Sprint(v))
		}
	}

	if len(q) == 0 {
		return base
	}

	return base + "?" + q.Encode()
}

// reasons say in words why a payment went to the exception queue, by reason code.
var reasons = map[string]string{
	"unknown_payer":       "payer not identified",
	"no_match":            "no invoice fits",
	"ambiguous":           "several invoices fit equally",
	"currency_mismatch":   "invoice in another currency",
	"overpayment":         "paid more than is open",
	"short_payment":       "deduction the terms do not allow",
	"amount_mismatch":     "amounts do not add up",
	"batch_mismatch":      "batch details do not add up",
	"remittance_mismatch": "remittance totals disagree",
	"flagged":             "flagged by the bank file's reader",
	"already_paid":        "invoice already paid",
	"payer_mismatch":      "references another customer's invoice",
	"low_confidence":      "match below the confidence threshold",
	"returned":            "payment returned by the bank",
	"return_unmatched":    "return of an unknown payment",
	"reversal_unverified": "reversal that cannot be verified",
	"split_remainder":     "rest of a split payment",
}

// reasonWords names an exception reason in words, or gives back an unknown code.
func reasonWords(code string) string {
	if w, ok := reasons[code]; ok {
		return w
	}

	return code
}
