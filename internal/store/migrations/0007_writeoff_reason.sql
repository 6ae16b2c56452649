-- Why a difference was written off (rounding, bank_fee), as the engine or ops
-- decided it.
ALTER TABLE applications ADD COLUMN writeoff_reason text NOT NULL DEFAULT '';
