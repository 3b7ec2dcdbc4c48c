-- health: each group's figures per Asia/Shanghai day (its own rollup, filled
-- through the owners' methods: registry, groups, posts, orders), its latest
-- verdict (the board reads one row per group), the alerts sent on a change
-- of state, and where the alerts go (per group owner; owner '' is the
-- installation's default).
CREATE TABLE group_days (
    group_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    members BIGINT NOT NULL DEFAULT 0,
    tracked INTEGER NOT NULL DEFAULT 0,
    joins BIGINT NOT NULL DEFAULT 0,
    leaves_self BIGINT NOT NULL DEFAULT 0,
    leaves_removed BIGINT NOT NULL DEFAULT 0,
    leaves_other BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 0,
    messages BIGINT NOT NULL DEFAULT 0,
    posts BIGINT NOT NULL DEFAULT 0,
    orders BIGINT NOT NULL DEFAULT 0,
    income_fen BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, day)
);
CREATE TABLE group_health (
    group_id BIGINT PRIMARY KEY,
    day BIGINT NOT NULL,
    score INTEGER NOT NULL,
    risk INTEGER NOT NULL,
    state TEXT NOT NULL,
    prev_state TEXT NOT NULL DEFAULT 'ok',
    since_day BIGINT NOT NULL,
    members BIGINT NOT NULL DEFAULT 0,
    peak BIGINT NOT NULL DEFAULT 0,
    reasons TEXT NOT NULL DEFAULT '[]',
    updated_at BIGINT NOT NULL
);
CREATE INDEX group_health_risk ON group_health (risk);
CREATE TABLE health_alerts (
    id {{id}},
    group_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    state TEXT NOT NULL,
    previous TEXT NOT NULL,
    score INTEGER NOT NULL,
    reasons TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'pending',
    channel TEXT NOT NULL DEFAULT '',
    target TEXT NOT NULL DEFAULT '',
    claimed_by TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    sent_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (group_id, day, state)
);
CREATE INDEX health_alerts_status ON health_alerts (status, id);
CREATE TABLE health_notify (
    owner TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
