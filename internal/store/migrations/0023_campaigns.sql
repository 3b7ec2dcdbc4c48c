-- growth: fission campaigns (裂变活动, issue 15 item 2) and their honest
-- invite counting. See internal/growth/campaign and docs/growth.md.
--
-- campaigns: a campaign, its period [starts_at, ends_at) (unix seconds,
-- ends_at 0 = open), its rules (stay_hours: an invitee must stay this long;
-- burst_joins in burst_seconds: more joins for one inviter hold them for
-- review; cap_per_inviter: valid invites credited at most, 0 = no cap),
-- join_code_id (a join code of the join-code pool, 0 = none; the join code
-- belongs to its own package: only its id is kept) and bought_cost_fen (what
-- a bought member costs, to compare with, 0 = unknown); participants is
-- kept with every enrolment (the leaderboard's total without a count).
CREATE TABLE campaigns (
    id {{id}},
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    starts_at {{bigint}} NOT NULL,
    ends_at {{bigint}} NOT NULL DEFAULT 0,
    join_code_id {{bigint}} NOT NULL DEFAULT 0,
    stay_hours {{bigint}} NOT NULL DEFAULT 24,
    burst_joins {{bigint}} NOT NULL DEFAULT 100,
    burst_seconds {{bigint}} NOT NULL DEFAULT 60,
    cap_per_inviter {{bigint}} NOT NULL DEFAULT 0,
    bought_cost_fen {{bigint}} NOT NULL DEFAULT 0,
    participants {{bigint}} NOT NULL DEFAULT 0,
    created_at {{bigint}} NOT NULL
);

-- campaign_groups: the community groups a campaign counts joins in (none:
-- only joins through a participant's own link, wherever they land).
CREATE TABLE campaign_groups (
    campaign_id {{bigint}} NOT NULL REFERENCES campaigns (id),
    group_id {{bigint}} NOT NULL,
    PRIMARY KEY (campaign_id, group_id)
);

-- campaign_tiers: valid invites -> a reward (kind: red_envelope, free_order,
-- gift, other) costing cost_fen.
CREATE TABLE campaign_tiers (
    id {{id}},
    campaign_id {{bigint}} NOT NULL REFERENCES campaigns (id),
    invites {{bigint}} NOT NULL,
    kind TEXT NOT NULL,
    cost_fen {{bigint}} NOT NULL,
    UNIQUE (campaign_id, invites)
);

-- campaign_participants: one inviter in one campaign; ref is the personal
-- invite reference carried by their links (WeCom state, Telegram link name,
-- the join page's ?i=); valid_invites is kept by the counting job for the
-- leaderboard (its index).
CREATE TABLE campaign_participants (
    id {{id}},
    campaign_id {{bigint}} NOT NULL REFERENCES campaigns (id),
    member_id {{bigint}} NOT NULL DEFAULT 0,
    member_source TEXT NOT NULL DEFAULT '',
    member_ext TEXT NOT NULL DEFAULT '',
    member_union TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    ref TEXT NOT NULL UNIQUE,
    link TEXT NOT NULL DEFAULT '',
    valid_invites {{bigint}} NOT NULL DEFAULT 0,
    invites {{bigint}} NOT NULL DEFAULT 0,
    held {{bigint}} NOT NULL DEFAULT 0,
    created_at {{bigint}} NOT NULL
);
CREATE INDEX campaign_participants_board ON campaign_participants (campaign_id, valid_invites DESC, id);
CREATE INDEX campaign_participants_member ON campaign_participants (member_id);
CREATE INDEX campaign_participants_ext ON campaign_participants (member_source, member_ext) WHERE member_ext <> '';

-- campaign_invites: one join (a member event) that names a participant, its
-- facts as the counting job last computed them from the events, and the
-- decision with its reason (a message key and its JSON arguments). review is
-- the operator's word on a held invite ('', approved, rejected): it survives
-- every recount. due_at is when the invite's participant is to be recounted
-- (its stay ends, or the campaign changed; 0 = nothing due).
CREATE TABLE campaign_invites (
    event_key TEXT NOT NULL,
    campaign_id {{bigint}} NOT NULL REFERENCES campaigns (id),
    participant_id {{bigint}} NOT NULL REFERENCES campaign_participants (id),
    invitee_id {{bigint}} NOT NULL,
    group_id {{bigint}} NOT NULL DEFAULT 0,
    joined_at {{bigint}} NOT NULL,
    left_at {{bigint}} NOT NULL DEFAULT 0,
    fact TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'waiting',
    reason TEXT NOT NULL DEFAULT '',
    reason_args TEXT NOT NULL DEFAULT '[]',
    due_at {{bigint}} NOT NULL DEFAULT 0,
    review TEXT NOT NULL DEFAULT '',
    reviewed_by TEXT NOT NULL DEFAULT '',
    reviewed_at {{bigint}} NOT NULL DEFAULT 0,
    decided_at {{bigint}} NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, event_key)
);
CREATE INDEX campaign_invites_participant ON campaign_invites (participant_id, joined_at);
CREATE INDEX campaign_invites_invitee ON campaign_invites (invitee_id);
CREATE INDEX campaign_invites_due ON campaign_invites (due_at) WHERE due_at > 0;
CREATE INDEX campaign_invites_status ON campaign_invites (campaign_id, status);

-- campaign_rewards: a tier a participant reached (revoked_at set when a
-- recount takes it back); its cost is posted to the ledger (reward expense)
-- under the key "reward/<campaign>/<participant>/<tier>".
CREATE TABLE campaign_rewards (
    campaign_id {{bigint}} NOT NULL REFERENCES campaigns (id),
    participant_id {{bigint}} NOT NULL REFERENCES campaign_participants (id),
    tier_id {{bigint}} NOT NULL REFERENCES campaign_tiers (id),
    cost_fen {{bigint}} NOT NULL,
    reached_at {{bigint}} NOT NULL,
    revoked_at {{bigint}} NOT NULL DEFAULT 0,
    PRIMARY KEY (participant_id, tier_id)
);
CREATE INDEX campaign_rewards_campaign ON campaign_rewards (campaign_id);

-- campaign_state: the counting job's cursors over member events (name
-- "events": the last event id counted; "rescan/<campaign>": a recount of
-- every event for a campaign whose status, period, groups or rules changed,
-- as far as it got). campaign_recheck: members whose events were in chats
-- not yet mapped to a group (counted again each run until mapped).
CREATE TABLE campaign_state (
    name TEXT PRIMARY KEY,
    value {{bigint}} NOT NULL
);
CREATE TABLE campaign_recheck (
    member_id {{bigint}} PRIMARY KEY
);
