-- A job target whose node asks a person on site to approve the job: since when it waits
-- (NULL when it does not). Its status stays 'running' (claimed) for existing readers; the
-- API, CLI and console show it as waiting for approval on site.
ALTER TABLE job_targets ADD COLUMN approval_waiting_since INTEGER;
