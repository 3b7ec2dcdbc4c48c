package insight

import (
	"context"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// What the economics reads of the other owners, through their methods.
type (
	// EconGroups is community.Store: the groups, their owners and tags.
	EconGroups interface {
		List(ctx context.Context, f community.Filter) ([]*community.Group, error)
	}
	// EconStays is community.Store: the registry's stays.
	EconStays interface {
		EachStay(ctx context.Context, from, to time.Time, fn func(community.Membership) error) error
	}
	// EconOrders is orders.Store: income per group-day and the
	// member-attributed income.
	EconOrders interface {
		DailyIncome(ctx context.Context, from, to time.Time) (map[publish.GroupDay]orders.GroupDayIncome, error)
		EachMemberDayIncome(ctx context.Context, from, to time.Time, fn func(orders.MemberDayIncome) error) error
	}
	// EconLedger is ledger.Store: the fission rewards posted.
	EconLedger interface {
		DailyExpense(ctx context.Context, kind ledger.Kind, from, to time.Time) (map[int64]int64, error)
	}
	// EconHealth is health.Store: the groups' days, for their lifetimes.
	EconHealth interface {
		AllDays(ctx context.Context, from, to int64) (map[int64][]health.Day, error)
	}
)

// Economics computes the unit economics from the owners' data: built once
// (serve, the CLI) and passed in. Ledger and Health may be nil (no fission
// rewards from the ledger; no group lifetimes).
type Economics struct {
	Groups EconGroups
	Stays  EconStays
	Orders EconOrders
	Costs  *Store
	Ledger EconLedger
	Health EconHealth
	Rules  health.Rules // the death definition (zero: health.DefaultRules)
}

// LedgerCampaign is the campaign of the fission costs taken from the
// ledger's reward postings.
const LedgerCampaign = "ledger"

// EconQuery asks for a window [From, To) (zero: the 180 days up to Now,
// from the first day with income when that is later),
// cut By, cohorts by Period; Now zero is time.Now.
type EconQuery struct {
	From, To time.Time
	Now      time.Time
	By       By
	Period   string
}

// MaxEconDays bounds a window.
const MaxEconDays = 730

// ErrEconWindow is a window that is empty, reversed or too long.
var ErrEconWindow = msg.New("econ.bad_window", MaxEconDays)

// Input gathers what UnitEconomics reads, for the query's window.
func (e *Economics) Input(ctx context.Context, q EconQuery) (EconInput, error) {
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	now := shanghai.Day(q.Now.Unix())
	in := EconInput{Now: now, To: now + 1, From: now + 1 - 180}
	if !q.From.IsZero() {
		in.From = shanghai.Day(q.From.Unix())
	}
	if !q.To.IsZero() {
		in.To = shanghai.Day(q.To.Unix()-1) + 1
	}
	if in.To <= in.From || in.To-in.From > MaxEconDays {
		return in, ErrEconWindow
	}
	from, to := DayTime(in.From), DayTime(in.To)
	di, err := e.Orders.DailyIncome(ctx, from, to)
	if err != nil {
		return in, err
	}
	in.GroupIncome = make(map[GroupDay]int64, len(di))
	first := int64(-1)
	for k, v := range di {
		if v.EstIncome != 0 {
			in.GroupIncome[GroupDay{k.GroupID, k.Day}] = v.EstIncome
			if first < 0 || k.Day < first {
				first = k.Day
			}
		}
	}
	// The default window starts no earlier than the first day with income:
	// before the team's first order was imported its members would read as
	// earning nothing.
	if q.From.IsZero() && first > in.From {
		in.From = first
		from = DayTime(in.From)
	}

	gs, err := e.Groups.List(ctx, community.Filter{})
	if err != nil {
		return in, err
	}
	for _, g := range gs {
		in.Groups = append(in.Groups, EconGroup{ID: g.ID, Name: g.Name, Owner: g.Owner, Tags: g.Tags})
	}
	// Costs, and the ledger's fission rewards as costs.
	// The purchases' links are read from a month before the window: a
	// batch bought then may still be joining.
	costs, err := e.Costs.CostsBetween(ctx, from.AddDate(0, 0, -30), to)
	if err != nil {
		return in, err
	}
	type gl struct {
		group int64
		link  string
	}
	bought := map[gl]bool{}
	for _, c := range costs {
		if c.Kind == BoughtMembers && c.Campaign != "" {
			bought[gl{c.GroupID, c.Campaign}] = true
		}
		if d := shanghai.Day(c.Day.Unix()); d >= in.From {
			in.Costs = append(in.Costs, c)
		}
	}
	if e.Ledger != nil {
		fr, err := e.Ledger.DailyExpense(ctx, ledger.RewardExpense, from, to)
		if err != nil {
			return in, err
		}
		for d, fen := range fr {
			in.Costs = append(in.Costs, Cost{Campaign: LedgerCampaign, Day: DayTime(d), Kind: FissionRewards, AmountFen: fen})
		}
	}
	err = e.Stays.EachStay(ctx, from, to, func(m community.Membership) error {
		s := EconStay{Group: m.GroupID, Member: m.MemberID, Joined: shanghai.Day(m.JoinedAt.Unix()), Left: -1,
			Source: Organic}
		if !m.LeftAt.IsZero() {
			s.Left = shanghai.Day(m.LeftAt.Unix())
		}
		switch {
		case m.InviteLink != "" && (bought[gl{m.GroupID, m.InviteLink}] || bought[gl{0, m.InviteLink}]):
			s.Source = Bought
		case m.Inviter != "":
			s.Source = Fission
		}
		in.Stays = append(in.Stays, s)
		return nil
	})
	if err != nil {
		return in, err
	}
	err = e.Orders.EachMemberDayIncome(ctx, from, to, func(r orders.MemberDayIncome) error {
		if r.EstIncome != 0 {
			in.MemberIncome = append(in.MemberIncome, MemberIncome{Member: r.MemberID, Group: r.GroupID, Day: r.Day, Fen: r.EstIncome})
		}
		return nil
	})
	if err != nil {
		return in, err
	}
	if e.Health != nil {
		in.GroupLives, err = e.lives(ctx, now)
		if err != nil {
			return in, err
		}
	}
	return in, nil
}

// lives are the groups' lifetimes from health's days (the last
// MaxEconDays): from the first day with members to the first dead day by
// health's death definition (Rules.Backtest), else censored at the last
// day stored.
func (e *Economics) lives(ctx context.Context, now int64) (map[int64]Lifetime, error) {
	days, err := e.Health.AllDays(ctx, now-MaxEconDays, now)
	if err != nil {
		return nil, err
	}
	rules := e.Rules
	if rules == (health.Rules{}) {
		rules = health.DefaultRules()
	}
	out := map[int64]Lifetime{}
	for g, ds := range days {
		first := -1
		for i, d := range ds {
			if d.Members > 0 {
				first = i
				break
			}
		}
		if first < 0 {
			continue
		}
		res := rules.Backtest([]health.Series{{GroupID: g, Days: ds}})
		start := ds[first].Day
		if death := res.Groups[0].DeathDay; death > 0 && death >= start {
			out[g] = Lifetime{Days: float64(death - start), Ended: true}
		} else {
			out[g] = Lifetime{Days: float64(ds[len(ds)-1].Day - start + 1)}
		}
	}
	return out, nil
}

// Report computes the economics for q.
func (e *Economics) Report(ctx context.Context, q EconQuery) (EconReport, error) {
	by := q.By
	if by == "" {
		by = ByGroup
	}
	in, err := e.Input(ctx, q)
	if err != nil {
		return EconReport{}, err
	}
	return UnitEconomics(in, EconOptions{By: by, Period: q.Period}), nil
}

// Reports computes the economics for q cut each of bys, from one reading of
// the data (the console's page: the cut asked for and the sources'
// survival).
func (e *Economics) Reports(ctx context.Context, q EconQuery, bys ...By) ([]EconReport, error) {
	in, err := e.Input(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]EconReport, len(bys))
	for i, by := range bys {
		out[i] = UnitEconomics(in, EconOptions{By: by, Period: q.Period})
	}
	return out, nil
}

// NewEconomics reads the owners of db through their stores (the command
// line; serve builds it from the stores it shares).
func NewEconomics(db *store.DB) *Economics {
	cs := community.NewStore(db)
	return &Economics{Groups: cs, Stays: cs, Orders: orders.NewStore(db), Costs: NewStore(db), Ledger: ledger.NewStore(db),
		Health: health.NewStore(db)}
}
