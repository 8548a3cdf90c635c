-- The signed manifest of a job (its text, byte for byte as signed); jobs.signature now signs it.
ALTER TABLE jobs ADD COLUMN manifest TEXT;
