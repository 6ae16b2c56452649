package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Field documents one setting, for the README table and `o2c config`-style listings.
type Field struct {
	// Key is the setting's YAML path, e.g. "http.addr".
	Key string

	// Env is the environment variable that overrides the file, or "" when there is none.
	Env string

	// Default is the default value as written in YAML.
	Default string

	// Secret marks values that are never printed or logged.
	Secret bool

	// Doc says what the setting does, in one sentence.
	Doc string
}

// field adds the accessors used to apply environment overrides and to show values.
type field struct {
	Field
	set  func(c *Config, v string) // nil unless Env is set
	show func(c *Config) string
}

// Fields lists every setting in file order.
func Fields() []Field {
	out := make([]Field, len(fields))
	for i, f := range fields {
		out[i] = f.Field
	}

	return out
}

// envOf returns the environment variable of key, or "" when it has none.
func envOf(key string) string {
	for _, f := range fields {
		if f.Key == key {
			return f.Env
		}
	}

	return ""
}

// envText builds a string field that an environment variable can override.
func envText(f Field, ptr func(*Config) *string) field {
	return field{
		Field: f,
		set:   func(c *Config, v string) { *ptr(c) = v },
		show:  func(c *Config) string { return *ptr(c) },
	}
}

// envSecret builds a secret field that an environment variable can override.
func envSecret(f Field, ptr func(*Config) *Secret) field {
	return field{
		Field: f,
		set:   func(c *Config, v string) { *ptr(c) = Secret(v) },
		show:  func(c *Config) string { return ptr(c).String() },
	}
}

// fileOnly builds a field that only the config file sets.
func fileOnly(f Field, show func(*Config) string) field {
	return field{Field: f, show: show}
}

