-- publish: a plan's group is a foreign key of chat_groups. "No group" (a
-- plan by tag) is NULL, no longer 0, and a group that still has plans
-- cannot be deleted: deleting a group removes its plans in the same
-- transaction (internal/ops). Plans left behind by a group deleted before
-- this migration go, with their queues. The PostgreSQL file alters the
-- column; SQLite cannot add a foreign key to a table, so plans is rebuilt,
-- and plan_queue with it: it refers to plans, and dropping the old plans
-- table would delete the queue by its ON DELETE CASCADE.
DELETE FROM plans WHERE group_id <> 0 AND group_id NOT IN (SELECT id FROM chat_groups);

CREATE TABLE plans_new (
    id {{id}},
    name TEXT NOT NULL,
    group_id {{bigint}} REFERENCES chat_groups (id),
    tag TEXT NOT NULL DEFAULT '',
    slots TEXT NOT NULL,
    per_slot {{bigint}} NOT NULL,
    daily_cap {{bigint}} NOT NULL,
    repeat_days {{bigint}} NOT NULL,
    quiet_from {{bigint}} NOT NULL DEFAULT 0,
    quiet_to {{bigint}} NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    created_at {{bigint}} NOT NULL
);
INSERT INTO plans_new (id, name, group_id, tag, slots, per_slot, daily_cap, repeat_days, quiet_from, quiet_to, active, created_at)
    SELECT id, name, NULLIF(group_id, 0), tag, slots, per_slot, daily_cap, repeat_days, quiet_from, quiet_to, active, created_at
    FROM plans;

CREATE TABLE plan_queue_new (
    id {{id}},
    plan_id {{bigint}} NOT NULL REFERENCES plans_new (id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    item_id TEXT NOT NULL,
    chosen_price {{bigint}} NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    pos {{bigint}} NOT NULL,
    added_by TEXT NOT NULL DEFAULT '',
    added_at {{bigint}} NOT NULL,
    UNIQUE (plan_id, platform, item_id)
);
INSERT INTO plan_queue_new (id, plan_id, platform, item_id, chosen_price, reason, pos, added_by, added_at)
    SELECT id, plan_id, platform, item_id, chosen_price, reason, pos, added_by, added_at FROM plan_queue;

DROP TABLE plan_queue;
DROP TABLE plans;
-- Renaming plans_new also renames the reference plan_queue_new makes to it.
ALTER TABLE plans_new RENAME TO plans;
ALTER TABLE plan_queue_new RENAME TO plan_queue;
CREATE INDEX plans_group ON plans (group_id);
