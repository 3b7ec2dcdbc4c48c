package growth

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/store"
)

// Scope is what a reader of the agents' console may see: everything
// (All: the team's admins and finance), or the subtree of one agent (Root:
// the agent role's user) — that agent and the agents under it, at any depth.
type Scope struct {
	All  bool
	Root int64
}

// ErrNotVisible is an agent or member outside the reader's scope, or one
// that does not exist: the same answer for both, so that ids in URLs tell
// an agent nothing of the rest of the team.
var ErrNotVisible = msg.New("growth.not_visible") // %d

// Console answers the agents' console and API: one call per page, each
// scoped. It reads the agents (this package), the members' bound ids
// (community), their orders (orders) and the ledger (ledger's methods).
type Console struct {
	Agents  *Store
	Members *community.Store
	Orders  *orders.Store
	Ledger  *ledger.Store
}

// NewConsole returns a Console on a migrated database.
func NewConsole(db *store.DB, o *orders.Store) *Console {
	return &Console{Agents: NewStore(db), Members: community.NewStore(db), Orders: o, Ledger: ledger.NewStore(db)}
}

// IsAgent reports whether member id is an agent (auth.AgentChecker).
func (s *Store) IsAgent(ctx context.Context, id int64) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM growth_agents WHERE member_id = $1`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("agent %d: %w", id, err)
	}
	return n > 0, nil
}

// Subtree returns the ids of root and of every agent under it (none when
// root is not an agent).
func Subtree(agents []Agent, root int64) map[int64]bool {
	kids := map[int64][]int64{}
	found := false
	for _, a := range agents {
		kids[a.ParentID] = append(kids[a.ParentID], a.MemberID)
		if a.MemberID == root {
			found = true
		}
	}
	out := map[int64]bool{}
	if !found {
		return out
	}
	stack := []int64{root}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if out[id] {
			continue
		}
		out[id] = true
		stack = append(stack, kids[id]...)
	}
	return out
}

// Owed is what the team owes a person: held (orders not yet settled and
// paid by the platform) and payable (ready to pay; negative when a share
// reversed after it was paid is to be deducted).
type Owed struct {
	Held, Payable int64 // fen
}

// OwesTeam is what the person owes the team (fen, 0 none): a payable below
// zero, a share reversed after it was paid, which the next payout deducts.
func (o Owed) OwesTeam() int64 { return max(-o.Payable, 0) }

// AgentRow is one agent of the console's tree.
type AgentRow struct {
	Agent
	Depth    int // 0 for the scope's roots
	Bindings []community.Binding
	Owed     Owed
	Children int
}

// PersonRow is a member with rebates (not an agent) and what is owed.
type PersonRow struct {
	MemberID int64
	Name     string
	Owed     Owed
}

// AgentsPage is the console's agents page: the tree (depth first), the
// rule sets, and, for the whole team, the members with rebates.
type AgentsPage struct {
	Rows        []AgentRow
	AgentRules  Rules
	MemberRules Rules
	Rebates     []PersonRow // All scope only
}

// owedOf sums personal balances per member.
func balancesOwed(bs []ledger.Balance) map[int64]Owed {
	out := map[int64]Owed{}
	for _, b := range bs {
		if !b.Account.Kind.Personal() {
			continue
		}
		o := out[b.Account.Member]
		if b.Account.Kind.Payable() {
			o.Payable += b.Owed()
		} else {
			o.Held += b.Owed()
		}
		out[b.Account.Member] = o
	}
	return out
}

// visible returns the agents and the set the scope sees.
func (c *Console) visible(ctx context.Context, sc Scope) ([]Agent, map[int64]bool, error) {
	agents, err := c.Agents.Agents(ctx)
	if err != nil {
		return nil, nil, err
	}
	if sc.All {
		all := map[int64]bool{}
		for _, a := range agents {
			all[a.MemberID] = true
		}
		return agents, all, nil
	}
	return agents, Subtree(agents, sc.Root), nil
}

// Page returns the agents page for sc.
func (c *Console) Page(ctx context.Context, sc Scope) (*AgentsPage, error) {
	agents, seen, err := c.visible(ctx, sc)
	if err != nil {
		return nil, err
	}
	var bs []ledger.Balance
	if sc.All {
		bs, err = c.Ledger.Balances(ctx, 0)
	} else {
		for id := range seen {
			b, err := c.Ledger.Balances(ctx, id)
			if err != nil {
				return nil, err
			}
			bs = append(bs, b...)
		}
	}
	if err != nil {
		return nil, err
	}
	owed := balancesOwed(bs)
	byID := map[int64]Agent{}
	kids := map[int64][]int64{}
	for _, a := range agents {
		byID[a.MemberID] = a
		if seen[a.MemberID] {
			kids[a.ParentID] = append(kids[a.ParentID], a.MemberID)
		}
	}
	var roots []int64
	for _, a := range agents {
		if seen[a.MemberID] && !seen[a.ParentID] {
			roots = append(roots, a.MemberID)
		}
	}
	p := &AgentsPage{}
	var walk func(id int64, depth int) error
	walk = func(id int64, depth int) error {
		bind, err := c.Members.Bindings(ctx, id)
		if err != nil {
			return err
		}
		ks := kids[id]
		sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
		p.Rows = append(p.Rows, AgentRow{Agent: byID[id], Depth: depth, Bindings: bind, Owed: owed[id], Children: len(ks)})
		for _, k := range ks {
			if err := walk(k, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	sort.Slice(roots, func(i, j int) bool { return roots[i] < roots[j] })
	for _, r := range roots {
		if err := walk(r, 0); err != nil {
			return nil, err
		}
	}
	if p.AgentRules, err = c.Agents.Rules(ctx, AgentRules); err != nil {
		return nil, err
	}
	if p.MemberRules, err = c.Agents.Rules(ctx, MemberRules); err != nil {
		return nil, err
	}
	if sc.All {
		var ids []int64
		for id := range owed {
			if _, agent := byID[id]; !agent {
				ids = append(ids, id)
			}
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for _, id := range ids {
			r := PersonRow{MemberID: id, Owed: owed[id]}
			if m, _, err := c.Members.Member(ctx, id); err == nil {
				r.Name = m.Name
			}
			p.Rebates = append(p.Rebates, r)
		}
	}
	return p, nil
}

// Person is one agent's or rebate member's page: who, their bound ids,
// parent and children, what is owed, their latest orders and the month's
// statement (the ledger's lines, reversals included).
type Person struct {
	MemberID  int64
	Name      string
	IsAgent   bool
	Parent    *Agent // nil: none, or outside the scope
	Children  []Agent
	Bindings  []community.Binding
	Owed      Owed
	Totals    orders.MemberTotals
	Orders    []orders.Order
	Statement *ledger.Statement
}

// PersonOrders is how many of a person's latest orders their page shows.
const PersonOrders = 50

// Person returns member id's page with the statement over [from, to);
// ErrNotVisible when the scope does not see them (the agent role sees its
// subtree; the whole team sees every agent and every member).
func (c *Console) Person(ctx context.Context, sc Scope, id int64, from, to time.Time) (*Person, error) {
	agents, seen, err := c.visible(ctx, sc)
	if err != nil {
		return nil, err
	}
	if !sc.All && !seen[id] {
		return nil, ErrNotVisible.With(id)
	}
	m, _, err := c.Members.Member(ctx, id)
	if errors.Is(err, community.ErrMemberNotFound) {
		return nil, ErrNotVisible.With(id)
	}
	if err != nil {
		return nil, err
	}
	p := &Person{MemberID: id, Name: m.Name}
	byID := map[int64]Agent{}
	for _, a := range agents {
		byID[a.MemberID] = a
	}
	if a, ok := byID[id]; ok {
		p.IsAgent = true
		if par, ok := byID[a.ParentID]; ok && seen[a.ParentID] {
			p.Parent = &par
		}
		for _, k := range agents {
			if k.ParentID == id {
				p.Children = append(p.Children, k)
			}
		}
	}
	if p.Bindings, err = c.Members.Bindings(ctx, id); err != nil {
		return nil, err
	}
	bs, err := c.Ledger.Balances(ctx, id)
	if err != nil {
		return nil, err
	}
	p.Owed = balancesOwed(bs)[id]
	if p.Totals, p.Orders, err = c.Orders.MemberOrders(ctx, id, PersonOrders); err != nil {
		return nil, err
	}
	if p.Statement, err = c.Ledger.Statement(ctx, id, from, to); err != nil {
		return nil, err
	}
	return p, nil
}

// Statement returns member id's statement over [from, to) and their name,
// ErrNotVisible outside the scope.
func (c *Console) Statement(ctx context.Context, sc Scope, id int64, from, to time.Time) (*ledger.Statement, string, error) {
	_, seen, err := c.visible(ctx, sc)
	if err != nil {
		return nil, "", err
	}
	if !sc.All && !seen[id] {
		return nil, "", ErrNotVisible.With(id)
	}
	m, _, err := c.Members.Member(ctx, id)
	if errors.Is(err, community.ErrMemberNotFound) {
		return nil, "", ErrNotVisible.With(id)
	}
	if err != nil {
		return nil, "", err
	}
	st, err := c.Ledger.Statement(ctx, id, from, to)
	return st, m.Name, err
}

// SetRules replaces both rule sets in one transaction (the rules page).
func (c *Console) SetRules(ctx context.Context, agent, member Rules) error {
	return c.Agents.SetBoth(ctx, agent, member)
}

// Payouts lists the payout batches, newest first, with the names of the
// people on their lines.
func (c *Console) Payouts(ctx context.Context) ([]ledger.Payout, map[int64]string, error) {
	ps, err := c.Ledger.Payouts(ctx)
	if err != nil {
		return nil, nil, err
	}
	names := map[int64]string{}
	for _, p := range ps {
		for _, l := range p.Lines {
			if _, ok := names[l.Account.Member]; ok {
				continue
			}
			names[l.Account.Member] = ""
			if m, _, err := c.Members.Member(ctx, l.Account.Member); err == nil {
				names[l.Account.Member] = m.Name
			}
		}
	}
	return ps, names, nil
}

// Rules returns the agents' and the members' rule sets.
func (c *Console) Rules(ctx context.Context) (agent, member Rules, err error) {
	if agent, err = c.Agents.Rules(ctx, AgentRules); err != nil {
		return
	}
	member, err = c.Agents.Rules(ctx, MemberRules)
	return
}
