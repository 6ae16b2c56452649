-- When the ERP was told of an application, so that an ERP listing taken before
-- that moment is not mistaken for the current amount due.
ALTER TABLE applications ADD COLUMN erp_recorded_at timestamptz;
