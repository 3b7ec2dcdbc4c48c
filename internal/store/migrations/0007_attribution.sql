-- Order attribution (归因) and the money views (收益). See internal/orders
-- (attribute.go, rollup.go, money.go, forecast.go) and docs/orders.md.
--
-- group_id is the group whose placement (推广位, chat_groups.adzone_id) the
-- order came through, delivery_id the post (deliveries.id) that sold it;
-- 0 = none: an order whose adzone belongs to no group is "unattributed",
-- kept and listed, never dropped. Orders imported before this migration are
-- attributed by `qunke report attribute` (or when a report brings them again).
ALTER TABLE orders ADD COLUMN group_id {{bigint}} NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN delivery_id {{bigint}} NOT NULL DEFAULT 0;

-- The orders added up per group, placement, day of payment and status:
-- what the money views read. paid_day is the day in Asia/Shanghai,
-- (paid_at + 28800) / 86400. The orders package keeps it in step with the
-- orders in the same transaction as every change (Import, Attribute).
CREATE TABLE order_days (
    group_id {{bigint}} NOT NULL,
    adzone_id TEXT NOT NULL,
    paid_day {{bigint}} NOT NULL,
    status TEXT NOT NULL,
    adzone_name TEXT NOT NULL DEFAULT '',
    orders {{bigint}} NOT NULL,
    paid_amount {{bigint}} NOT NULL,
    est_income {{bigint}} NOT NULL,
    settled_income {{bigint}} NOT NULL,
    PRIMARY KEY (group_id, paid_day, status, adzone_id)
);
-- The forecast reads the open orders by status, and every group's days in
-- time order for its history, from these indexes alone.
CREATE INDEX order_days_status ON order_days (status, paid_day);
CREATE INDEX order_days_day ON order_days (paid_day, status, orders, est_income, settled_income);

-- The settled orders per day of settlement (结算时间, Asia/Shanghai): the
-- settlement forecast.
CREATE TABLE order_settle_days (
    settled_day {{bigint}} NOT NULL PRIMARY KEY,
    orders {{bigint}} NOT NULL,
    settled_income {{bigint}} NOT NULL
);

INSERT INTO order_days (group_id, adzone_id, paid_day, status, adzone_name, orders, paid_amount, est_income, settled_income)
    SELECT group_id, adzone_id, (paid_at + 28800) / 86400, status, max(adzone_name), count(*), sum(paid_amount),
    sum(est_income), sum(settled_income)
    FROM orders GROUP BY group_id, adzone_id, (paid_at + 28800) / 86400, status;

INSERT INTO order_settle_days (settled_day, orders, settled_income)
    SELECT (settled_at + 28800) / 86400, count(*), sum(settled_income)
    FROM orders WHERE status = 'settled' AND settled_at > 0 GROUP BY (settled_at + 28800) / 86400;

-- Attribution loads the posts sent in a time range; the money views count
-- a group's posts by day: both from this index alone (on SQLite, where id
-- is the rowid).
CREATE INDEX deliveries_sent ON deliveries (sent_at, status, group_id, platform, item_id);

-- No query reads orders by adzone or by item any more (attribution and the
-- money views go through group_id and order_days), and each of these
-- random-keyed indexes cost about a sixth of an import's time (1M-row
-- report: 26.8 s with them, 19.3 s without). A query that needs one can
-- bring it back.
DROP INDEX orders_adzone;
DROP INDEX orders_item;
