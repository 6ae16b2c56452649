// Package config loads o2c's settings: one YAML file, then environment variables for the
// settings that differ per deployment (addresses, secrets, schedules), then validation.
//
// Every setting, with its YAML key, environment variable, default and meaning, is listed by
// Fields; config/o2c.example.yaml shows them all. Secrets are held in Secret values, which
// print, log and marshal as "[redacted]".
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
	"github.com/o2c-dev/o2c/internal/pgembed"
)

// EnvConfig names the environment variable holding the config file path, read by Load when
// it is given no path.
const EnvConfig = "O2C_CONFIG"

// Config is the whole of o2c's configuration. Default returns it with every default set.
type Config struct {
	Database Database `yaml:"database"`
	HTTP     HTTP     `yaml:"http"`
	Auth     Auth     `yaml:"auth"`
	Metrics  Metrics  `yaml:"metrics"`
	Log      Log      `yaml:"log"`
	HubSpot  HubSpot  `yaml:"hubspot"`
	Xero     Xero     `yaml:"xero"`
	Schedule Schedule `yaml:"schedule"`
	Bus      Bus      `yaml:"bus"`
	Matching Matching `yaml:"matching"`
	Ingest   Ingest   `yaml:"ingest"`

	// Exceptions tunes the exception workflow (package exceptions).
	Exceptions Exceptions `yaml:"exceptions"`

	// BankProfiles say how each bank's CSV exports are read (delimiter, number and date
	// formats, columns, signs, currency, ...); they are tried in order before the built-in
	// profiles (bankcsv.Builtins). Defaults to none.
	BankProfiles []bankcsv.Profile `yaml:"bank_profiles"`
}

// Database says which PostgreSQL o2c uses.
type Database struct {
	// URL is the PostgreSQL connection string (postgres://user:password@host:port/db).
	// Defaults to "": o2c starts its own PostgreSQL in DataDir (package pgembed).
	URL Secret `yaml:"url"`

	// DataDir is the data directory of o2c's own PostgreSQL; unused when URL is set.
	// Defaults to pgembed.DefaultDataDir(): $XDG_DATA_HOME/o2c/pg or ~/.local/share/o2c/pg,
	// and /var/lib/o2c/pg when running as root.
	DataDir string `yaml:"data_dir"`
}

// HTTP configures the JSON API server.
type HTTP struct {
	// Addr is the listen address, host:port. Defaults to "127.0.0.1:8080".
	Addr string `yaml:"addr"`

	// Token, when set, is accepted on /api/ as "Authorization: Bearer <token>" of the
	// built-in admin "api". Deprecated: give each script a user and an API token (o2c
	// users token NAME). Defaults to "".
	Token Secret `yaml:"token"`

	// AllowedHosts are more names the server answers in the Host header ("name" on
	// any port, or "name:port"), besides the listen host, localhost, 127.0.0.1 and
	// [::1] on the listen port; other Hosts are refused (421) against DNS
	// rebinding. Defaults to none.
	AllowedHosts []string `yaml:"allowed_hosts"`
}

// Auth configures users, sessions and login rate limiting (package auth).
type Auth struct {
	// BootstrapAdmin is the name of the admin created at start when no enabled admin
	// exists, with BootstrapPassword. Defaults to "" (create the first admin with
	// o2c users add NAME --role admin).
	BootstrapAdmin string `yaml:"bootstrap_admin"`

	// BootstrapPassword is BootstrapAdmin's first password; required to create it.
	// Defaults to "".
	BootstrapPassword Secret `yaml:"bootstrap_password"`

	// CookieSecure marks the session cookie Secure on every response, for o2c behind a
	// proxy that terminates TLS. Defaults to false: Secure only on TLS requests.
	CookieSecure bool `yaml:"cookie_secure"`

	// LoginMaxFailures is how many failed logins of one account within LoginWindow
	// refuse further attempts. Defaults to 5.
	LoginMaxFailures int `yaml:"login_max_failures"`

	// LoginMaxFailuresIP is the same limit per client address. Defaults to 20.
	LoginMaxFailuresIP int `yaml:"login_max_failures_ip"`

	// LoginWindow is how long a failed login counts. Defaults to 15m.
	LoginWindow time.Duration `yaml:"login_window"`

	// SessionIdle ends a session unused for that long. Defaults to 1h.
	SessionIdle time.Duration `yaml:"session_idle"`

	// SessionMax ends a session that long after login. Defaults to 12h.
	SessionMax time.Duration `yaml:"session_max"`
}

