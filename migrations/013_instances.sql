-- Several server instances on one store (issue #20): each registers itself and heartbeats;
-- the instance holding a node's tunnel records the node's route, so any instance can reach it.

-- One server instance (its id is kept in the instance-id file of its home). `live` while it
-- heartbeats; `stopped` after a clean shutdown; `dead` once a survivor saw its heartbeat stop.
CREATE TABLE instances (
  id           TEXT PRIMARY KEY,
  -- Where other instances reach it over the peer link (https://host:port); none without one.
  peer_url     TEXT,
  started_at   INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('live', 'dead', 'stopped'))
);

-- Which instance holds each online node's tunnel, with what the node offers there.
CREATE TABLE node_routes (
  node_id      TEXT PRIMARY KEY REFERENCES nodes(id),
  instance_id  TEXT NOT NULL REFERENCES instances(id),
  -- JSON array of the service names the node announced.
  services     TEXT NOT NULL DEFAULT '[]',
  -- JSON object: service name -> how its WebUI expects to be spoken to (as the agent declared).
  targets      TEXT NOT NULL DEFAULT '{}',
  connected_at INTEGER NOT NULL,
  remote_ip    TEXT NOT NULL
);
CREATE INDEX node_routes_instance ON node_routes(instance_id);

-- The instance that serves a session (binds its port) and that runs a job target: the
-- start-up sweeps of a restarting instance touch only its own. NULL: from before instances.
ALTER TABLE sessions ADD COLUMN instance_id TEXT;
ALTER TABLE job_targets ADD COLUMN instance_id TEXT;
CREATE INDEX sessions_instance_open ON sessions(instance_id, closed_at);
CREATE INDEX job_targets_instance ON job_targets(instance_id, status);
