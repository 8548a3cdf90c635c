-- Accounts: recovery codes, console sessions, login throttling, group settings,
-- and the group an audit entry belongs to (so a customer admin reads only its own).

CREATE TABLE recovery_codes (
  user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  used_at   INTEGER,
  PRIMARY KEY (user_id, code_hash)
);

-- Browser sign-ins. `stage` is 'totp' between the password and the TOTP step.
CREATE TABLE console_sessions (
  id_hash      TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  stage        TEXT NOT NULL CHECK (stage IN ('totp', 'full')),
  csrf_hash    TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions(user_id);

-- Browsers a user chose to remember (skip TOTP) where their group allows it.
CREATE TABLE remembered_browsers (
  token_hash TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL
);

-- Failed sign-ins per account ('user:<email>') and per source ('ip:<addr>').
CREATE TABLE login_throttle (
  key            TEXT PRIMARY KEY,
  failures       INTEGER NOT NULL,
  last_failure_at INTEGER NOT NULL,
  locked_until   INTEGER NOT NULL DEFAULT 0
);

-- Days a browser may be remembered for members of the group; 0 = never.
ALTER TABLE groups ADD COLUMN remember_browser_days INTEGER NOT NULL DEFAULT 0 CHECK (remember_browser_days BETWEEN 0 AND 30);

ALTER TABLE audit_log ADD COLUMN group_id TEXT;
CREATE INDEX audit_group ON audit_log(group_id);

ALTER TABLE api_tokens ADD COLUMN group_id TEXT REFERENCES groups(id);
