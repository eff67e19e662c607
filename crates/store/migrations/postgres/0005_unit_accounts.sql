-- A field terminal's account belongs to one unit (role `unit`): it sees that
-- unit's orders and incidents and reports for it, nothing else.
ALTER TABLE users ADD COLUMN unit_id TEXT;
