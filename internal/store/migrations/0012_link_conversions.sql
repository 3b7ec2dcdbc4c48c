-- publish: converted links (转链), one per (platform family, item, placement,
-- person), re-used across slots and after a restart until they expire.
CREATE TABLE link_conversions (
    family TEXT NOT NULL,
    item_id TEXT NOT NULL,
    placement TEXT NOT NULL,
    person TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL,
    share_code TEXT NOT NULL DEFAULT '',
    coupon_url TEXT NOT NULL DEFAULT '',
    commission_bp BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL DEFAULT 0,
    converted_at BIGINT NOT NULL,
    PRIMARY KEY (family, item_id, placement, person)
);
-- community: a group may allow posts whose conversion failed to go with the
-- plain placement-tagged link (允许未转链); default no.
ALTER TABLE chat_groups ADD COLUMN allow_unconverted INTEGER NOT NULL DEFAULT 0;