// Metrics configures GET /metrics of o2c serve (package monitor).
type Metrics struct {
	// Token, when set, is required on /metrics as "Authorization: Bearer <token>".
	// Defaults to "": /metrics answers only when the server listens on a loopback
	// address, so business figures never reach anonymous callers on a public bind.
	Token Secret `yaml:"token"`
}

// Log configures the process logger.
type Log struct {
	// Level is the minimum level logged: debug, info, warn or error. Defaults to "info".
	Level string `yaml:"level"`

	// Format is the log line format: text (logfmt-like) or json. Defaults to "text".
	Format string `yaml:"format"`
}

// HubSpot configures the CRM connector.
type HubSpot struct {
	// BaseURL is the HubSpot API root. Defaults to "https://api.hubapi.com".
	BaseURL string `yaml:"base_url"`

	// Token is the private app access token. Defaults to "": the CRM pull is not configured.
	Token Secret `yaml:"token"`

	// WonStages are the deal stage IDs that count as won. Defaults to [closedwon].
	WonStages []string `yaml:"won_stages"`

	// Currency is the ISO 4217 code used for deals that carry none. Defaults to "USD".
	Currency string `yaml:"currency"`

	// POProperty is the internal name of the custom deal property holding the customer's
	// purchase-order number. Defaults to "po_number".
	POProperty string `yaml:"po_property"`
}

// Xero configures the ERP connector (OAuth 2.0 client credentials).
type Xero struct {
	// BaseURL is the Accounting API root. Defaults to "https://api.xero.com/api.xro/2.0".
	BaseURL string `yaml:"base_url"`

	// TokenURL is the OAuth 2.0 token endpoint.
	// Defaults to "https://identity.xero.com/connect/token".
	TokenURL string `yaml:"token_url"`

	// ClientID is the OAuth client ID. Defaults to "": the ERP is not configured.
	ClientID string `yaml:"client_id"`

	// ClientSecret is the OAuth client secret; required when ClientID is set.
	// Defaults to "".
	ClientSecret Secret `yaml:"client_secret"`

	// TenantID is the Xero organisation (Xero-tenant-id header). Defaults to "".
	TenantID string `yaml:"tenant_id"`

	// SalesAccountCode is the revenue account of invoice lines. Defaults to "200".
	SalesAccountCode string `yaml:"sales_account_code"`

	// BankAccountCode is the bank account payments are recorded against. Defaults to "090".
	BankAccountCode string `yaml:"bank_account_code"`
}

// Schedule holds the cron specs (five fields, UTC, or a CRON_TZ= prefix) of the sync jobs.
// An empty spec disables the job's schedule; `o2c sync` still runs it by hand.
type Schedule struct {
	// CRMPull pulls won deals from the CRM. Defaults to "*/5 * * * *".
	CRMPull string `yaml:"crm_pull"`

	// ERPRefresh refreshes customers and open invoices from the ERP.
	// Defaults to "*/15 * * * *".
	ERPRefresh string `yaml:"erp_refresh"`
}

// Bus configures the PostgreSQL message bus.
type Bus struct {
	// PollInterval is how often an idle subscriber polls for messages. Defaults to 250ms.
	PollInterval time.Duration `yaml:"poll_interval"`

	// AckDeadline is how long a message stays claimed before another consumer may take it;
	// keep it above the slowest handler including its retries. Defaults to 2m.
	AckDeadline time.Duration `yaml:"ack_deadline"`
}

