-- wecom: the callback's inbox. Every customer-group change WeCom posts to
-- /callback/wecom is stored here before the answer (so an answered event is
-- never lost), once (dedup_key: a hash of the event's own fields, so WeCom's
-- retries add nothing), and applied to the member registry by one worker
-- across servers. body is the decrypted XML as WeCom sent it (ids and
-- versions, no message text). state: new, applied, failed (after
-- wecom.MaxAttempts, with error).
CREATE TABLE wecom_inbox (
    id {{id}},
    dedup_key TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    chat_id TEXT NOT NULL DEFAULT '',
    created_at {{bigint}} NOT NULL,
    received_at {{bigint}} NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'new',
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    applied_at {{bigint}} NOT NULL DEFAULT 0
);
CREATE INDEX wecom_inbox_new ON wecom_inbox (created_at, id) WHERE state = 'new';
-- Applied events are deleted after wecom.KeepApplied (the worker prunes).
CREATE INDEX wecom_inbox_applied ON wecom_inbox (applied_at) WHERE state = 'applied';

-- wecom: the member version (LastMemVer/CurMemVer) the callback last saw
-- for each customer group, with the CreateTime of the event that set it.
-- An event whose LastMemVer is not this version means a change was missed:
-- reconcile says why the group must be fetched again through the API
-- ('' when it need not), since when (unix ms).
CREATE TABLE wecom_chat_versions (
    chat_id TEXT PRIMARY KEY,
    member_version TEXT NOT NULL DEFAULT '',
    version_at {{bigint}} NOT NULL DEFAULT 0,
    reconcile TEXT NOT NULL DEFAULT '',
    reconcile_since {{bigint}} NOT NULL DEFAULT 0
);
CREATE INDEX wecom_chat_versions_reconcile ON wecom_chat_versions (reconcile_since) WHERE reconcile <> '';
