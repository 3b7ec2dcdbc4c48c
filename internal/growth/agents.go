// Package growth grows a team's members through people: agents (代理), each
// a member with an optional parent agent, and members' rebates (返利), paid
// as shares of their orders through the double-entry ledger
// (internal/growth/ledger). It owns growth_agents, growth_rules and
// growth_order_shares; docs/growth.md tells the rules, holds and the level
// cap.
package growth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
)

// MaxLevels caps the paid levels of a rule set: sharing deeper than three
// levels is multi-level distribution that WeChat treats as pyramid selling
// (传销) and bans; docs/growth.md says more.
const MaxLevels = 3

// RuleKind is whose orders a rule set shares.
type RuleKind string

const (
	AgentRules  RuleKind = "agent"  // an agent's orders: level 1 the agent, 2 the parent, 3 the grandparent
	MemberRules RuleKind = "member" // a member's own orders (rebate): level 1 the member
)

// Rules is a rule set: the share of each paid level in basis points.
type Rules struct {
	Kind RuleKind
	Bps  []int64 // level 1 first
}

// Agent is a member acting as an agent.
type Agent struct {
	MemberID  int64
	ParentID  int64 // 0 = none
	Name      string
	CreatedAt time.Time
}

// Domain errors.
var (
	ErrTooManyLevels = msg.New("growth.too_many_levels") // %d levels, at most %d
	ErrBadBps        = msg.New("growth.bad_bps")         // %d
	ErrBpsOver       = msg.New("growth.bps_over")        // total %d
	ErrMemberLevels  = msg.New("growth.member_levels")
	ErrNoMember      = msg.New("growth.no_member")      // %d
	ErrAgentExists   = msg.New("growth.agent_exists")   // %d
	ErrNoParent      = msg.New("growth.no_parent")      // %d
	ErrParentIsSelf  = msg.New("growth.parent_is_self") // %d
	ErrBadRuleKind   = msg.New("growth.bad_rule_kind")  // %s
)

// Store keeps agents and rules.
type Store struct {
	db      *store.DB
	members *community.Store
	now     func() time.Time
}

// NewStore returns a Store on a migrated database.
func NewStore(db *store.DB) *Store {
	return &Store{db: db, members: community.NewStore(db), now: time.Now}
}

// AddAgent makes member an agent under parent (0 = none; the parent must
// be an agent). An agent's parent is set once: the tree cannot loop.
func (s *Store) AddAgent(ctx context.Context, member, parent int64) (*Agent, error) {
	m, _, err := s.members.Member(ctx, member)
	if errors.Is(err, community.ErrMemberNotFound) {
		return nil, ErrNoMember.With(member)
	}
	if err != nil {
		return nil, err
	}
	if parent == member {
		return nil, ErrParentIsSelf.With(member)
	}
	a := &Agent{MemberID: member, ParentID: parent, Name: m.Name, CreatedAt: s.now().UTC().Truncate(time.Second)}
	err = s.db.Atomic(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM growth_agents WHERE member_id = $1`, member).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrAgentExists.With(member)
		}
		if parent != 0 {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM growth_agents WHERE member_id = $1`, parent).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return ErrNoParent.With(parent)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO growth_agents (member_id, parent_id, created_at) VALUES ($1, $2, $3)`,
			member, parent, a.CreatedAt.Unix())
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Agents lists every agent by member id, with the member's name.
func (s *Store) Agents(ctx context.Context) ([]Agent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT member_id, parent_id, created_at FROM growth_agents ORDER BY member_id`)
	if err != nil {
		return nil, fmt.Errorf("agents: %w", err)
	}
	var out []Agent
	for rows.Next() {
		var a Agent
		var at int64
		if err := rows.Scan(&a.MemberID, &a.ParentID, &at); err != nil {
			rows.Close()
			return nil, err
		}
		a.CreatedAt = time.Unix(at, 0).UTC()
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if m, _, err := s.members.Member(ctx, out[i].MemberID); err == nil {
			out[i].Name = m.Name
		}
	}
	return out, nil
}

