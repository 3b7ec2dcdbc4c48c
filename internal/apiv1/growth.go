package apiv1

import (
	"time"

	"github.com/qunke/qunke/internal/growth"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/orders"
)

// Agent is a member acting as an agent (qunke agents list --json).
type Agent struct {
	MemberID  int64     `json:"member_id"`
	ParentID  *int64    `json:"parent_id"` // null: no parent
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// NewAgent is a as the API shows it.
func NewAgent(a growth.Agent) Agent {
	out := Agent{MemberID: a.MemberID, Name: a.Name, CreatedAt: a.CreatedAt}
	if a.ParentID != 0 {
		p := a.ParentID
		out.ParentID = &p
	}
	return out
}

// NewAgents lists agents.
func NewAgents(as []growth.Agent) []Agent {
	out := []Agent{}
	for _, a := range as {
		out = append(out, NewAgent(a))
	}
	return out
}

// AgentNode is an agent with the agents under it (qunke agents tree --json).
type AgentNode struct {
	Agent
	Children []AgentNode `json:"children"`
}

// NewAgentTree is the agents' trees.
func NewAgentTree(ns []*growth.Node) []AgentNode {
	out := []AgentNode{}
	for _, n := range ns {
		out = append(out, AgentNode{Agent: NewAgent(n.Agent), Children: NewAgentTree(n.Children)})
	}
	return out
}

// ShareRules is a rule set: kind "agent" or "member", the share of each
// paid level in basis points, level 1 first.
type ShareRules struct {
	Kind     string  `json:"kind"`
	LevelsBp []int64 `json:"levels_bp"`
}

// NewShareRules is r as the API shows it.
func NewShareRules(r growth.Rules) ShareRules {
	return ShareRules{Kind: string(r.Kind), LevelsBp: nonNil(r.Bps)}
}

// LedgerPost is what a posting run did (qunke ledger post --json).
type LedgerPost struct {
	Orders   int `json:"orders"`
	Shared   int `json:"shared"`
	Postings int `json:"postings"`
	Held     int `json:"held"`
	Released int `json:"released"`
	Adjusted int `json:"adjusted"`
	Reversed int `json:"reversed"`
}

// NewLedgerPost is st as the API shows it.
func NewLedgerPost(st growth.PostStats) LedgerPost {
	return LedgerPost{Orders: st.Orders, Shared: st.Shared, Postings: st.Postings, Held: st.Held, Released: st.Released,
		Adjusted: st.Adjusted, Reversed: st.Reversed}
}

// LedgerBalance is one account's balance: balance_fen debit positive; for
// a member's account, owed_fen is what the team owes them (negative: what
// they owe the team, deducted from the next payout), null for the team's.
type LedgerBalance struct {
	Kind       string `json:"kind"`
	MemberID   *int64 `json:"member_id"`
	BalanceFen int64  `json:"balance_fen"`
	OwedFen    *int64 `json:"owed_fen"`
}

// NewLedgerBalances lists balances.
func NewLedgerBalances(bs []ledger.Balance) []LedgerBalance {
	out := []LedgerBalance{}
	for _, b := range bs {
		lb := LedgerBalance{Kind: string(b.Account.Kind), BalanceFen: b.Balance}
		if b.Account.Member != 0 {
			m, owed := b.Account.Member, b.Owed()
			lb.MemberID, lb.OwedFen = &m, &owed
		}
		out = append(out, lb)
	}
	return out
}

// StatementLine is one line of a member's statement: amount_fen is what
// the team owes them more (+) or less (-).
type StatementLine struct {
	At        time.Time `json:"at"`
	PostingID int64     `json:"posting_id"`
	Source    string    `json:"source"`
	SourceKey string    `json:"source_key"`
	Reason    string    `json:"reason"`
	Kind      string    `json:"kind"`
	AmountFen int64     `json:"amount_fen"`
}

// Statement is a member's monthly statement (qunke ledger statement
// --format json): what the team owed at from and at to, held and payable
// apart, and the lines between; closing = opening + the lines.
type Statement struct {
	MemberID          int64           `json:"member_id"`
	From              time.Time       `json:"from"`
	To                time.Time       `json:"to"`
	OpeningHeldFen    int64           `json:"opening_held_fen"`
	OpeningPayableFen int64           `json:"opening_payable_fen"`
	ClosingHeldFen    int64           `json:"closing_held_fen"`
	ClosingPayableFen int64           `json:"closing_payable_fen"`
	Lines             []StatementLine `json:"lines"`
}

// NewStatement is st as the API shows it; from and to in zone.
func NewStatement(st *ledger.Statement, zone *time.Location) Statement {
	out := Statement{MemberID: st.Member, From: st.From.In(zone), To: st.To.In(zone), OpeningHeldFen: st.OpeningHeld,
		OpeningPayableFen: st.OpeningPayable, ClosingHeldFen: st.ClosingHeld, ClosingPayableFen: st.ClosingPayable, Lines: []StatementLine{}}
	for _, l := range st.Lines {
		out.Lines = append(out.Lines, StatementLine{At: l.At.UTC(), PostingID: l.PostingID, Source: string(l.Source), SourceKey: l.SourceKey,
			Reason: string(l.Reason), Kind: string(l.Kind), AmountFen: l.Amount})
	}
	return out
}

// PayoutLine is what one member's payable account gets in a batch.
type PayoutLine struct {
	MemberID  int64  `json:"member_id"`
	Kind      string `json:"kind"`
	AmountFen int64  `json:"amount_fen"`
}

// Payout is a payout batch: status "open" (to pay by hand) or "paid".
type Payout struct {
	ID        int64        `json:"id"`
	CreatedAt time.Time    `json:"created_at"`
	MinFen    int64        `json:"min_fen"`
	Status    string       `json:"status"`
	PaidAt    *time.Time   `json:"paid_at"`
	PaidBy    string       `json:"paid_by"`
	TotalFen  int64        `json:"total_fen"`
	Lines     []PayoutLine `json:"lines"`
}

// NewPayout is p as the API shows it.
func NewPayout(p *ledger.Payout) Payout {
	out := Payout{ID: p.ID, CreatedAt: p.CreatedAt, MinFen: p.MinFen, Status: string(p.Status), PaidBy: p.PaidBy, TotalFen: p.Total,
		Lines: []PayoutLine{}}
	if !p.PaidAt.IsZero() {
		t := p.PaidAt
		out.PaidAt = &t
	}
	for _, l := range p.Lines {
		out.Lines = append(out.Lines, PayoutLine{MemberID: l.Account.Member, Kind: string(l.Account.Kind), AmountFen: l.Amount})
	}
	return out
}

// AgentRow is one agent of GET /api/v1/agents: the tree depth first, depth
// 0 for the caller's roots; held_fen and payable_fen are what the team
// owes the agent (payable negative: a reversal to deduct).
type AgentRow struct {
	Agent
	Depth      int       `json:"depth"`
	Children   int       `json:"children"`
	Bindings   []Binding `json:"bindings"`
	HeldFen    int64     `json:"held_fen"`
	PayableFen int64     `json:"payable_fen"`
}

// NewAgentRows lists the console's agents.
func NewAgentRows(rows []growth.AgentRow) []AgentRow {
	out := []AgentRow{}
	for _, r := range rows {
		a := AgentRow{Agent: NewAgent(r.Agent), Depth: r.Depth, Children: r.Children, Bindings: []Binding{},
			HeldFen: r.Owed.Held, PayableFen: r.Owed.Payable}
		for _, b := range r.Bindings {
			a.Bindings = append(a.Bindings, NewBinding(b))
		}
		out = append(out, a)
	}
	return out
}

// AgentDetail is GET /api/v1/agents/{id}: an agent (or a member with
// rebates: is_agent false), their parent (null: none, or outside the
// caller's subtree), the agents under them, bound ids, what is owed, their
// orders (the latest, with totals) and the month's statement.
type AgentDetail struct {
	MemberID      int64     `json:"member_id"`
	Name          string    `json:"name"`
	IsAgent       bool      `json:"is_agent"`
	ParentID      *int64    `json:"parent_id"`
	ChildIDs      []int64   `json:"child_ids"`
	Bindings      []Binding `json:"bindings"`
	HeldFen       int64     `json:"held_fen"`
	PayableFen    int64     `json:"payable_fen"`
	OrderCount    int64     `json:"order_count"`
	PaidAmountFen int64     `json:"paid_amount_fen"`
	EstIncomeFen  int64     `json:"est_income_fen"`
	SettledFen    int64     `json:"settled_income_fen"`
	Orders        []Order   `json:"orders"`
	Statement     Statement `json:"statement"`
}

// NewAgentDetail is p as the API shows it.
func NewAgentDetail(p *growth.Person, zone *time.Location) AgentDetail {
	out := AgentDetail{MemberID: p.MemberID, Name: p.Name, IsAgent: p.IsAgent, ChildIDs: []int64{}, Bindings: []Binding{},
		HeldFen: p.Owed.Held, PayableFen: p.Owed.Payable, OrderCount: p.Totals.Orders, PaidAmountFen: p.Totals.PaidAmount,
		EstIncomeFen: p.Totals.EstIncome, SettledFen: p.Totals.SettledIncome, Orders: []Order{},
		Statement: NewStatement(p.Statement, zone)}
	if p.Parent != nil {
		id := p.Parent.MemberID
		out.ParentID = &id
	}
	for _, c := range p.Children {
		out.ChildIDs = append(out.ChildIDs, c.MemberID)
	}
	for _, b := range p.Bindings {
		out.Bindings = append(out.Bindings, NewBinding(b))
	}
	for _, o := range p.Orders {
		out.Orders = append(out.Orders, newOrder(o))
	}
	return out
}

// newOrder is o as the API lists it.
func newOrder(o orders.Order) Order {
	return Order{Platform: o.Platform, TradeID: o.TradeID, ParentID: o.ParentID, ItemID: o.ItemID, Title: o.Title,
		Status: string(o.Status), PaidAmount: o.PaidAmount, EstIncome: o.EstIncome, PaidAt: Unix(o.PaidAt),
		AdzoneID: o.AdzoneID, AdzoneName: o.AdzoneName, RelationID: o.RelationID, SpecialID: o.SpecialID}
}
