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