// Matching tunes cash application.
type Matching struct {
	// AutoApplyThreshold is the lowest score (0..1) applied without review. Defaults to 0.75.
	AutoApplyThreshold float64 `yaml:"auto_apply_threshold"`

	// MinMargin is how far (0..1) the best candidate must lead the runner-up to be applied
	// automatically. Defaults to 0.15.
	MinMargin float64 `yaml:"min_margin"`

	// Partials applies a payment smaller than its invoice as a part payment and leaves the
	// rest open; false holds it. Defaults to true.
	Partials bool `yaml:"partials"`

	// Deductions applies a short payment (beyond tolerance, within DeductionPercent) and
	// opens a deduction exception for the gap; false holds it. Defaults to true.
	Deductions bool `yaml:"deductions"`

	// DeductionPercent bounds a deduction, in percent of the open amount. Defaults to 10.
	DeductionPercent float64 `yaml:"deduction_percent"`

	// NameThreshold is the least similarity (0..1) of a payer name to a customer's for
	// fuzzy identification; 0 turns it off. Defaults to 0.92.
	NameThreshold float64 `yaml:"name_threshold"`

	// FuzzyReferences corrects typed or OCR'd references when that leads to exactly one
	// invoice. Defaults to true.
	FuzzyReferences bool `yaml:"fuzzy_references"`

	// Tolerances are the fee and rounding tolerances written off, per currency: both the
	// absolute amount (a decimal string) and the percent must hold. Defaults: 0.50 and
	// 0.1 % for USD, EUR, GBP, CHF, CAD and AUD.
	Tolerances map[string]Tolerance `yaml:"tolerances"`

	// KnownFees are the bank fees (decimal strings per currency) a payer's bank commonly
	// takes; one of them short of an exactly referenced invoice is written off as a bank
	// fee. Defaults: 10.00 to 50.00 in steps of 5.00 for USD, EUR and GBP.
	KnownFees map[string][]string `yaml:"known_fees"`
}

// Tolerance is a write-off tolerance of one currency.
type Tolerance struct {
	// Abs is the largest difference as a decimal string in the currency, e.g. "0.50".
	Abs string `yaml:"abs"`

	// Percent is the largest difference in percent of the amount, e.g. 0.1.
	Percent float64 `yaml:"percent"`
}

// Ingest limits bank file intake.
type Ingest struct {
	// MaxFileBytes is the largest bank file accepted, in bytes. Defaults to 268435456
	// (256 MiB).
	MaxFileBytes int64 `yaml:"max_file_bytes"`

	// RelaxedChecks names, per format family (nacha, camt, bai2, mt940, lockbox),
	// the control checks whose failure is only a warning, for banks known to break
	// them (see bank.Relaxable). The credits of a file read so are held for review.
	// Defaults to none: every check rejects.
	RelaxedChecks map[string][]string `yaml:"relaxed_checks"`
}

// Exceptions tunes the exception workflow: write-offs and who must approve them.
type Exceptions struct {
	// WriteOffReasons are the reason codes a write-off may give (lower case, digits
	// and '_'). Defaults to bank_fee, short_payment, rounding, discount_outside_terms.
	WriteOffReasons []string `yaml:"writeoff_reasons"`

	// WriteOffApprovalLimit is, per currency, the largest total write-off in minor
	// units (cents for USD) one person may make alone; above it a second person with
	// the approve permission must approve. The key "*" sets it for the currencies not
	// listed; a currency with neither needs approval for every write-off. Defaults to
	// 5000 (50.00) for CHF, EUR, GBP and USD.
	WriteOffApprovalLimit map[string]int64 `yaml:"writeoff_approval_limit"`

	// SLAHours is how many hours an exception may stay open before the dashboard
	// counts it as breaching its SLA. Defaults to 48.
	SLAHours int `yaml:"sla_hours"`
}

