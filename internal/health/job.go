package health

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// Sources the rollup reads, each through its owner's methods.
type (
	// GroupLister is the group registry (community.Store).
	GroupLister interface {
		List(ctx context.Context, f community.Filter) ([]*community.Group, error)
		Get(ctx context.Context, id int64) (*community.Group, error)
	}
	// PostCounter counts sent posts per group and day (publish.Store).
	PostCounter interface {
		SentPerDay(ctx context.Context, from, to, offset int64) (map[publish.GroupDay]int64, error)
	}
	// OrderDays adds orders up per group and day (orders.Store).
	OrderDays interface {
		DailyIncome(ctx context.Context, from, to time.Time) (map[publish.GroupDay]orders.GroupDayIncome, error)
	}
	// Registry gives, for the groups whose members a source tells, their
	// member figures per Shanghai day in [from, to] (day numbers): Members,
	// Joins, Leaves*, Active, Messages, with Tracked set; days with no
	// change carry the members forward.
	Registry func(ctx context.Context, from, to int64) (map[int64][]Day, error)
)

// LeaseName is the store lease the rollup, the verdicts and the alerts run
// under: one server at a time on a shared database.
const LeaseName = "health.rollup"

// Service fills group_days, judges every active group and sends the alerts.
type Service struct {
	DB       *store.DB
	Store    *Store
	Groups   GroupLister
	Posts    PostCounter
	Orders   OrderDays
	Registry Registry // nil: every group's members come from its member count field
	// Senders by channel, for the alerts (the posting worker's senders).
	Senders map[community.Channel]channel.Sender
	Rules   Rules
	Log     *slog.Logger
	Now     func() time.Time
	// Window is how many days back each run recomputes (late orders,
	// events arriving out of order); Backfill how many the first run fills.
	Window, Backfill int
	// RulesOnly keeps the documented rule set even when the history would
	// fit a model (docs/health.md).
	RulesOnly bool

	mu       sync.Mutex // guards model and fittedOn (the job and serve --demo's first judging)
	model    *Model     // fitted on the history, nil: the rule set
	fittedOn int64      // the day it was fitted
}

// Model returns the model in use, nil for the rule set.
func (s *Service) Model() *Model {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.model
}

// fit fits the model on the stored history once a day (when the history
// holds MinDeaths dead groups; otherwise the rule set stays in use).
func (s *Service) fit(ctx context.Context, groups []*community.Group, today int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.RulesOnly || s.fittedOn == today {
		return nil
	}
	series, err := s.history(ctx, groups, today)
	if err != nil {
		return err
	}
	plain := s.Rules
	plain.Model = nil
	s.model, s.fittedOn = plain.Fit(series), today
	return nil
}

// history is every group's stored days up to today.
func (s *Service) history(ctx context.Context, groups []*community.Group, today int64) ([]Series, error) {
	all, err := s.Store.AllDays(ctx, 0, today)
	if err != nil {
		return nil, err
	}
	var series []Series
	for _, g := range groups {
		if ds := all[g.ID]; len(ds) > 0 {
			series = append(series, Series{GroupID: g.ID, Name: g.Name, Days: ds})
		}
	}
	return series, nil
}

