-- The agent role (issue 15): a console user of role "agent" (代理) is bound
-- to one agent (growth_agents.member_id) and sees only that agent's subtree.
-- 0 for every other role. auth owns users; growth is asked whether the id is
-- an agent when the user is made.
ALTER TABLE users ADD COLUMN agent_id {{bigint}} NOT NULL DEFAULT 0;
