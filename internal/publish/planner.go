package publish

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
)

// Planner turns plans and their queues into deliveries.
type Planner struct {
	Store  *Store
	Groups *community.Store
	Items  Items
	// Links converts the posts' links (转链) before planning writes them;
	// nil converts nothing (every post says why it has no link).
	Links *Linker
	Now   func() time.Time
	// Late is how long after a slot's time it may still be planned (a slot
	// further in the past is left out, not sent late). Default 15 minutes;
	// serve --max-late sets it and the worker's MaxLate together.
	Late time.Duration

	history  bool   // PlanPast: write the posts as sent
	onInsert func() // tests: runs before each post is written, in the transaction
}

// Skip is an item the planner left out of a slot, and why.
type Skip struct {
	GroupID int64
	Group   string
	Item    catalog.Key
	SlotAt  int64
	Reason  string
}

// PlanStats says what a planning run did.
type PlanStats struct {
	Slots   int    // (group, slot) pairs planned
	Planned int    // deliveries written
	Skips   []Skip // the first MaxSkips items left out
	Skipped int    // all items left out
}

// MaxSkips bounds PlanStats.Skips.
const MaxSkips = 500

func (st *PlanStats) skip(s Skip) {
	st.Skipped++
	if len(st.Skips) < MaxSkips {
		st.Skips = append(st.Skips, s)
	}
}

// Skip reasons.
const (
	ReasonRecent    = "board.reason.recent"
	ReasonCoupon    = "board.reason.coupon"
	ReasonPriceRose = "board.reason.price_rose"
	ReasonMissing   = "board.reason.missing"
	ReasonCap       = "board.reason.cap"
	// ReasonLateUnknown: a post whose earlier attempt may have arrived is
	// not sent again once it is late.
	ReasonLateUnknown = "publish.reason.late_unknown"
	// ReasonPlanDeleted: a planned post of a deleted plan is skipped.
	ReasonPlanDeleted = "publish.reason.plan_deleted"
	// ReasonPaused: a planned post of a paused group is skipped.
	ReasonPaused = "publish.reason.paused"
	// ReasonInterrupted: the worker stopped mid-send (it exited, or its
	// lease ran out).
	ReasonInterrupted = "publish.reason.interrupted"
)

// DefaultLate is how long after its slot a post may still be planned and
// sent (serve --max-late).
const DefaultLate = 15 * time.Minute

// LateReason says why a post was not sent: its slot was more than late ago.
func LateReason(late time.Duration) string {
	if late%time.Minute == 0 {
		return reason("publish.reason.late_min", int64(late/time.Minute))
	}
	return reason("publish.reason.late", late)
}

// PlanDay writes the deliveries of every active plan's slots on the
// calendar day of day (taken in each group's own zone). It is idempotent: a
// (plan, group, slot) that already has deliveries is left alone, so it can
// run every few minutes and after every restart. Each plan is one
// transaction.
func (p *Planner) PlanDay(ctx context.Context, day time.Time) (PlanStats, error) {
	return p.plan(ctx, func(*time.Location) time.Time { return day })
}

// PlanToday is PlanDay for each group's own today: the calendar day it is
// now in the group's zone. The serve loop plans with it, so no display or
// server zone moves a group's slots.
func (p *Planner) PlanToday(ctx context.Context) (PlanStats, error) {
	now := p.now()
	return p.plan(ctx, func(loc *time.Location) time.Time { return now.In(loc) })
}

// plan plans every active plan on the day dayIn gives for a group's zone.
func (p *Planner) plan(ctx context.Context, dayIn func(*time.Location) time.Time) (PlanStats, error) {
	var st PlanStats
	plans, err := p.Store.Plans(ctx)
	if err != nil {
		return st, err
	}
	templates, err := p.Store.Templates(ctx)
	if err != nil {
		return st, err
	}
	items := map[catalog.Key]*ItemInfo{}
	for _, plan := range plans {
		if !plan.Active {
			continue
		}
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if err := p.planOne(ctx, plan, dayIn, templates, items, &st); err != nil {
			return st, fmt.Errorf("plan %q: %w", plan.Name, err)
		}
	}
	return st, nil
}

// PlanPast writes the posts a past day's plans would have made as already
// sent (at their slot), for a demo's history: none of them is ever
// planned, so no worker can send it.
func (p *Planner) PlanPast(ctx context.Context, day time.Time) (PlanStats, error) {
	h := *p
	h.history = true
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, day.Location())
	h.Now = func() time.Time { return start }
	return h.PlanDay(ctx, start)
}

