-- Groups a team runs (社群) and the posting engine (发单). See
-- internal/community and internal/publish. Times are unix seconds, money fen.

-- A chat group. channel is how posts reach it (telegram, wecom, webhook,
-- manual); target is the channel's address for it (Telegram chat id, WeCom
-- robot key, webhook URL) and secret the webhook's signing secret. The
-- placements (推广位/PID) tag the group's orders: pid_taobao is Alimama's
-- mm_memberid_siteid_adzoneid, adzone_id its last part, kept for order
-- attribution.
CREATE TABLE chat_groups (
    id {{id}},
    name TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    secret TEXT NOT NULL DEFAULT '',
    pid_taobao TEXT NOT NULL DEFAULT '',
    adzone_id TEXT NOT NULL DEFAULT '',
    pid_jd TEXT NOT NULL DEFAULT '',
    pid_pdd TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    capacity {{bigint}} NOT NULL DEFAULT 0,
    members {{bigint}} NOT NULL DEFAULT 0,
    tz TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    active INTEGER NOT NULL DEFAULT 1,
    created_at {{bigint}} NOT NULL,
    updated_at {{bigint}} NOT NULL
);
CREATE INDEX groups_adzone ON chat_groups (adzone_id);

CREATE TABLE group_tags (
    group_id {{bigint}} NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (group_id, tag)
);
CREATE INDEX group_tags_tag ON group_tags (tag);

-- Copy templates: tag '' is the team's default; a template with a tag is
-- used for groups carrying that tag.
CREATE TABLE copy_templates (
    id {{id}},
    name TEXT NOT NULL,
    tag TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    updated_at {{bigint}} NOT NULL
);

-- A posting plan: for one group (group_id) or every group with a tag,
-- post per_slot items at each daily slot ("08:00,12:00,20:00" in the
-- group's zone), at most daily_cap a day per group, never an item a group
-- got in the last repeat_days days unless its price dropped since, and
-- nothing between quiet_from and quiet_to (minutes after midnight; equal =
-- no quiet hours).
CREATE TABLE plans (
    id {{id}},
    name TEXT NOT NULL,
    group_id {{bigint}} NOT NULL DEFAULT 0,
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

-- The items chosen for a plan, in posting order (pos). chosen_price is
-- the final price the selector accepted: an item whose price rose above it
-- is skipped.
CREATE TABLE plan_queue (
    id {{id}},
    plan_id {{bigint}} NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    item_id TEXT NOT NULL,
    chosen_price {{bigint}} NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    pos {{bigint}} NOT NULL,
    added_by TEXT NOT NULL DEFAULT '',
    added_at {{bigint}} NOT NULL,
    UNIQUE (plan_id, platform, item_id)
);

-- Deliveries: the outbox. Every planned post is a row before anything is
-- sent; the worker moves it planned -> sending -> sent (or failed, skipped,
-- unconfirmed). dkey is the idempotency key sent with it. parts_sent counts
-- the parts of a multi-part post the platform confirmed; resent is 1 once
-- an attempt with an unknown outcome was sent again (at most once, for
-- channels without idempotency keys). The copy and the prices are fixed at
-- planning, so the post that goes out is the one that was previewed.
CREATE TABLE deliveries (
    id {{id}},
    dkey TEXT NOT NULL UNIQUE,
    group_id {{bigint}} NOT NULL REFERENCES chat_groups (id),
    plan_id {{bigint}} NOT NULL DEFAULT 0,
    platform TEXT NOT NULL,
    item_id TEXT NOT NULL,
    slot_at {{bigint}} NOT NULL,
    seq {{bigint}} NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    image_url TEXT NOT NULL DEFAULT '',
    list_price {{bigint}} NOT NULL DEFAULT 0,
    coupon {{bigint}} NOT NULL DEFAULT 0,
    final_price {{bigint}} NOT NULL DEFAULT 0,
    chosen_price {{bigint}} NOT NULL DEFAULT 0,
    badges TEXT NOT NULL DEFAULT '',
    attempts {{bigint}} NOT NULL DEFAULT 0,
    next_at {{bigint}} NOT NULL,
    lease_until {{bigint}} NOT NULL DEFAULT 0,
    parts_sent {{bigint}} NOT NULL DEFAULT 0,
    resent INTEGER NOT NULL DEFAULT 0,
    message_ids TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    sent_at {{bigint}} NOT NULL DEFAULT 0,
    sent_by TEXT NOT NULL DEFAULT '',
    created_at {{bigint}} NOT NULL,
    UNIQUE (group_id, platform, item_id, slot_at)
);
CREATE INDEX deliveries_due ON deliveries (status, next_at);
CREATE INDEX deliveries_slot ON deliveries (slot_at);
CREATE INDEX deliveries_group_item ON deliveries (group_id, platform, item_id, sent_at);

-- Every attempt to send a delivery. outcome is '' while in flight, then
-- sent, retry, failed, unknown (the platform may or may not have it) or
-- crashed (found in flight after a restart).
CREATE TABLE delivery_attempts (
    id {{id}},
    delivery_id {{bigint}} NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    started_at {{bigint}} NOT NULL,
    finished_at {{bigint}} NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);
