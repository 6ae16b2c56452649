package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/billing"
)

// Invoice statuses.
const (
	InvoiceRequested = "requested" // created in o2c, not yet accepted by the ERP
	InvoiceOpen      = "open"      // in the ERP and (partly) unpaid
	InvoicePaid      = "paid"      // nothing left open
	InvoiceFailed    = "failed"    // the ERP refused it; see push_error
	// InvoiceSyncMismatch is an invoice the ERP accepted with a total other
	// than the CRM's: it is in the ERP but neither synced nor open for
	// matching until a person has looked; see push_error.
	InvoiceSyncMismatch = "sync_mismatch"
	// InvoiceVoided is an invoice cancelled in the ERP; no path of o2c sets it
	// yet, but the schema allows it.
	InvoiceVoided = "voided"
)

// InvoiceRow is an invoice with o2c's own bookkeeping around it.
type InvoiceRow struct {
	billing.Invoice
	Status    string `json:"status"`
	PushError string `json:"push_error,omitempty"`
	// ERPTotal is the total the ERP answered when the invoice was pushed, in
	// minor units; nil until then (and for invoices pushed before o2c kept it).
	ERPTotal  *int64             `json:"erp_total_minor,omitempty"`
	Lines     []billing.LineItem `json:"line_items"`
	UpdatedAt time.Time          `json:"updated_at"`
}

// UpsertDeal stores a won deal pulled from the CRM. It reports whether the deal was
// new; a known deal has its fields refreshed. A PO number that reaches a known deal
// also fills in the PO number of the deal's invoice when that has none (a PO is often
// typed into the CRM after the deal was won); an invoice's PO number is never
// overwritten.
func UpsertDeal(ctx context.Context, db DB, d billing.Deal) (bool, error) {
	lines, err := json.Marshal(d.LineItems)
	if err != nil {
		return false, fmt.Errorf("encode line items of deal %s: %w", d.CRMID, err)
	}

	var inserted bool

	po := strings.TrimSpace(d.PONumber)

	err = db.QueryRow(ctx, `INSERT INTO deals (crm_id, name, company_id, amount_minor,
			currency, stage, close_date, last_modified, line_items, po_number,
			exchange_rate, base_currency)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (crm_id) DO UPDATE SET name = EXCLUDED.name,
			amount_minor = EXCLUDED.amount_minor, currency = EXCLUDED.currency,
			stage = EXCLUDED.stage, close_date = EXCLUDED.close_date,
			last_modified = EXCLUDED.last_modified, line_items = EXCLUDED.line_items,
			po_number = EXCLUDED.po_number, exchange_rate = EXCLUDED.exchange_rate,
			base_currency = EXCLUDED.base_currency
		RETURNING (xmax = 0)`,
		d.CRMID, d.Name, d.CompanyID, d.Amount.Minor, d.Amount.Currency, d.Stage,
		dateOrNil(d.CloseDate), d.LastModified, lines, po,
		strings.TrimSpace(d.ExchangeRate), strings.ToUpper(strings.TrimSpace(d.BaseCurrency)),
	).Scan(&inserted)
	if err != nil {
		return false, fmt.Errorf("upsert deal %s: %w", d.CRMID, err)
	}

	if !inserted && po != "" {
		_, err := db.Exec(ctx, `UPDATE invoices SET po_number = $2, updated_at = now()
			WHERE deal_id = $1 AND po_number = ''`, d.CRMID, po)
		if err != nil {
			return false, fmt.Errorf("set po number of deal %s invoice: %w", d.CRMID, err)
		}
	}

	return inserted, nil
}

