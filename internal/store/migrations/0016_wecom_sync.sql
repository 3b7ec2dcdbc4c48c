-- wecom: the customer-group API sync (docs/wecom.md, "API sync").
-- One row per WeCom customer group (客户群) seen by groupchat/list: its name,
-- owner and size as last seen, the member_version last applied to the member
-- registry ('' = never), and, for a group not yet mapped to a Qunke group, the
-- Qunke group of the same name proposed for a person to confirm (0 = none).
CREATE TABLE wecom_sync (
    chat_id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    members BIGINT NOT NULL DEFAULT 0,
    member_version TEXT NOT NULL DEFAULT '',
    proposed_group_id BIGINT NOT NULL DEFAULT 0,
    seen_at BIGINT NOT NULL DEFAULT 0,
    synced_at BIGINT NOT NULL DEFAULT 0
);
-- The last full sync run (one row, id 1): the server job runs when the last
-- one finished longer ago than its interval, whichever server ran it.
CREATE TABLE wecom_sync_run (
    id INTEGER PRIMARY KEY,
    started_at BIGINT NOT NULL DEFAULT 0,
    finished_at BIGINT NOT NULL DEFAULT 0,
    chats BIGINT NOT NULL DEFAULT 0,
    synced BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    unmapped BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT ''
);
