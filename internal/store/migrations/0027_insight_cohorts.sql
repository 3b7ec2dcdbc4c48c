-- insight: the cohorts' rollups (issue 16 item 3), rebuilt by insight's job
-- from the members registry's stays and the members' orders, read through
-- their owners' methods (internal/insight/store_cohorts.go, docs/cohorts.md).
-- insight_cohort_cells: one cell of a triangle or grid: kind retention
-- (cohort = the Shanghai day number of the join week's Monday, k = weeks
-- since), repurchase (cohort = year*12 + month-1 of the first order, k =
-- months since), rfm_segment (cohort = segment's place, k = 0), rfm_grid
-- (cohort = R score, k = F score). members: distinct members; orders and
-- income_fen: their orders in that cell (repurchase, RFM).
CREATE TABLE insight_cohort_cells (
    kind TEXT NOT NULL,
    cohort {{bigint}} NOT NULL,
    k {{bigint}} NOT NULL,
    members {{bigint}} NOT NULL,
    orders {{bigint}} NOT NULL DEFAULT 0,
    income_fen {{bigint}} NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, cohort, k)
);
-- insight_member_rfm: each buying member's recency (last order's Shanghai
-- day), frequency, money (estimated income, fen), scores 1-5 and segment.
CREATE TABLE insight_member_rfm (
    member_id {{bigint}} PRIMARY KEY,
    first_day {{bigint}} NOT NULL,
    last_day {{bigint}} NOT NULL,
    orders {{bigint}} NOT NULL,
    money_fen {{bigint}} NOT NULL,
    r {{bigint}} NOT NULL,
    f {{bigint}} NOT NULL,
    m {{bigint}} NOT NULL,
    segment TEXT NOT NULL
);
CREATE INDEX insight_member_rfm_segment ON insight_member_rfm (segment, money_fen, member_id);
-- insight_cohort_runs: when each kind was last rebuilt, as of which time,
-- and (repurchase) the income mapped to members beside all income.
CREATE TABLE insight_cohort_runs (
    kind TEXT PRIMARY KEY,
    built_at {{bigint}} NOT NULL,
    as_of {{bigint}} NOT NULL,
    members {{bigint}} NOT NULL DEFAULT 0,
    member_income_fen {{bigint}} NOT NULL DEFAULT 0,
    income_fen {{bigint}} NOT NULL DEFAULT 0
);
