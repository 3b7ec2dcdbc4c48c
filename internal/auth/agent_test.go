package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

// agentsOf is an AgentChecker over a fixed set of agents.
type agentsOf map[int64]bool

func (a agentsOf) IsAgent(_ context.Context, id int64) (bool, error) { return a[id], nil }

// An agent user is bound to an agent that exists; other roles to none;
// the binding reaches sessions and tokens, and a role change clears it.
func TestAgentUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(t, db)
		s.Agents = agentsOf{42: true, 43: true}
		mustCreate(t, s, "admin", Admin, alicePW)
		for _, c := range []struct {
			role  Role
			agent int64
			want  error
		}{
			{Agent, 0, ErrAgentRequired},
			{Agent, -1, ErrAgentRequired},
			{Agent, 7, ErrAgentRequired},
			{Viewer, 42, ErrAgentOnlyRole},
		} {
			if _, err := s.CreateUser(ctx, NewUser{Name: "x", Role: c.role, Password: alicePW, AgentID: c.agent}); !errors.Is(err, c.want) {
				t.Errorf("CreateUser(%s, agent %d) = %v, want %v", c.role, c.agent, err, c.want)
			}
		}
		u, err := s.CreateUser(ctx, NewUser{Name: "daili", Role: Agent, Password: alicePW, AgentID: 42})
		if err != nil || u.AgentID != 42 || u.Role != Agent {
			t.Fatalf("agent user %+v %v", u, err)
		}
		tok, _, err := s.IssueToken(ctx, u.ID, "bot")
		if err != nil {
			t.Fatal(err)
		}
		sess, _, err := s.NewSession(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tu, _, err := s.TokenUser(ctx, tok); err != nil || tu.AgentID != 42 {
			t.Errorf("token user %+v %v", tu, err)
		}
		if su, _, err := s.SessionUser(ctx, sess); err != nil || su.AgentID != 42 {
			t.Errorf("session user %+v %v", su, err)
		}
		// Moved to another agent: the token follows at once.
		if err := s.SetAgentRole(ctx, u.ID, Agent, 43); err != nil {
			t.Fatal(err)
		}
		if tu, _, _ := s.TokenUser(ctx, tok); tu.AgentID != 43 {
			t.Errorf("after the move the token's agent is %d", tu.AgentID)
		}
		if err := s.SetAgentRole(ctx, u.ID, Agent, 7); !errors.Is(err, ErrAgentRequired) {
			t.Errorf("bound to a non-agent: %v", err)
		}
		if err := s.SetRole(ctx, u.ID, Agent); !errors.Is(err, ErrAgentRequired) {
			t.Errorf("SetRole to agent without one: %v", err)
		}
		if err := s.SetRole(ctx, u.ID, Viewer); err != nil {
			t.Fatal(err)
		}
		if g, _ := s.GetUser(ctx, u.ID); g.AgentID != 0 || g.Role != Viewer {
			t.Errorf("a viewer keeps agent %d", g.AgentID)
		}
		if !Agent.Can(ViewAgents) || Agent.Can(ManageAgents) || Agent.Can(ViewDashboard) || Agent.Label() != "代理" {
			t.Error("the agent role's grants")
		}
	})
}
