-- Returns and reversals. A return (ACH R-code, camt RtrInf), a reversal (camt
-- RvslInd) or a recall of a payment that was applied undoes its applications: the
-- rows stay, marked reversed, so the original decision remains in history.

-- A returned payment's money went back; it is no longer cash to apply.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('new', 'applied', 'partly_applied', 'exception', 'on_account',
                      'not_cash', 'returned'));

-- On a return or reversal: the payment it undoes (when found) and when it was
-- handled. A handled one is never acted on twice.
ALTER TABLE payments ADD COLUMN reverses_payment_id bigint REFERENCES payments (id);
ALTER TABLE payments ADD COLUMN reversal_handled_at timestamptz;

-- Returns name their original by its bank reference or end-to-end id; only
-- incoming payments can be the original. Neither column changes after insert,
-- so matching's updates stay HOT.
CREATE INDEX payments_credit_bank_ref ON payments (bank_ref, currency, amount_minor)
    WHERE direction = 'credit' AND kind = 'payment' AND bank_ref <> '';
CREATE INDEX payments_credit_e2e ON payments (end_to_end_id, currency, amount_minor)
    WHERE direction = 'credit' AND kind = 'payment' AND end_to_end_id <> '';

ALTER TABLE applications ADD COLUMN reversed_at timestamptz;
ALTER TABLE applications ADD COLUMN reversed_by_payment_id bigint REFERENCES payments (id);
ALTER TABLE applications ADD COLUMN reversal_reason text NOT NULL DEFAULT '';

-- 'reversed': recorded in the ERP, then deleted there after a return.
ALTER TABLE applications DROP CONSTRAINT applications_erp_state_check;
ALTER TABLE applications ADD CONSTRAINT applications_erp_state_check
    CHECK (erp_state IN ('pending', 'recorded', 'failed', 'skipped', 'reversed'));

-- Reversed applications whose ERP payment is still to be deleted.
CREATE INDEX applications_to_unrecord ON applications (id)
    WHERE reversed_at IS NOT NULL AND erp_state = 'recorded';
