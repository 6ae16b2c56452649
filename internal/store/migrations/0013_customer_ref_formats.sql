-- Reference formats ops approved for a customer from a ref_format rule proposal:
-- 'digits' (the invoice number's digits alone) or 'prefix:' and letters (the
-- digits behind another prefix). The matching engine reads a reference in one of
-- them, from a payer identified as the customer, as the customer's own invoice of
-- that number. Rejecting the proposal again removes the row.

CREATE TABLE customer_ref_formats (
    customer_id  text NOT NULL REFERENCES customers (id),
    format       text NOT NULL
                 CHECK (format = 'digits' OR format ~ '^prefix:[^0-9:]+$'),
    proposal_id  bigint REFERENCES rule_proposals (id),
    approved_by  text NOT NULL,
    approved_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, format)
);
