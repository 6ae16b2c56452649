package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Observation kinds: what a manual resolution showed about a payer.
const (
	ObservePayerName    = "payer_name"    // key: the payer name, normalised
	ObservePayerAccount = "payer_account" // key: the payer account, normalised
	ObserveRefFormat    = "ref_format"    // key: how the remittance wrote the numbers
)

// ProposalAccountConflict is the kind of a proposal to move a bank account from
// the customer that holds it to the customer payments from it were resolved to.
const ProposalAccountConflict = "account_conflict"

// Proposal statuses.
const (
	ProposalProposed = "proposed"
	ProposalApproved = "approved"
	ProposalRejected = "rejected"
)

// Observation is one thing a manual resolution showed: a payer name, account or
// reference format, and the customer the payment went to ("" when several).
type Observation struct {
	ExceptionID int64
	PaymentID   int64
	Kind        string
	Key         string
	CustomerID  string
}

// RecordObservations stores observations.
func RecordObservations(ctx context.Context, db DB, obs []Observation) error {
	for _, o := range obs {
		var exc *int64
		if o.ExceptionID != 0 {
			exc = &o.ExceptionID
		}

		_, err := db.Exec(ctx, `INSERT INTO learning_observations (exception_id, payment_id,
				kind, key, customer_id)
			VALUES ($1, $2, $3, $4, NULLIF($5, ''))`,
			exc, o.PaymentID, o.Kind, o.Key, o.CustomerID)
		if err != nil {
			return fmt.Errorf("record observation: %w", err)
		}
	}

	return nil
}

// PatternCounts returns how often an observation of kind and key was resolved to
// customerID (support) and how often it occurred at all. For ObserveRefFormat the
// occurrences are the customer's observed formats, since a format is a habit of
// one customer rather than a pointer to one.
func PatternCounts(ctx context.Context, db DB, kind, key, customerID string) (support,
	occurrences int, err error) {
	q := `SELECT count(*) FILTER (WHERE customer_id = $3), count(*)
		FROM learning_observations WHERE kind = $1 AND key = $2`
	if kind == ObserveRefFormat {
		q = `SELECT count(*) FILTER (WHERE key = $2), count(*)
			FROM learning_observations WHERE kind = $1 AND customer_id = $3`
	}

	err = db.QueryRow(ctx, q, kind, key, customerID).Scan(&support, &occurrences)
	if err != nil {
		return 0, 0, fmt.Errorf("count observations: %w", err)
	}

	return support, occurrences, nil
}

// Proposal is a rule o2c proposes from patterns ops resolved the same way.
type Proposal struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"kind"`
	PatternKey  string          `json:"pattern_key"`
	Pattern     json.RawMessage `json:"pattern"`
	CustomerID  string          `json:"customer_id"`
	Support     int             `json:"support"`
	Occurrences int             `json:"occurrences"`
	Precision   float64         `json:"precision"`
	Status      string          `json:"status"`
	CreatedBy   string          `json:"created_by"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	DecidedBy   string          `json:"decided_by,omitempty"`
	DecidedAt   *time.Time      `json:"decided_at,omitempty"`
}

// UpsertProposal stores a proposal, or refreshes the support, occurrences and
// precision of the one with the same kind, pattern key and customer (its status
// is kept). It reports whether the proposal is new.
func UpsertProposal(ctx context.Context, db DB, p Proposal) (Proposal, bool, error) {
	var created bool

	err := db.QueryRow(ctx, `INSERT INTO rule_proposals (kind, pattern_key, pattern,
			customer_id, support, occurrences, precision, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (kind, pattern_key, customer_id) DO UPDATE SET
			support = EXCLUDED.support, occurrences = EXCLUDED.occurrences,
			precision = EXCLUDED.precision, updated_at = now()
		RETURNING id, status, created_at, updated_at, (xmax = 0)`,
		p.Kind, p.PatternKey, []byte(p.Pattern), p.CustomerID, p.Support, p.Occurrences,
		p.Precision, p.CreatedBy).Scan(&p.ID, &p.Status, &p.CreatedAt, &p.UpdatedAt, &created)
	if err != nil {
		return p, false, fmt.Errorf("store proposal: %w", err)
	}

	return p, created, nil
}

const proposalColumns = `id, kind, pattern_key, pattern, customer_id, support, occurrences,
	precision, status, created_by, created_at, updated_at, decided_by, decided_at`

