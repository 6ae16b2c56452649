// Package learning makes o2c better from what ops do. When an exception is
// resolved, Learn records what generalises: the payer's bank account and name as
// a learned account and alias of the customer the payment went to (the matching
// engine reads them with the other accounts and aliases next time), and how the
// remittance wrote the invoice numbers. Patterns resolved the same way often
// enough become rule proposals with their historical precision, which ops approve
// or reject. Backtest re-runs the current matching rules over resolved history
// and reports precision and recall per rule.
package learning

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/store"
)

// DefaultMinSupport is how many resolutions of one pattern to one customer make a
// proposal, when Options.MinSupport is not set.
const DefaultMinSupport = 3

// Reference formats: how a payer wrote the invoice numbers it paid, keys of
// store.ObserveRefFormat observations. A prefix other than the invoice's is
// written FormatPrefix + the letters, such as "prefix:IN". FormatDigits and
// FormatPrefix formats are proposed once they reach the support and, approved,
// read by the matching engine (matching.RefFormatDigits, RefFormatPrefix).
const (
	FormatFull   = "full"                   // the invoice number as issued (separators aside)
	FormatDigits = matching.RefFormatDigits // the number's digits alone, without its prefix
	FormatPrefix = matching.RefFormatPrefix // the digits behind another prefix
	FormatAbsent = "absent"                 // no reference to the invoice at all
)

// Options tune learning. The zero value uses the defaults.
type Options struct {
	// MinSupport is how many resolutions of one pattern to one customer make a
	// proposal; 0 means DefaultMinSupport.
	MinSupport int
}

func (o Options) minSupport() int {
	if o.MinSupport < 1 {
		return DefaultMinSupport
	}

	return o.MinSupport
}

// Resolution is a closed exception as Learn needs it.
type Resolution struct {
	ExceptionID int64
	Payment     store.PaymentRow
	// CustomerID is the customer ops named (parking for an unknown payer) or the
	// one matching identified; used when no invoice was applied.
	CustomerID   string
	Applications []store.Application
	Actor        string
}

// Learned is what Learn found and did.
type Learned struct {
	// CustomerID is the one customer the payment went to, "" when it went to
	// invoices of several customers or to none.
	CustomerID string   `json:"customer_id,omitempty"`
	Account    string   `json:"account,omitempty"` // learned bank account
	Alias      string   `json:"alias,omitempty"`   // learned alias
	Formats    []string `json:"formats,omitempty"` // reference formats observed
	// Conflict is the proposal opened because the payer's account belongs to
	// another customer; 0 when none.
	Conflict  int64   `json:"conflict,omitempty"`
	Proposals []int64 `json:"proposals,omitempty"` // proposals created or refreshed
}

// Learn records what a resolution teaches, on db (the resolution's transaction):
// the observations, a learned account and alias for the customer when the
// payment went to one customer, a conflict proposal instead of taking an account
// another customer holds, and proposals for patterns that reached the support.
// Every change is audited.
func Learn(ctx context.Context, db store.DB, opts Options, r Resolution) (Learned, error) {
	var out Learned

	target, err := targetCustomer(ctx, db, r)
	if err != nil {
		return out, err
	}

	out.CustomerID = target

	customers, err := store.Customers(ctx, db)
	if err != nil {
		return out, err
	}

	p := r.Payment
	acct := matching.NormalizeAccount(p.Tx.PayerAccount)
	name := matching.NormalizeName(p.Tx.PayerName)

	var obs []store.Observation
	if name != "" {
		obs = append(obs, observation(r, store.ObservePayerName, name, target))
	}

	if acct != "" {
		obs = append(obs, observation(r, store.ObservePayerAccount, acct, target))
	}

	if target != "" && len(r.Applications) > 0 {
		out.Formats = formats(p, r.Applications)
		for _, f := range out.Formats {
			obs = append(obs, observation(r, store.ObserveRefFormat, f, target))
		}
	}

	if err := store.RecordObservations(ctx, db, obs); err != nil {
		return out, err
	}

	if target == "" {
		return out, refresh(ctx, db, obs)
	}

	owner, err := learnAccount(ctx, db, r, customers, target, acct, &out)
	if err != nil {
		return out, err
	}

	// A payer its account already identified as the customer taught nothing new
	// about its name or account, only how it writes the invoice numbers.
	if owner != target {
		if err := learnAlias(ctx, db, r, customers, target, name, &out); err != nil {
			return out, err
		}
	}

	for _, o := range obs {
		if owner == target && o.Kind != store.ObserveRefFormat {
			continue
		}

		id, err := propose(ctx, db, opts, r.Actor, o, p.Tx.PayerName)
		if err != nil {
			return out, err
		}

		if id != 0 {
			out.Proposals = append(out.Proposals, id)
		}
	}

	return out, refresh(ctx, db, obs)
}

