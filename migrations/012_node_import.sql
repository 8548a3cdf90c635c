-- Bulk registration (CSV import). An imported node is a row made before its agent exists:
-- its key is a placeholder no SSH key can match, and its services' targets (name -> target,
-- JSON) are kept so its agent receives them at enrollment and an export can write them back.
-- Its enrollment token is bound to it (node_id): enrolling with that token completes that
-- node and no other.
ALTER TABLE nodes ADD COLUMN service_targets TEXT NOT NULL DEFAULT '{}';
ALTER TABLE enroll_tokens ADD COLUMN node_id TEXT REFERENCES nodes(id);
