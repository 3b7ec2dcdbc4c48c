-- insight: what the team spends to acquire members (issue 16), per group or
-- campaign and Shanghai day (day: the day number, as member_days counts it).
-- kind: bought_members (members × unit_fen = amount_fen), red_envelopes,
-- fission_rewards, ads, other; members is how many members the spend
-- brought when known (0 otherwise). group_id 0: no group (a campaign's).
-- Money is fen. See internal/insight and docs/economics.md.
CREATE TABLE acquisition_costs (
    id {{id}},
    group_id {{bigint}} NOT NULL DEFAULT 0,
    campaign TEXT NOT NULL DEFAULT '',
    day {{bigint}} NOT NULL,
    kind TEXT NOT NULL,
    members {{bigint}} NOT NULL DEFAULT 0,
    unit_fen {{bigint}} NOT NULL DEFAULT 0,
    amount_fen {{bigint}} NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at {{bigint}} NOT NULL
);
CREATE INDEX acquisition_costs_day ON acquisition_costs (day);
CREATE INDEX acquisition_costs_group ON acquisition_costs (group_id, day);
