-- The dashboard (package dashboard) reads its figures with SQL aggregates over a
-- period of days. These indexes let it read only the period's rows.

-- The day cash was received: the bank's booking date, else its value date, else
-- the day o2c stored the payment (UTC). Immutable, so it can be indexed.
CREATE FUNCTION cash_day(booking date, value date, stored timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN COALESCE(booking, value, (stored AT TIME ZONE 'UTC')::date);

-- Incoming cash by day. Only columns that never change after insert are keyed
-- or included (not status nor unapplied_minor), so matching's updates of a
-- payment stay HOT (see 0002).
CREATE INDEX payments_cash_day ON payments (cash_day(booking_date, value_date, created_at))
    INCLUDE (currency, amount_minor)
    WHERE direction = 'credit' AND kind = 'payment';

-- The planner keeps no statistics on a partial index's expression: these let it
-- count a period's payments right, and pick a hash aggregate over a sort.
CREATE STATISTICS payments_cash_day_stats ON (cash_day(booking_date, value_date, created_at))
    FROM payments;

-- What became of each payment: the cash of its standing applications by source,
-- read from the index alone. Neither column changes after insert, so the ERP
-- bookkeeping's updates of an application stay HOT.
CREATE INDEX applications_cash ON applications (payment_id) INCLUDE (source, amount_minor)
    WHERE reversed_at IS NULL;

-- Invoices pushed to the ERP and refused by it, by when: the audit log's entries
-- of each push, a small part of a large append-only table.
CREATE INDEX audit_log_invoice_pushes ON audit_log (at)
    INCLUDE (action, entity_id)
    WHERE entity = 'invoice' AND action IN ('pushed', 'push_failed');

-- Credit sales invoiced in a period, per currency, for days sales outstanding.
-- Neither column changes after insert.
CREATE INDEX invoices_currency_issue ON invoices (currency, issue_date);
