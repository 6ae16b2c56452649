package web

import (
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/chart"
	"github.com/o2c-dev/o2c/internal/dashboard"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/money"
)

// dashboardRoutes are the dashboard's page and JSON routes, for the route table.
func (s *Server) dashboardRoutes() []Route {
	return []Route{
		{"GET /dashboard", auth.ActionRead, s.dashboardPage},
		{"GET /api/dashboard", auth.ActionRead, s.apiDashboard},
	}
}

// sla is how long an exception may stay open, as configured.
func (s *Server) sla() time.Duration {
	if s.cfg.ExceptionSLA > 0 {
		return s.cfg.ExceptionSLA
	}

	return dashboard.DefaultSLA
}

// apiDashboard answers the dashboard's figures; see dashboard.ParseQuery for the
// parameters and package dashboard for what each figure means.
func (s *Server) apiDashboard(w http.ResponseWriter, r *http.Request) {
	q, err := dashboard.ParseQuery(r.URL.Query(), time.Now())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, queryRefusal(err))
		return
	}

	q.SLA = s.sla()

	d, err := dashboard.Load(r.Context(), s.cfg.Pool, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, d)
}

// queryRefusal is the API's error for refused dashboard parameters.
func queryRefusal(err error) fieldsError {
	e := fieldsError{Error: "invalid", Detail: err.Error()}

	var qe *dashboard.QueryError
	if errors.As(err, &qe) {
		for _, f := range qe.Fields {
			e.Fields = append(e.Fields, exceptions.FieldError{Field: f.Field,
				Message: f.Message})
		}
	}

	return e
}

// dashboardPage draws the dashboard: the figures of the API as charts, each with
// its table.
func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()

	q, err := dashboard.ParseQuery(v, time.Now())
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "dashboard", "Dashboard", dashboardView{
			Error: err.Error(), Currency: q.Currency, From: v.Get("from"), To: v.Get("to"),
			Quick: quickPeriods(0, q.Currency)})

		return
	}

	q.SLA = s.sla()

	d, err := dashboard.Load(r.Context(), s.cfg.Pool, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	s.render(w, r, http.StatusOK, "dashboard", "Dashboard", newDashboardView(d))
}

// dashboardView is what templates/dashboard.html draws.
type dashboardView struct {
	// Error says why the parameters were refused; nothing else is shown then.
	Error string
	// Currency, From and To fill the form.
	Currency, From, To string
	// Quick links to the usual periods.
	Quick []periodLink
	D     *dashboard.Dashboard
	// Codes are the currencies the selector offers.
	Codes []string
	// The charts, drawn.
	RateChart, CashChart, AgeingChart, ReasonChart, ExceptionAgeChart,
	InvoiceChart template.HTML
}

// periodLink is a link to the dashboard over a period.
type periodLink struct {
	Label   string
	Href    string
	Current bool
}

// quickPeriods are the links to the last 7, 30, 90 and 365 days; days names the
// period shown when it was one of them.
func quickPeriods(days int, currency string) []periodLink {
	var out []periodLink

	for _, n := range []int{7, 30, 90, 365} {
		out = append(out, periodLink{Label: "Last " + strconv.Itoa(n) + " days",
			Href: withQuery("/dashboard", "days", n, "currency", currency), Current: n == days})
	}

	return out
}

func newDashboardView(d *dashboard.Dashboard) dashboardView {
	days := 0
	if d.Period.To.Equal(dashboard.LastDays(d.Now, 1).To) {
		days = d.Period.Days()
	}

	v := dashboardView{Currency: d.Currency, From: d.Period.From.Format("2006-01-02"),
		To: d.Period.To.Format("2006-01-02"), D: d, Quick: quickPeriods(days, d.Currency)}

	for _, c := range d.Currencies {
		v.Codes = append(v.Codes, c.Currency)
	}

	// A currency asked for that o2c holds nothing in is offered too, and shown empty.
	if d.Currency != "" && !slices.Contains(v.Codes, d.Currency) {
		v.Codes = append(v.Codes, d.Currency)
		slices.Sort(v.Codes)
	}

	if d.Currency == "" {
		return v
	}

	v.drawCharts()

	return v
}