func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// fields is the single table behind Fields, environment overrides, String and LogValue.
var fields = []field{
	envSecret(Field{
		Key: "database.url", Env: "O2C_DATABASE_URL", Default: `""`, Secret: true,
		Doc: "PostgreSQL connection URL; empty starts o2c's own PostgreSQL in " +
			"database.data_dir",
	}, func(c *Config) *Secret { return &c.Database.URL }),
	envText(Field{
		Key: "database.data_dir", Env: "O2C_DATA_DIR", Default: `""`,
		Doc: "data directory of o2c's own PostgreSQL; empty means $XDG_DATA_HOME/o2c/pg " +
			"(else ~/.local/share/o2c/pg), or /var/lib/o2c/pg when run as root",
	}, func(c *Config) *string { return &c.Database.DataDir }),
	envText(Field{
		Key: "http.addr", Env: "O2C_HTTP_ADDR", Default: "127.0.0.1:8080",
		Doc: "listen address (host:port) of the JSON API",
	}, func(c *Config) *string { return &c.HTTP.Addr }),
	envSecret(Field{
		Key: "http.token", Env: "O2C_API_TOKEN", Default: `""`, Secret: true,
		Doc: "deprecated shared API token: accepted on /api/ as a bearer token of the " +
			"built-in admin \"api\"; empty accepts none (use per-user tokens)",
	}, func(c *Config) *Secret { return &c.HTTP.Token }),
	fileOnly(Field{
		Key: "http.allowed_hosts", Default: "[]",
		Doc: "more host names the server answers in the Host header (\"name\" on any " +
			"port or \"name:port\", e.g. a proxy's public name) besides the listen host, " +
			"localhost, 127.0.0.1 and [::1] on the listen port, and any IP address when " +
			"listening on all interfaces; other Hosts are refused (421) against DNS rebinding",
	}, func(c *Config) string { return fmt.Sprint(c.HTTP.AllowedHosts) }),
	envText(Field{
		Key: "auth.bootstrap_admin", Env: "O2C_ADMIN_USER", Default: `""`,
		Doc: "admin created at start when no enabled admin exists, with " +
			"auth.bootstrap_password; empty creates none",
	}, func(c *Config) *string { return &c.Auth.BootstrapAdmin }),
	envSecret(Field{
		Key: "auth.bootstrap_password", Env: "O2C_ADMIN_PASSWORD", Default: `""`, Secret: true,
		Doc: "first password of auth.bootstrap_admin (12 to 1024 bytes)",
	}, func(c *Config) *Secret { return &c.Auth.BootstrapPassword }),
	fileOnly(Field{
		Key: "auth.cookie_secure", Default: "false",
		Doc: "mark the session cookie Secure on every response (o2c behind a TLS proxy); " +
			"false marks it Secure on TLS requests only",
	}, func(c *Config) string { return strconv.FormatBool(c.Auth.CookieSecure) }),
	fileOnly(Field{
		Key: "auth.login_max_failures", Default: "5",
		Doc: "failed logins of one account from one client address within " +
			"auth.login_window that refuse its further attempts from there (429); ten " +
			"times as many from all addresses refuse them everywhere",
	}, func(c *Config) string { return strconv.Itoa(c.Auth.LoginMaxFailures) }),
	fileOnly(Field{
		Key: "auth.login_max_failures_ip", Default: "20",
		Doc: "failed logins from one client address within auth.login_window that " +
			"refuse further attempts (429)",
	}, func(c *Config) string { return strconv.Itoa(c.Auth.LoginMaxFailuresIP) }),
	fileOnly(Field{
		Key: "auth.login_window", Default: "15m",
		Doc: "how long a failed login counts against its account and address (Go duration)",
	}, func(c *Config) string { return c.Auth.LoginWindow.String() }),
	fileOnly(Field{
		Key: "auth.session_idle", Default: "1h",
		Doc: "a session unused for this long ends (Go duration)",
	}, func(c *Config) string { return c.Auth.SessionIdle.String() }),
	fileOnly(Field{
		Key: "auth.session_max", Default: "12h",
		Doc: "a session ends this long after login, used or not (Go duration)",
	}, func(c *Config) string { return c.Auth.SessionMax.String() }),
	envSecret(Field{
		Key: "metrics.token", Env: "O2C_METRICS_TOKEN", Default: `""`, Secret: true,
		Doc: "bearer token Prometheus presents on /metrics; empty serves /metrics only " +
			"when http.addr is a loopback address",
	}, func(c *Config) *Secret { return &c.Metrics.Token }),
	envText(Field{
		Key: "log.level", Env: "O2C_LOG_LEVEL", Default: "info",
		Doc: "minimum log level: debug, info, warn or error",
	}, func(c *Config) *string { return &c.Log.Level }),
	envText(Field{
		Key: "log.format", Env: "O2C_LOG_FORMAT", Default: "text",
		Doc: "log format: text or json",
	}, func(c *Config) *string { return &c.Log.Format }),
	envText(Field{
		Key: "hubspot.base_url", Env: "O2C_HUBSPOT_BASE_URL", Default: "https://api.hubapi.com",
		Doc: "HubSpot API root",
	}, func(c *Config) *string { return &c.HubSpot.BaseURL }),
	envSecret(Field{
		Key: "hubspot.token", Env: "O2C_HUBSPOT_TOKEN", Default: `""`, Secret: true,
		Doc: "HubSpot private app access token; empty leaves the CRM unconfigured",
	}, func(c *Config) *Secret { return &c.HubSpot.Token }),
	fileOnly(Field{
		Key: "hubspot.won_stages", Default: "[closedwon]",
		Doc: "deal stage IDs that count as won",
	}, func(c *Config) string { return "[" + strings.Join(c.HubSpot.WonStages, ", ") + "]" }),
	fileOnly(Field{
		Key: "hubspot.currency", Default: "USD",
		Doc: "ISO 4217 currency of deals that carry none",
	}, func(c *Config) string { return c.HubSpot.Currency }),
	fileOnly(Field{
		Key: "hubspot.po_property", Default: "po_number",
		Doc: "internal name of the custom deal property holding the customer's PO number",
	}, func(c *Config) string { return c.HubSpot.POProperty }),
	envText(Field{
		Key: "xero.base_url", Env: "O2C_XERO_BASE_URL",
		Default: "https://api.xero.com/api.xro/2.0",
		Doc:     "Xero Accounting API root",
	}, func(c *Config) *string { return &c.Xero.BaseURL }),
	envText(Field{
		Key: "xero.token_url", Env: "O2C_XERO_TOKEN_URL",
		Default: "https://identity.xero.com/connect/token",
		Doc:     "Xero OAuth 2.0 token endpoint",
	}, func(c *Config) *string { return &c.Xero.TokenURL }),
	envText(Field{
		Key: "xero.client_id", Env: "O2C_XERO_CLIENT_ID", Default: `""`,
		Doc: "Xero OAuth client ID; empty leaves the ERP unconfigured",
	}, func(c *Config) *string { return &c.Xero.ClientID }),
	envSecret(Field{
		Key: "xero.client_secret", Env: "O2C_XERO_CLIENT_SECRET", Default: `""`, Secret: true,
		Doc: "Xero OAuth client secret; required with xero.client_id",
	}, func(c *Config) *Secret { return &c.Xero.ClientSecret }),
	envText(Field{
		Key: "xero.tenant_id", Env: "O2C_XERO_TENANT_ID", Default: `""`,
		Doc: "Xero organisation ID sent as the Xero-tenant-id header",
	}, func(c *Config) *string { return &c.Xero.TenantID }),
	fileOnly(Field{
		Key: "xero.sales_account_code", Default: `"200"`,
		Doc: "account code of invoice lines (revenue)",
	}, func(c *Config) string { return c.Xero.SalesAccountCode }),
	fileOnly(Field{
		Key: "xero.bank_account_code", Default: `"090"`,
		Doc: "account code of the bank account payments are recorded against",
	}, func(c *Config) string { return c.Xero.BankAccountCode }),
	envText(Field{
		Key: "schedule.crm_pull", Env: "O2C_SCHEDULE_CRM_PULL", Default: `"*/5 * * * *"`,
		Doc: "cron spec (UTC) of the CRM pull of won deals; empty disables it",
	}, func(c *Config) *string { return &c.Schedule.CRMPull }),
	envText(Field{
		Key: "schedule.erp_refresh", Env: "O2C_SCHEDULE_ERP_REFRESH", Default: `"*/15 * * * *"`,
		Doc: "cron spec (UTC) of the ERP refresh of customers and open invoices; empty " +
			"disables it",
	}, func(c *Config) *string { return &c.Schedule.ERPRefresh }),
	fileOnly(Field{
		Key: "bus.poll_interval", Default: "250ms",
		Doc: "how often an idle bus subscriber polls PostgreSQL (Go duration)",
	}, func(c *Config) string { return c.Bus.PollInterval.String() }),
	fileOnly(Field{
		Key: "bus.ack_deadline", Default: "2m",
		Doc: "how long a claimed message stays invisible to other consumers (Go duration); " +
			"keep it above the slowest handler with its retries",
	}, func(c *Config) string { return c.Bus.AckDeadline.String() }),
	fileOnly(Field{
		Key: "matching.auto_apply_threshold", Default: "0.75",
		Doc: "lowest match score (0..1) applied without review",
	}, func(c *Config) string { return formatFloat(c.Matching.AutoApplyThreshold) }),
	fileOnly(Field{
		Key: "matching.min_margin", Default: "0.15",
		Doc: "lead (0..1) the best candidate needs over the runner-up to be applied " +
			"automatically",
	}, func(c *Config) string { return formatFloat(c.Matching.MinMargin) }),
	fileOnly(Field{
		Key: "matching.partials", Default: "true",
		Doc: "apply a payment smaller than its invoice as a part payment (false: hold it)",
	}, func(c *Config) string { return strconv.FormatBool(c.Matching.Partials) }),
	fileOnly(Field{
		Key: "matching.deductions", Default: "true",
		Doc: "apply a short payment and open a deduction exception for the gap " +
			"(false: hold it)",
	}, func(c *Config) string { return strconv.FormatBool(c.Matching.Deductions) }),
	fileOnly(Field{
		Key: "matching.deduction_percent", Default: "10",
		Doc: "largest deduction, in percent of the invoice's open amount",
	}, func(c *Config) string { return formatFloat(c.Matching.DeductionPercent) }),
	fileOnly(Field{
		Key: "matching.name_threshold", Default: "0.92",
		Doc: "least similarity (0..1) of a payer name to a customer's for fuzzy " +
			"identification; 0 turns it off",
	}, func(c *Config) string { return formatFloat(c.Matching.NameThreshold) }),
	fileOnly(Field{
		Key: "matching.fuzzy_references", Default: "true",
		Doc: "correct typed or OCR'd references when that leads to exactly one invoice",
	}, func(c *Config) string { return strconv.FormatBool(c.Matching.FuzzyReferences) }),
	fileOnly(Field{
		Key: "matching.tolerances", Default: defaultTolerancesYAML,
		Doc: "fee and rounding tolerance written off, per currency: {abs: \"0.50\", " +
			"percent: 0.1}; both must hold",
	}, func(c *Config) string { return fmt.Sprint(c.Matching.Tolerances) }),
	fileOnly(Field{
		Key: "matching.known_fees", Default: defaultKnownFeesYAML,
		Doc: "bank fees per currency written off when one is short of an exactly " +
			"referenced invoice",
	}, func(c *Config) string { return fmt.Sprint(c.Matching.KnownFees) }),
	fileOnly(Field{
		Key: "ingest.max_file_bytes", Default: "268435456",
		Doc: "largest bank file accepted, in bytes (default 256 MiB)",
	}, func(c *Config) string { return strconv.FormatInt(c.Ingest.MaxFileBytes, 10) }),
	fileOnly(Field{
		Key: "ingest.relaxed_checks", Default: "{}",
		Doc: "control checks that only warn, per format, for banks known to break them, e.g. " +
			"`{nacha: [batch_count], camt: [balances]}`; the file's credits are then held " +
			"for review",
	}, func(c *Config) string { return fmt.Sprint(c.Ingest.RelaxedChecks) }),
	fileOnly(Field{
		Key: "exceptions.writeoff_reasons", Default: defaultWriteOffReasonsYAML,
		Doc: "reason codes a write-off of a difference may give (lower case, digits, '_')",
	}, func(c *Config) string { return fmt.Sprint(c.Exceptions.WriteOffReasons) }),
	fileOnly(Field{
		Key: "exceptions.writeoff_approval_limit", Default: defaultApprovalLimitYAML,
		Doc: "largest total write-off per currency, in minor units, one person may make " +
			"alone; above it another person approves; \"*\" covers the currencies not " +
			"listed, and a currency with neither needs approval for every write-off",
	}, func(c *Config) string { return fmt.Sprint(c.Exceptions.WriteOffApprovalLimit) }),
	fileOnly(Field{
		Key: "exceptions.sla_hours", Default: "48",
		Doc: "hours an exception may stay open before the dashboard counts it as breaching " +
			"its SLA (1 to 8760)",
	}, func(c *Config) string { return strconv.Itoa(c.Exceptions.SLAHours) }),
	fileOnly(Field{
		Key: "bank_profiles", Default: "[]",
		Doc: "bank CSV profiles, a list tried in order before the built-in ones; each says " +
			"which files it is for and how to read them (keys bank_profiles[].*)",
	}, func(c *Config) string { return profileNames(c.BankProfiles) }),
}

// The defaults of the map settings, as YAML.
const (
	defaultTolerancesYAML = "{" +
		`AUD: {abs: "0.50", percent: 0.1}, ` +
		`CAD: {abs: "0.50", percent: 0.1}, ` +
		`CHF: {abs: "0.50", percent: 0.1}, ` +
		`EUR: {abs: "0.50", percent: 0.1}, ` +
		`GBP: {abs: "0.50", percent: 0.1}, ` +
		`USD: {abs: "0.50", percent: 0.1}` + "}"
	defaultKnownFeesYAML = "{EUR: " + feesYAML + ", GBP: " + feesYAML + ", USD: " + feesYAML + "}"
	feesYAML             = `["10.00", "15.00", "20.00", "25.00", "30.00", "35.00", "40.00", ` +
		`"45.00", "50.00"]`
)

// The defaults of the exception workflow's settings, as YAML.
const (
	defaultWriteOffReasonsYAML = "[bank_fee, short_payment, rounding, discount_outside_terms]"
	defaultApprovalLimitYAML   = "{CHF: 5000, EUR: 5000, GBP: 5000, USD: 5000}"
)
