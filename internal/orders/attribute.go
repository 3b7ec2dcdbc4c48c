package orders

// Attribution (归因) credits an order to the group it came from and to the
// post that sold it:
//
//   - group: the order's 推广位 (adzone id) is the placement a group's links
//     carry (chat_groups.adzone_id, from the group's Alimama PID). An order
//     whose adzone belongs to no group keeps group_id 0 and is listed by
//     Unattributed, never dropped;
//   - post: of the posts (deliveries with status sent) of the same item to
//     that group, the latest sent at or before the order's click time (its
//     created time when the report has no click time), and not longer ago
//     than the window (Store.Window, 30 days by default). Taobao and Tmall
//     items are one family: an Alimama order matches a post of either.
//     No such post: delivery_id 0 (the member came through the group's
//     link but not from a post of this item, or the post is too old).
//
//   - member: the person-level id the order carries, bound to a member in
//     the registry (community.Store.Bind): Alimama's 会员运营ID (special_id),
//     else its 渠道关系ID (relation_id); JD's subUnionId and Pinduoduo's
//     custom_parameters (SubID). No bound id: member_id 0. The member does
//     not depend on the group: a member's order through another team
//     member's placement is still theirs.
//
// Import attributes the orders it writes in its own transaction; Attribute
// re-attributes stored orders after groups or posts change. Orders read
// groups and posts through the community and publish stores (upstream);
// those packages never read orders.

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/shanghai"
)

// DefaultWindow is how long after a post an order may be credited to it.
const DefaultWindow = 30 * 24 * time.Hour

func (s *Store) window() int64 {
	if s.Window > 0 {
		return int64(s.Window / time.Second)
	}
	return int64(DefaultWindow / time.Second)
}

// Family is the platform family whose posts an order of platform can come
// from: Taobao and Tmall are both Alimama.
func Family(platform string) string {
	if platform == "tmall" {
		return PlatformTaobao
	}
	return platform
}

// attributionTime is when the member acted on a post: the click, else the
// order's creation, else its payment; 0 when the report has none.
func attributionTime(o *Order) int64 {
	switch {
	case o.ClickAt > 0:
		return o.ClickAt
	case o.CreatedAt > 0:
		return o.CreatedAt
	}
	return o.PaidAt
}

type postKey struct {
	group        int64
	family, item string
}

type post struct{ at, id int64 }

// attributor matches orders to groups and posts from what it loaded: every
// group's adzone, and the sent posts of a range of sent times, extended as
// orders need.
type attributor struct {
	window int64
	posts  *publish.Store
	groups map[string]map[string]int64 // platform family → placement → group
	people map[string]int64            // community.PersonKey → member
	sent   map[postKey][]post
	lo, hi int64 // sent_at range loaded, inclusive; lo > hi: nothing yet
	dirty  map[postKey]bool
}

func (s *Store) newAttributor(ctx context.Context) (*attributor, error) {
	groups, err := s.groups.ByPlacement(ctx)
	if err != nil {
		return nil, fmt.Errorf("attribution: groups: %w", err)
	}
	people, err := s.groups.ByPersonID(ctx)
	if err != nil {
		return nil, fmt.Errorf("attribution: members: %w", err)
	}
	return &attributor{window: s.window(), posts: s.posts, groups: groups, people: people, sent: map[postKey][]post{},
		lo: 1, hi: 0, dirty: map[postKey]bool{}}, nil
}

// member is the member whose bound person-level id o carries, 0 for none.
func (a *attributor) member(o *Order) int64 {
	if len(a.people) == 0 {
		return 0
	}
	find := func(platform, kind, value string) int64 {
		if value == "" || value == "0" {
			return 0
		}
		return a.people[community.PersonKey(platform, kind, value)]
	}
	switch Family(o.Platform) {
	case PlatformTaobao, "":
		if m := find(community.PersonTaobao, community.KindSpecialID, o.SpecialID); m != 0 {
			return m
		}
		return find(community.PersonTaobao, community.KindRelationID, o.RelationID)
	case PlatformJD:
		return find(community.PersonJD, community.KindSubUnionID, o.SubID)
	case PlatformPDD:
		return find(community.PersonPDD, community.KindCustomParameters, o.SubID)
	}
	return 0
}

