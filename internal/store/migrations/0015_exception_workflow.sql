-- The exception workflow: what ops decide besides applying cash, the comments
-- and second-person approvals around it, the views each user saves of the
-- queue, and the indexes that keep the queue fast with many open exceptions.

-- A parked exception is now named for where the money went: on account. A
-- refund or a return to the payer is pending until the bank moves the money; a
-- remainder merged back into the exception it was split from is superseded.
ALTER TABLE exceptions DROP CONSTRAINT exceptions_status_check;
UPDATE exceptions SET status = 'on_account' WHERE status = 'parked';
ALTER TABLE exceptions ADD CONSTRAINT exceptions_status_check
    CHECK (status IN ('open', 'resolved', 'on_account', 'refund_pending', 'return_pending',
                      'superseded'));

ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('new', 'applied', 'partly_applied', 'exception', 'on_account',
                      'not_cash', 'returned', 'refund_pending', 'return_pending'));

-- The customer the payment is from ('' while unknown), copied from the payment
-- so the queue can filter and sort on it by index. Matching opens an exception
-- before it records who paid, in the same transaction, so the copy is taken at
-- commit by a deferred trigger; ops' actions keep it up to date afterwards.
ALTER TABLE exceptions ADD COLUMN customer_id text NOT NULL DEFAULT '';

UPDATE exceptions e SET customer_id = p.customer_id
FROM payments p WHERE p.id = e.payment_id AND p.customer_id IS NOT NULL;

CREATE FUNCTION exceptions_take_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE exceptions e SET customer_id = p.customer_id
    FROM payments p
    WHERE e.id = NEW.id AND p.id = e.payment_id AND e.customer_id = ''
        AND p.customer_id IS NOT NULL;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER exceptions_customer AFTER INSERT ON exceptions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION exceptions_take_customer();

-- The exception this one holds the rest of, after ops applied part of it.
ALTER TABLE exceptions ADD COLUMN parent_id bigint REFERENCES exceptions (id);
CREATE INDEX exceptions_parent ON exceptions (parent_id) WHERE parent_id IS NOT NULL;

-- One index per way the queue is sorted, plus one for "my queue", each led by
-- the status every listing names, so a page is read in index order and stops at
-- its limit. Each carries every column the queue filters on, so a filter is
-- checked in the index without reading the rows it refuses.
DROP INDEX exceptions_status;
CREATE INDEX exceptions_queue_age ON exceptions (status, created_at, id)
    INCLUDE (reason, currency, amount_minor, customer_id, assignee);
CREATE INDEX exceptions_queue_amount ON exceptions (status, amount_minor, id)
    INCLUDE (reason, currency, customer_id, assignee, created_at);
CREATE INDEX exceptions_queue_customer ON exceptions (status, customer_id, created_at, id)
    INCLUDE (reason, currency, amount_minor, assignee);
CREATE INDEX exceptions_queue_reason ON exceptions (status, reason, created_at, id)
    INCLUDE (currency, amount_minor, customer_id, assignee);
CREATE INDEX exceptions_queue_assignee ON exceptions (status, assignee, created_at, id)
    INCLUDE (reason, currency, amount_minor, customer_id);

-- A reopened exception's applications stay, reversed, as history; the payment
-- may be applied to the same invoice again.
ALTER TABLE applications DROP CONSTRAINT applications_payment_id_invoice_number_key;
CREATE UNIQUE INDEX applications_standing ON applications (payment_id, invoice_number)
    WHERE reversed_at IS NULL;

CREATE TABLE exception_comments (
    id            bigserial PRIMARY KEY,
    exception_id  bigint NOT NULL REFERENCES exceptions (id),
    author        text NOT NULL,
    body          text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX exception_comments_exception ON exception_comments (exception_id, id);

-- A write-off above the approval limit waits for a second person. request is
-- the action as asked, replayed when approved.
CREATE TABLE exception_approvals (
    id             bigserial PRIMARY KEY,
    exception_id   bigint NOT NULL REFERENCES exceptions (id),
    kind           text NOT NULL CHECK (kind IN ('writeoff')),
    request        jsonb NOT NULL,
    amount_minor   bigint NOT NULL CHECK (amount_minor > 0),
    currency       char(3) NOT NULL,
    limit_minor    bigint NOT NULL,
    note           text NOT NULL DEFAULT '',
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    requested_by   text NOT NULL,
    requested_at   timestamptz NOT NULL DEFAULT now(),
    decided_by     text NOT NULL DEFAULT '',
    decided_at     timestamptz,
    decision_note  text NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX exception_approvals_one_pending ON exception_approvals (exception_id)
    WHERE status = 'pending';
CREATE INDEX exception_approvals_exception ON exception_approvals (exception_id, id);
CREATE INDEX exception_approvals_status ON exception_approvals (status, id);

-- A user's saved queue views: a name and the queue's query string.
CREATE TABLE exception_views (
    id          bigserial PRIMARY KEY,
    owner       text NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    query       text NOT NULL CHECK (length(query) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner, name)
);
