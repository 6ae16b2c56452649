-- o2c schema, version 1. Money is always bigint minor units with a char(3) ISO 4217 code.

CREATE TABLE customers (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    parent_id   text,
    source      text NOT NULL DEFAULT 'crm',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customer_accounts (
    account     text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id),
    learned     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX customer_accounts_customer ON customer_accounts (customer_id);

CREATE TABLE customer_aliases (
    customer_id text NOT NULL REFERENCES customers (id),
    alias       text NOT NULL,
    learned     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, alias)
);

CREATE TABLE deals (
    crm_id        text PRIMARY KEY,
    name          text NOT NULL,
    company_id    text NOT NULL REFERENCES customers (id),
    amount_minor  bigint NOT NULL,
    currency      char(3) NOT NULL,
    stage         text NOT NULL,
    close_date    date,
    last_modified timestamptz NOT NULL,
    line_items    jsonb NOT NULL DEFAULT '[]',
    pulled_at     timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE invoice_number_seq START 1;

CREATE TABLE invoices (
    number         text PRIMARY KEY,
    erp_id         text UNIQUE,
    deal_id        text UNIQUE REFERENCES deals (crm_id),
    customer_id    text NOT NULL REFERENCES customers (id),
    customer_name  text NOT NULL,
    currency       char(3) NOT NULL,
    total_minor    bigint NOT NULL CHECK (total_minor >= 0),
    open_minor     bigint NOT NULL CHECK (open_minor >= 0),
    issue_date     date NOT NULL,
    due_date       date NOT NULL,
    discount_bp    integer NOT NULL DEFAULT 0,
    discount_days  integer NOT NULL DEFAULT 0,
    po_number      text NOT NULL DEFAULT '',
    line_items     jsonb NOT NULL DEFAULT '[]',
    status         text NOT NULL DEFAULT 'requested'
                   CHECK (status IN ('requested', 'open', 'paid', 'failed', 'voided')),
    push_error     text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (open_minor <= total_minor)
);

CREATE INDEX invoices_customer ON invoices (customer_id) WHERE open_minor > 0;

CREATE TABLE bank_files (
    id             bigserial PRIMARY KEY,
    name           text NOT NULL,
    sha256         text NOT NULL UNIQUE,
    size_bytes     bigint NOT NULL,
    raw            bytea NOT NULL,
    format         text NOT NULL DEFAULT '',
    encoding       text NOT NULL DEFAULT '',
    status         text NOT NULL DEFAULT 'received'
                   CHECK (status IN ('received', 'ingested', 'matched', 'rejected')),
    error          text NOT NULL DEFAULT '',
    problems       jsonb NOT NULL DEFAULT '[]',
    warnings       jsonb NOT NULL DEFAULT '[]',
    controls       text NOT NULL DEFAULT '',
    transactions   integer NOT NULL DEFAULT 0,
    payments_new   integer NOT NULL DEFAULT 0,
    duplicates     integer NOT NULL DEFAULT 0,
    uploaded_by    text NOT NULL DEFAULT '',
    received_at    timestamptz NOT NULL DEFAULT now(),
    processed_at   timestamptz
);

CREATE TABLE payments (
    id             bigserial PRIMARY KEY,
    file_id        bigint NOT NULL REFERENCES bank_files (id),
    seq            integer NOT NULL,
    line           integer NOT NULL DEFAULT 0,
    account        text NOT NULL DEFAULT '',
    direction      text NOT NULL CHECK (direction IN ('credit', 'debit')),
    kind           text NOT NULL,
    amount_minor   bigint NOT NULL CHECK (amount_minor >= 0),
    currency       char(3) NOT NULL,
    booking_date   date,
    value_date     date,
    bank_ref       text NOT NULL DEFAULT '',
    end_to_end_id  text NOT NULL DEFAULT '',
    payment_ref    text NOT NULL DEFAULT '',
    payer_name     text NOT NULL DEFAULT '',
    payer_account  text NOT NULL DEFAULT '',
    payer_id       text NOT NULL DEFAULT '',
    remittance     text NOT NULL DEFAULT '',
    remits         jsonb NOT NULL DEFAULT '[]',
    return_code    text NOT NULL DEFAULT '',
    original_ref   text NOT NULL DEFAULT '',
    problem        text NOT NULL DEFAULT '',
    dedupe_key     text NOT NULL UNIQUE,
    customer_id    text,
    status         text NOT NULL DEFAULT 'new'
                   CHECK (status IN ('new', 'applied', 'partly_applied', 'exception',
                                     'on_account', 'not_cash')),
    unapplied_minor bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX payments_file ON payments (file_id, seq);
CREATE INDEX payments_new ON payments (file_id) WHERE status = 'new';

CREATE TABLE applications (
    id             bigserial PRIMARY KEY,
    payment_id     bigint NOT NULL REFERENCES payments (id),
    invoice_number text NOT NULL REFERENCES invoices (number),
    currency       char(3) NOT NULL,
    amount_minor   bigint NOT NULL CHECK (amount_minor >= 0),
    discount_minor bigint NOT NULL DEFAULT 0 CHECK (discount_minor >= 0),
    writeoff_minor bigint NOT NULL DEFAULT 0 CHECK (writeoff_minor >= 0),
    rule           text NOT NULL,
    rules_version  text NOT NULL,
    confidence     double precision NOT NULL,
    explanation    text NOT NULL,
    source         text NOT NULL CHECK (source IN ('auto', 'manual')),
    actor          text NOT NULL DEFAULT 'o2c',
    erp_state      text NOT NULL DEFAULT 'pending'
                   CHECK (erp_state IN ('pending', 'recorded', 'failed', 'skipped')),
    erp_payment_id text NOT NULL DEFAULT '',
    erp_error      text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (payment_id, invoice_number)
);

CREATE INDEX applications_pending ON applications (id) WHERE erp_state = 'pending';

CREATE TABLE exceptions (
    id            bigserial PRIMARY KEY,
    payment_id    bigint NOT NULL REFERENCES payments (id),
    reason        text NOT NULL,
    message       text NOT NULL,
    amount_minor  bigint NOT NULL,
    currency      char(3) NOT NULL,
    candidates    jsonb NOT NULL DEFAULT '[]',
    status        text NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'resolved', 'parked')),
    assignee      text NOT NULL DEFAULT '',
    resolution    jsonb,
    resolved_by   text NOT NULL DEFAULT '',
    resolved_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX exceptions_one_open ON exceptions (payment_id) WHERE status = 'open';
CREATE INDEX exceptions_status ON exceptions (status, created_at);

CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    action     text NOT NULL,
    entity     text NOT NULL,
    entity_id  text NOT NULL,
    before     jsonb,
    after      jsonb
);

CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE sync_cursors (
    name       text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cron_runs (
    job          text NOT NULL,
    scheduled_at timestamptz NOT NULL,
    runner       text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    counts       jsonb,
    error        text,
    PRIMARY KEY (job, scheduled_at)
);

CREATE TABLE poison_replays (
    message_uuid text PRIMARY KEY,
    topic        text NOT NULL,
    replayed_by  text NOT NULL,
    replayed_at  timestamptz NOT NULL DEFAULT now()
);
