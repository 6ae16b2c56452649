-- Learning from resolved exceptions. Every manual resolution leaves observations:
-- the payer name, the payer account and the way the remittance wrote the invoice
-- numbers, each with the customer the payment was resolved to (NULL when it went
-- to invoices of several customers). Patterns resolved the same way often enough
-- become rule proposals that ops approve or reject.

CREATE TABLE learning_observations (
    id           bigserial PRIMARY KEY,
    exception_id bigint REFERENCES exceptions (id),
    payment_id   bigint NOT NULL REFERENCES payments (id),
    kind         text NOT NULL CHECK (kind IN ('payer_name', 'payer_account', 'ref_format')),
    key          text NOT NULL,
    customer_id  text REFERENCES customers (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX learning_observations_key ON learning_observations (kind, key);
CREATE INDEX learning_observations_customer ON learning_observations (kind, customer_id);

CREATE TABLE rule_proposals (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL
                 CHECK (kind IN ('payer_name', 'payer_account', 'ref_format',
                                 'account_conflict')),
    pattern_key  text NOT NULL,
    pattern      jsonb NOT NULL,
    customer_id  text NOT NULL REFERENCES customers (id),
    support      integer NOT NULL,
    occurrences  integer NOT NULL,
    precision    double precision NOT NULL,
    status       text NOT NULL DEFAULT 'proposed'
                 CHECK (status IN ('proposed', 'approved', 'rejected')),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    decided_by   text NOT NULL DEFAULT '',
    decided_at   timestamptz,
    UNIQUE (kind, pattern_key, customer_id)
);

CREATE INDEX rule_proposals_status ON rule_proposals (status, id);
