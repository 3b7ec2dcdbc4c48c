-- insight: the boss's daily digest (issue 16 item 5). boss_digest_settings
-- holds whether it is sent and at which hour of the team's zone (one row,
-- id 1); boss_digests records each digest claimed, one per team-zone day
-- (day: days since 1970-01-01 of that calendar date) and recipient (owner
-- '' is the installation's default: the whole team's digest), so that of
-- several servers only one sends it, once.
CREATE TABLE boss_digest_settings (
    id INTEGER PRIMARY KEY,
    enabled INTEGER NOT NULL DEFAULT 0,
    hour INTEGER NOT NULL DEFAULT 8,
    updated_at {{bigint}} NOT NULL
);
CREATE TABLE boss_digests (
    day {{bigint}} NOT NULL,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    claimed_by TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL DEFAULT '',
    target TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    created_at {{bigint}} NOT NULL,
    sent_at {{bigint}} NOT NULL DEFAULT 0,
    PRIMARY KEY (day, owner)
);
-- The boss's tables add a period of every group's days up (health's
-- SumDays): an index by day that holds the columns summed, so the period's
-- rows are read from it alone.
CREATE INDEX group_days_period ON group_days (day, group_id, members, joins, leaves_self, leaves_removed,
    leaves_other, active, posts, orders, income_fen);
