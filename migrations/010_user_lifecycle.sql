-- A deleted account stays as a tombstone: sessions, recordings, jobs and the audit trail
-- still name it. Its email is moved aside so the address can be given to a new account.
ALTER TABLE users ADD COLUMN deleted_at INTEGER;