// Default returns the configuration used when nothing is configured. DataDir stays empty
// here; Load fills it with pgembed.DefaultDataDir() when no database URL is set.
func Default() Config {
	return Config{
		HTTP: HTTP{Addr: "127.0.0.1:8080", AllowedHosts: []string{}},
		Auth: Auth{LoginMaxFailures: 5, LoginMaxFailuresIP: 20, LoginWindow: 15 * time.Minute,
			SessionIdle: time.Hour, SessionMax: 12 * time.Hour},
		Log: Log{Level: "info", Format: "text"},
		HubSpot: HubSpot{
			BaseURL:    "https://api.hubapi.com",
			WonStages:  []string{"closedwon"},
			Currency:   "USD",
			POProperty: "po_number",
		},
		Xero: Xero{
			BaseURL:          "https://api.xero.com/api.xro/2.0",
			TokenURL:         "https://identity.xero.com/connect/token",
			SalesAccountCode: "200",
			BankAccountCode:  "090",
		},
		Schedule: Schedule{CRMPull: "*/5 * * * *", ERPRefresh: "*/15 * * * *"},
		Bus:      Bus{PollInterval: 250 * time.Millisecond, AckDeadline: 2 * time.Minute},
		Matching: Matching{AutoApplyThreshold: 0.75, MinMargin: 0.15, Partials: true,
			Deductions: true, DeductionPercent: 10, NameThreshold: 0.92, FuzzyReferences: true,
			Tolerances: defaultTolerances(), KnownFees: defaultKnownFees()},
		Ingest: Ingest{MaxFileBytes: 256 << 20, RelaxedChecks: map[string][]string{}},
		Exceptions: Exceptions{WriteOffReasons: []string{"bank_fee", "short_payment",
			"rounding", "discount_outside_terms"},
			WriteOffApprovalLimit: map[string]int64{"CHF": 5000, "EUR": 5000, "GBP": 5000,
				"USD": 5000},
			SLAHours: 48},
		BankProfiles: []bankcsv.Profile{},
	}
}

// Load reads the configuration: defaults, then the YAML file at path (or at $O2C_CONFIG when
// path is ""; no file at all means defaults only), then the environment variables listed by
// Fields (a variable set to "" counts: it sets the value to ""), then Validate. Unknown YAML
// keys are errors, so a misspelt setting does not pass silently.
func Load(path string) (*Config, error) {
	if path == "" {
		path = os.Getenv(EnvConfig)
	}

	return load(path, os.LookupEnv)
}

func load(path string, lookup func(string) (string, bool)) (*Config, error) {
	cfg := Default()

	if path != "" {
		if err := cfg.readFile(path); err != nil {
			return nil, err
		}
	}

	cfg.applyEnv(lookup)

	if err := cfg.fillDataDir(); err != nil {
		return nil, err
	}

	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validate config: %w", err)
	}

	return &cfg, nil
}

func (c *Config) readFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}

	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)

	err = dec.Decode(c)
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}

	var te *yaml.TypeError
	if errors.As(err, &te) {
		err = nameKeys(b, te)
	}

	return fmt.Errorf("read config %s: %w", path, err)
}

// nameKeys adds the setting's key to each "line N: ..." message of a decoding error, so
// that "line 12: cannot unmarshal !!int `250` into time.Duration" names bus.poll_interval.
func nameKeys(doc []byte, te *yaml.TypeError) error {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return te
	}

	keys := map[int]string{}
	collectKeys(&root, "", keys)

	out := &yaml.TypeError{Errors: make([]string, len(te.Errors))}
	for i, msg := range te.Errors {
		out.Errors[i] = msg

		var line int
		if _, err := fmt.Sscanf(msg, "line %d:", &line); err != nil {
			continue
		}

		if key, ok := keys[line]; ok {
			prefix := fmt.Sprintf("line %d", line)
			out.Errors[i] = prefix + " (" + key + ")" + strings.TrimPrefix(msg, prefix)
		}
	}

	return out
}

// collectKeys maps the line of every mapping key and value to its dotted path.
func collectKeys(n *yaml.Node, prefix string, keys map[int]string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			collectKeys(c, prefix, keys)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			path := n.Content[i].Value
			if prefix != "" {
				path = prefix + "." + path
			}

			keys[n.Content[i].Line] = path
			if _, taken := keys[n.Content[i+1].Line]; !taken {
				keys[n.Content[i+1].Line] = path
			}

			collectKeys(n.Content[i+1], path, keys)
		}
	}
}