// NewService builds the service over db's owners.
func NewService(db *store.DB, log *slog.Logger) *Service {
	groups := community.NewStore(db)
	return &Service{DB: db, Store: NewStore(db), Groups: groups, Registry: FromRegistry(groups), Posts: publish.NewStore(db),
		Orders: orders.NewStore(db), Rules: DefaultRules(), Log: log, Now: time.Now, Window: 35, Backfill: 400}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// RunStats says what one run did.
type RunStats struct {
	Groups, Days, Alerts, Sent int
}

// RunOnce fills the days, judges the groups and sends pending alerts.
func (s *Service) RunOnce(ctx context.Context) (RunStats, error) {
	var st RunStats
	today := shanghai.Day(s.now().Unix())
	pasts, err := s.Store.Pasts(ctx, 0)
	if err != nil {
		return st, err
	}
	back := s.Window
	if len(pasts) == 0 {
		back = s.Backfill
	}
	groups, err := s.Groups.List(ctx, community.Filter{})
	if err != nil {
		return st, fmt.Errorf("health: groups: %w", err)
	}
	days, err := s.Collect(ctx, groups, today-int64(back)+1, today)
	if err != nil {
		return st, err
	}
	if err := s.Store.SaveDays(ctx, days); err != nil {
		return st, err
	}
	for _, g := range days {
		st.Days += len(g.Days)
	}
	if st.Alerts, err = s.Judge(ctx, groups, today); err != nil {
		return st, err
	}
	st.Groups = len(groups)
	st.Sent, err = s.SendAlerts(ctx, groups)
	return st, err
}

// Collect gathers each group's days in [from, to] (day numbers) from the
// owners: a group's days start at its creation or its first figure,
// whichever is earlier.
func (s *Service) Collect(ctx context.Context, groups []*community.Group, from, to int64) ([]GroupDays, error) {
	start, end := from*86400-shanghai.Offset, (to+1)*86400-shanghai.Offset
	posts, err := s.Posts.SentPerDay(ctx, start, end, shanghai.Offset)
	if err != nil {
		return nil, err
	}
	inc, err := s.Orders.DailyIncome(ctx, time.Unix(start, 0), time.Unix(end, 0))
	if err != nil {
		return nil, err
	}
	var reg map[int64][]Day
	if s.Registry != nil {
		if reg, err = s.Registry(ctx, from, to); err != nil {
			return nil, fmt.Errorf("health: members: %w", err)
		}
	}
	first := map[int64]int64{}
	note := func(g, d int64) {
		if f, ok := first[g]; !ok || d < f {
			first[g] = d
		}
	}
	for k := range posts {
		note(k.GroupID, k.Day)
	}
	for k := range inc {
		note(k.GroupID, k.Day)
	}
	for g, ds := range reg {
		if len(ds) > 0 {
			note(g, ds[0].Day)
		}
	}
	out := make([]GroupDays, 0, len(groups))
	for _, g := range groups {
		begin := max(from, shanghai.Day(g.Created.Unix()))
		if f, ok := first[g.ID]; ok {
			begin = max(from, min(begin, f))
		}
		if begin > to {
			continue
		}
		byDay := map[int64]Day{}
		for _, d := range reg[g.ID] {
			byDay[d.Day] = d
		}
		tracked := len(reg[g.ID]) > 0
		gd := GroupDays{GroupID: g.ID, Days: make([]Day, 0, to-begin+1)}
		var carry int64
		for d := begin; d <= to; d++ {
			day := Day{Day: d, Members: g.Members}
			if tracked {
				if r, ok := byDay[d]; ok {
					day = r
					carry = r.Members
				} else {
					day = Day{Day: d, Members: carry}
				}
				day.Tracked = true
			}
			day.Posts = posts[publish.GroupDay{GroupID: g.ID, Day: d}]
			o := inc[publish.GroupDay{GroupID: g.ID, Day: d}]
			day.Orders, day.IncomeFen = o.Orders, o.EstIncome
			gd.Days = append(gd.Days, day)
		}
		out = append(out, gd)
	}
	return out, nil
}

// Judge judges every active group on day today from its stored days and
// saves the verdicts (recording an alert per change of state). It returns
// the alerts recorded.
func (s *Service) Judge(ctx context.Context, groups []*community.Group, today int64) (int, error) {
	if err := s.fit(ctx, groups, today); err != nil {
		return 0, err
	}
	r := s.Rules
	r.Model = s.Model()
	tail := int64(r.tail())
	all, err := s.Store.AllDays(ctx, today-tail+1, today)
	if err != nil {
		return 0, err
	}
	pasts, err := s.Store.Pasts(ctx, today-tail+1)
	if err != nil {
		return 0, err
	}
	prev, err := s.Store.Board(ctx)
	if err != nil {
		return 0, err
	}
	for _, h := range prev {
		p, ok := pasts[h.GroupID]
		if !ok {
			continue
		}
		// The state of the day before: the stored one, or, when it was
		// judged earlier today already, the one it had before today.
		p.Prev = h.Verdict.State
		if h.Verdict.Day >= today {
			p.Prev = h.PrevState
		}
		pasts[h.GroupID] = p
	}
	var vs []Judged
	for _, g := range groups {
		ds := all[g.ID]
		if !g.Active || len(ds) == 0 || ds[len(ds)-1].Day != today {
			continue
		}
		p := pasts[g.ID]
		v := r.Judge(ds, p)
		vs = append(vs, Judged{GroupID: g.ID, Verdict: v, Members: ds[len(ds)-1].Members, Peak: max(p.Peak, ds[len(ds)-1].Members)})
	}
	return s.Store.SaveVerdicts(ctx, vs)
}

// SendAlerts sends the pending alerts, each claimed first so that of two
// servers only one sends it, to the channel set for the group's owner (or
// the installation's default). It returns how many went out.
func (s *Service) SendAlerts(ctx context.Context, groups []*community.Group) (int, error) {
	if s.Senders == nil {
		return 0, nil // nothing to send with (the command line): left pending
	}
	pending, err := s.Store.Alerts(ctx, "pending", 0, 500)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	settings, err := s.Store.NotifySettings(ctx)
	if err != nil {
		return 0, err
	}
	byID := map[int64]*community.Group{}
	for _, g := range groups {
		byID[g.ID] = g
	}
	holder := store.Holder()
	sent := 0
	slices.Reverse(pending) // oldest first
	for _, a := range pending {
		ok, err := s.Store.claimAlert(ctx, a.ID, holder)
		if err != nil {
			return sent, err
		}
		if !ok {
			continue
		}
		g := byID[a.GroupID]
		name, owner := fmt.Sprintf("#%d", a.GroupID), ""
		if g != nil {
			name, owner = g.Name, g.Owner
		}
		n, found := route(settings, owner)
		sender := s.Senders[n.Channel]
		if !found || sender == nil {
			if err := s.Store.finishAlert(ctx, a.ID, "none", string(n.Channel), n.Target, ""); err != nil {
				return sent, err
			}
			continue
		}
		_, serr := sender.Send(ctx, n.Target, channel.Message{Key: fmt.Sprintf("health-%d", a.ID), Text: AlertText(i18n.ZH, name, a)})
		status, text := "sent", ""
		if serr != nil {
			status, text = "failed", serr.Error() // senders redact secrets from their errors
			if s.Log != nil {
				s.Log.Warn("health alert not sent", "alert", a.ID, "group", a.GroupID, "err", serr)
			}
		} else {
			sent++
		}
		if err := s.Store.finishAlert(ctx, a.ID, status, string(n.Channel), n.Target, text); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// Run runs RunOnce at start and every every, under the lease, until ctx
// ends: of several servers on one database one does it.
func (s *Service) Run(ctx context.Context, holder string, every time.Duration) {
	s.DB.RunLeased(ctx, LeaseName, holder, max(2*time.Minute, every/10), func(c context.Context) {
		for {
			st, err := s.RunOnce(c)
			if err != nil && c.Err() == nil && s.Log != nil {
				s.Log.Error("group health", "err", err)
			} else if s.Log != nil && (st.Alerts > 0 || st.Sent > 0) {
				s.Log.Info("group health", "groups", st.Groups, "alerts", st.Alerts, "sent", st.Sent)
			}
			select {
			case <-c.Done():
				return
			case <-time.After(every):
			}
		}
	})
}

// Refresh fills the days of the last back days (Backfill when 0) from the
// owners and judges the groups, without sending: the command line's
// reports use it (alerts recorded stay pending for a server to send).
func (s *Service) Refresh(ctx context.Context, back int) error {
	if back <= 0 {
		back = s.Backfill
	}
	today := shanghai.Day(s.now().Unix())
	groups, err := s.Groups.List(ctx, community.Filter{})
	if err != nil {
		return fmt.Errorf("health: groups: %w", err)
	}
	days, err := s.Collect(ctx, groups, today-int64(back)+1, today)
	if err != nil {
		return err
	}
	if err := s.Store.SaveDays(ctx, days); err != nil {
		return err
	}
	_, err = s.Judge(ctx, groups, today)
	return err
}

// BoardRow is a group on the health board.
type BoardRow struct {
	Group *community.Group
	GroupHealth
}

// Board returns the board: every judged group that still exists, riskiest
// first (a read of group_health, one row per group).
func (s *Service) Board(ctx context.Context) ([]BoardRow, error) {
	hs, err := s.Store.Board(ctx)
	if err != nil {
		return nil, err
	}
	groups, err := s.Groups.List(ctx, community.Filter{})
	if err != nil {
		return nil, fmt.Errorf("health: groups: %w", err)
	}
	byID := make(map[int64]*community.Group, len(groups))
	for _, g := range groups {
		byID[g.ID] = g
	}
	out := make([]BoardRow, 0, len(hs))
	for _, h := range hs {
		if g := byID[h.GroupID]; g != nil {
			out = append(out, BoardRow{Group: g, GroupHealth: h})
		}
	}
	return out, nil
}

// GroupView is one group's health and daily figures.
type GroupView struct {
	Group  *community.Group
	Health *GroupHealth // nil before the first verdict
	Days   []Day        // oldest first
}

// MaxDays bounds the days a group view returns.
const MaxDays = 400

// Group returns group id's health and its last days (at most MaxDays).
func (s *Service) Group(ctx context.Context, id int64, days int) (*GroupView, error) {
	g, err := s.Groups.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	days = min(max(days, 1), MaxDays)
	today := shanghai.Day(s.now().Unix())
	v := &GroupView{Group: g}
	if v.Days, err = s.Store.Days(ctx, id, today-int64(days)+1, today); err != nil {
		return nil, err
	}
	h, ok, err := s.Store.Health(ctx, id)
	if err != nil {
		return nil, err
	}
	if ok {
		v.Health = &h
	}
	return v, nil
}

// Backtests are the backtest of the rule set and, when the history holds
// enough dead groups in each fold, of a model fitted on the other folds.
type Backtests struct {
	Rules BacktestResult  `json:"rules"`
	Model *BacktestResult `json:"model"` // nil: too few dead groups to fit one
	// InUse is the model the job judges with: "rules" or "logistic".
	InUse       string `json:"in_use"`
	ModelDeaths int    `json:"model_deaths"` // dead groups the model in use was fitted on
}

// ModelFolds is how many folds the model's backtest splits the groups into.
const ModelFolds = 5

// Backtest replays every group's stored days with the rule set and, when
// possible, with models fitted on the other groups.
func (s *Service) Backtest(ctx context.Context) (Backtests, error) {
	today := shanghai.Day(s.now().Unix())
	groups, err := s.Groups.List(ctx, community.Filter{})
	if err != nil {
		return Backtests{}, fmt.Errorf("health: groups: %w", err)
	}
	series, err := s.history(ctx, groups, today)
	if err != nil {
		return Backtests{}, err
	}
	plain := s.Rules
	plain.Model = nil
	out := Backtests{Rules: plain.Backtest(series), InUse: "rules"}
	if s.RulesOnly {
		return out, nil
	}
	if res, ok := plain.BacktestModel(series, ModelFolds); ok {
		out.Model = &res
	}
	if m := plain.Fit(series); m != nil {
		out.InUse, out.ModelDeaths = "logistic", m.Deaths
	}
	return out, nil
}

// FromRegistry reads the member registry (community's AllMemberDays): the
// groups a source tells the members of, each from its first member on.
func FromRegistry(c interface {
	AllMemberDays(ctx context.Context, from, to time.Time) (map[int64][]community.MemberDay, error)
}) Registry {
	return func(ctx context.Context, from, to int64) (map[int64][]Day, error) {
		all, err := c.AllMemberDays(ctx, DayTime(from, shanghai.Zone), DayTime(to+1, shanghai.Zone))
		if err != nil {
			return nil, err
		}
		out := make(map[int64][]Day, len(all))
		for g, mds := range all {
			ds := make([]Day, 0, len(mds))
			for _, md := range mds {
				d := Day{Day: shanghai.Day(md.Day.Unix()), Members: int64(md.Members), Tracked: true, Joins: int64(md.Joins),
					LeavesSelf: int64(md.LeavesSelf), LeavesRemoved: int64(md.LeavesRemoved), LeavesOther: int64(md.LeavesOther),
					Active: int64(md.Active), Messages: int64(md.Messages)}
				if len(ds) == 0 && d.Members == 0 && d.Joins == 0 && d.Leaves() == 0 {
					continue // before the group's first member
				}
				ds = append(ds, d)
			}
			if len(ds) > 0 {
				out[g] = ds
			}
		}
		return out, nil
	}
}
