-- Data budgets for metered links: bytes through each node's tunnel per month, and the budget set on it.

-- Bytes through a node's tunnel in one calendar month (UTC, 'YYYY-MM'), as the server counted
-- them: in = from the node, out = to the node. Every instance adds its own increments.
CREATE TABLE node_traffic (
  node_id   TEXT NOT NULL,
  month     TEXT NOT NULL,
  bytes_in  INTEGER NOT NULL DEFAULT 0,
  bytes_out INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (node_id, month)
);

-- A node's monthly budget. over: what happens past 100 % (refuse new sessions, or throttle);
-- rate_bytes: the tunnel's rate (bytes/s) once the budget is spent; override_until: an
-- administrator's override lifts the limits until then; warned_month / exceeded_month: the
-- month whose 80 % / 100 % notice was written, so each is written once per month.
CREATE TABLE node_budgets (
  node_id        TEXT PRIMARY KEY,
  monthly_bytes  INTEGER NOT NULL,
  over           TEXT NOT NULL CHECK (over IN ('refuse', 'throttle')),
  rate_bytes     INTEGER NOT NULL,
  override_until INTEGER,
  warned_month   TEXT,
  exceeded_month TEXT,
  updated_at     INTEGER NOT NULL
);
