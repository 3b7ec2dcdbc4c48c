-- publish: a plan's group is a foreign key of chat_groups. "No group" (a
-- plan by tag) is NULL, no longer 0, and a group that still has plans
-- cannot be deleted: deleting a group removes its plans in the same
-- transaction (internal/ops). Plans left behind by a group deleted before
-- this migration go, with their queues (ON DELETE CASCADE). The SQLite file
-- rebuilds the tables instead.
DELETE FROM plans WHERE group_id <> 0 AND group_id NOT IN (SELECT id FROM chat_groups);
ALTER TABLE plans ALTER COLUMN group_id DROP NOT NULL;
ALTER TABLE plans ALTER COLUMN group_id DROP DEFAULT;
UPDATE plans SET group_id = NULL WHERE group_id = 0;
ALTER TABLE plans ADD CONSTRAINT plans_group_id_fkey FOREIGN KEY (group_id) REFERENCES chat_groups (id);
CREATE INDEX plans_group ON plans (group_id);
