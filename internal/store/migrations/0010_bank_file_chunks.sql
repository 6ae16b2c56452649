-- Bank files are stored in chunks of at most 1 MiB, so that neither receiving
-- nor reading a large file needs it whole in memory. Files received before keep
-- their bytes in bank_files.raw.
ALTER TABLE bank_files ALTER COLUMN raw DROP NOT NULL;

CREATE TABLE bank_file_chunks (
    file_id  bigint NOT NULL REFERENCES bank_files (id) ON DELETE CASCADE,
    n        integer NOT NULL,
    data     bytea NOT NULL,
    PRIMARY KEY (file_id, n)
);
