package store

import (
	"context"
	"fmt"

	"github.com/o2c-dev/o2c/internal/billing"
)

// UpsertCustomer inserts the customer or updates its name, and adds any bank
// accounts and aliases it carries (existing ones are kept). It reports whether the
// customer was new.
func UpsertCustomer(ctx context.Context, db DB, c billing.Customer, source string) (bool, error) {
	var inserted bool

	err := db.QueryRow(ctx, `INSERT INTO customers (id, name, parent_id, source)
		VALUES ($1, $2, NULLIF($3, ''), $4)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,
			parent_id = COALESCE(EXCLUDED.parent_id, customers.parent_id), updated_at = now()
		RETURNING (xmax = 0)`, c.ID, c.Name, c.ParentID, source).Scan(&inserted)
	if err != nil {
		return false, fmt.Errorf("upsert customer %s: %w", c.ID, err)
	}

	for _, a := range c.BankAccounts {
		if a == "" {
			continue
		}

		_, err := db.Exec(ctx, `INSERT INTO customer_accounts (account, customer_id)
			VALUES ($1, $2) ON CONFLICT (account) DO NOTHING`, a, c.ID)
		if err != nil {
			return false, fmt.Errorf("add account of customer %s: %w", c.ID, err)
		}
	}

	for _, a := range c.Aliases {
		if a == "" {
			continue
		}

		_, err := db.Exec(ctx, `INSERT INTO customer_aliases (customer_id, alias)
			VALUES ($1, $2) ON CONFLICT DO NOTHING`, c.ID, a)
		if err != nil {
			return false, fmt.Errorf("add alias of customer %s: %w", c.ID, err)
		}
	}

	return inserted, nil
}

// Customers returns every customer with its bank accounts, aliases and approved
// reference formats, by id.
func Customers(ctx context.Context, db DB) ([]billing.Customer, error) {
	formats, err := CustomerRefFormats(ctx, db)
	if err != nil {
		return nil, err
	}

	rows, err := db.Query(ctx, `SELECT c.id, c.name, COALESCE(c.parent_id, ''),
			COALESCE((SELECT array_agg(account ORDER BY account) FROM customer_accounts a
				WHERE a.customer_id = c.id), '{}'),
			COALESCE((SELECT array_agg(alias ORDER BY alias) FROM customer_aliases l
				WHERE l.customer_id = c.id), '{}')
		FROM customers c ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("query customers: %w", err)
	}
	defer rows.Close()

	var out []billing.Customer
	for rows.Next() {
		var c billing.Customer
		if err := rows.Scan(&c.ID, &c.Name, &c.ParentID, &c.BankAccounts, &c.Aliases); err != nil {
			return nil, fmt.Errorf("scan customer: %w", err)
		}

		c.RefFormats = formats[c.ID]

		out = append(out, c)
	}

	return out, rows.Err()
}
