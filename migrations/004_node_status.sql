-- Health reports nodes send over the status channel; the store keeps a bounded history.
CREATE TABLE node_status (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  node_id TEXT NOT NULL REFERENCES nodes(id),
  at      INTEGER NOT NULL,
  report  TEXT NOT NULL
);
CREATE INDEX node_status_node ON node_status(node_id, id);

-- When an on-demand node said it will connect next (null: always-on or unknown).
ALTER TABLE nodes ADD COLUMN next_check_in_at INTEGER;
-- A mode proposed from the API (JSON), applied by the node at its next connection.
ALTER TABLE nodes ADD COLUMN proposed_mode TEXT;
-- A rotated key the node registered over its tunnel; it replaces public_key (which is
-- then refused) the first time the node signs in with it.
ALTER TABLE nodes ADD COLUMN next_public_key TEXT;

-- Sessions requested while an on-demand node was away; opened when it checks in.
CREATE TABLE session_requests (
  id           TEXT PRIMARY KEY,
  node_id      TEXT NOT NULL REFERENCES nodes(id),
  user_id      TEXT NOT NULL REFERENCES users(id),
  service      TEXT NOT NULL,
  source_ip    TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('queued', 'opened', 'cancelled', 'expired', 'failed')),
  session_id   TEXT REFERENCES sessions(id),
  reason       TEXT,
  updated_at   INTEGER
);
CREATE INDEX session_requests_node ON session_requests(node_id, state);
