// Command o2c is the order-to-cash service: it pulls won deals from the CRM, pushes
// invoices to the ERP, ingests bank files, matches cash to open invoices and keeps
// the exception queue. Run "o2c help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
	"github.com/o2c-dev/o2c/internal/config"
	"github.com/o2c-dev/o2c/internal/service"
)

const usage = `o2c: order-to-cash — CRM deals to ERP invoices, bank files to applied cash.

Usage: o2c [global flags] COMMAND [flags] [args]

Commands:
  serve                     run the API, the pipelines and the scheduler
  demo [--serve] [PATH...]  run the main job against local HubSpot and Xero simulators
  ingest FILE|DIR...        store bank files, read and match them, print the outcome
  inspect [--json] FILE|DIR...
                            read bank files without storing them: format, encoding,
                            totals, control checks, errors; exit 1 if any is rejected
  reconcile --invoices F --customers F --out DIR BANKFILE...
                            offline: match bank files to invoices from CSV, no database
  bench [--seed N] [--customers N] [--deals N] [--out DIR] [--json]
                            offline: score matching on a generated, labelled world
  sync crm|erp              pull won deals from the CRM, or open invoices from the ERP
  exceptions list|show|resolve|assign
                            work the exception queue
  poison list|replay UUID   messages that kept failing, and replaying one
  backtest [--since DATE] [--json]
                            re-run the current rules over resolved history
  rules list|approve ID|reject ID
                            rules proposed from resolved exceptions
  users add|list|disable|enable|role|password|token
                            manage who may log in, their roles and API tokens
  migrate                   apply the database migrations
  help                      show this help

Global flags:
  --config FILE       YAML config (default $O2C_CONFIG; none: built-in defaults)
  --database-url URL  PostgreSQL URL (default: the embedded PostgreSQL)
  --data-dir DIR      data directory of the embedded PostgreSQL
`

func main() {
	// A closed pipe on stdout (o2c ... | head) must fail the write, not kill o2c
	// before it stops its embedded PostgreSQL.
	signal.Ignore(syscall.SIGPIPE)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what every command gets: the loaded config, the logger and the output.
type env struct {
	cfg    *config.Config
	logger *slog.Logger
	out    io.Writer
	errOut io.Writer
	bank   *bank.Reader // reads bank files with the configured bank profiles
}

func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	global := flag.NewFlagSet("o2c", flag.ContinueOnError)
	global.SetOutput(errOut)
	global.Usage = func() { fmt.Fprint(errOut, usage) }

	configPath := global.String("config", "", "YAML config file")
	dbURL := global.String("database-url", "", "PostgreSQL URL")
	dataDir := global.String("data-dir", "", "embedded PostgreSQL data directory")

	if err := global.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2
	}

	if global.NArg() == 0 || global.Arg(0) == "help" {
		fmt.Fprint(out, usage)
		return 0
	}

	cfg, err := config.Load(*configPath)
	if err != nil {
		fmt.Fprintf(errOut, "o2c: %v\n", err)
		return 1
	}

	if *dbURL != "" {
		cfg.Database.URL = config.Secret(*dbURL)
	}

	if *dataDir != "" {
		cfg.Database.DataDir = *dataDir
	}

	csv, err := bankcsv.NewReader(cfg.BankProfiles)
	if err != nil {
		fmt.Fprintf(errOut, "o2c: bank_profiles: %v\n", err)
		return 1
	}

	rd, err := bank.NewReader(csv).WithRelaxed(cfg.Ingest.RelaxedChecks)
	if err != nil {
		fmt.Fprintf(errOut, "o2c: ingest.relaxed_checks: %v\n", err)
		return 1
	}

	e := &env{cfg: cfg, logger: newLogger(cfg.Log, errOut), out: out, errOut: errOut,
		bank: rd}
	cmd, rest := global.Arg(0), global.Args()[1:]

	fn, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(errOut, "o2c: unknown command %q\n\n%s", cmd, usage)
		return 2
	}

	err = fn(ctx, e, rest)

	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(errOut, "o2c %s: %v\n", cmd, err)
		return 2
	case errors.Is(err, flag.ErrHelp):
		return 0
	default:
		fmt.Fprintf(errOut, "o2c %s: %v\n", cmd, err)
		return 1
	}
}

// commands are the commands of o2c by name. Each checks its command line, and
// prints its help on -h or --help, before it opens any database.
var commands = map[string]func(context.Context, *env, []string) error{
	"serve":      cmdServe,
	"demo":       cmdDemo,
	"ingest":     cmdIngest,
	"inspect":    cmdInspect,
	"reconcile":  cmdReconcile,
	"bench":      cmdBench,
	"sync":       cmdSync,
	"exceptions": cmdExceptions,
	"poison":     cmdPoison,
	"migrate":    cmdMigrate,
	"backtest":   cmdBacktest,
	"rules":      cmdRules,
	"users":      cmdUsers,
}

// isHelp reports whether arg, in the place of a subcommand, asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}

	return false
}

// help prints a command's usage and returns flag.ErrHelp, which exits 0.
func (e *env) help(usage string) error {
	fmt.Fprintln(e.errOut, usage)
	return flag.ErrHelp
}

// flagSet returns a command's flag set; -h prints usage and the flags.
func flagSet(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.errOut)
	fs.Usage = func() {
		fmt.Fprintln(e.errOut, usage)
		fs.PrintDefaults()
	}

	return fs
}

// usageError is a command line the command cannot run.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func newLogger(l config.Log, w io.Writer) *slog.Logger {
	return slog.New(l.Handler(w))
}

// open connects to the database (embedded by default) and migrates it.
func (e *env) open(ctx context.Context) (*service.Service, error) {
	return service.Open(ctx, service.Options{
		DatabaseURL: e.cfg.Database.URL.Value(),
		DataDir:     e.cfg.Database.DataDir,
		Logger:      e.logger,
	})
}