// refresh recounts the proposals the observations bear on, so a pattern resolved
// another way loses precision.
func refresh(ctx context.Context, db store.DB, obs []store.Observation) error {
	for _, o := range obs {
		if err := store.RefreshProposals(ctx, db, o.Kind, o.Key, o.CustomerID); err != nil {
			return err
		}
	}

	return nil
}

func observation(r Resolution, kind, key, customer string) store.Observation {
	return store.Observation{ExceptionID: r.ExceptionID, PaymentID: r.Payment.ID, Kind: kind,
		Key: key, CustomerID: customer}
}

// targetCustomer is the one customer whose invoices the resolution applied, or
// the customer named for parking when nothing was applied.
func targetCustomer(ctx context.Context, db store.DB, r Resolution) (string, error) {
	if len(r.Applications) == 0 {
		return r.CustomerID, nil
	}

	numbers := make([]string, len(r.Applications))
	for i, a := range r.Applications {
		numbers[i] = a.InvoiceNumber
	}

	custs, err := store.InvoiceCustomers(ctx, db, numbers)
	if err != nil {
		return "", err
	}

	if len(custs) != 1 {
		return "", nil
	}

	return custs[0], nil
}

// learnAccount adds the payer's account to the target customer, or opens a
// conflict proposal when another customer holds it. It returns the customer that
// held the account before, "" when none did.
func learnAccount(ctx context.Context, db store.DB, r Resolution, customers []billing.Customer,
	target, acct string, out *Learned) (string, error) {
	if acct == "" {
		return "", nil
	}

	owner, held := "", ""
	for _, c := range customers {
		for _, a := range c.BankAccounts {
			if matching.NormalizeAccount(a) == acct {
				owner, held = c.ID, a
			}
		}
	}

	switch owner {
	case target:
		return owner, nil
	case "":
		added, err := store.AddCustomerAccount(ctx, db, target, acct, true)
		if err != nil || !added {
			return owner, err
		}

		out.Account = acct

		return owner, store.Audit(ctx, db, r.Actor, "learn_account", "customer", target, nil,
			map[string]any{"account": acct, "learned": true, "exception_id": r.ExceptionID,
				"payment_id": r.Payment.ID})
	}

	support, total, err := store.PatternCounts(ctx, db, store.ObservePayerAccount, acct, target)
	if err != nil {
		return owner, err
	}

	pattern, err := json.Marshal(map[string]string{"key": acct, "account": held,
		"held_by": owner})
	if err != nil {
		return owner, fmt.Errorf("encode pattern: %w", err)
	}

	p, created, err := store.UpsertProposal(ctx, db, store.Proposal{
		Kind: store.ProposalAccountConflict, PatternKey: acct, Pattern: pattern,
		CustomerID: target, Support: support, Occurrences: total,
		Precision: share(support, total), CreatedBy: r.Actor,
	})
	if err != nil {
		return owner, err
	}

	out.Conflict = p.ID
	if !created {
		return owner, nil
	}

	return owner, auditProposal(ctx, db, r.Actor, p)
}

// learnAlias adds the payer name as an alias of the target customer when no
// customer goes by that name yet.
func learnAlias(ctx context.Context, db store.DB, r Resolution, customers []billing.Customer,
	target, name string, out *Learned) error {
	if name == "" {
		return nil
	}

	for _, c := range customers {
		if matching.NormalizeName(c.Name) == name {
			return nil
		}

		for _, a := range c.Aliases {
			if matching.NormalizeName(a) == name {
				return nil
			}
		}
	}

	alias := strings.TrimSpace(r.Payment.Tx.PayerName)

	added, err := store.AddCustomerAlias(ctx, db, target, alias, true)
	if err != nil || !added {
		return err
	}

	out.Alias = alias

	return store.Audit(ctx, db, r.Actor, "learn_alias", "customer", target, nil,
		map[string]any{"alias": alias, "learned": true, "exception_id": r.ExceptionID,
			"payment_id": r.Payment.ID})
}