func scanProposal(row pgx.Row) (Proposal, error) {
	var p Proposal
	var pattern []byte

	err := row.Scan(&p.ID, &p.Kind, &p.PatternKey, &pattern, &p.CustomerID, &p.Support,
		&p.Occurrences, &p.Precision, &p.Status, &p.CreatedBy, &p.CreatedAt, &p.UpdatedAt,
		&p.DecidedBy, &p.DecidedAt)
	p.Pattern = pattern

	return p, err
}

// Proposals lists proposals in the given status (all when ""), by id.
func Proposals(ctx context.Context, db DB, status string) ([]Proposal, error) {
	rows, err := db.Query(ctx, "SELECT "+proposalColumns+` FROM rule_proposals
		WHERE $1 = '' OR status = $1 ORDER BY id`, status)
	if err != nil {
		return nil, fmt.Errorf("query proposals: %w", err)
	}
	defer rows.Close()

	var out []Proposal
	for rows.Next() {
		p, err := scanProposal(rows)
		if err != nil {
			return nil, fmt.Errorf("scan proposal: %w", err)
		}

		out = append(out, p)
	}

	return out, rows.Err()
}

// GetProposal returns one proposal; with lock, the row is locked for the caller's
// transaction.
func GetProposal(ctx context.Context, db DB, id int64, lock bool) (Proposal, error) {
	q := "SELECT " + proposalColumns + " FROM rule_proposals WHERE id = $1"
	if lock {
		q += " FOR UPDATE"
	}

	p, err := scanProposal(db.QueryRow(ctx, q, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("proposal %d: %w", id, ErrNotFound)
	}

	if err != nil {
		return p, fmt.Errorf("read proposal %d: %w", id, err)
	}

	return p, nil
}

// DecideProposal sets a proposed proposal's status to approved or rejected; one
// already decided is refused with ErrConflict.
func DecideProposal(ctx context.Context, db DB, id int64, status, actor string) error {
	tag, err := db.Exec(ctx, `UPDATE rule_proposals SET status = $2, decided_by = $3,
			decided_at = now(), updated_at = now()
		WHERE id = $1 AND status = 'proposed'`, id, status, actor)
	if err != nil {
		return fmt.Errorf("decide proposal %d: %w", id, err)
	}

	if tag.RowsAffected() == 0 {
		return fmt.Errorf("decide proposal %d: %w", id, ErrConflict)
	}

	return nil
}

// AddCustomerAccount gives a customer a bank account, learned or confirmed. An
// account held by another customer is left alone and reported as not added; one
// the customer already holds gets its learned flag set to learned only when
// confirming (learned false).
func AddCustomerAccount(ctx context.Context, db DB, customerID, account string,
	learned bool) (bool, error) {
	tag, err := db.Exec(ctx, `INSERT INTO customer_accounts (account, customer_id, learned)
		VALUES ($1, $2, $3)
		ON CONFLICT (account) DO UPDATE SET learned = false
			WHERE customer_accounts.customer_id = EXCLUDED.customer_id AND NOT EXCLUDED.learned`,
		account, customerID, learned)
	if err != nil {
		return false, fmt.Errorf("add account of customer %s: %w", customerID, err)
	}

	return tag.RowsAffected() > 0, nil
}

// MoveCustomerAccount gives an account held by one customer to another, as a
// confirmed (not learned) account, and returns the customer that held it.
func MoveCustomerAccount(ctx context.Context, db DB, account, customerID string) (string,
	error) {
	var from string

	err := db.QueryRow(ctx, `UPDATE customer_accounts a SET customer_id = $2, learned = false
		FROM customer_accounts prev
		WHERE a.account = $1 AND prev.account = a.account
		RETURNING prev.customer_id`, account, customerID).Scan(&from)
	if errors.Is(err, pgx.ErrNoRows) {
		_, err = AddCustomerAccount(ctx, db, customerID, account, false)
		return "", err
	}

	if err != nil {
		return "", fmt.Errorf("move account to customer %s: %w", customerID, err)
	}

	return from, nil
}

// AddCustomerAlias gives a customer another name, learned or confirmed; an alias
// the customer has is confirmed when learned is false. It reports whether a row
// was added or changed.
func AddCustomerAlias(ctx context.Context, db DB, customerID, alias string,
	learned bool) (bool, error) {
	tag, err := db.Exec(ctx, `INSERT INTO customer_aliases (customer_id, alias, learned)
		VALUES ($1, $2, $3)
		ON CONFLICT (customer_id, alias) DO UPDATE SET learned = false
			WHERE customer_aliases.learned AND NOT EXCLUDED.learned`,
		customerID, alias, learned)
	if err != nil {
		return false, fmt.Errorf("add alias of customer %s: %w", customerID, err)
	}

	return tag.RowsAffected() > 0, nil
}

// InvoiceCustomers returns the distinct customers of the invoices, sorted.
func InvoiceCustomers(ctx context.Context, db DB, numbers []string) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT DISTINCT customer_id FROM invoices
		WHERE number = ANY($1) ORDER BY customer_id`, numbers)
	if err != nil {
		return nil, fmt.Errorf("query invoice customers: %w", err)
	}

	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("query invoice customers: %w", err)
	}

	return out, nil
}

// HistoryPayment is a payment whose outcome is settled, for a backtest.
type HistoryPayment struct {
	PaymentRow
	CreatedAt time.Time
}

// ResolvedPayments returns the incoming payments received since (all when zero)
// that are wholly settled: applied or put on account, with no open exception. In
// order of arrival.
func ResolvedPayments(ctx context.Context, db DB, since time.Time) ([]HistoryPayment, error) {
	rows, err := db.Query(ctx, `SELECT id, created_at FROM payments p
		WHERE direction = 'credit' AND status IN ('applied', 'on_account')
			AND created_at >= $1
			AND NOT EXISTS (SELECT 1 FROM exceptions e
				WHERE e.payment_id = p.id AND e.status = 'open')
		ORDER BY created_at, id`, since)
	if err != nil {
		return nil, fmt.Errorf("query resolved payments: %w", err)
	}

	type arrival struct {
		id int64
		at time.Time
	}

	var order []arrival
	for rows.Next() {
		var a arrival
		if err := rows.Scan(&a.id, &a.at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan resolved payment: %w", err)
		}

		order = append(order, a)
	}

	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query resolved payments: %w", err)
	}

	ids := make([]int64, len(order))
	for i, a := range order {
		ids[i] = a.id
	}

	ps, err := queryPayments(ctx, db, "WHERE id = ANY($1)", ids)
	if err != nil {
		return nil, err
	}

	byID := make(map[int64]PaymentRow, len(ps))
	for _, p := range ps {
		byID[p.ID] = p
	}

	out := make([]HistoryPayment, len(order))
	for i, a := range order {
		out[i] = HistoryPayment{PaymentRow: byID[a.id], CreatedAt: a.at}
	}

	return out, nil
}

// StandingApplications returns every application that was not reversed (no
// "reverse" entry for it in the audit log), in id order.
func StandingApplications(ctx context.Context, db DB) ([]Application, error) {
	return queryApplications(ctx, db, `WHERE NOT EXISTS (SELECT 1 FROM audit_log l
		WHERE l.entity = 'application' AND l.entity_id = applications.id::text
			AND l.action = 'reverse')
		ORDER BY id`)
}

// RefreshProposals recounts the support, occurrences and precision of every
// proposal an observation of kind and key for customerID bears on: for payer names
// and accounts, all proposals of that name or account whatever their customer;
// for reference formats, the customer's format proposals.
func RefreshProposals(ctx context.Context, db DB, kind, key, customerID string) error {
	where := `r.kind = $1 AND r.pattern_key = $2`
	counts := `SELECT count(*) FILTER (WHERE o.customer_id = r.customer_id), count(*)
		FROM learning_observations o WHERE o.kind = $1 AND o.key = r.pattern_key`

	switch kind {
	case ObserveRefFormat:
		where = `r.kind = $1 AND r.customer_id = $3 AND $2 <> ''`
		counts = `SELECT count(*) FILTER (WHERE o.key = r.pattern_key), count(*)
			FROM learning_observations o WHERE o.kind = $1 AND o.customer_id = r.customer_id`
	case ObservePayerAccount:
		where = `r.kind IN ($1, 'account_conflict') AND r.pattern_key = $2 AND $3 = $3`
	default:
		where += ` AND $3 = $3`
	}

	_, err := db.Exec(ctx, `UPDATE rule_proposals r SET (support, occurrences) = (`+counts+`),
			updated_at = now()
		WHERE `+where, kind, key, customerID)
	if err != nil {
		return fmt.Errorf("refresh proposals: %w", err)
	}

	_, err = db.Exec(ctx, `UPDATE rule_proposals r SET precision = CASE WHEN occurrences = 0
			THEN 0 ELSE support::float8 / occurrences END
		WHERE `+where, kind, key, customerID)
	if err != nil {
		return fmt.Errorf("refresh proposals: %w", err)
	}

	return nil
}
