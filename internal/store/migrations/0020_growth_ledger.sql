-- growth (issue 15, first step): agents, their share rules, and the
-- double-entry ledger. See internal/growth, internal/growth/ledger and
-- docs/growth.md.
--
-- ledger_accounts: one row per account, kind (commission_income, cash,
-- reward_expense, agent_held, agent_payable, member_held, member_payable)
-- and member (0 for the team's own accounts). balance is the sum of the
-- account's lines (debit positive), kept in the transaction that posts.
CREATE TABLE ledger_accounts (
    id {{id}},
    kind TEXT NOT NULL,
    member_id {{bigint}} NOT NULL DEFAULT 0,
    balance {{bigint}} NOT NULL DEFAULT 0,
    UNIQUE (kind, member_id)
);

-- ledger_postings: immutable movements, each a set of lines summing to zero.
-- source_key groups the postings of one thing (an order "order/taobao/123",
-- a payout "payout/7"); seq numbers them, so two posters that saw the same
-- state cannot both post its next movement.
CREATE TABLE ledger_postings (
    id {{id}},
    source TEXT NOT NULL,
    source_key TEXT NOT NULL,
    seq {{bigint}} NOT NULL,
    reason TEXT NOT NULL,
    at {{bigint}} NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (source_key, seq)
);
CREATE INDEX ledger_postings_at ON ledger_postings (at);

CREATE TABLE ledger_lines (
    posting_id {{bigint}} NOT NULL REFERENCES ledger_postings (id),
    account_id {{bigint}} NOT NULL REFERENCES ledger_accounts (id),
    amount {{bigint}} NOT NULL,
    at {{bigint}} NOT NULL,
    PRIMARY KEY (posting_id, account_id)
);
CREATE INDEX ledger_lines_account ON ledger_lines (account_id, at);

-- ledger_payouts: a batch of payables to pay by hand (Qunke moves no
-- money); status open, then paid (posted) by a named person.
CREATE TABLE ledger_payouts (
    id {{id}},
    created_at {{bigint}} NOT NULL,
    min_fen {{bigint}} NOT NULL,
    status TEXT NOT NULL,
    paid_at {{bigint}} NOT NULL DEFAULT 0,
    paid_by TEXT NOT NULL DEFAULT ''
);
CREATE TABLE ledger_payout_lines (
    payout_id {{bigint}} NOT NULL REFERENCES ledger_payouts (id),
    account_id {{bigint}} NOT NULL REFERENCES ledger_accounts (id),
    amount {{bigint}} NOT NULL,
    PRIMARY KEY (payout_id, account_id)
);

-- growth_agents: an agent is a member (community member id) with an
-- optional parent agent (0 = none).
CREATE TABLE growth_agents (
    member_id {{bigint}} PRIMARY KEY,
    parent_id {{bigint}} NOT NULL DEFAULT 0,
    created_at {{bigint}} NOT NULL
);
CREATE INDEX growth_agents_parent ON growth_agents (parent_id);

-- growth_rules: the share per paid level in basis points; kind agent (level
-- 1 the agent whose order it is, 2 the parent, 3 the grandparent) or member
-- (level 1 the member's rebate on their own orders). At most 3 levels.
CREATE TABLE growth_rules (
    kind TEXT NOT NULL,
    level {{bigint}} NOT NULL,
    bps {{bigint}} NOT NULL,
    PRIMARY KEY (kind, level)
);
INSERT INTO growth_rules (kind, level, bps) VALUES ('agent', 1, 5000);
INSERT INTO growth_rules (kind, level, bps) VALUES ('agent', 2, 1000);

-- growth_order_shares: who shares an order and at which rates, decided when
-- the ledger first sees it (later rule or tree edits do not change it);
-- parts is "kind:member:bps" joined by ";", "" when nobody shares.
CREATE TABLE growth_order_shares (
    platform TEXT NOT NULL,
    trade_id TEXT NOT NULL,
    member_id {{bigint}} NOT NULL,
    parts TEXT NOT NULL,
    PRIMARY KEY (platform, trade_id)
);
