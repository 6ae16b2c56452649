package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// noEnv is a lookup with no environment variables set.
func noEnv(string) (string, bool) { return "", false }

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]

		return v, ok
	}
}

func writeFile(t *testing.T, body string) string {
	t.Helper()

	path := filepath.Join(t.TempDir(), "o2c.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}

	return path
}

// repoRoot walks up from the package directory to the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()

	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}

	for !fileExists(filepath.Join(dir, "go.mod")) {
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}

		dir = parent
	}

	return dir
}

func fileExists(path string) bool {
	_, err := os.Stat(path)

	return err == nil
}

// defaults is what Load returns with no file and no environment.
func defaults(t *testing.T) *Config {
	t.Helper()

	cfg, err := load("", noEnv)
	if err != nil {
		t.Fatalf("load defaults: %v", err)
	}

	return cfg
}

func TestLoadWithoutFileGivesDefaults(t *testing.T) {
	t.Setenv("O2C_DATA_DIR", "/srv/o2c/pg")
	cfg := defaults(t)

	want := Default()
	want.Database.DataDir = "/srv/o2c/pg"

	if !reflect.DeepEqual(*cfg, want) {
		t.Fatalf("defaults:\n%s\nwant:\n%s", cfg, want)
	}

	if cfg.Bus.PollInterval != 250*time.Millisecond || cfg.Ingest.MaxFileBytes != 268435456 {
		t.Errorf("bus/ingest defaults: %v %d", cfg.Bus.PollInterval, cfg.Ingest.MaxFileBytes)
	}
}