// need loads the posts that orders may match.
func (a *attributor) need(ctx context.Context, orders []Order) error {
	lo, hi := int64(0), int64(-1)
	for i := range orders {
		o := &orders[i]
		if a.group(o) == 0 {
			continue
		}
		t := attributionTime(o)
		if t <= 0 {
			continue
		}
		if hi < lo {
			lo, hi = t, t
		}
		lo, hi = min(lo, t), max(hi, t)
	}
	if hi < lo {
		return nil
	}
	return a.load(ctx, lo-a.window, hi)
}

// load makes sure the posts sent in [from, to] are loaded.
func (a *attributor) load(ctx context.Context, from, to int64) error {
	if a.hi < a.lo {
		a.lo, a.hi = from, to
		return a.read(ctx, from, to)
	}
	if from < a.lo {
		if err := a.read(ctx, from, a.lo-1); err != nil {
			return err
		}
		a.lo = from
	}
	if to > a.hi {
		if err := a.read(ctx, a.hi+1, to); err != nil {
			return err
		}
		a.hi = to
	}
	return nil
}

func (a *attributor) read(ctx context.Context, from, to int64) error {
	posts, err := a.posts.SentPosts(ctx, from, to)
	if err != nil {
		return fmt.Errorf("attribution: %w", err)
	}
	for _, p := range posts {
		k := postKey{p.GroupID, Family(p.Platform), p.ItemID}
		a.sent[k] = append(a.sent[k], post{p.SentAt, p.ID})
		a.dirty[k] = true
	}
	return nil
}

// group is the group whose placement on o's platform is o's, 0 for none.
func (a *attributor) group(o *Order) int64 {
	if o.AdzoneID == "" {
		return 0
	}
	p := Family(o.Platform)
	if p == "" {
		p = PlatformTaobao // as Import stores it
	}
	return a.groups[p][o.AdzoneID]
}

