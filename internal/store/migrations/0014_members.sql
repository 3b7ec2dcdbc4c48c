-- community: the member registry (issue 14). A member is one person on one
-- source (wecom, telegram, sheet); member_events is the append-only log of
-- joins and leaves as the sources report them, each applied once (event_key);
-- memberships are the stays (one row per join..leave) recomputed per
-- (member, group) from that log; group_chats maps a platform chat to a group
-- (group_id NULL while unmapped: its events wait, group_id NULL too);
-- member_activity counts messages per member per chat per Shanghai day;
-- member_days is the registry's rollup per group per Shanghai day, kept in
-- the transaction that changes memberships or activity (delta is the net
-- change of members: the members at the end of a day are the sum of the
-- deltas up to it).
CREATE TABLE members (
    id {{id}},
    source TEXT NOT NULL,
    external_id TEXT NOT NULL DEFAULT '',
    union_id TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    first_seen {{bigint}} NOT NULL
);
CREATE UNIQUE INDEX members_external ON members (source, external_id) WHERE external_id <> '';

CREATE TABLE group_chats (
    source TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    group_id {{bigint}},
    name TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (source, chat_id)
);
CREATE INDEX group_chats_group ON group_chats (group_id);

CREATE TABLE member_events (
    id {{id}},
    event_key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    chat_id TEXT NOT NULL DEFAULT '',
    group_id {{bigint}},
    member_id {{bigint}} NOT NULL REFERENCES members (id),
    kind TEXT NOT NULL,
    at {{bigint}} NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    join_how TEXT NOT NULL DEFAULT '',
    inviter TEXT NOT NULL DEFAULT '',
    invite_link TEXT NOT NULL DEFAULT '',
    invite_name TEXT NOT NULL DEFAULT '',
    leave_how TEXT NOT NULL DEFAULT ''
);
CREATE INDEX member_events_member ON member_events (member_id, group_id, at);
CREATE INDEX member_events_pending ON member_events (source, chat_id) WHERE group_id IS NULL;

CREATE TABLE memberships (
    id {{id}},
    group_id {{bigint}} NOT NULL,
    member_id {{bigint}} NOT NULL REFERENCES members (id),
    joined_at {{bigint}} NOT NULL,
    left_at {{bigint}} NOT NULL DEFAULT 0,
    join_how TEXT NOT NULL DEFAULT '',
    inviter TEXT NOT NULL DEFAULT '',
    invite_link TEXT NOT NULL DEFAULT '',
    invite_name TEXT NOT NULL DEFAULT '',
    leave_how TEXT NOT NULL DEFAULT ''
);
CREATE INDEX memberships_member ON memberships (member_id, group_id);
CREATE INDEX memberships_group ON memberships (group_id, left_at);

CREATE TABLE member_activity (
    source TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    member_id {{bigint}} NOT NULL REFERENCES members (id),
    day {{bigint}} NOT NULL,
    group_id {{bigint}},
    messages {{bigint}} NOT NULL,
    PRIMARY KEY (source, chat_id, member_id, day)
);
CREATE INDEX member_activity_group ON member_activity (group_id, day);

CREATE TABLE member_days (
    group_id {{bigint}} NOT NULL,
    day {{bigint}} NOT NULL,
    delta {{bigint}} NOT NULL DEFAULT 0,
    joins {{bigint}} NOT NULL DEFAULT 0,
    leaves_self {{bigint}} NOT NULL DEFAULT 0,
    leaves_removed {{bigint}} NOT NULL DEFAULT 0,
    leaves_other {{bigint}} NOT NULL DEFAULT 0,
    active {{bigint}} NOT NULL DEFAULT 0,
    messages {{bigint}} NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, day)
);
