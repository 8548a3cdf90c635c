-- When a node last registered a rotated key: rotation is allowed at most once per interval
-- per node, so a hostile or broken agent cannot churn keys (and audit rows) in a loop.
ALTER TABLE nodes ADD COLUMN key_registered_at INTEGER;