// CreateInvoiceForDeal raises o2c's invoice for a won deal: it takes the next
// invoice number, copies the deal's amount, lines and PO number, and sets payment
// terms from
// terms (due days). A deal that already has an invoice gets no second one: the
// existing number is returned with created false.
func CreateInvoiceForDeal(ctx context.Context, db DB, dealID string, issue time.Time,
	dueDays int) (number string, created bool, err error) {
	err = db.QueryRow(ctx, "SELECT number FROM invoices WHERE deal_id = $1", dealID).Scan(&number)
	if err == nil {
		return number, false, nil
	}

	if !errors.Is(err, pgx.ErrNoRows) {
		return "", false, fmt.Errorf("look up invoice of deal %s: %w", dealID, err)
	}

	err = db.QueryRow(ctx, `INSERT INTO invoices (number, deal_id, customer_id, customer_name,
			currency, total_minor, open_minor, issue_date, due_date, line_items, po_number,
			exchange_rate, base_currency)
		SELECT 'INV-' || lpad(nextval('invoice_number_seq')::text, 6, '0'), d.crm_id,
			d.company_id, c.name, d.currency, d.amount_minor, d.amount_minor,
			$2::date, $2::date + $3::int, d.line_items, d.po_number, d.exchange_rate,
			d.base_currency
		FROM deals d JOIN customers c ON c.id = d.company_id
		WHERE d.crm_id = $1
		ON CONFLICT (deal_id) DO NOTHING
		RETURNING number`, dealID, issue, dueDays).Scan(&number)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, fmt.Errorf("create invoice of deal %s: %w", dealID, ErrNotFound)
	}

	if err != nil {
		return "", false, fmt.Errorf("create invoice of deal %s: %w", dealID, err)
	}

	return number, true, nil
}

const invoiceColumns = `number, COALESCE(erp_id, ''), COALESCE(deal_id, ''), customer_id,
	customer_name, currency, total_minor, open_minor, issue_date, due_date, discount_bp,
	discount_days, po_number, line_items, status, push_error, updated_at, exchange_rate,
	base_currency, erp_total_minor`

func scanInvoice(row pgx.Row) (InvoiceRow, error) {
	var r InvoiceRow
	var lines []byte

	err := row.Scan(&r.Number, &r.ERPID, &r.DealID, &r.CustomerID, &r.CustomerName,
		&r.Currency, &r.Total, &r.Open, &r.IssueDate, &r.DueDate, &r.DiscountBasisPoints,
		&r.DiscountDays, &r.PONumber, &lines, &r.Status, &r.PushError, &r.UpdatedAt,
		&r.ExchangeRate, &r.BaseCurrency, &r.ERPTotal)
	if err != nil {
		return r, err
	}

	if len(lines) > 0 {
		if err := json.Unmarshal(lines, &r.Lines); err != nil {
			return r, fmt.Errorf("decode line items of %s: %w", r.Number, err)
		}
	}

	return r, nil
}

// Invoice returns one invoice by number; ErrNotFound when there is none.
func Invoice(ctx context.Context, db DB, number string) (InvoiceRow, error) {
	r, err := scanInvoice(db.QueryRow(ctx,
		"SELECT "+invoiceColumns+" FROM invoices WHERE number = $1", number))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("invoice %s: %w", number, ErrNotFound)
	}

	if err != nil {
		return r, fmt.Errorf("read invoice %s: %w", number, err)
	}

	return r, nil
}

// Invoices returns invoices in the given statuses (all when none), by number.
func Invoices(ctx context.Context, db DB, statuses ...string) ([]InvoiceRow, error) {
	return queryInvoices(ctx, db, "WHERE COALESCE(cardinality($1::text[]), 0) = 0 "+
		"OR status = ANY($1)", statuses)
}

// InvoicesByNumber returns the invoices of numbers that exist, by number.
func InvoicesByNumber(ctx context.Context, db DB, numbers []string) ([]InvoiceRow, error) {
	return queryInvoices(ctx, db, "WHERE number = ANY($1)", numbers)
}

func queryInvoices(ctx context.Context, db DB, where string, arg []string) ([]InvoiceRow,
	error) {
	rows, err := db.Query(ctx, "SELECT "+invoiceColumns+" FROM invoices "+where+
		" ORDER BY number", arg)
	if err != nil {
		return nil, fmt.Errorf("query invoices: %w", err)
	}
	defer rows.Close()

	var out []InvoiceRow
	for rows.Next() {
		r, err := scanInvoice(rows)
		if err != nil {
			return nil, fmt.Errorf("scan invoice: %w", err)
		}

		out = append(out, r)
	}

	return out, rows.Err()
}

// InvoicesToMatch returns the invoices the matching engine should know: every
// invoice accepted by the ERP, open or paid (paid ones let the engine recognise a
// payment of an invoice already settled).
func InvoicesToMatch(ctx context.Context, db DB) ([]billing.Invoice, error) {
	rows, err := Invoices(ctx, db, InvoiceOpen, InvoicePaid)
	if err != nil {
		return nil, err
	}

	out := make([]billing.Invoice, len(rows))
	for i, r := range rows {
		out[i] = r.Invoice
	}

	return out, nil
}

