-- Ledger posting at scale (issue 15 item 4). See docs/growth.md, "How the
-- poster finds its work". Two files only for the month of a time
-- (Asia/Shanghai, UTC+8 without summer time since 1991) in the backfill.
--
-- order_changes (internal/orders): a queue of the orders credited to a
-- member (before or after the change) that were written; the ledger's
-- poster claims rows by deleting them in the transaction that posts the
-- orders, so a row committed late is still there for the next run (no
-- cursor to skip it). Every credited order and every order already shared
-- is queued once here, so the first run after this step sees them all.
CREATE TABLE order_changes (
    id {{id}},
    platform TEXT NOT NULL,
    trade_id TEXT NOT NULL
);
INSERT INTO order_changes (platform, trade_id) SELECT platform, trade_id FROM orders WHERE member_id <> 0 ORDER BY platform, trade_id;
INSERT INTO order_changes (platform, trade_id) SELECT platform, trade_id FROM growth_order_shares WHERE parts <> '' ORDER BY platform, trade_id;

-- growth_order_shares.due_at: when a settled order's shares become payable
-- (the platform's pay day, unix seconds), 0 when nothing waits for a date;
-- the poster re-evaluates the orders whose day has come.
ALTER TABLE growth_order_shares ADD COLUMN due_at {{bigint}} NOT NULL DEFAULT 0;
CREATE INDEX growth_order_shares_due ON growth_order_shares (due_at) WHERE due_at > 0;

-- ledger_account_months: the sum of each account's lines per month
-- (YYYYMM in Asia/Shanghai), kept in the transaction that posts, so a
-- statement's opening balance adds a few months, not all history.
CREATE TABLE ledger_account_months (
    account_id {{bigint}} NOT NULL REFERENCES ledger_accounts (id),
    month {{bigint}} NOT NULL,
    amount {{bigint}} NOT NULL,
    PRIMARY KEY (account_id, month)
);
INSERT INTO ledger_account_months (account_id, month, amount)
    SELECT account_id, CAST(to_char(to_timestamp(at + 28800) AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT), sum(amount) FROM ledger_lines GROUP BY account_id, CAST(to_char(to_timestamp(at + 28800) AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT);

-- A member's accounts (balances, statements) by member.
CREATE INDEX ledger_accounts_member ON ledger_accounts (member_id);

-- A statement reads an account's month from the index alone (index-only
-- scan once vacuumed): the amount and posting ride along.
DROP INDEX ledger_lines_account;
CREATE INDEX ledger_lines_account ON ledger_lines (account_id, at, posting_id, amount);