// match returns the group and the post o is credited to (0 for none).
func (a *attributor) match(o *Order) (group, delivery int64) {
	if group = a.group(o); group == 0 {
		return 0, 0
	}
	t := attributionTime(o)
	if group == 0 || t <= 0 || o.ItemID == "" {
		return group, 0
	}
	k := postKey{group, Family(o.Platform), o.ItemID}
	ps := a.sent[k]
	if a.dirty[k] {
		slices.SortFunc(ps, func(x, y post) int {
			if x.at != y.at {
				return cmpInt(x.at, y.at)
			}
			return cmpInt(x.id, y.id)
		})
		delete(a.dirty, k)
	}
	// The last post at or before t.
	i, _ := slices.BinarySearchFunc(ps, t+1, func(p post, t int64) int { return cmpInt(p.at, t) })
	if i == 0 {
		return group, 0
	}
	if p := ps[i-1]; p.at >= t-a.window {
		return group, p.id
	}
	return group, 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AttributeStats counts what Attribute did.
type AttributeStats struct {
	Orders     int // orders looked at
	Changed    int // whose group, post or member changed
	Attributed int // credited to a group
	FromPosts  int // credited to a post
	ToMembers  int // credited to a member
}

// Attribute re-attributes the orders paid at or after since (every order
// when since is zero; orders without a payment time by their created time)
// to groups, posts and members as they are now: run it after adding groups,
// changing a group's placement, marking posts sent by hand or binding
// members' ids. Only rows whose attribution changes are written. Each
// calendar month of orders is one transaction, so it is safe to stop and
// run again; progress, when not nil, is told the running counts after each.
func (s *Store) Attribute(ctx context.Context, since time.Time) (AttributeStats, error) {
	return s.AttributeProgress(ctx, since, nil)
}

// AttributeProgress is Attribute telling progress the running counts after
// each month, and the month's start (zero for the orders without a
// payment time, which come last).
func (s *Store) AttributeProgress(ctx context.Context, since time.Time, progress func(AttributeStats, time.Time)) (AttributeStats, error) {
	var st AttributeStats
	from := int64(0)
	if !since.IsZero() {
		from = since.Unix()
	}
	var first, last sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(paid_at), max(paid_at) FROM orders WHERE paid_at >= $1 AND paid_at > 0`,
		from).Scan(&first, &last); err != nil {
		return st, err
	}
	if first.Valid {
		for m := monthStart(first.Int64); m <= last.Int64; {
			next := addMonths(m, 1)
			if err := s.attributeRange(ctx, `paid_at >= $1 AND paid_at < $2`, max(m, from), next, &st); err != nil {
				return st, err
			}
			if progress != nil {
				progress(st, time.Unix(m, 0).UTC())
			}
			m = next
		}
	}
	// Orders the report gave no payment time (invalid before paying, ...).
	err := s.attributeRange(ctx, `paid_at = 0 AND created_at >= $1 AND created_at < $2`, from, 1<<62, &st)
	if err == nil && progress != nil {
		progress(st, time.Time{})
	}
	return st, err
}

func (s *Store) attributeRange(ctx context.Context, where string, from, to int64, st *AttributeStats) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		a, err := s.newAttributor(ctx)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT platform, trade_id, item_id, adzone_id, click_at, created_at, paid_at,
			settled_at, status, paid_amount, est_income, settled_income, relation_id, special_id, sub_id, group_id,
			delivery_id, member_id FROM orders WHERE `+where, from, to)
		if err != nil {
			return fmt.Errorf("attribution: orders: %w", err)
		}
		type current struct {
			o                       Order
			group, delivery, member int64
		}
		var all []current
		for rows.Next() {
			var c current
			var status string
			if err := rows.Scan(&c.o.Platform, &c.o.TradeID, &c.o.ItemID, &c.o.AdzoneID, &c.o.ClickAt, &c.o.CreatedAt,
				&c.o.PaidAt, &c.o.SettledAt, &status, &c.o.PaidAmount, &c.o.EstIncome, &c.o.SettledIncome, &c.o.RelationID,
				&c.o.SpecialID, &c.o.SubID, &c.group, &c.delivery, &c.member); err != nil {
				rows.Close()
				return err
			}
			c.o.Status = Status(status)
			all = append(all, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		orders := make([]Order, len(all))
		for i := range all {
			orders[i] = all[i].o
		}
		if err := a.need(ctx, orders); err != nil {
			return err
		}
		var upd *sql.Stmt
		defer func() {
			if upd != nil {
				upd.Close()
			}
		}()
		roll := newRollup(s.db.Dialect)
		var queue []orderKey
		for i := range all {
			c := &all[i]
			g, d := a.match(&c.o)
			m := a.member(&c.o)
			st.Orders++
			if g != 0 {
				st.Attributed++
			}
			if d != 0 {
				st.FromPosts++
			}
			if m != 0 {
				st.ToMembers++
			}
			if g == c.group && d == c.delivery && m == c.member {
				continue
			}
			st.Changed++
			if upd == nil {
				if upd, err = tx.PrepareContext(ctx, attrSQL); err != nil {
					return err
				}
			}
			if _, err := upd.ExecContext(ctx, g, d, m, c.o.Platform, c.o.TradeID); err != nil {
				return fmt.Errorf("attribution: update %s: %w", c.o.TradeID, err)
			}
			if g != c.group {
				roll.add(&c.o, c.group, -1)
				roll.add(&c.o, g, 1)
			}
			if m != c.member {
				queue = append(queue, orderKey{c.o.Platform, c.o.TradeID})
			}
		}
		if err := queueChanges(ctx, tx, s.db.Dialect, queue); err != nil {
			return err
		}
		return roll.flush(ctx, tx)
	})
}

// Attribution is where a stored order is credited.
type Attribution struct {
	GroupID    int64 // 0: its adzone belongs to no group
	DeliveryID int64 // 0: no post of its item to the group within the window
	MemberID   int64 // 0: it carries no person-level id bound to a member
}

