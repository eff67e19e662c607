-- The period figures (community figures, tasks, assessment, staffing) read
-- only the records a window of one filed column holds, each from an index:
-- created in the period (community_records_newest), a workflow step taken
-- since it began, due before an instant, or of a day in it. A community
-- day is filed under its `date` (lost and found property under the day it
-- was lost or found), a ledger entry under its last step; the
-- rows of the registers that have either, written before these columns,
-- are filed again at start.
ALTER TABLE community_records ADD COLUMN day TEXT;
ALTER TABLE community_records ADD COLUMN stepped_at BIGINT;
CREATE INDEX community_records_day ON community_records (agency_id, kind, day) WHERE day IS NOT NULL;
CREATE INDEX community_records_stepped ON community_records (agency_id, kind, stepped_at) WHERE stepped_at IS NOT NULL;
CREATE INDEX community_records_due ON community_records (agency_id, kind, overdue_after) WHERE overdue_after IS NOT NULL;
UPDATE community_records SET filed = 0 WHERE doc LIKE '%"steps":[{%' OR kind IN ('community_day', 'lost_property', 'found_item');
