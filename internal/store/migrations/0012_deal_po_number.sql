-- The customer's purchase-order number as the CRM records it on the deal; the
-- invoice raised for the deal copies it.
ALTER TABLE deals ADD COLUMN po_number text NOT NULL DEFAULT '';
