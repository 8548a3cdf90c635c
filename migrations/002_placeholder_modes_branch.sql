-- Placeholder on the modes branch only: 002 and 003 belong to other branches, and the
-- loader refuses gaps, so 004 needs something here until they merge. Drop at merge.
SELECT 1;
