-- Sync cursors: how far an incremental sync from a remote API has got. value
-- is the end (unix seconds) of the last fully synced window; a restart
-- resumes there. See internal/orders/ordersync.
CREATE TABLE sync_cursors (
    name TEXT PRIMARY KEY,
    value {{bigint}} NOT NULL,
    updated_at {{bigint}} NOT NULL
);
