-- Alerts: per-group rules and channels, the state that deduplicates them, and a delivery log.

-- Where alerts go. config is JSON (webhook: url; email: host, port, starttls, from, to, user, ca);
-- secret is the webhook's signing secret or the SMTP password, sealed with the server's key.
CREATE TABLE alert_channels (
  id         TEXT PRIMARY KEY,
  group_id   TEXT NOT NULL REFERENCES groups(id),
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('webhook', 'email')),
  config     TEXT NOT NULL,
  secret     TEXT,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (group_id, name)
);

-- What raises an alert; params is JSON per kind, channels a JSON array of channel ids.
CREATE TABLE alert_rules (
  id         TEXT PRIMARY KEY,
  group_id   TEXT NOT NULL REFERENCES groups(id),
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL,
  params     TEXT NOT NULL,
  channels   TEXT NOT NULL,
  quiet_ms   INTEGER NOT NULL,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (group_id, name)
);

-- One row per alert key (rule, subject): whether an incident is open, whether it was
-- announced, and when the key last sent anything (the quiet period counts from there).
CREATE TABLE alert_incidents (
  rule_id      TEXT NOT NULL,
  subject      TEXT NOT NULL,
  open         INTEGER NOT NULL,
  notified     INTEGER NOT NULL,
  opened_at    INTEGER NOT NULL,
  last_sent_at INTEGER,
  PRIMARY KEY (rule_id, subject)
);

-- Every alert sent to every channel, with how its delivery went.
CREATE TABLE alert_deliveries (
  id         TEXT PRIMARY KEY,
  group_id   TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  rule_id    TEXT,
  event      TEXT NOT NULL,
  subject    TEXT,
  summary    TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts   INTEGER NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX alert_deliveries_group ON alert_deliveries(group_id, created_at);

-- How far the alert engine has read the audit log and the status history.
CREATE TABLE alert_cursors (
  name     TEXT PRIMARY KEY,
  position INTEGER NOT NULL
);