func (c *Config) applyEnv(lookup func(string) (string, bool)) {
	for _, f := range fields {
		if f.Env == "" {
			continue
		}

		if v, ok := lookup(f.Env); ok {
			f.set(c, v)
		}
	}
}

// fillDataDir sets the default data directory when o2c will start its own PostgreSQL.
func (c *Config) fillDataDir() error {
	if c.Database.URL != "" || c.Database.DataDir != "" {
		return nil
	}

	dir, err := pgembed.DefaultDataDir()
	if err != nil {
		return fmt.Errorf("validate config: %w", &FieldError{
			Field: "database.data_dir",
			Err:   fmt.Errorf("no default (%w): set it or %s", err, envOf("database.data_dir")),
		})
	}

	c.Database.DataDir = dir

	return nil
}

// LogValue logs every setting by its key, secrets redacted.
func (c Config) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(fields))
	for _, f := range fields {
		attrs = append(attrs, slog.String(f.Key, f.show(&c)))
	}

	return slog.GroupValue(attrs...)
}

// String lists every setting as key=value lines, secrets redacted.
func (c Config) String() string {
	var b strings.Builder
	for _, f := range fields {
		fmt.Fprintf(&b, "%s=%s\n", f.Key, f.show(&c))
	}

	return b.String()
}

// Handler returns a slog handler writing to w in the configured format at the configured
// level. Call it on a validated Log.
func (l Log) Handler(w io.Writer) slog.Handler {
	opts := &slog.HandlerOptions{Level: l.SlogLevel()}
	if l.Format == "json" {
		return slog.NewJSONHandler(w, opts)
	}

	return slog.NewTextHandler(w, opts)
}

// SlogLevel converts Level to a slog.Level; an unknown level means info.
func (l Log) SlogLevel() slog.Level {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.Level)); err != nil {
		return slog.LevelInfo
	}

	return level
}

// Enabled reports whether the CRM connector has a token.
func (h HubSpot) Enabled() bool {
	return h.Token != ""
}

// Enabled reports whether the ERP connector has client credentials.
func (x Xero) Enabled() bool {
	return x.ClientID != "" && x.ClientSecret != ""
}

// Secret is a configuration value that must never be shown: its String, GoString, LogValue
// and marshalled forms are "[redacted]" (or "" when unset). Value returns the real text.
type Secret string

const redacted = "[redacted]"

// Value returns the secret itself, for the one place that needs it.
func (s Secret) Value() string {
	return string(s)
}

// String returns "[redacted]", or "" when the secret is unset.
func (s Secret) String() string {
	if s == "" {
		return ""
	}

	return redacted
}

// GoString redacts the secret for the %#v verb.
func (s Secret) GoString() string {
	return fmt.Sprintf("config.Secret(%q)", s.String())
}

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value {
	return slog.StringValue(s.String())
}

// MarshalText redacts the secret in JSON, YAML and other text encodings.
func (s Secret) MarshalText() ([]byte, error) {
	return []byte(s.String()), nil
}

// UnmarshalText reads the secret as plain text.
func (s *Secret) UnmarshalText(b []byte) error {
	*s = Secret(b)

	return nil
}

// Format redacts the secret for every fmt verb, so that %x or %d cannot reveal it either.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())

		return
	}

	_, _ = io.WriteString(f, s.String())
}

func defaultTolerances() map[string]Tolerance {
	out := map[string]Tolerance{}
	for _, c := range []string{"AUD", "CAD", "CHF", "EUR", "GBP", "USD"} {
		out[c] = Tolerance{Abs: "0.50", Percent: 0.1}
	}

	return out
}

func defaultKnownFees() map[string][]string {
	var fees []string
	for f := 10; f <= 50; f += 5 {
		fees = append(fees, fmt.Sprintf("%d.00", f))
	}

	out := map[string][]string{}
	for _, c := range []string{"EUR", "GBP", "USD"} {
		out[c] = append([]string(nil), fees...)
	}

	return out
}