func TestEmptyFileGivesDefaults(t *testing.T) {
	t.Setenv("O2C_DATA_DIR", "/srv/o2c/pg")

	cfg, err := load(writeFile(t, "# nothing set\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}

	if !reflect.DeepEqual(cfg, defaults(t)) {
		t.Fatalf("empty file:\n%s", cfg)
	}
}

// TestFieldDefaultsAreTheDefaults writes every Field's documented default into a file and
// checks that loading it changes nothing, so the documentation cannot drift from Default.
func TestFieldDefaultsAreTheDefaults(t *testing.T) {
	t.Setenv("O2C_DATA_DIR", "/srv/o2c/pg")

	var b strings.Builder
	section := ""
	for _, f := range Fields() {
		sec, key, ok := strings.Cut(f.Key, ".")
		if !ok {
			// A list setting at the top level, such as bank_profiles.
			fmt.Fprintf(&b, "%s: %s\n", f.Key, f.Default)
			section = ""

			continue
		}

		if sec != section {
			fmt.Fprintf(&b, "%s:\n", sec)
			section = sec
		}

		fmt.Fprintf(&b, "  %s: %s\n", key, f.Default)
	}

	cfg, err := load(writeFile(t, b.String()), noEnv)
	if err != nil {
		t.Fatalf("load documented defaults: %v\n%s", err, b.String())
	}

	if !reflect.DeepEqual(cfg, defaults(t)) {
		t.Fatalf("documented defaults differ:\n%s\nwant:\n%s", cfg, defaults(t))
	}
}

func TestExampleFileListsEverySettingWithItsDefault(t *testing.T) {
	t.Setenv("O2C_DATA_DIR", "/srv/o2c/pg")
	path := filepath.Join(repoRoot(t), "config", "o2c.example.yaml")

	cfg, err := load(path, noEnv)
	if err != nil {
		t.Fatalf("load example: %v", err)
	}

	if !reflect.DeepEqual(cfg, defaults(t)) {
		t.Errorf("example differs from the defaults:\n%s", cfg)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	var doc map[string]map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}

	for _, f := range Fields() {
		sec, key, ok := strings.Cut(f.Key, ".")
		if !ok {
			continue // top-level lists (bank_profiles) have no default entries to show
		}

		if _, ok := doc[sec][key]; !ok {
			t.Errorf("example lacks %s", f.Key)
		}

		if f.Env != "" && !bytes.Contains(raw, []byte("Env: "+f.Env)) {
			t.Errorf("example does not name %s for %s", f.Env, f.Key)
		}
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	path := writeFile(t, `
http:
  addr: 0.0.0.0:9000
log:
  level: debug
hubspot:
  token: from-file
  won_stages: [closedwon, contractsigned]
schedule:
  crm_pull: "0 * * * *"
bus:
  ack_deadline: 5m
`)

	cfg, err := load(path, envMap(map[string]string{
		"O2C_HTTP_ADDR":            "127.0.0.1:9999",
		"O2C_HUBSPOT_TOKEN":        "from-env",
		"O2C_SCHEDULE_ERP_REFRESH": "",
		"O2C_DATABASE_URL":         "postgres://o2c@127.0.0.1:5432/o2c",
	}))
	if err != nil {
		t.Fatal(err)
	}

	checks := []struct {
		name      string
		got, want any
	}{
		{"http.addr (env wins)", cfg.HTTP.Addr, "127.0.0.1:9999"},
		{"log.level (file)", cfg.Log.Level, "debug"},
		{"log.format (default)", cfg.Log.Format, "text"},
		{"hubspot.token (env wins)", cfg.HubSpot.Token.Value(), "from-env"},
		{"hubspot.won_stages", cfg.HubSpot.WonStages, []string{"closedwon", "contractsigned"}},
		{"schedule.crm_pull (file)", cfg.Schedule.CRMPull, "0 * * * *"},
		{"schedule.erp_refresh (env empty disables)", cfg.Schedule.ERPRefresh, ""},
		{"bus.ack_deadline", cfg.Bus.AckDeadline, 5 * time.Minute},
		{"database.data_dir (unused with a URL)", cfg.Database.DataDir, ""},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadReadsO2CConfig(t *testing.T) {
	t.Setenv(EnvConfig, writeFile(t, "http:\n  addr: 127.0.0.1:7070\n"))
	t.Setenv("O2C_HTTP_ADDR", "127.0.0.1:7171")
	t.Setenv("O2C_DATA_DIR", "/srv/o2c/pg")

	cfg, err := Load("")
	if err != nil {
		t.Fatal(err)
	}

	if cfg.HTTP.Addr != "127.0.0.1:7171" {
		t.Errorf("http.addr = %q, want the environment's", cfg.HTTP.Addr)
	}

	t.Setenv("O2C_HTTP_ADDR", "")

	if _, err := Load(""); err == nil || !strings.Contains(err.Error(), "http.addr") {
		t.Errorf("O2C_HTTP_ADDR set to empty: error = %v, want one naming http.addr", err)
	}
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"unknown section", "htp:\n  addr: x\n", "htp"},
		{"unknown key", "http:\n  adr: 127.0.0.1:1\n", "adr"},
		{"duration as a number", "bus:\n  poll_interval: 250\n", "poll_interval"},
		{"bad duration", "bus:\n  ack_deadline: soon\n", "soon"},
		{"not yaml", "http: [\n", "yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(writeFile(t, tt.body), noEnv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}

	if _, err := load(filepath.Join(t.TempDir(), "missing.yaml"), noEnv); !errors.Is(err,
		os.ErrNotExist) {
		t.Errorf("missing file: error = %v, want os.ErrNotExist", err)
	}
}

func TestValidationNamesTheField(t *testing.T) {
	tests := []struct {
		field  string
		mutate func(*Config)
	}{
		{"database.url", func(c *Config) { c.Database.URL = "mysql://u:p@h/db" }},
		{"database.data_dir", func(c *Config) { c.Database.DataDir = "" }},
		{"http.addr", func(c *Config) { c.HTTP.Addr = "localhost" }},
		{"http.addr", func(c *Config) { c.HTTP.Addr = "127.0.0.1:http" }},
		{"log.level", func(c *Config) { c.Log.Level = "verbose" }},
		{"log.format", func(c *Config) { c.Log.Format = "xml" }},
		{"hubspot.base_url", func(c *Config) { c.HubSpot.BaseURL = "api.hubapi.com" }},
		{"hubspot.won_stages", func(c *Config) { c.HubSpot.WonStages = nil }},
		{"hubspot.won_stages", func(c *Config) { c.HubSpot.WonStages = []string{" "} }},
		{"hubspot.currency", func(c *Config) { c.HubSpot.Currency = "usd" }},
		{"hubspot.currency", func(c *Config) { c.HubSpot.Currency = "XYZ" }},
		{"hubspot.po_property", func(c *Config) { c.HubSpot.POProperty = "" }},
		{"hubspot.po_property", func(c *Config) { c.HubSpot.POProperty = "po number" }},
		{"xero.base_url", func(c *Config) { c.Xero.BaseURL = "ftp://api.xero.com" }},
		{"xero.token_url", func(c *Config) { c.Xero.TokenURL = "" }},
		{"xero.client_secret", func(c *Config) { c.Xero.ClientID = "id" }},
		{"xero.client_id", func(c *Config) { c.Xero.ClientSecret = "shh" }},
		{"xero.sales_account_code", func(c *Config) { c.Xero.SalesAccountCode = "" }},
		{"xero.bank_account_code", func(c *Config) { c.Xero.BankAccountCode = " " }},
		{"schedule.crm_pull", func(c *Config) { c.Schedule.CRMPull = "every 5 minutes" }},
		{"schedule.erp_refresh", func(c *Config) { c.Schedule.ERPRefresh = "* * * * * *" }},
		{"schedule.erp_refresh", func(c *Config) { c.Schedule.ERPRefresh = "@every 15m" }},
		{"bus.poll_interval", func(c *Config) { c.Bus.PollInterval = 0 }},
		{"bus.ack_deadline", func(c *Config) { c.Bus.AckDeadline = 10 * time.Millisecond }},
		{"matching.auto_apply_threshold", func(c *Config) { c.Matching.AutoApplyThreshold = 0 }},
		{"matching.auto_apply_threshold", func(c *Config) {
			c.Matching.AutoApplyThreshold = 1.5
		}},
		{"matching.min_margin", func(c *Config) { c.Matching.MinMargin = -0.1 }},
		{"ingest.max_file_bytes", func(c *Config) { c.Ingest.MaxFileBytes = 0 }},
		{"auth.login_max_failures", func(c *Config) { c.Auth.LoginMaxFailures = 0 }},
		{"auth.login_max_failures_ip", func(c *Config) { c.Auth.LoginMaxFailuresIP = -1 }},
		{"auth.login_window", func(c *Config) { c.Auth.LoginWindow = 0 }},
		{"auth.session_idle", func(c *Config) { c.Auth.SessionIdle = time.Second }},
		{"auth.session_max", func(c *Config) { c.Auth.SessionMax = 30 * time.Minute }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			cfg := Default()
			cfg.Database.DataDir = "/srv/o2c/pg"
			tt.mutate(&cfg)

			err := cfg.Validate()

			var ferr *FieldError
			if !errors.As(err, &ferr) || ferr.Field != tt.field {
				t.Fatalf("error = %v, want a FieldError for %s", err, tt.field)
			}

			if !strings.HasPrefix(err.Error(), "check "+tt.field+": ") {
				t.Errorf("message %q does not start with the field", err)
			}
		})
	}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	cfg := Default()
	cfg.Database.DataDir = "/srv/o2c/pg"
	cfg.Log.Level = "loud"
	cfg.Ingest.MaxFileBytes = -1

	err := cfg.Validate()
	for _, field := range []string{"log.level", "ingest.max_file_bytes"} {
		if err == nil || !strings.Contains(err.Error(), "check "+field+":") {
			t.Errorf("error %v does not name %s", err, field)
		}
	}

	valid := Default()
	valid.Database.DataDir = "/srv/o2c/pg"
	valid.Xero.ClientID, valid.Xero.ClientSecret = "id", "secret"
	valid.Schedule.CRMPull = "CRON_TZ=Europe/Berlin 0 6 * * 1-5"
	valid.Schedule.ERPRefresh = "@hourly"
	valid.Database.URL = "host=127.0.0.1 user=o2c dbname=o2c"

	if err := valid.Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

func TestSecretsAreNeverPrinted(t *testing.T) {
	const (
		dbPassword = "db-pa55word"
		token      = "pat-na1-tok3n"
		secret     = "xero-s3cret"
		adminPass  = "first-adm1n-pa55"
	)

	cfg := Default()
	cfg.Database.URL = Secret("postgres://o2c:" + dbPassword + "@127.0.0.1:5432/o2c")
	cfg.HubSpot.Token = token
	cfg.Xero.ClientID = "client-1"
	cfg.Xero.ClientSecret = secret
	cfg.Auth.BootstrapAdmin = "root.admin"
	cfg.Auth.BootstrapPassword = adminPass

	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
		outputs = append(outputs, fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, &cfg),
			fmt.Sprintf(verb, cfg.HubSpot), fmt.Sprintf(verb, cfg.Xero.ClientSecret))
	}

	outputs = append(outputs, cfg.String())

	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "config", cfg, "token",
		cfg.HubSpot.Token)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "config", cfg, "xero", cfg.Xero)
	outputs = append(outputs, logs.String())

	for _, marshal := range []func(any) ([]byte, error){json.Marshal, yaml.Marshal} {
		b, err := marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}

		outputs = append(outputs, string(b))
	}

	bad := cfg
	bad.Database.URL = Secret("mysql://o2c:" + dbPassword + "@127.0.0.1/o2c")
	outputs = append(outputs, fmt.Sprint(bad.Validate()))

	for _, out := range outputs {
		for _, s := range []string{dbPassword, token, secret, adminPass} {
			if strings.Contains(out, s) {
				t.Errorf("secret %q printed in:\n%s", s, out)
			}
		}
	}

	if !strings.Contains(cfg.String(), "hubspot.token=[redacted]") ||
		!strings.Contains(cfg.String(), "xero.client_id=client-1") {
		t.Errorf("String() should show settings and redact secrets:\n%s", cfg.String())
	}

	if cfg.HubSpot.Token.Value() != token {
		t.Error("Value() must return the secret")
	}
}

func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer

	slog.New(Log{Level: "debug", Format: "json"}.Handler(&buf)).Debug("probe", "n", 1)

	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["msg"] != "probe" {
		t.Fatalf("json debug line = %q, %v", buf.String(), err)
	}

	buf.Reset()
	slog.New(Log{Level: "warn", Format: "text"}.Handler(&buf)).Info("hidden")

	if buf.Len() != 0 {
		t.Errorf("info logged at level warn: %q", buf.String())
	}
}

func TestFieldsAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Fields() {
		if seen[f.Key] {
			t.Errorf("duplicate field %s", f.Key)
		}

		seen[f.Key] = true

		if f.Doc == "" || f.Default == "" {
			t.Errorf("field %s lacks a doc or default", f.Key)
		}
	}

	// Every leaf of Config has a field.
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			sf := typ.Field(i)
			key := prefix + sf.Tag.Get("yaml")

			if sf.Type.Kind() == reflect.Struct {
				walk(key+".", sf.Type)

				continue
			}

			if !seen[key] {
				t.Errorf("setting %s is not listed by Fields", key)
			}
		}
	}
	walk("", reflect.TypeOf(Config{}))
}
