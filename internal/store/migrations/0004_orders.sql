-- Orders: one row per sub-order (淘宝子订单号) from the Alimama order report
-- (阿里妈妈订单明细). Money is in fen, rates in basis points, times in unix
-- seconds (0 = none). A report that would move an order's status backwards
-- (settled -> paid, ...) is not applied; status_regressed records that one
-- was seen. See internal/orders.
CREATE TABLE orders (
    platform TEXT NOT NULL,
    trade_id TEXT NOT NULL,
    parent_id TEXT NOT NULL DEFAULT '',
    order_type TEXT NOT NULL DEFAULT '',
    item_id TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    shop_name TEXT NOT NULL DEFAULT '',
    quantity {{bigint}} NOT NULL DEFAULT 0,
    unit_price {{bigint}} NOT NULL DEFAULT 0,
    paid_amount {{bigint}} NOT NULL DEFAULT 0,
    settled_amount {{bigint}} NOT NULL DEFAULT 0,
    commission_rate {{bigint}} NOT NULL DEFAULT 0,
    est_income {{bigint}} NOT NULL DEFAULT 0,
    settled_income {{bigint}} NOT NULL DEFAULT 0,
    service_fee_rate {{bigint}} NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    click_at {{bigint}} NOT NULL DEFAULT 0,
    created_at {{bigint}} NOT NULL DEFAULT 0,
    paid_at {{bigint}} NOT NULL DEFAULT 0,
    settled_at {{bigint}} NOT NULL DEFAULT 0,
    media_id TEXT NOT NULL DEFAULT '',
    media_name TEXT NOT NULL DEFAULT '',
    adzone_id TEXT NOT NULL DEFAULT '',
    adzone_name TEXT NOT NULL DEFAULT '',
    relation_id TEXT NOT NULL DEFAULT '',
    special_id TEXT NOT NULL DEFAULT '',
    dispute TEXT NOT NULL DEFAULT '',
    status_regressed INTEGER NOT NULL DEFAULT 0,
    updated_at {{bigint}} NOT NULL,
    PRIMARY KEY (platform, trade_id)
);

CREATE INDEX orders_adzone ON orders (adzone_id);

CREATE INDEX orders_paid_at ON orders (paid_at);

CREATE INDEX orders_item ON orders (item_id);
