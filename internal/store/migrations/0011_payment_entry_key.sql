-- The bank booking a payment belongs to, shared by files that report the same
-- booking at another granularity (a camt.053 batch entry, the camt.054 details
-- of that batch). Never updated, so payments keep their HOT updates.
ALTER TABLE payments ADD COLUMN entry_key text;

CREATE INDEX payments_entry_key ON payments (entry_key) WHERE entry_key IS NOT NULL;
