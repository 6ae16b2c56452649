-- What the invoice push needs to hand the ERP exactly what the CRM sold, and to
-- notice when the ERP makes something else of it.
--
-- exchange_rate: base-currency units per one unit of the deal's currency, as the
-- CRM gives it ("1.0850"); '' when the CRM gave none. base_currency: the CRM
-- company's home currency the rate converts into; '' when unknown.
ALTER TABLE deals
    ADD COLUMN exchange_rate text NOT NULL DEFAULT '',
    ADD COLUMN base_currency text NOT NULL DEFAULT '';

-- erp_total_minor: the total the ERP answered for the pushed invoice; NULL until
-- pushed. An invoice whose ERP total is not the CRM's total is 'sync_mismatch':
-- it is in the ERP (erp_id set) but is neither open for matching nor synced, and
-- push_error says by how much it differs.
ALTER TABLE invoices
    ADD COLUMN exchange_rate text NOT NULL DEFAULT '',
    ADD COLUMN base_currency text NOT NULL DEFAULT '',
    ADD COLUMN erp_total_minor bigint;

ALTER TABLE invoices DROP CONSTRAINT invoices_status_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_status_check
    CHECK (status IN ('requested', 'open', 'paid', 'failed', 'voided', 'sync_mismatch'));