// drawCharts draws every chart of the dashboard's currency.
func (v *dashboardView) drawCharts() {
	d := v.D
	cur := d.Currency
	period := fmt.Sprintf("from %s to %s", v.From, v.To)
	money := v.axisFormat()

	days := make([]string, len(d.Cash.Days))
	byCount := chart.Series{Name: "By payments"}
	byAmount := chart.Series{Name: "By amount"}
	auto := chart.Series{Name: "Auto"}
	manual := chart.Series{Name: "Manual"}
	unapplied := chart.Series{Name: "Unapplied"}
	returned := chart.Series{Name: "Returned"}

	for i, day := range d.Cash.Days {
		days[i] = day.Date[5:]
		byCount.Values = append(byCount.Values, basisPoints(day.AutoRateByCount))
		byCount.Missing = append(byCount.Missing, day.AutoRateByCount == nil)
		byAmount.Values = append(byAmount.Values, basisPoints(day.AutoRateByAmount))
		byAmount.Missing = append(byAmount.Missing, day.AutoRateByAmount == nil)
		auto.Values = append(auto.Values, day.Auto.Minor)
		manual.Values = append(manual.Values, day.Manual.Minor)
		unapplied.Values = append(unapplied.Values, day.Unapplied.Minor)
		returned.Values = append(returned.Values, day.Returned.Minor)
	}

	t := d.Cash.Total
	v.RateChart = chart.Chart{ID: "chart-rate", Kind: chart.Lines,
		Title: "Auto-match rate per day, " + cur,
		Desc: fmt.Sprintf("Share of the cash received each day %s applied automatically, "+
			"by payments and by amount; over the period %s of payments and %s of the amount. "+
			"Days without cash have no point.", period, v.Pct(t.AutoRateByCount),
			v.Pct(t.AutoRateByAmount)),
		XLabel: "Day received (UTC)", YLabel: "Applied automatically",
		Labels: days, Series: []chart.Series{byCount, byAmount}, Max: 10000,
		Format: func(bp int64) string { return strconv.FormatInt(bp/100, 10) + " %" },
	}.SVG()

	v.CashChart = chart.Chart{ID: "chart-cash", Kind: chart.Stacked,
		Title: "Cash received per day, " + cur,
		Desc: fmt.Sprintf("Cash received each day %s, stacked by what became of it: "+
			"applied automatically, applied by a person, still unapplied, returned; "+
			"%d payments, %s %s in all.", period, t.Received.Count,
			v.Amount(t.Received.Minor), cur),
		XLabel: "Day received (UTC)", YLabel: "Amount (" + cur + ")", Labels: days,
		Series: []chart.Series{auto, manual, unapplied, returned}, Format: money,
	}.SVG()

	var ageLabels []string

	ageing := chart.Series{Name: "Unapplied cash"}
	for _, b := range d.Unapplied.Buckets {
		ageLabels = append(ageLabels, b.Label)
		ageing.Values = append(ageing.Values, b.Minor)
	}

	v.AgeingChart = chart.Chart{ID: "chart-ageing", Kind: chart.Bars,
		Title: "Unapplied cash by age, " + cur,
		Desc: fmt.Sprintf("Unapplied cash now by days since it was received: %d payments, "+
			"%s %s.", d.Unapplied.Total.Count, v.Amount(d.Unapplied.Total.Minor), cur),
		XLabel: "Days since received", YLabel: "Amount (" + cur + ")", Labels: ageLabels,
		Series: []chart.Series{ageing}, Format: money,
	}.SVG()

	x := d.Exceptions
	slaLabel := strconv.Itoa(x.SLAHours) + " h"

	var reasons []string

	within := chart.Series{Name: "Within SLA (" + slaLabel + ")"}
	breached := chart.Series{Name: "Breached"}

	for _, r := range x.ByReason {
		reasons = append(reasons, reasonWords(r.Reason))
		within.Values = append(within.Values, r.WithinSLA)
		breached.Values = append(breached.Values, r.Breached)
	}

	v.ReasonChart = chart.Chart{ID: "chart-reasons", Kind: chart.Stacked,
		Title: "Open exceptions by reason, " + cur,
		Desc: fmt.Sprintf("Open exceptions now by reason, within the SLA of %s and "+
			"breached: %d open, %d breached.", slaLabel, x.Open.Count, x.Breached),
		XLabel: "Reason", YLabel: "Exceptions", Labels: reasons,
		Series: []chart.Series{within, breached},
	}.SVG()

	var ages []string

	aWithin := chart.Series{Name: within.Name}
	aBreached := chart.Series{Name: breached.Name}

	for _, a := range x.ByAge {
		ages = append(ages, a.Label)
		aWithin.Values = append(aWithin.Values, a.WithinSLA)
		aBreached.Values = append(aBreached.Values, a.Breached)
	}

	v.ExceptionAgeChart = chart.Chart{ID: "chart-exception-age", Kind: chart.Stacked,
		Title: "Open exceptions by age, " + cur,
		Desc: fmt.Sprintf("Open exceptions now by time since each was opened; the oldest "+
			"has been open %s.", v.Hours(x.OldestHours)),
		XLabel: "Open for", YLabel: "Exceptions", Labels: ages,
		Series: []chart.Series{aWithin, aBreached},
	}.SVG()

	pushed := chart.Series{Name: "Pushed"}
	failed := chart.Series{Name: "Failed"}

	for _, day := range d.Invoices.Days {
		pushed.Values = append(pushed.Values, day.Pushed)
		failed.Values = append(failed.Values, day.Failed)
	}

	v.InvoiceChart = chart.Chart{ID: "chart-invoices", Kind: chart.Bars,
		Title: "Invoices pushed to the ERP per day, " + cur,
		Desc: fmt.Sprintf("Invoices the ERP accepted and refused each day %s: %d pushed, "+
			"%d failed.", period, d.Invoices.Pushed, d.Invoices.Failed),
		XLabel: "Day (UTC)", YLabel: "Invoices", Labels: days,
		Series: []chart.Series{pushed, failed},
	}.SVG()
}

