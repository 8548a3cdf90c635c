-- A password burrow made up for a new account is temporary: it expires, and the first
-- sign-in must replace it.
ALTER TABLE users ADD COLUMN password_expires_at INTEGER;
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
