-- Matching walks a file's payments by (file_id, seq) and changes only columns no
-- index covers, so PostgreSQL can update them in place (HOT). The partial index on
-- status = 'new' forced a full index update of every matched payment and filled
-- with dead entries on large files; the (file_id, seq) index serves the walk.
DROP INDEX payments_new;

ALTER TABLE payments SET (fillfactor = 80);
