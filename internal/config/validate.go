package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/money"
)

// FieldError is a setting that failed validation. Its message never contains the value of
// a secret.
type FieldError struct {
	// Field is the setting's YAML key, e.g. "http.addr".
	Field string

	// Err says what is wrong.
	Err error
}

// Error names the field and the problem.
func (e *FieldError) Error() string {
	return "check " + e.Field + ": " + e.Err.Error()
}

// Unwrap returns the underlying problem.
func (e *FieldError) Unwrap() error {
	return e.Err
}

// Validate checks every setting and returns all problems at once, joined, each a
// *FieldError naming its field.
func (c *Config) Validate() error {
	var errs []error

	check := func(field string, err error) {
		if err != nil {
			errs = append(errs, &FieldError{Field: field, Err: err})
		}
	}

	check("database.url", checkDatabaseURL(c.Database.URL.Value()))
	check("http.addr", checkAddr(c.HTTP.Addr))
	check("http.allowed_hosts", checkHosts(c.HTTP.AllowedHosts))
	check("auth.login_max_failures", intBetween(c.Auth.LoginMaxFailures, 1, 1000))
	check("auth.login_max_failures_ip", intBetween(c.Auth.LoginMaxFailuresIP, 1, 10000))
	check("auth.login_window", between(c.Auth.LoginWindow, time.Second, 24*time.Hour))
	check("auth.session_idle", between(c.Auth.SessionIdle, time.Minute, 30*24*time.Hour))
	check("auth.session_max", between(c.Auth.SessionMax, c.Auth.SessionIdle,
		30*24*time.Hour))
	check("log.level", oneOf(c.Log.Level, "debug", "info", "warn", "error"))
	check("log.format", oneOf(c.Log.Format, "text", "json"))
	check("hubspot.base_url", checkHTTPURL(c.HubSpot.BaseURL))
	check("hubspot.won_stages", checkStages(c.HubSpot.WonStages))
	check("hubspot.currency", checkCurrency(c.HubSpot.Currency))
	check("hubspot.po_property", checkPropertyName(c.HubSpot.POProperty))
	check("xero.base_url", checkHTTPURL(c.Xero.BaseURL))
	check("xero.token_url", checkHTTPURL(c.Xero.TokenURL))
	check("xero.client_secret", requiredWith(c.Xero.ClientSecret != "", c.Xero.ClientID != "",
		"xero.client_id"))
	check("xero.client_id", requiredWith(c.Xero.ClientID != "", c.Xero.ClientSecret != "",
		"xero.client_secret"))
	check("xero.sales_account_code", notEmpty(c.Xero.SalesAccountCode))
	check("xero.bank_account_code", notEmpty(c.Xero.BankAccountCode))
	check("schedule.crm_pull", checkSpec(c.Schedule.CRMPull))
	check("schedule.erp_refresh", checkSpec(c.Schedule.ERPRefresh))
	check("bus.poll_interval", between(c.Bus.PollInterval, time.Millisecond, time.Minute))
	check("bus.ack_deadline", between(c.Bus.AckDeadline, time.Second, 24*time.Hour))
	check("matching.auto_apply_threshold",
		unitInterval(c.Matching.AutoApplyThreshold, false))
	check("matching.min_margin", unitInterval(c.Matching.MinMargin, true))
	check("matching.name_threshold", unitInterval(c.Matching.NameThreshold, true))
	check("matching.deduction_percent", percent(c.Matching.DeductionPercent))
	check("matching.tolerances", tolerances(c.Matching.Tolerances))
	check("matching.known_fees", knownFees(c.Matching.KnownFees))
	check("ingest.max_file_bytes", positive(c.Ingest.MaxFileBytes))
	check("exceptions.writeoff_reasons", reasonCodes(c.Exceptions.WriteOffReasons))
	check("exceptions.writeoff_approval_limit", approvalLimits(c.Exceptions.WriteOffApprovalLimit))
	check("exceptions.sla_hours", hoursInYear(c.Exceptions.SLAHours))
	check("ingest.relaxed_checks", bank.CheckRelaxed(c.Ingest.RelaxedChecks))
	check("bank_profiles", checkBankProfiles(c.BankProfiles))

	if c.Database.URL == "" && c.Database.DataDir == "" {
		check("database.data_dir", errors.New("required when database.url is empty"))
	}

	return errors.Join(errs...)
}

// checkDatabaseURL accepts a postgres:// URL or a keyword/value string. The value is a
// secret, so messages never quote it.
func checkDatabaseURL(s string) error {
	if s == "" {
		return nil
	}

	if !strings.Contains(s, "://") {
		if strings.Contains(s, "=") {
			return nil
		}

		return errors.New("want a postgres:// URL or key=value pairs")
	}

	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a valid URL")
	}

	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("scheme %q, want postgres", u.Scheme)
	}

	return nil
}

func checkAddr(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want host:port: %w", err)
	}

	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}

	return nil
}

// checkHosts accepts host names and addresses, each alone or with a port.
func checkHosts(hosts []string) error {
	for _, h := range hosts {
		name, port, err := net.SplitHostPort(h)
		if err != nil {
			name, port = strings.Trim(h, "[]"), ""
		}

		if port != "" {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("%q: port is not a number from 1 to 65535", h)
			}
		}

		if name == "" || strings.ContainsAny(name, " /@\t\r\n") {
			return fmt.Errorf("%q is not a host name or address", h)
		}
	}

	return nil
}

