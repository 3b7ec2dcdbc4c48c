-- An item's identity is (platform family, item id): Taobao and Tmall are one
-- family (a shop moving between them keeps its ids), so taobao:1 and
-- tmall:1 are one item and platform is only the label it goes by. Before
-- this migration a feed that labelled an item differently (a Tmall item
-- imported with --platform taobao) created a second item. See
-- internal/catalog (store.go, merge.go) and docs/import.md.
ALTER TABLE items ADD COLUMN family TEXT NOT NULL DEFAULT '';
UPDATE items SET family = CASE platform WHEN 'tmall' THEN 'taobao' ELSE platform END;

-- Duplicates already stored are merged. Of the two rows of one id the one
-- observed most recently (its latest history chunk; then the one updated
-- last, then the newer row) survives with its label; every attribute it
-- lacks (empty, DSR 0, a category that is empty or a parent of the other's)
-- comes from the other row.
CREATE TABLE merge_candidates AS
    SELECT i.id, i.item_id, i.updated_at,
        COALESCE((SELECT max(h.t1) FROM item_history h WHERE h.item = i.id), 0) AS seen
    FROM items i
    WHERE i.family = 'taobao' AND EXISTS (SELECT 1 FROM items o
        WHERE o.platform IN ('taobao', 'tmall') AND o.item_id = i.item_id AND o.id <> i.id);

-- Which item absorbed which (kept: Compact folds the losers' history and any
-- observation still pending under a loser's id into the survivor).
CREATE TABLE item_merges (
    loser {{bigint}} PRIMARY KEY,
    survivor {{bigint}} NOT NULL
);
INSERT INTO item_merges (loser, survivor)
    SELECT l.id, s.id FROM merge_candidates l JOIN merge_candidates s ON s.item_id = l.item_id AND s.id <> l.id
    WHERE s.seen > l.seen OR (s.seen = l.seen AND (s.updated_at > l.updated_at OR (s.updated_at = l.updated_at AND s.id > l.id)));
DROP TABLE merge_candidates;

UPDATE items SET
    title = CASE WHEN items.title = '' THEN l.title ELSE items.title END,
    short_title = CASE WHEN items.short_title = '' THEN l.short_title ELSE items.short_title END,
    category_path = CASE WHEN items.category_path = '' OR substr(l.category_path, 1, length(items.category_path) + 1) = items.category_path || '/'
        THEN l.category_path ELSE items.category_path END,
    brand = CASE WHEN items.brand = '' THEN l.brand ELSE items.brand END,
    shop_id = CASE WHEN items.shop_id = '' THEN l.shop_id ELSE items.shop_id END,
    shop_name = CASE WHEN items.shop_name = '' THEN l.shop_name ELSE items.shop_name END,
    shop_type = CASE WHEN items.shop_type = '' THEN l.shop_type ELSE items.shop_type END,
    dsr_desc = CASE WHEN items.dsr_desc = 0 THEN l.dsr_desc ELSE items.dsr_desc END,
    dsr_service = CASE WHEN items.dsr_service = 0 THEN l.dsr_service ELSE items.dsr_service END,
    dsr_ship = CASE WHEN items.dsr_ship = 0 THEN l.dsr_ship ELSE items.dsr_ship END,
    image_url = CASE WHEN items.image_url = '' THEN l.image_url ELSE items.image_url END,
    created_at = CASE WHEN l.created_at < items.created_at THEN l.created_at ELSE items.created_at END,
    attr_hash = 0
FROM item_merges m JOIN items l ON l.id = m.loser
WHERE items.id = m.survivor;

-- Plan queues and posts name items by (platform, item_id): they take the
-- survivor's label. A queue that holds both keeps the survivor's entry; a
-- post planned for both in one slot keeps the survivor's while unsent, and
-- none is left planned when one of them already went out. A post already
-- sent under the loser's label in the same slot as the survivor's keeps that
-- label: it is the record of what was sent (order attribution matches posts
-- by family). Orders need nothing: every Alimama
-- order row is platform 'taobao', the family, with the same item id.
CREATE TABLE merge_labels AS
    SELECT l.platform AS old_platform, l.item_id, s.platform AS new_platform
    FROM item_merges m JOIN items l ON l.id = m.loser JOIN items s ON s.id = m.survivor
    WHERE l.platform <> s.platform;

DELETE FROM plan_queue WHERE EXISTS (SELECT 1 FROM merge_labels x JOIN plan_queue q
    ON q.platform = x.new_platform AND q.item_id = x.item_id
    WHERE x.old_platform = plan_queue.platform AND x.item_id = plan_queue.item_id AND q.plan_id = plan_queue.plan_id);
UPDATE plan_queue SET platform = x.new_platform FROM merge_labels x
    WHERE x.old_platform = plan_queue.platform AND x.item_id = plan_queue.item_id;

DELETE FROM deliveries WHERE status = 'planned' AND EXISTS (SELECT 1 FROM merge_labels x JOIN deliveries d
    ON d.platform = x.new_platform AND d.item_id = x.item_id
    WHERE x.old_platform = deliveries.platform AND x.item_id = deliveries.item_id
    AND d.group_id = deliveries.group_id AND d.slot_at = deliveries.slot_at);
DELETE FROM deliveries WHERE status = 'planned' AND EXISTS (SELECT 1 FROM merge_labels x JOIN deliveries d
    ON d.platform = x.old_platform AND d.item_id = x.item_id
    WHERE x.new_platform = deliveries.platform AND x.item_id = deliveries.item_id
    AND d.group_id = deliveries.group_id AND d.slot_at = deliveries.slot_at AND d.status <> 'planned');
UPDATE deliveries SET platform = x.new_platform FROM merge_labels x
    WHERE x.old_platform = deliveries.platform AND x.item_id = deliveries.item_id
    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.platform = x.new_platform AND d.item_id = x.item_id
        AND d.group_id = deliveries.group_id AND d.slot_at = deliveries.slot_at);
DROP TABLE merge_labels;

-- The losers' history chunks wait here until Compact merges them into the
-- survivor's (chunks of two items may overlap in time, which a history's
-- chunks never do, so they cannot simply be re-pointed).
CREATE TABLE item_history_merged (
    id {{id}},
    item {{bigint}} NOT NULL,
    data {{blob}} NOT NULL
);
INSERT INTO item_history_merged (item, data)
    SELECT m.survivor, h.data FROM item_history h JOIN item_merges m ON m.loser = h.item ORDER BY h.item, h.t0;
DELETE FROM item_history WHERE item IN (SELECT loser FROM item_merges);
DELETE FROM items WHERE id IN (SELECT loser FROM item_merges);

-- Nothing may create a second one.
CREATE UNIQUE INDEX items_family ON items (family, item_id);

-- The catalog's generation, bumped by every commit that changes items or
-- observations, and the categories each generation changed: a running
-- server polls it to see imports made by other processes (internal/catalog/
-- changes.go).
CREATE TABLE catalog_generation (
    id INTEGER PRIMARY KEY,
    gen {{bigint}} NOT NULL
);
INSERT INTO catalog_generation (id, gen) VALUES (1, 0);
CREATE TABLE catalog_changes (
    gen {{bigint}} NOT NULL,
    category TEXT NOT NULL,
    PRIMARY KEY (gen, category)
);