func (p *Planner) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Planner) planOne(ctx context.Context, plan *Plan, dayIn func(*time.Location) time.Time, templates map[string]string,
	items map[catalog.Key]*ItemInfo, st *PlanStats) error {
	var groups []*community.Group
	if plan.GroupID != 0 {
		g, err := p.Groups.Get(ctx, plan.GroupID)
		if errors.Is(err, community.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if g.Active {
			groups = []*community.Group{g}
		}
	} else {
		var err error
		if groups, err = p.Groups.List(ctx, community.Filter{Tag: plan.Tag, ActiveOnly: true}); err != nil {
			return err
		}
	}
	queue, err := p.Store.Queue(ctx, plan.ID)
	if err != nil || len(queue) == 0 || len(groups) == 0 {
		return err
	}
	// Look the items up and render outside the transaction's lock.
	for _, q := range queue {
		if _, ok := items[q.Key]; ok {
			continue
		}
		info, err := p.Items.Info(ctx, q.Key)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			items[q.Key] = nil
		case err != nil:
			return fmt.Errorf("item %s: %w", q.Key, err)
		default:
			items[q.Key] = info
		}
	}
	tmpls := map[string]*Template{}
	for _, g := range groups {
		tk := strings.Join(g.Tags, ",")
		if tmpls[tk] == nil {
			if tmpls[tk], err = pickTemplate(templates, g.Tags); err != nil {
				return err
			}
		}
	}
	late := p.Late
	if late <= 0 {
		late = DefaultLate
	}
	now := p.now()
	// Convert the links before the write transaction: thousands of calls
	// to the platforms must not hold it.
	links, err := p.convert(ctx, plan, groups, queue, items, tmpls, dayIn, now.Add(-late))
	if err != nil {
		return err
	}
	return p.Store.planning(ctx, func(tx *sql.Tx) error {
		for _, g := range groups {
			tmpl := tmpls[strings.Join(g.Tags, ",")]
			loc := g.Location()
			y, m, d := dayIn(loc).Date()
			dayStart := time.Date(y, m, d, 0, 0, 0, 0, loc)
			dayEnd := dayStart.AddDate(0, 0, 1)
			for _, at := range openSlots(plan, g, dayIn, now.Add(-late)) {
				n, err := p.Store.slotPosts(ctx, tx, plan.ID, g.ID, at)
				if err != nil {
					return err
				}
				if n > 0 {
					continue
				}
				today, err := p.Store.dayPosts(ctx, tx, g.ID, dayStart, dayEnd)
				if err != nil {
					return err
				}
				st.Slots++
				picked := 0
				for _, q := range queue {
					if picked == plan.PerSlot {
						break
					}
					skip := Skip{GroupID: g.ID, Group: g.Name, Item: q.Key, SlotAt: at.Unix()}
					if today >= plan.DailyCap {
						skip.Reason = ReasonCap
						st.skip(skip)
						break
					}
					info := items[q.Key]
					reason, err := p.rules(ctx, tx, plan, g, q, info, at)
					if err != nil {
						return err
					}
					link := links.Get(q.Key, g)
					if reason == "" && link.Gone {
						reason = link.Reason
					}
					if reason != "" {
						skip.Reason = reason
						st.skip(skip)
						continue
					}
					ok, err := p.insert(ctx, tx, plan, g, q, info, tmpl, link, at, int64(picked))
					if err != nil {
						return err
					}
					if ok {
						picked++
						today++
						st.Planned++
					}
				}
			}
		}
		return nil
	})
}

// rules says why q may not go to g at at ("" = it may).
func (p *Planner) rules(ctx context.Context, tx *sql.Tx, plan *Plan, g *community.Group, q Queued, info *ItemInfo, at time.Time) (string, error) {
	if info == nil {
		return ReasonMissing, nil
	}
	if r := priceRule(q.ChosenPrice, &info.Now, at.Unix()); r != "" {
		return r, nil
	}
	lastAt, lastPrice, err := p.Store.lastPost(ctx, tx, g.ID, q.Key)
	if err != nil || lastAt == 0 {
		return "", err
	}
	if lastAt == at.Unix() {
		return ReasonRecent, nil
	}
	if lastAt > at.Add(-time.Duration(plan.RepeatDays)*24*time.Hour).Unix() && info.Now.FinalPrice >= lastPrice {
		return ReasonRecent, nil
	}
	return "", nil
}

