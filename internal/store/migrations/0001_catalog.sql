-- Items: descriptive attributes as last seen. Identity is (platform, item_id);
-- id is Qunke's own compact key used by the history tables.
CREATE TABLE items (
    id {{id}},
    platform TEXT NOT NULL,
    item_id TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    short_title TEXT NOT NULL DEFAULT '',
    category_path TEXT NOT NULL DEFAULT '',
    brand TEXT NOT NULL DEFAULT '',
    shop_id TEXT NOT NULL DEFAULT '',
    shop_name TEXT NOT NULL DEFAULT '',
    shop_type TEXT NOT NULL DEFAULT '',
    dsr_desc INTEGER NOT NULL DEFAULT 0,
    dsr_service INTEGER NOT NULL DEFAULT 0,
    dsr_ship INTEGER NOT NULL DEFAULT 0,
    image_url TEXT NOT NULL DEFAULT '',
    attr_hash {{bigint}} NOT NULL DEFAULT 0,
    created_at {{bigint}} NOT NULL,
    updated_at {{bigint}} NOT NULL,
    UNIQUE (platform, item_id)
);

-- History: runs of one item's observations, change-only encoded (see
-- internal/catalog/chunk.go). t0/t1 are the first and last observation times.
-- A rowid table with a separate index packs these ~1 KB rows into pages far
-- better than a WITHOUT ROWID table (measured: docs/BENCHMARKS.md).
CREATE TABLE item_history (
    id {{id}},
    item {{bigint}} NOT NULL REFERENCES items (id),
    t0 {{bigint}} NOT NULL,
    t1 {{bigint}} NOT NULL,
    n INTEGER NOT NULL,
    data {{blob}} NOT NULL,
    UNIQUE (item, t0)
);

-- Observations accepted but not yet folded into item_history: one row per
-- written batch. Readers merge them, so nothing is lost or hidden between an
-- import and its compaction.
CREATE TABLE pending_observations (
    id {{id}},
    created_at {{bigint}} NOT NULL,
    n INTEGER NOT NULL,
    data {{blob}} NOT NULL
);

-- Imports: one row per imported file, for the console and for audit.
CREATE TABLE imports (
    id {{id}},
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL DEFAULT '',
    started_at {{bigint}} NOT NULL,
    finished_at {{bigint}} NOT NULL,
    rows_read INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    items_new INTEGER NOT NULL DEFAULT 0,
    items_updated INTEGER NOT NULL DEFAULT 0,
    observations INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT ''
);