// AttributionOf returns a stored order's attribution; ok is false when
// there is no such order.
func (s *Store) AttributionOf(ctx context.Context, platform, tradeID string) (a Attribution, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT group_id, delivery_id, member_id FROM orders WHERE platform = $1 AND trade_id = $2`,
		platform, tradeID).Scan(&a.GroupID, &a.DeliveryID, &a.MemberID)
	if err == sql.ErrNoRows {
		return a, false, nil
	}
	return a, err == nil, err
}

// AdzoneOrders summarises the unattributed orders of one adzone (推广位):
// a placement that no group carries.
type AdzoneOrders struct {
	AdzoneID   string `json:"adzone_id"` // "" for orders without one
	AdzoneName string `json:"adzone_name"`
	Orders     int64  `json:"orders"`
	PaidAmount int64  `json:"paid_amount_fen"`
	EstIncome  int64  `json:"est_income_fen"` // orders neither invalid nor refunded
	FirstDay   string `json:"first_paid_day"` // 2026-01-02, Asia/Shanghai
	LastDay    string `json:"last_paid_day"`
}

// Unattributed lists, by adzone, the orders paid in [from, to) (whole
// days in Asia/Shanghai) that no group is credited with, most orders
// first. Zero times mean no limit.
func (s *Store) Unattributed(ctx context.Context, from, to time.Time) ([]AdzoneOrders, error) {
	lo, hi := dayBounds(from, to)
	rows, err := s.db.QueryContext(ctx, `SELECT adzone_id, max(adzone_name), sum(orders), sum(paid_amount),
		sum(CASE WHEN status IN ('invalid', 'refunded') THEN 0 ELSE est_income END), min(paid_day), max(paid_day)
		FROM order_days WHERE group_id = 0 AND paid_day >= $1 AND paid_day < $2
		GROUP BY adzone_id ORDER BY sum(orders) DESC, adzone_id`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("unattributed orders: %w", err)
	}
	defer rows.Close()
	out := []AdzoneOrders{}
	for rows.Next() {
		var a AdzoneOrders
		var first, last int64
		if err := rows.Scan(&a.AdzoneID, &a.AdzoneName, &a.Orders, &a.PaidAmount, &a.EstIncome, &first, &last); err != nil {
			return nil, err
		}
		a.FirstDay, a.LastDay = dayLabel(first), dayLabel(last)
		out = append(out, a)
	}
	return out, rows.Err()
}

// dayBounds turns [from, to) into Asia/Shanghai day numbers, whole days
// (to rounded up); zero times mean no limit.
func dayBounds(from, to time.Time) (int64, int64) {
	lo, hi := int64(-1<<40), int64(1<<40)
	if !from.IsZero() {
		lo = dayOf(from.Unix())
	}
	if !to.IsZero() {
		hi = dayOf(to.Unix()-1) + 1
	}
	return lo, hi
}

// dayLabel shows a day number as 2006-01-02.
func dayLabel(d int64) string {
	return time.Unix(dayStart(d), 0).In(shanghai.Zone).Format("2006-01-02")
}

// UnattributedOrders returns the latest orders paid in [from, to) that no
// group is credited with, newest first, at most limit.
func (s *Store) UnattributedOrders(ctx context.Context, from, to time.Time, limit int) ([]Order, error) {
	lo, hi := bounds(from, to)
	rows, err := s.db.QueryContext(ctx, `SELECT platform, trade_id, `+orderCols+` FROM orders
		WHERE group_id = 0 AND paid_at >= $1 AND paid_at < $2 ORDER BY paid_at DESC, trade_id LIMIT $3`, lo, hi, limit)
	if err != nil {
		return nil, fmt.Errorf("unattributed orders: %w", err)
	}
	defer rows.Close()
	out := []Order{}
	for rows.Next() {
		var o Order
		var status string
		if err := rows.Scan(append([]any{&o.Platform, &o.TradeID}, o.scanTargets(&status)...)...); err != nil {
			return nil, err
		}
		o.Status = Status(status)
		out = append(out, o)
	}
	return out, rows.Err()
}

// bounds turns [from, to) into unix seconds; zero times mean no limit.
func bounds(from, to time.Time) (int64, int64) {
	lo, hi := int64(0), int64(1)<<62
	if !from.IsZero() {
		lo = from.Unix()
	}
	if !to.IsZero() {
		hi = to.Unix()
	}
	return lo, hi
}
