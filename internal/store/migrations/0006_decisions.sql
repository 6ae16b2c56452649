-- The matching engine's record of how it decided each payment: the scored
-- candidates with their features, the rule and rules version, the runner-up and
-- the margin, and the sentence shown to ops.
ALTER TABLE payments ADD COLUMN decision jsonb;