// propose creates or refreshes the proposal for an observation once its support
// reaches the minimum, and returns its id (0 when there is none).
func propose(ctx context.Context, db store.DB, opts Options, actor string,
	o store.Observation, rawName string) (int64, error) {
	// Writing numbers in full needs no rule, and writing none gives the engine
	// nothing to read.
	if o.Kind == store.ObserveRefFormat && (o.Key == FormatFull || o.Key == FormatAbsent) {
		return 0, nil
	}

	support, total, err := store.PatternCounts(ctx, db, o.Kind, o.Key, o.CustomerID)
	if err != nil {
		return 0, err
	}

	if support < opts.minSupport() {
		return 0, nil
	}

	fields := map[string]string{"key": o.Key}
	switch o.Kind {
	case store.ObservePayerName:
		fields["name"] = strings.TrimSpace(rawName)
	case store.ObservePayerAccount:
		fields["account"] = o.Key
	case store.ObserveRefFormat:
		fields["format"] = o.Key
	}

	pattern, err := json.Marshal(fields)
	if err != nil {
		return 0, fmt.Errorf("encode pattern: %w", err)
	}

	p, created, err := store.UpsertProposal(ctx, db, store.Proposal{
		Kind: o.Kind, PatternKey: o.Key, Pattern: pattern, CustomerID: o.CustomerID,
		Support: support, Occurrences: total, Precision: share(support, total),
		CreatedBy: actor,
	})
	if err != nil {
		return 0, err
	}

	if !created {
		return p.ID, nil
	}

	return p.ID, auditProposal(ctx, db, actor, p)
}

func auditProposal(ctx context.Context, db store.DB, actor string, p store.Proposal) error {
	return store.Audit(ctx, db, actor, "propose", "rule_proposal", strconv.FormatInt(p.ID, 10),
		nil, map[string]any{"kind": p.Kind, "pattern": p.Pattern, "customer_id": p.CustomerID,
			"support": p.Support, "occurrences": p.Occurrences, "precision": p.Precision})
}

// share is support/total, 0 when there were no occurrences.
func share(support, total int) float64 {
	if total == 0 {
		return 0
	}

	return float64(support) / float64(total)
}

// formats returns the distinct reference formats the payment used for the
// invoices it was applied to, sorted.
func formats(p store.PaymentRow, apps []store.Application) []string {
	var refs []string
	for _, text := range []string{p.Tx.Remittance, p.Tx.PaymentRef, p.Tx.EndToEndID} {
		refs = append(refs, matching.ExtractRefs(text)...)
	}

	for _, r := range p.Tx.Remits {
		if n := matching.NormalizeRef(r.Ref); n != "" {
			refs = append(refs, n)
		}
	}

	seen := map[string]bool{}
	var out []string

	for _, a := range apps {
		f := Format(a.InvoiceNumber, refs)
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}

	sort.Strings(out)

	return out
}

// Format classifies how refs (normalised with matching.NormalizeRef) wrote the
// invoice number: FormatFull, FormatDigits, FormatPrefix plus the letters used
// instead of the invoice's prefix, or FormatAbsent. The best reading wins.
func Format(invoice string, refs []string) string {
	norm := matching.NormalizeRef(invoice)
	_, digits := split(norm)
	best := FormatAbsent

	for _, r := range refs {
		if r == norm {
			return FormatFull
		}

		if digits == "" {
			continue
		}

		letters, d := split(r)
		switch {
		case d != digits:
		case letters == "":
			best = FormatDigits
		case best == FormatAbsent:
			best = FormatPrefix + letters
		}
	}

	return best
}

// split returns the letters before the first digit of a normalised reference and
// all its digits.
func split(ref string) (letters, digits string) {
	i := strings.IndexFunc(ref, func(r rune) bool { return r >= '0' && r <= '9' })
	if i < 0 {
		return ref, ""
	}

	var b strings.Builder
	for _, r := range ref[i:] {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}

	return ref[:i], b.String()
}
