package dashboard

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-dev/o2c/internal/money"
)

// Limits of a period.
const (
	// DefaultDays is the period shown when none is asked for: the last 30 days.
	DefaultDays = 30
	// MaxDays is the longest period, a leap year.
	MaxDays = 366
	// DefaultSLA is how long an exception may stay open when Query.SLA is 0.
	DefaultSLA = 48 * time.Hour
)

// dateLayout is how a day is written in parameters and answers.
const dateLayout = "2006-01-02"

// Period is a range of whole days in UTC, both ends included.
type Period struct {
	// From is the first day, To the last, each at midnight UTC.
	From, To time.Time
}

// LastDays is the period of n days ending with today's date (UTC).
func LastDays(today time.Time, n int) Period {
	to := day(today)
	return Period{From: to.AddDate(0, 0, -(n - 1)), To: to}
}

// Days is how many days the period holds.
func (p Period) Days() int {
	return int(p.To.Sub(p.From).Hours()/24) + 1
}

// Dates lists each day of the period in order.
func (p Period) Dates() []time.Time {
	out := make([]time.Time, 0, p.Days())
	for d := p.From; !d.After(p.To); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}

	return out
}

// MarshalJSON writes the period as {"from":"2026-11-05","to":"2026-12-04","days":30}.
func (p Period) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		From string `json:"from"`
		To   string `json:"to"`
		Days int    `json:"days"`
	}{p.From.Format(dateLayout), p.To.Format(dateLayout), p.Days()})
}

// day is t's date at midnight UTC.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ErrInvalid is matched by a *QueryError.
var ErrInvalid = errors.New("invalid dashboard query")

// FieldError is one query parameter that was refused, and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// QueryError lists the parameters a query got wrong. It matches ErrInvalid.
type QueryError struct {
	Fields []FieldError
}

// Error lists the refused parameters: "days: must be ...; to: ...".
func (e *QueryError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}

	return strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *QueryError) Is(target error) bool {
	return target == ErrInvalid
}

// ParseQuery reads a dashboard query from URL parameters, now being the moment it
// is asked: "currency" (an ISO 4217 code, any case; by default the currency with
// the most cash received in the period), and either "days" (1 to MaxDays, the
// period ending today) or "from" and "to" (YYYY-MM-DD, both included, to no later
// than today, at most MaxDays apart). Without either the period is the last
// DefaultDays days. Empty parameters count as absent. Refused parameters come
// back as a *QueryError naming each.
func ParseQuery(v url.Values, now time.Time) (Query, error) {
	q := Query{Now: now, Period: LastDays(now, DefaultDays)}

	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{field, msg}) }

	if c := strings.TrimSpace(v.Get("currency")); c != "" {
		c = strings.ToUpper(c)
		if money.ValidCurrency(c) {
			q.Currency = c
		} else {
			bad("currency", "must be an ISO 4217 currency code such as EUR")
		}
	}

	days, from, to := v.Get("days"), v.Get("from"), v.Get("to")
	today := day(now)

	switch {
	case days != "" && (from != "" || to != ""):
		bad("days", "give days or from and to, not both")
	case days != "":
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > MaxDays {
			bad("days", "must be a whole number from 1 to "+strconv.Itoa(MaxDays))
		} else {
			q.Period = LastDays(now, n)
		}
	case from != "" || to != "":
		f, ferr := time.Parse(dateLayout, from)
		t, terr := time.Parse(dateLayout, to)

		if ferr != nil {
			bad("from", "must be a date YYYY-MM-DD, with to")
		}

		if terr != nil {
			bad("to", "must be a date YYYY-MM-DD, with from")
		}

		if ferr != nil || terr != nil {
			break
		}

		p := Period{From: f, To: t}

		switch {
		case t.After(today):
			bad("to", "must not be after today, "+today.Format(dateLayout))
		case f.After(t):
			bad("from", "must not be after to")
		case p.Days() > MaxDays:
			bad("from", "the period may be at most "+strconv.Itoa(MaxDays)+" days")
		default:
			q.Period = p
		}
	}

	if len(errs) > 0 {
		return q, &QueryError{Fields: errs}
	}

	return q, nil
}
