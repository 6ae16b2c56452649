package csvfile

import (
	"fmt"
	"io"
	"strings"

	"github.com/o2c-dev/o2c/internal/billing"
)

// CustomerColumns are the columns of customers.csv, in their usual order.
var CustomerColumns = []string{"customer_id", "name", "bank_account", "aliases"}

// ReadCustomers reads a customers.csv file named name (the name is used in errors
// only). Every bad row is reported in the returned error, which joins one
// *RowError per problem; customers are returned only when there is none. Customer
// ids must be unique and names present. Bank accounts must be IBANs with a valid
// check number or routing:account pairs of digits; IBANs are returned in compact
// upper-case form.
func ReadCustomers(name string, r io.Reader) ([]billing.Customer, error) {
	t, err := openTable(name, r, CustomerColumns)
	if err != nil {
		return nil, err
	}

	var out []billing.Customer
	seen := make(map[string]int)
	for {
		ok, err := t.next()
		if err != nil {
			return nil, err
		}

		if !ok {
			break
		}

		before := len(t.errs) + t.more
		c := billing.Customer{Aliases: splitList(t.get("aliases"))}
		c.ID, _ = t.required("customer_id")
		c.Name, _ = t.required("name")
		for _, a := range splitList(t.get("bank_account")) {
			acct, err := checkAccount(a)
			if err != nil {
				t.fail(t.line, "bank_account", a, err)
				continue
			}

			c.BankAccounts = append(c.BankAccounts, acct)
		}

		if first, dup := seen[c.ID]; dup && c.ID != "" {
			t.fail(t.line, "customer_id", c.ID,
				fmt.Errorf("%w customer id %q, first on line %d", ErrDuplicate, c.ID, first))
			continue
		}

		if len(t.errs)+t.more != before {
			continue
		}

		seen[c.ID] = t.line
		out = append(out, c)
	}

	if err := t.err(); err != nil {
		return nil, err
	}

	return out, nil
}

// splitList splits a ';'-separated list, trimming items and dropping empty and
// repeated ones.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}

	var out []string
	for _, item := range strings.Split(s, ";") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}

		dup := false
		for _, o := range out {
			dup = dup || o == item
		}

		if !dup {
			out = append(out, item)
		}
	}

	return out
}

// checkAccount validates a bank account: a routing:account pair of digits
// (spaces and dashes allowed), or an IBAN whose check digits are right. It
// returns the account as stored: the pair as given, the IBAN compact and upper
// case.
func checkAccount(s string) (string, error) {
	if routing, account, ok := strings.Cut(s, ":"); ok {
		r, a := stripSeparators(routing), stripSeparators(account)
		if r == "" || a == "" || !allDigits(r) || !allDigits(a) {
			return "", fmt.Errorf("%w %q, want routing:account in digits", ErrAccount, s)
		}

		return strings.TrimSpace(routing) + ":" + strings.TrimSpace(account), nil
	}

	iban := strings.ToUpper(stripSeparators(s))
	if !validIBAN(iban) {
		return "", fmt.Errorf("%w %q, not a valid IBAN or routing:account", ErrAccount, s)
	}

	return iban, nil
}

// separators are what stripSeparators removes; a Replacer is costly to build
// and safe to share.
var separators = strings.NewReplacer(" ", "", "-", "")

func stripSeparators(s string) string {
	return separators.Replace(strings.TrimSpace(s))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}

	return true
}

// validIBAN checks an IBAN's shape (country letters, check digits, 11 to 30
// letters or digits) and its ISO 13616 mod-97 check.
func validIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}

	for i := 0; i < len(s); i++ {
		c := s[i]
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		switch {
		case i < 2 && !letter, i >= 2 && i < 4 && !digit, !letter && !digit:
			return false
		}
	}

	rem := 0
	for _, c := range s[4:] + s[:4] {
		if c >= 'A' && c <= 'Z' {
			rem = (rem*100 + int(c-'A'+10)) % 97
		} else {
			rem = (rem*10 + int(c-'0')) % 97
		}
	}

	return rem == 1
}
