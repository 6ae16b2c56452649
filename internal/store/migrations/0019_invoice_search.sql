-- Searching invoices (GET /api/invoices, the invoices page) by what a payer's
-- remittance may carry: the start of an invoice number, customer id, customer
-- name or PO number, or the end of an invoice or PO number ("1001" finds
-- INV-1001), ignoring case. pg_trgm is not assumed to be installed, so the
-- search matches prefixes and suffixes, which plain btree indexes serve:
-- text_pattern_ops indexes on the lower-cased text answer LIKE 'abc%', the same
-- on the reversed text answer suffixes.
CREATE INDEX invoices_number_prefix ON invoices (lower(number) text_pattern_ops);
CREATE INDEX invoices_number_suffix ON invoices (reverse(lower(number)) text_pattern_ops);
CREATE INDEX invoices_customer_id_prefix ON invoices (lower(customer_id) text_pattern_ops);
CREATE INDEX invoices_customer_name_prefix ON invoices
    (lower(customer_name) text_pattern_ops);
-- Not partial (WHERE po_number <> ''): ANALYZE keeps statistics of a plain
-- expression index, without which the planner guesses that a PO number matches
-- thousands of rows and walks a whole ordered index instead.
CREATE INDEX invoices_po_prefix ON invoices (lower(po_number) text_pattern_ops);
CREATE INDEX invoices_po_suffix ON invoices (reverse(lower(po_number)) text_pattern_ops);

-- The search's orders, read page by page (keyset): open invoices by due date
-- (the default) and by open amount, which also serves an exact open amount or a
-- range; every invoice by due date; a customer's invoices by due date. The
-- number order is the primary key's.
CREATE INDEX invoices_open_due ON invoices (due_date, number) WHERE status = 'open';
CREATE INDEX invoices_open_amount ON invoices (open_minor, number) WHERE status = 'open';
CREATE INDEX invoices_due ON invoices (due_date, number);
CREATE INDEX invoices_customer_due ON invoices (customer_id, due_date, number);