// priceRule checks the rules that depend on the item's price now: its
// coupon must still run at t, and its final price must not exceed chosen.
func priceRule(chosen int64, now *catalog.Observation, t int64) string {
	if now.CouponAmount > 0 && now.CouponEnd > 0 && now.CouponEnd <= t {
		return ReasonCoupon
	}
	if now.FinalPrice > chosen {
		return ReasonPriceRose
	}
	return ""
}

func (p *Planner) insert(ctx context.Context, tx *sql.Tx, plan *Plan, g *community.Group, q Queued, info *ItemInfo,
	tmpl *Template, conv Converted, at time.Time, seq int64) (bool, error) {
	if p.onInsert != nil {
		p.onInsert()
	}
	status, sentAt, attempts := Planned, int64(0), 0
	if p.history {
		status, sentAt, attempts = Sent, at.Unix()+2, 1
	}
	link, code, lastErr := conv.Link, conv.ShareCode, ""
	if conv.Reason != "" {
		// Not converted: held with the reason unless the group allows
		// the plain link.
		link, lastErr = PlainLink(q.Key, g), conv.Reason
		if !g.AllowUnconverted && !p.history {
			status = Held
		}
	}
	o := info.Now
	short := info.Item.ShortTitle
	if short == "" {
		short = info.Item.Title
	}
	body, err := tmpl.Render(CopyData{Title: info.Item.Title, ShortTitle: short, Platform: platformLabel(q.Key.Platform),
		ListPrice: Money(o.ListPrice), Coupon: Money(o.CouponAmount), FinalPrice: Money(o.FinalPrice),
		Savings: Money(max(0, o.ListPrice-o.FinalPrice)), Commission: Money(info.EarnFen), Link: link, ShareCode: code,
		Reason: q.Reason, Badges: info.Badges, Group: g.Name})
	if err != nil {
		return false, err
	}
	d := &Delivery{Key: fmt.Sprintf("qk-%d-%d-%s-%s", g.ID, at.Unix(), q.Key.Platform, q.Key.ItemID), GroupID: g.ID,
		PlanID: plan.ID, Item: q.Key, SlotAt: at.Unix(), Seq: seq, Status: status, Body: body, Link: link,
		Title: info.Item.Title, ImageURL: info.Item.ImageURL, ListPrice: o.ListPrice, Coupon: o.CouponAmount,
		FinalPrice: o.FinalPrice, ChosenPrice: q.ChosenPrice, Badges: info.Badges, NextAt: at.Unix(), SentAt: sentAt,
		Attempts: int64(attempts), LastError: lastErr}
	return p.Store.insertDelivery(ctx, tx, d, p.now())
}

// openSlots are the times of plan's slots in g on its day that are not
// quiet and not before earliest.
func openSlots(plan *Plan, g *community.Group, dayIn func(*time.Location) time.Time, earliest time.Time) []time.Time {
	loc := g.Location()
	y, m, d := dayIn(loc).Date()
	var out []time.Time
	for _, slot := range plan.Slots {
		at := time.Date(y, m, d, slot/60, slot%60, 0, 0, loc)
		if !plan.Quiet(slot) && !at.Before(earliest) {
			out = append(out, at)
		}
	}
	return out
}

// convert converts the links of the queue's known items for every group
// with a slot still open and not yet planned, asking for a 淘口令 where the group's template
// shows one.
func (p *Planner) convert(ctx context.Context, plan *Plan, groups []*community.Group, queue []Queued,
	items map[catalog.Key]*ItemInfo, tmpls map[string]*Template, dayIn func(*time.Location) time.Time,
	earliest time.Time) (Links, error) {
	var reqs []LinkReq
	for _, g := range groups {
		open, err := p.Store.anySlotFree(ctx, plan.ID, g.ID, openSlots(plan, g, dayIn, earliest))
		if err != nil {
			return nil, err
		}
		if !open {
			continue
		}
		share := tmpls[strings.Join(g.Tags, ",")].UsesShareCode()
		for _, q := range queue {
			if items[q.Key] != nil {
				reqs = append(reqs, LinkReq{Key: q.Key, Group: g, ShareCode: share})
			}
		}
	}
	l := p.Links
	if l == nil {
		l = &Linker{Store: p.Store}
	}
	return l.Convert(ctx, reqs)
}
