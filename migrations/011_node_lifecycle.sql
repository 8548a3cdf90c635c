-- Node lifecycle: labels (a JSON object of key=value pairs) and deletion. A deleted node
-- keeps its row, so its key stays refused for good and audit entries still name it; it
-- leaves every listing and frees its name.
ALTER TABLE nodes ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
ALTER TABLE nodes ADD COLUMN deleted_at INTEGER;
