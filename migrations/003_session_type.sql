-- Sessions are 'http' (browser, one-time token then cookie) or 'tcp' (raw, source address only).
ALTER TABLE sessions ADD COLUMN type TEXT NOT NULL DEFAULT 'http' CHECK (type IN ('http', 'tcp'));