// MarkInvoicePushed records the ERP's id for an invoice it accepted and opens it.
func MarkInvoicePushed(ctx context.Context, db DB, number, erpID string) error {
	_, err := db.Exec(ctx, `UPDATE invoices SET erp_id = $2, push_error = '',
			status = CASE WHEN open_minor = 0 THEN 'paid' ELSE 'open' END, updated_at = now()
		WHERE number = $1`, number, erpID)
	if err != nil {
		return fmt.Errorf("mark invoice %s pushed: %w", number, err)
	}

	return nil
}

// MarkInvoiceSyncMismatch records that the ERP accepted an invoice under erpID
// with a total (erpTotal, minor units) other than the CRM's: the invoice goes
// to InvoiceSyncMismatch with reason, neither open for matching nor pushed
// again.
func MarkInvoiceSyncMismatch(ctx context.Context, db DB, number, erpID string,
	erpTotal int64, reason string) error {
	_, err := db.Exec(ctx, `UPDATE invoices SET erp_id = NULLIF($2, ''),
			erp_total_minor = $3, status = 'sync_mismatch', push_error = $4,
			updated_at = now()
		WHERE number = $1`, number, erpID, erpTotal, reason)
	if err != nil {
		return fmt.Errorf("mark invoice %s sync mismatch: %w", number, err)
	}

	return nil
}

// MarkInvoiceFailed records that the ERP refused an invoice, with its reason.
func MarkInvoiceFailed(ctx context.Context, db DB, number, reason string) error {
	_, err := db.Exec(ctx, `UPDATE invoices SET status = 'failed', push_error = $2,
		updated_at = now() WHERE number = $1`, number, reason)
	if err != nil {
		return fmt.Errorf("mark invoice %s failed: %w", number, err)
	}

	return nil
}

// ErrOverApplied is returned when an application would take an invoice's open
// amount below zero.
var ErrOverApplied = errors.New("amount exceeds the invoice's open amount")

// ReduceOpen takes amount (cash plus discount plus write-off) off an invoice's open
// amount, refusing to go below zero, and returns the new open amount.
func ReduceOpen(ctx context.Context, db DB, number string, amount int64) (int64, error) {
	var open int64

	err := db.QueryRow(ctx, `UPDATE invoices SET open_minor = open_minor - $2,
			status = CASE WHEN open_minor - $2 = 0 THEN 'paid' ELSE status END,
			updated_at = now()
		WHERE number = $1 AND open_minor >= $2 AND status IN ('open', 'paid')
		RETURNING open_minor`, number, amount).Scan(&open)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("apply %d to invoice %s: %w", amount, number, ErrOverApplied)
	}

	if err != nil {
		return 0, fmt.Errorf("apply to invoice %s: %w", number, err)
	}

	return open, nil
}

// SyncERPInvoice brings an invoice the ERP shows now into o2c; see
// SyncERPListing.
func SyncERPInvoice(ctx context.Context, db DB, inv billing.Invoice) (bool, error) {
	return syncERPInvoice(ctx, db, inv, nil)
}

// SyncERPListing brings an invoice read from the ERP into o2c. A new one is
// inserted; a known one takes the ERP's PO number when the ERP shows one (unless it
// is the invoice's deal id, which older pushes sent in the same field), and gets its
// ERP id and its open amount set to the ERP's
// amount due less what o2c applied that the listing, taken at listedAt (database
// clock), could not show yet: cash applications still to be recorded or recorded
// since, and reversed ones the ERP still counts. Discounts and write-offs are
// never sent to the ERP, so they always come off its amount due.
func SyncERPListing(ctx context.Context, db DB, inv billing.Invoice,
	listedAt time.Time) (bool, error) {
	return syncERPInvoice(ctx, db, inv, &listedAt)
}

