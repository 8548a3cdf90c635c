-- burrow schema, version 1. Times are milliseconds since the epoch (UTC).

CREATE TABLE groups (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  parent_id  TEXT REFERENCES groups(id),
  created_at INTEGER NOT NULL,
  UNIQUE (parent_id, name)
);

CREATE TABLE users (
  id              TEXT PRIMARY KEY,
  email           TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash   TEXT NOT NULL,
  -- AES-256-GCM sealed under the server key file; NULL until TOTP is enrolled.
  totp_secret_enc TEXT,
  totp_confirmed  INTEGER NOT NULL DEFAULT 0,
  -- Highest TOTP time step accepted, so a code is never accepted twice.
  totp_last_step  INTEGER NOT NULL DEFAULT 0,
  disabled        INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL
);

CREATE TABLE grants (
  user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  group_id TEXT NOT NULL REFERENCES groups(id),
  role     TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  PRIMARY KEY (user_id, group_id)
);

CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  scope        TEXT NOT NULL CHECK (scope IN ('read', 'operate', 'admin')),
  kind         TEXT NOT NULL CHECK (kind IN ('api', 'cli')),
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);

CREATE TABLE enroll_tokens (
  id           TEXT PRIMARY KEY,
  token_hash   TEXT NOT NULL UNIQUE,
  group_id     TEXT NOT NULL REFERENCES groups(id),
  max_uses     INTEGER NOT NULL,
  uses         INTEGER NOT NULL DEFAULT 0,
  auto_approve INTEGER NOT NULL DEFAULT 0,
  created_by   TEXT REFERENCES users(id),
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  revoked_at   INTEGER
);

CREATE TABLE nodes (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  group_id      TEXT NOT NULL REFERENCES groups(id),
  public_key    TEXT NOT NULL UNIQUE,
  status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'revoked')),
  mode          TEXT NOT NULL DEFAULT 'always-on' CHECK (mode IN ('always-on', 'on-demand')),
  services      TEXT NOT NULL DEFAULT '[]',
  agent_version TEXT,
  enrolled_by   TEXT REFERENCES enroll_tokens(id),
  created_at    INTEGER NOT NULL,
  last_seen_at  INTEGER
);
CREATE INDEX nodes_group ON nodes(group_id);

CREATE TABLE sessions (
  id           TEXT PRIMARY KEY,
  node_id      TEXT NOT NULL REFERENCES nodes(id),
  user_id      TEXT REFERENCES users(id),
  service      TEXT NOT NULL,
  port         INTEGER NOT NULL,
  source_ip    TEXT NOT NULL,
  opened_at    INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  closed_at    INTEGER,
  close_reason TEXT,
  bytes_up     INTEGER NOT NULL DEFAULT 0,
  bytes_down   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_open ON sessions(closed_at);

-- Append-only, hash-chained: each row's hash covers its fields and the previous hash.
CREATE TABLE audit_log (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  source_ip  TEXT,
  action     TEXT NOT NULL,
  target     TEXT,
  result     TEXT NOT NULL CHECK (result IN ('ok', 'denied', 'failed')),
  detail     TEXT NOT NULL DEFAULT '{}',
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);
CREATE INDEX audit_action ON audit_log(action);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
