-- Condition monitoring (src/node/conditions/): the rules administrators define per node,
-- the states nodes report (operator's and administrators' rules alike), and a bounded
-- history of their changes. Values are JSON numbers as text (no float type both engines share).

-- An administrator's rule (spec: JSON), delivered to the node over its status channel.
CREATE TABLE node_conditions (
  node_id    TEXT NOT NULL REFERENCES nodes(id),
  name       TEXT NOT NULL,
  spec       TEXT NOT NULL,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (node_id, name)
);

-- The state the node last reported for each of its rules.
CREATE TABLE node_condition_states (
  node_id     TEXT NOT NULL REFERENCES nodes(id),
  origin      TEXT NOT NULL CHECK (origin IN ('operator', 'admin')),
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('ok', 'firing', 'error', 'refused')),
  value       TEXT,
  since       INTEGER NOT NULL,
  detail      TEXT NOT NULL,
  reported_at INTEGER NOT NULL,
  PRIMARY KEY (node_id, origin, name)
);
CREATE INDEX node_condition_states_reported ON node_condition_states(reported_at);

-- Each change of a rule's state, as the server received it; trimmed per node.
CREATE TABLE node_condition_history (
  id      TEXT PRIMARY KEY,
  node_id TEXT NOT NULL REFERENCES nodes(id),
  origin  TEXT NOT NULL,
  name    TEXT NOT NULL,
  state   TEXT NOT NULL,
  value   TEXT,
  detail  TEXT NOT NULL,
  at      INTEGER NOT NULL
);
CREATE INDEX node_condition_history_node ON node_condition_history(node_id, at);