func syncERPInvoice(ctx context.Context, db DB, inv billing.Invoice,
	listedAt *time.Time) (created bool, err error) {
	var before *int64
	if err := db.QueryRow(ctx, "SELECT open_minor FROM invoices WHERE number = $1",
		inv.Number).Scan(&before); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("sync invoice %s: %w", inv.Number, err)
	}

	var after int64

	err = db.QueryRow(ctx, `INSERT INTO invoices (number, erp_id, customer_id, customer_name,
			currency, total_minor, open_minor, issue_date, due_date, discount_bp,
			discount_days, po_number, status)
		VALUES ($1, NULLIF($2, ''), $3, $4, $5, $6, $7::bigint, $8, $9, $10, $11, $12,
			CASE WHEN $7::bigint = 0 THEN 'paid' ELSE 'open' END)
		ON CONFLICT (number) DO UPDATE SET erp_id = EXCLUDED.erp_id,
			po_number = CASE WHEN EXCLUDED.po_number = ''
					OR EXCLUDED.po_number = invoices.deal_id
				THEN invoices.po_number ELSE EXCLUDED.po_number END,
			open_minor = LEAST(invoices.total_minor, GREATEST(0, EXCLUDED.open_minor - COALESCE((
				SELECT sum(CASE
					-- the ERP is told only of cash: discounts and write-offs stay o2c's
					WHEN a.reversed_at IS NULL THEN a.discount_minor + a.writeoff_minor
					ELSE 0 END + CASE
					-- cash applied in o2c, not yet visible in the listing: take it off
					WHEN a.reversed_at IS NULL
						AND (a.erp_state = 'pending' OR a.erp_recorded_at >= $13::timestamptz)
						THEN a.amount_minor
					-- reversed in o2c, still paid in the listing: give it back
					WHEN a.reversed_at IS NOT NULL AND a.erp_state = 'recorded'
						AND ($13::timestamptz IS NULL OR a.erp_recorded_at < $13::timestamptz)
						THEN -a.amount_minor
					ELSE 0 END)
				FROM applications a WHERE a.invoice_number = invoices.number), 0))),
			status = CASE WHEN invoices.status IN ('requested', 'failed', 'open', 'paid')
				THEN 'open' ELSE invoices.status END,
			updated_at = now()
		RETURNING (xmax = 0), open_minor`,
		inv.Number, inv.ERPID, inv.CustomerID, inv.CustomerName, inv.Currency, inv.Total,
		inv.Open, inv.IssueDate, inv.DueDate, inv.DiscountBasisPoints, inv.DiscountDays,
		inv.PONumber, listedAt).Scan(&created, &after)
	if err != nil {
		return false, fmt.Errorf("sync invoice %s: %w", inv.Number, err)
	}

	if before == nil || *before != after {
		var was any
		if before != nil {
			was = map[string]int64{"open_minor": *before}
		}

		err := Audit(ctx, db, "erp", "sync", "invoice", inv.Number, was,
			map[string]any{"open_minor": after, "erp_amount_due_minor": inv.Open})
		if err != nil {
			return false, err
		}
	}

	_, err = db.Exec(ctx, `UPDATE invoices SET status = 'paid'
		WHERE number = $1 AND open_minor = 0 AND status = 'open'`, inv.Number)
	if err != nil {
		return false, fmt.Errorf("sync invoice %s: %w", inv.Number, err)
	}

	return created, nil
}

// DatabaseNow returns the database's clock, the one timestamps in the store use.
func DatabaseNow(ctx context.Context, db DB) (time.Time, error) {
	var now time.Time
	if err := db.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&now); err != nil {
		return now, fmt.Errorf("read database clock: %w", err)
	}

	return now, nil
}

// CloseInvoicesNotOpenInERP marks as paid the invoices o2c holds as open with an
// ERP id that the ERP no longer lists as open (settled there), provided o2c has no
// unrecorded application on them. It returns how many it closed.
func CloseInvoicesNotOpenInERP(ctx context.Context, db DB, openERPIDs []string,
	before time.Time) (int64, error) {
	rows, err := db.Query(ctx, `UPDATE invoices SET open_minor = 0, status = 'paid',
			updated_at = now()
		WHERE status = 'open' AND erp_id IS NOT NULL AND NOT (erp_id = ANY($1))
			AND updated_at < $2
			AND NOT EXISTS (SELECT 1 FROM applications a
				WHERE a.invoice_number = invoices.number AND (a.erp_state = 'pending'
					OR a.reversed_at IS NOT NULL AND a.erp_state = 'recorded'))
		RETURNING number`,
		openERPIDs, before)
	if err != nil {
		return 0, fmt.Errorf("close invoices settled in the erp: %w", err)
	}

	var closed []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return 0, fmt.Errorf("close invoices settled in the erp: %w", err)
		}

		closed = append(closed, n)
	}

	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("close invoices settled in the erp: %w", err)
	}

	for _, n := range closed {
		err := Audit(ctx, db, "erp", "settled", "invoice", n, map[string]string{"status": "open"},
			map[string]any{"status": InvoicePaid, "open_minor": 0})
		if err != nil {
			return 0, err
		}
	}

	return int64(len(closed)), nil
}

func dateOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}

	return t
}
