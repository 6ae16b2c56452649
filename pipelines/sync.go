package pipelines

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/store"
)

// CRM is what the CRM pull needs: won deals changed since an opaque cursor, with
// their companies, and the cursor to pass next time.
type CRM interface {
	PullWonDeals(ctx context.Context, cursor string) (deals []billing.Deal,
		customers []billing.Customer, next string, err error)
}

// crmCursor names the stored cursor of the CRM pull.
const crmCursor = "crm.won_deals"

// SyncCRM pulls won deals from the CRM and stores them with their companies (and
// the companies' parents, which the matching engine accepts as payers of their
// subsidiaries' invoices) and the new cursor in one transaction, announcing the new
// deals in the same transaction. A crash before the commit leaves the cursor where it
// was, so the next run pulls the same deals again and finds them known.
func SyncCRM(ctx context.Context, pool *pgxpool.Pool, crm CRM) (map[string]int, error) {
	cursor, err := store.Cursor(ctx, pool, crmCursor)
	if err != nil {
		return nil, err
	}

	deals, customers, next, err := crm.PullWonDeals(ctx, cursor)
	if err != nil {
		return nil, fmt.Errorf("pull crm deals: %w", err)
	}

	counts := map[string]int{"deals_pulled": len(deals)}

	err = store.InTx(ctx, pool, func(tx pgx.Tx) error {
		counts["customers_new"], counts["deals_new"] = 0, 0

		for _, c := range customers {
			isNew, err := store.UpsertCustomer(ctx, tx, c, "crm")
			if err != nil {
				return err
			}

			if !isNew {
				continue
			}

			counts["customers_new"]++

			after := map[string]string{"name": c.Name}
			if c.ParentID != "" {
				after["parent_id"] = c.ParentID
			}

			err = store.Audit(ctx, tx, "crm", "pull", "customer", c.ID, nil, after)
			if err != nil {
				return err
			}
		}

		var fresh []string
		for _, d := range deals {
			isNew, err := store.UpsertDeal(ctx, tx, d)
			if err != nil {
				return err
			}

			if !isNew {
				continue
			}

			counts["deals_new"]++
			fresh = append(fresh, d.CRMID)

			err = store.Audit(ctx, tx, "crm", "pull", "deal", d.CRMID, nil,
				map[string]any{"amount_minor": d.Amount.Minor, "currency": d.Amount.Currency,
					"company_id": d.CompanyID, "po_number": d.PONumber})
			if err != nil {
				return err
			}
		}

		if err := store.SetCursor(ctx, tx, crmCursor, next); err != nil {
			return err
		}

		if len(fresh) == 0 {
			return nil
		}

		return Publish(ctx, tx, TopicDealsWon, DealsWon{DealIDs: fresh})
	})
	if err != nil {
		return nil, fmt.Errorf("store crm deals: %w", err)
	}

	return counts, nil
}

// RefreshERP reads the ERP's open invoices into o2c: new ones are added, known
// ones take the ERP's amount due (less what o2c applied and has not yet recorded),
// and invoices the ERP no longer lists as open are closed. It also queues again
// the invoices and applications still waiting for the ERP, so nothing stays
// stuck after an outage.
func RefreshERP(ctx context.Context, pool *pgxpool.Pool, erp ERP) (map[string]int, error) {
	started, err := store.DatabaseNow(ctx, pool)
	if err != nil {
		return nil, err
	}

	open, err := erp.OpenInvoices(ctx)
	if err != nil {
		return nil, fmt.Errorf("read erp open invoices: %w", err)
	}

	counts := map[string]int{"open_in_erp": len(open)}

	err = store.InTx(ctx, pool, func(tx pgx.Tx) error {
		counts["invoices_new"] = 0

		ids := make([]string, 0, len(open))
		for _, inv := range open {
			_, err := store.UpsertCustomer(ctx, tx, billing.Customer{
				ID: inv.CustomerID, Name: inv.CustomerName}, "erp")
			if err != nil {
				return err
			}

			created, err := store.SyncERPListing(ctx, tx, inv, started)
			if err != nil {
				return err
			}

			if created {
				counts["invoices_new"]++
			}

			ids = append(ids, inv.ERPID)
		}

		closed, err := store.CloseInvoicesNotOpenInERP(ctx, tx, ids, started)
		if err != nil {
			return err
		}

		counts["invoices_closed"] = int(closed)

		return requeueWaiting(ctx, tx, counts)
	})
	if err != nil {
		return nil, fmt.Errorf("store erp invoices: %w", err)
	}

	return counts, nil
}

// requeueWaiting publishes again the invoices still to push and the applications
// still to record that are older than a minute.
func requeueWaiting(ctx context.Context, tx pgx.Tx, counts map[string]int) error {
	var numbers []string

	err := tx.QueryRow(ctx, `SELECT COALESCE(array_agg(number ORDER BY number), '{}')
		FROM invoices WHERE status = 'requested' AND updated_at < now() - interval '1 minute'`).
		Scan(&numbers)
	if err != nil {
		return fmt.Errorf("find invoices to push: %w", err)
	}

	var apps []int64

	err = tx.QueryRow(ctx, `SELECT COALESCE(array_agg(id ORDER BY id), '{}') FROM applications
		WHERE erp_state = 'pending' AND created_at < now() - interval '1 minute'`).Scan(&apps)
	if err != nil {
		return fmt.Errorf("find applications to record: %w", err)
	}

	counts["invoices_requeued"], counts["applications_requeued"] = len(numbers), len(apps)

	if len(numbers) > 0 {
		err := Publish(ctx, tx, TopicInvoicesRequested, InvoicesRequested{Numbers: numbers})
		if err != nil {
			return err
		}
	}

	if len(apps) > 0 {
		return Publish(ctx, tx, TopicCashApplied, CashApplied{ApplicationIDs: apps})
	}

	return nil
}