// axisFormat writes amounts of the dashboard's currency on an axis.
func (v dashboardView) axisFormat() func(int64) string {
	exp, err := money.Exponent(v.D.Currency)
	if err != nil {
		exp = 2
	}

	return func(minor int64) string { return chart.Compact(minor, exp) }
}

// basisPoints is a rate in hundredths of a percent, 0 when there is none.
func basisPoints(r *float64) int64 {
	if r == nil {
		return 0
	}

	return int64(math.Round(*r * 10000))
}

// Pct writes a rate as a percent with one decimal, or "–" without one.
func (v dashboardView) Pct(r *float64) string {
	if r == nil {
		return "–"
	}

	return strconv.FormatFloat(*r*100, 'f', 1, 64) + " %"
}

// Amount writes minor units of the dashboard's currency.
func (v dashboardView) Amount(minor int64) string {
	return money.New(minor, v.D.Currency).Decimal()
}

// Hours writes an age in hours: "5 h" below two days, "3 days 4 h" from there.
func (v dashboardView) Hours(h int64) string {
	if h < 48 {
		return strconv.FormatInt(h, 10) + " h"
	}

	s := strconv.FormatInt(h/24, 10) + " days"
	if h%24 != 0 {
		s += " " + strconv.FormatInt(h%24, 10) + " h"
	}

	return s
}

// DSO writes days sales outstanding with one decimal, or "–" without sales.
func (v dashboardView) DSO() string {
	if v.D.DSO.Value == nil {
		return "–"
	}

	return strconv.FormatFloat(*v.D.DSO.Value, 'f', 1, 64) + " days"
}

// CurrencyHref links to the dashboard in another currency over the same period.
func (v dashboardView) CurrencyHref(code string) string {
	return withQuery("/dashboard", "currency", code, "from", v.From, "to", v.To)
}

// Plural picks one or many by n.
func (v dashboardView) Plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}

	return many
}
