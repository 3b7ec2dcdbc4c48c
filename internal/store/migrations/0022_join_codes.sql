-- joincode: join codes (群活码). A code is a public page /join/{code} that
-- shows the group of its pool to join now (docs/growth.md, "Join codes").
-- join_code_groups is the pool in order; join_qr the group QR images
-- operators upload (WeChat's expire 7 days after upload and stop admitting
-- at 200 members); join_links the join ways (WeCom add_join_way) and invite
-- links (Telegram createChatInviteLink) Qunke made, cached per state so
-- the platform is not called per visit; join_visits the counted views per
-- code, Shanghai day and inviter ('' none); join_warnings the conditions
-- operators were warned of, once each.
CREATE TABLE join_codes (
    id {{id}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    campaign TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    active {{bigint}} NOT NULL DEFAULT 1,
    created_at {{bigint}} NOT NULL,
    updated_at {{bigint}} NOT NULL
);
CREATE TABLE join_code_groups (
    code_id {{bigint}} NOT NULL REFERENCES join_codes (id) ON DELETE CASCADE,
    group_id {{bigint}} NOT NULL,
    position {{bigint}} NOT NULL,
    PRIMARY KEY (code_id, group_id)
);
CREATE TABLE join_qr (
    id {{id}},
    group_id {{bigint}} NOT NULL,
    image {{blob}} NOT NULL,
    mime TEXT NOT NULL,
    uploaded_at {{bigint}} NOT NULL,
    expires_at {{bigint}} NOT NULL,
    uploaded_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX join_qr_group ON join_qr (group_id, uploaded_at);
CREATE TABLE join_links (
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    state TEXT NOT NULL,
    url TEXT NOT NULL,
    config_id TEXT NOT NULL DEFAULT '',
    chats TEXT NOT NULL DEFAULT '',
    expires_at {{bigint}} NOT NULL DEFAULT 0,
    created_at {{bigint}} NOT NULL,
    PRIMARY KEY (kind, scope, state)
);
CREATE TABLE join_visits (
    code_id {{bigint}} NOT NULL,
    day {{bigint}} NOT NULL,
    inviter TEXT NOT NULL,
    views {{bigint}} NOT NULL,
    PRIMARY KEY (code_id, day, inviter)
);
CREATE TABLE join_warnings (
    cond TEXT PRIMARY KEY,
    code_id {{bigint}} NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at {{bigint}} NOT NULL
);
