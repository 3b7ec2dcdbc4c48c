-- campaign: the leaderboard's deep pages and its scheduled post (issue 15
-- item 2). board_rev is bumped, in the same transaction, by every change
-- of a participant's place (valid invites counted, a participant enrolled):
-- a server keeps a sparse index of the board's order in memory (every
-- 128th place) and rebuilds it when board_rev moved, so a page far down is
-- read from the nearest mark, not counted from the top. board_hour is the
-- hour (team zone, 0-23) at which a running campaign's leaderboard is
-- posted to its groups each day, -1 = not posted by itself.
ALTER TABLE campaigns ADD COLUMN board_rev {{bigint}} NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN board_hour {{bigint}} NOT NULL DEFAULT -1;