// Node is an agent in the tree with the agents under it.
type Node struct {
	Agent
	Children []*Node
}

// Tree returns the agents as trees, the roots (agents without a parent) in
// member id order.
func (s *Store) Tree(ctx context.Context) ([]*Node, error) {
	agents, err := s.Agents(ctx)
	if err != nil {
		return nil, err
	}
	nodes := map[int64]*Node{}
	for _, a := range agents {
		nodes[a.MemberID] = &Node{Agent: a}
	}
	var roots []*Node
	for _, a := range agents {
		n := nodes[a.MemberID]
		if p := nodes[a.ParentID]; p != nil {
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	sortNodes(roots)
	return roots, nil
}

// Rules returns the rule set of kind.
func (s *Store) Rules(ctx context.Context, kind RuleKind) (Rules, error) {
	return rulesOf(ctx, s.db, kind)
}

func rulesOf(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, kind RuleKind) (Rules, error) {
	r := Rules{Kind: kind, Bps: []int64{}}
	rows, err := q.QueryContext(ctx, `SELECT bps FROM growth_rules WHERE kind = $1 ORDER BY level`, string(kind))
	if err != nil {
		return r, fmt.Errorf("rules %s: %w", kind, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b int64
		if err := rows.Scan(&b); err != nil {
			return r, err
		}
		r.Bps = append(r.Bps, b)
	}
	return r, rows.Err()
}

// CheckRules says what is wrong with r, if anything: a known kind, at most
// MaxLevels levels (one for members' rebates), each 0..10000 basis points,
// summing to at most 10000.
func CheckRules(r Rules) error {
	if r.Kind != AgentRules && r.Kind != MemberRules {
		return ErrBadRuleKind.With(string(r.Kind))
	}
	if len(r.Bps) > MaxLevels {
		return ErrTooManyLevels.With(len(r.Bps), MaxLevels)
	}
	if r.Kind == MemberRules && len(r.Bps) > 1 {
		return ErrMemberLevels
	}
	var sum int64
	for _, b := range r.Bps {
		if b < 0 || b > 10000 {
			return ErrBadBps.With(b)
		}
		sum += b
	}
	if sum > 10000 {
		return ErrBpsOver.With(sum)
	}
	return nil
}

// SetRules replaces the rule set of r.Kind. Orders the ledger has already
// seen keep the shares they were given.
func (s *Store) SetRules(ctx context.Context, r Rules) error {
	return s.SetBoth(ctx, r)
}

// SetBoth replaces the rule sets given, each checked first, in one
// transaction: all or none.
func (s *Store) SetBoth(ctx context.Context, sets ...Rules) error {
	for _, r := range sets {
		if err := CheckRules(r); err != nil {
			return err
		}
	}
	return s.db.Atomic(ctx, func(tx *store.Tx) error {
		for _, r := range sets {
			if err := setRulesTx(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
}

func setRulesTx(ctx context.Context, tx *store.Tx, r Rules) error {
	{
		if _, err := tx.ExecContext(ctx, `DELETE FROM growth_rules WHERE kind = $1`, string(r.Kind)); err != nil {
			return err
		}
		for i, b := range r.Bps {
			if _, err := tx.ExecContext(ctx, `INSERT INTO growth_rules (kind, level, bps) VALUES ($1, $2, $3)`, string(r.Kind), i+1, b); err != nil {
				return err
			}
		}
		return nil
	}
}

// chains returns, for each agent, the agent and its ancestors (the agent
// first), from the agents' table as tx sees it.
func agentParents(ctx context.Context, tx *store.Tx) (map[int64]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT member_id, parent_id FROM growth_agents`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var m, p int64
		if err := rows.Scan(&m, &p); err != nil {
			return nil, err
		}
		out[m] = p
	}
	return out, rows.Err()
}

// sortNodes orders children by member id, recursively.
func sortNodes(ns []*Node) {
	sort.Slice(ns, func(i, j int) bool { return ns[i].MemberID < ns[j].MemberID })
	for _, n := range ns {
		sortNodes(n.Children)
	}
}
