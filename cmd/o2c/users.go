package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/term"

	"github.com/o2c-dev/o2c/internal/auth"
)

const usersUsage = `usage: o2c users add NAME --role admin|treasury|ops|viewer [--password-stdin]
       o2c users list
       o2c users disable|enable NAME
       o2c users role NAME ROLE
       o2c users password NAME [--password-stdin]
       o2c users token NAME [--label TEXT] [--expires-in-days N]
(each takes --as WHO, the actor recorded in the audit log; default cli)`

// stdin is where --password-stdin reads; a variable for tests.
var stdin io.Reader = os.Stdin

// stdinTerminal reports whether stdin is a terminal to prompt on; a variable for tests.
var stdinTerminal = func() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

func cmdUsers(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{usersUsage}
	}

	if isHelp(args[0]) {
		return e.help(usersUsage)
	}

	fs := flagSet(e, "users "+args[0], usersUsage)

	as := fs.String("as", "cli", "who acts, for the audit log")
	role := fs.String("role", "", "role of the new user")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	label := fs.String("label", "", "what the token is for")
	days := fs.Int("expires-in-days", 0, "token lifetime in days; 0: until revoked")

	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}

	want := map[string]int{"add": 1, "list": 0, "disable": 1, "enable": 1, "role": 2,
		"password": 1, "token": 1}
	if n, ok := want[args[0]]; !ok || n != len(pos) {
		return usageError{usersUsage}
	}

	// Check what can be checked before opening the database, which may take a while.
	switch args[0] {
	case "add":
		_, err = auth.ParseRole(*role)
	case "role":
		_, err = auth.ParseRole(pos[1])
	}

	if err != nil {
		return err
	}

	var password string
	if args[0] == "add" || args[0] == "password" {
		if password, err = readPassword(e, *fromStdin); err != nil {
			return err
		}

		if err := auth.CheckPassword(password); err != nil {
			return err
		}
	}

	svc, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer svc.Close(ctx)

	a := auth.New(svc.Pool, authConfig(e))

	switch args[0] {
	case "add":
		u, err := a.AddUser(ctx, *as, pos[0], auth.Role(*role), password)
		if err != nil {
			return err
		}

		fmt.Fprintf(e.out, "added %s (%s)\n", u.Name, u.Role)
	case "list":
		return listUsers(ctx, e, a)
	case "disable":
		return a.Disable(ctx, *as, pos[0])
	case "enable":
		return a.Enable(ctx, *as, pos[0])
	case "role":
		return a.SetRole(ctx, *as, pos[0], auth.Role(pos[1]))
	case "password":
		return a.SetPassword(ctx, *as, pos[0], password)
	case "token":
		if *days < 0 {
			return usageError{"--expires-in-days must not be negative"}
		}

		_, secret, err := a.CreateToken(ctx, *as, pos[0], *label,
			time.Duration(*days)*24*time.Hour)
		if err != nil {
			return err
		}

		fmt.Fprintln(e.errOut, "API token for "+pos[0]+" (shown once; send it as "+
			"Authorization: Bearer <token>):")
		fmt.Fprintln(e.out, secret)
	}

	return nil
}

// parseInterleaved parses flags placed before, between or after the positional
// arguments, which it returns.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string

	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}

		if fs.NArg() == 0 {
			return pos, nil
		}

		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// readPassword reads one line from stdin with --password-stdin, or else prompts twice
// on the terminal without echo. A password is never taken from the command line,
// where other users of the machine could see it.
func readPassword(e *env, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && (!errors.Is(err, io.EOF) || line == "") {
			return "", fmt.Errorf("read password: %w", err)
		}

		return strings.TrimRight(line, "\r\n"), nil
	}

	if !stdinTerminal() {
		return "", usageError{"no terminal to ask for the password on: pipe it in with " +
			"--password-stdin"}
	}

	fd := int(os.Stdin.Fd())

	fmt.Fprint(e.errOut, "Password: ")
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(e.errOut)

	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}

	fmt.Fprint(e.errOut, "Password again: ")
	second, err := term.ReadPassword(fd)
	fmt.Fprintln(e.errOut)

	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}

	if string(first) != string(second) {
		return "", errors.New("read password: the two passwords differ")
	}

	return string(first), nil
}

func listUsers(ctx context.Context, e *env, a *auth.Service) error {
	users, err := a.Users(ctx)
	if err != nil {
		return err
	}

	tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tSTATUS\tCREATED")

	for _, u := range users {
		status := "enabled"
		if u.Disabled {
			status = "disabled"
		}

		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, status,
			u.CreatedAt.UTC().Format(time.RFC3339))
	}

	return tw.Flush()
}

// authConfig maps the auth settings to the auth package's configuration.
func authConfig(e *env) auth.Config {
	c := e.cfg.Auth

	return auth.Config{
		CookieSecure: c.CookieSecure, LegacyToken: e.cfg.HTTP.Token.Value(), Logger: e.logger,
		LoginWindow: c.LoginWindow, MaxFailures: c.LoginMaxFailures,
		MaxFailuresPerIP: c.LoginMaxFailuresIP, SessionIdle: c.SessionIdle,
		SessionMax: c.SessionMax,
	}
}

// startAuth returns the auth service o2c serve uses, after creating the configured
// first admin when no enabled admin exists.
func startAuth(ctx context.Context, e *env, pool *pgxpool.Pool) (*auth.Service, error) {
	a := auth.New(pool, authConfig(e))

	if name := e.cfg.Auth.BootstrapAdmin; name != "" {
		created, err := a.Bootstrap(ctx, name, e.cfg.Auth.BootstrapPassword.Value())
		if err != nil {
			return nil, err
		}

		if created {
			e.logger.InfoContext(ctx, "Created the first admin", "user", name)
		}
	}

	ok, err := a.HasAdmin(ctx)
	if err != nil {
		return nil, err
	}

	if !ok {
		e.logger.WarnContext(ctx, "No admin can log in: add one with "+
			"o2c users add NAME --role admin, or set auth.bootstrap_admin")
	}

	if e.cfg.HTTP.Token != "" {
		e.logger.WarnContext(ctx, "http.token is deprecated: it acts as the built-in admin "+
			"api; give each script a user and an API token (o2c users token NAME)")
	}

	return a, nil
}
