-- Audit entries carry a MAC under a key kept outside the database (audit-mac.key in the
-- server home), the actor's email and the object's type. Rows written before this
-- migration keep mac NULL and verify by their hash chain alone; the first sealed entry
-- (and every signed checkpoint's macFrom) marks where sealing started.
ALTER TABLE audit_log ADD COLUMN mac TEXT;
ALTER TABLE audit_log ADD COLUMN actor_email TEXT;
ALTER TABLE audit_log ADD COLUMN object_type TEXT;
