-- The queue sorts by amount within each currency (amounts in different
-- currencies do not compare): currency, amount_minor, id. This index reads that
-- order for the working statuses, with or without a currency filter, and carries
-- the columns the queue filters on, as the other queue indexes do (0015). It
-- replaces the index on amount alone, which served the order without currency.
CREATE INDEX exceptions_queue_currency_amount ON exceptions (status, currency, amount_minor, id)
    INCLUDE (reason, customer_id, assignee, created_at);
DROP INDEX exceptions_queue_amount;
