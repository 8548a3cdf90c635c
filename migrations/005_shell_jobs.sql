-- Shell recordings, and jobs (commands, file pushes, software updates) queued per node.

-- Whether terminal sessions on the group's nodes are recorded (admins may switch it off).
ALTER TABLE groups ADD COLUMN record_shell INTEGER NOT NULL DEFAULT 1;

-- One terminal session's transcript (asciinema v2 file under the server home).
CREATE TABLE recordings (
  id         TEXT PRIMARY KEY,
  node_id    TEXT NOT NULL REFERENCES nodes(id),
  group_id   TEXT NOT NULL,
  user_id    TEXT REFERENCES users(id),
  started_at INTEGER NOT NULL,
  ended_at   INTEGER,
  bytes      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX recordings_node ON recordings(node_id);

CREATE TABLE jobs (
  id                  TEXT PRIMARY KEY,
  kind                TEXT NOT NULL CHECK (kind IN ('command', 'push', 'update')),
  -- The command; for an update, its install command.
  command             TEXT,
  -- push: target path and mode; update: the file name.
  path                TEXT,
  mode                INTEGER,
  payload             BLOB,
  sha256              TEXT,
  signature           TEXT,
  timeout_ms          INTEGER NOT NULL,
  stop_after_failures INTEGER,
  created_by          TEXT REFERENCES users(id),
  group_id            TEXT NOT NULL,
  created_at          INTEGER NOT NULL,
  expires_at          INTEGER NOT NULL
);

CREATE TABLE job_targets (
  job_id      TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  node_id     TEXT NOT NULL REFERENCES nodes(id),
  status      TEXT NOT NULL CHECK (status IN ('pending', 'running', 'ok', 'failed', 'expired', 'cancelled')),
  exit_code   INTEGER,
  stdout      TEXT NOT NULL DEFAULT '',
  stderr      TEXT NOT NULL DEFAULT '',
  error       TEXT,
  started_at  INTEGER,
  finished_at INTEGER,
  PRIMARY KEY (job_id, node_id)
);
CREATE INDEX job_targets_pending ON job_targets(node_id, status);