func oneOf(s string, allowed ...string) error {
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}

	return fmt.Errorf("%q, want one of %s", s, strings.Join(allowed, ", "))
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}

	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q, want an absolute http or https URL", s)
	}

	return nil
}

func checkStages(stages []string) error {
	if len(stages) == 0 {
		return errors.New("at least one stage is required")
	}

	for i, s := range stages {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("stage %d is empty", i+1)
		}
	}

	return nil
}

// checkPropertyName accepts a HubSpot property's internal name: ASCII letters, digits
// and underscores, starting with a letter, at most 100 characters.
func checkPropertyName(name string) error {
	bad := name == "" || len(name) > 100
	for i := 0; i < len(name) && !bad; i++ {
		ch := name[i]
		letter := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z'
		bad = !letter && (i == 0 || !(ch >= '0' && ch <= '9' || ch == '_'))
	}

	if bad {
		return fmt.Errorf("%q is not a property name: letters, digits and underscores, "+
			"starting with a letter", name)
	}

	return nil
}

func checkCurrency(code string) error {
	if !money.ValidCurrency(code) {
		return fmt.Errorf("%q: %w", code, money.ErrCurrency)
	}

	return nil
}

func requiredWith(set, otherSet bool, other string) error {
	if !set && otherSet {
		return fmt.Errorf("required when %s is set", other)
	}

	return nil
}

func notEmpty(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("must not be empty")
	}

	return nil
}

func checkSpec(spec string) error {
	if spec == "" {
		return nil
	}

	if strings.HasPrefix(strings.TrimSpace(spec), "@every") {
		return fmt.Errorf("cron spec %q: @every is not supported (its ticks depend on when "+
			"each replica started), use a cron spec", spec)
	}

	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("cron spec %q: %w", spec, err)
	}

	return nil
}

func between(d, lo, hi time.Duration) error {
	if d < lo || d > hi {
		return fmt.Errorf("%s, want between %s and %s", d, lo, hi)
	}

	return nil
}

// unitInterval accepts [0,1], or (0,1] when zero is not allowed.
func unitInterval(v float64, zeroOK bool) error {
	if v > 1 || v < 0 || (v == 0 && !zeroOK) || v != v {
		if zeroOK {
			return fmt.Errorf("%v, want a number from 0 to 1", v)
		}

		return fmt.Errorf("%v, want a number above 0, at most 1", v)
	}

	return nil
}

func intBetween(n, lo, hi int) error {
	if n < lo || n > hi {
		return fmt.Errorf("%d, want a number from %d to %d", n, lo, hi)
	}

	return nil
}

func positive(n int64) error {
	if n <= 0 {
		return fmt.Errorf("%d, want a positive number", n)
	}

	return nil
}

// hoursInYear accepts 1 to 8760 hours.
func hoursInYear(n int) error {
	if n < 1 || n > 8760 {
		return fmt.Errorf("%d, want a whole number of hours from 1 to 8760", n)
	}

	return nil
}

func percent(v float64) error {
	if v < 0 || v > 100 || v != v {
		return fmt.Errorf("%v, want a percent from 0 to 100", v)
	}

	return nil
}

func tolerances(ts map[string]Tolerance) error {
	for cur, t := range ts {
		if _, err := money.Parse(t.Abs, cur); err != nil {
			return fmt.Errorf("%s: abs: %w", cur, err)
		}

		if err := percent(t.Percent); err != nil {
			return fmt.Errorf("%s: percent: %w", cur, err)
		}
	}

	return nil
}

func knownFees(fees map[string][]string) error {
	for cur, fs := range fees {
		for _, f := range fs {
			if a, err := money.Parse(f, cur); err != nil || a.Minor <= 0 {
				return fmt.Errorf("%s: %q is not a positive amount", cur, f)
			}
		}
	}

	return nil
}

// reasonCodes accepts a non-empty list of distinct codes of lower-case letters,
// digits and '_', starting with a letter, at most 40 bytes each.
func reasonCodes(codes []string) error {
	if len(codes) == 0 {
		return errors.New("name at least one reason code")
	}

	seen := map[string]bool{}
	for _, c := range codes {
		ok := c != "" && len(c) <= 40 && c[0] >= 'a' && c[0] <= 'z'
		for _, r := range c {
			ok = ok && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
		}

		if !ok {
			return fmt.Errorf("%q: want lower-case letters, digits and '_', starting with a "+
				"letter, at most 40", c)
		}

		if seen[c] {
			return fmt.Errorf("%q is listed twice", c)
		}

		seen[c] = true
	}

	return nil
}

// approvalLimits accepts ISO 4217 codes or "*" with amounts of zero or more.
func approvalLimits(limits map[string]int64) error {
	for cur, n := range limits {
		if cur != "*" && !money.ValidCurrency(cur) {
			return fmt.Errorf("%q: %w", cur, money.ErrCurrency)
		}

		if n < 0 {
			return fmt.Errorf("%s: %d is negative", cur, n)
		}
	}

	return nil
}
