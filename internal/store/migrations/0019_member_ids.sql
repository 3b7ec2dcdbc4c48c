-- community: the person-level ids that orders carry, each bound to one
-- member (issue 14 item 5): platform "taobao" kinds special_id (会员运营ID)
-- and relation_id (渠道关系ID), "jd" sub_union_id (subUnionId), "pdd"
-- custom_parameters. A value binds exactly one member (the primary key); a
-- member may have several. See internal/community/member_ids.go.
CREATE TABLE member_ids (
    platform TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    member_id {{bigint}} NOT NULL REFERENCES members (id),
    created_at {{bigint}} NOT NULL,
    PRIMARY KEY (platform, kind, value)
);
CREATE INDEX member_ids_member ON member_ids (member_id);

-- orders: the member an order is attributed to through the ids above (0 =
-- none), kept by attribution (internal/orders/attribute.go); orders stored
-- before are attributed by `qunke report attribute`. The person-level ids
-- themselves are already on the order (relation_id, special_id, sub_id).
ALTER TABLE orders ADD COLUMN member_id {{bigint}} NOT NULL DEFAULT 0;
CREATE INDEX orders_member ON orders (member_id, paid_at) WHERE member_id <> 0;
