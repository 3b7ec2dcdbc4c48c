-- Several servers on one PostgreSQL database (see docs/posting.md).

-- store: named leases. A job that must run on one server at a time (the
-- planner, order syncs, Telegram's getUpdates) holds the lease of its name
-- until expires_at (unix milliseconds); it is taken and renewed by
-- compare-and-set, see store.Lease.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at {{bigint}} NOT NULL
);

-- publish: the platforms' rate limits, shared by every worker. One row per
-- limiter key (a chat or robot, a bot): the last admission times (unix
-- milliseconds, oldest first, at most the largest N of its limits) and a
-- penalty (retry_after) before which nothing is sent.
CREATE TABLE send_windows (
    lkey TEXT PRIMARY KEY,
    times TEXT NOT NULL DEFAULT '',
    penalty_until {{bigint}} NOT NULL DEFAULT 0,
    version {{bigint}} NOT NULL DEFAULT 0
);

-- publish: every change of a delivery's state bumps version, so a worker
-- acting on an older read of the row changes nothing (compare-and-set).
ALTER TABLE deliveries ADD COLUMN version {{bigint}} NOT NULL DEFAULT 0;
CREATE INDEX deliveries_group_status ON deliveries (group_id, status, slot_at);
