package growth

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// PayDay is when a platform pays a settled order's commission: on Day of
// the month Months after the month it settled in (Asia/Shanghai).
type PayDay struct{ Months, Day int }

// DefaultPayDays: Alimama pays on the 20th of the month after the buyer
// confirmed receipt (结算); JD Union and Duoduo Jinbao likewise settle
// monthly, and a team whose dates differ sets its own (Poster.PayDays).
var DefaultPayDays = map[string]PayDay{
	orders.PlatformTaobao: {1, 20},
	orders.PlatformJD:     {1, 20},
	orders.PlatformPDD:    {1, 20},
}

// ErrBadPayDay is a --pay-day value that is not platform=day or
// platform=months:day.
var ErrBadPayDay = msg.New("growth.bad_pay_day")

// ParsePayDay reads "jd=15" (the 15th of the next month) or "pdd=2:1".
func ParsePayDay(s string) (string, PayDay, error) {
	platform, spec, ok := strings.Cut(strings.TrimSpace(s), "=")
	months, day := "1", spec
	if m, d, two := strings.Cut(spec, ":"); two {
		months, day = m, d
	}
	mo, err1 := strconv.Atoi(months)
	d, err2 := strconv.Atoi(day)
	if !ok || platform == "" || err1 != nil || err2 != nil || mo < 0 || mo > 12 || d < 1 || d > 28 {
		return "", PayDay{}, ErrBadPayDay.With(s)
	}
	return orders.Family(strings.ToLower(platform)), PayDay{mo, d}, nil
}

// Poster posts the shares of the members' orders to the ledger.
type Poster struct {
	db     *store.DB
	orders *orders.Store
	ledger *ledger.Store
	// PayDays overrides DefaultPayDays per platform family.
	PayDays map[string]PayDay
	// Now is the clock (time.Now when nil): a share becomes payable once
	// its platform's pay day has come.
	Now func() time.Time
	// Page is how many orders one transaction posts (2000 when 0, at most 5000).
	Page int
}

// NewPoster returns a Poster.
func NewPoster(db *store.DB, o *orders.Store, l *ledger.Store) *Poster {
	return &Poster{db: db, orders: o, ledger: l}
}

// PostStats counts what a run did.
type PostStats struct {
	Orders   int // orders credited to members, read
	Shared   int // of them, with someone sharing
	Postings int // postings made
	Held     int
	Released int
	Adjusted int
	Reversed int
}

// part is one person's share of an order.
type part struct {
	kind   RuleKind
	member int64
	bps    int64
}

// maxPage bounds Page: a page's keys go to one IN list.
const maxPage = 5000

func (p *Poster) page() int {
	if p.Page <= 0 {
		return 2000
	}
	return min(p.Page, maxPage)
}

func (p *Poster) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// run is what one Run reads once: the agents' tree, the rules and the
// ledger's account ids. A rule or tree edit during a run applies from the
// next run (an order's shares are decided once, when it is first seen).
type run struct {
	parents       map[int64]int64
	agent, member Rules
	accounts      *ledger.Accounts
}

func (p *Poster) begin(ctx context.Context) (*run, error) {
	r := &run{accounts: ledger.NewAccounts()}
	err := p.db.Atomic(ctx, func(tx *store.Tx) error {
		var err error
		if r.parents, err = agentParents(ctx, tx); err != nil {
			return err
		}
		if r.agent, err = rulesOf(ctx, tx, AgentRules); err != nil {
			return err
		}
		r.member, err = rulesOf(ctx, tx, MemberRules)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger post: %w", err)
	}
	return r, nil
}

// Run brings the postings of the orders that need it to what their state
// calls for (see want): new orders' shares held, settled orders' shares
// payable once the platform has paid, invalid or refunded orders reversed.
// It reads only the orders that changed since they were last posted (the
// orders' change queue, see orders.ClaimChangedTx) and those whose pay
// day has come (growth_order_shares.due_at), a page to a transaction. It
// posts only differences, so running it again, or two at once (each page
// is one transaction under the ledger's lock), never shares an order twice.
func (p *Poster) Run(ctx context.Context) (PostStats, error) {
	var st PostStats
	r, err := p.begin(ctx)
	if err != nil {
		return st, err
	}
	page := p.page()
	for _, pass := range []func(ctx context.Context, tx *store.Tx, now time.Time) ([]orders.Credited, int, error){
		func(ctx context.Context, tx *store.Tx, now time.Time) ([]orders.Credited, int, error) {
			return p.orders.ClaimChangedTx(ctx, tx, page)
		},
		func(ctx context.Context, tx *store.Tx, now time.Time) ([]orders.Credited, int, error) {
			return p.due(ctx, tx, now, page)
		},
	} {
		for {
			n, err := p.postPage(ctx, r, &st, func(tx *store.Tx, now time.Time) ([]orders.Credited, int, error) {
				return pass(ctx, tx, now)
			})
			if err != nil {
				return st, err
			}
			if n < page {
				break
			}
		}
	}
	return st, nil
}

// postPage reads a page (read returns its orders and how many keys it
// read) and posts it, in one transaction under the ledger's lock.
func (p *Poster) postPage(ctx context.Context, r *run, st *PostStats,
	read func(tx *store.Tx, now time.Time) ([]orders.Credited, int, error)) (int, error) {
	var n int
	var local PostStats
	var lb *ledger.Batch
	err := p.db.AtomicBulk(ctx, func(tx *store.Tx) error {
		local = PostStats{}
		if err := p.ledger.Lock(ctx, tx); err != nil {
			return err
		}
		now := p.now()
		batch, read, err := read(tx, now)
		if err != nil {
			return err
		}
		n = read
		lb = p.ledger.NewBatchWith(tx, r.accounts)
		return p.postBatch(ctx, lb, batch, now, r, &local)
	})
	if err != nil {
		return n, fmt.Errorf("ledger post: %w", err)
	}
	lb.Committed()
	st.add(local)
	return n, nil
}

// RunAll is Run over every order credited to a member and every order
// the ledger has shared, whether or not it is queued: a check that nothing
// was missed, and how a change of pay days reaches the orders waiting for
// one (qunke growth post --all).
func (p *Poster) RunAll(ctx context.Context) (PostStats, error) {
	st, err := p.Run(ctx)
	if err != nil {
		return st, err
	}
	r, err := p.begin(ctx)
	if err != nil {
		return st, err
	}
	page := p.page()
	// First every order credited to a member, then the orders shared
	// before that are no longer credited to anyone (an id unbound since):
	// their shares stay as decided and still follow the order's status.
	for _, pass := range []func(ctx context.Context, tx *store.Tx, afterP, afterT string, page int) (pageRead, error){
		func(ctx context.Context, tx *store.Tx, afterP, afterT string, page int) (pageRead, error) {
			b, err := p.orders.CreditedAfterTx(ctx, tx, afterP, afterT, page)
			r := pageRead{batch: b, read: len(b)}
			if len(b) > 0 {
				r.last = [2]string{b[len(b)-1].Platform, b[len(b)-1].TradeID}
			}
			return r, err
		},
		p.uncredited,
	} {
		afterP, afterT := "", ""
		for {
			var last [2]string
			n, err := p.postPage(ctx, r, &st, func(tx *store.Tx, now time.Time) ([]orders.Credited, int, error) {
				pr, err := pass(ctx, tx, afterP, afterT, page)
				last = pr.last
				return pr.batch, pr.read, err
			})
			if err != nil {
				return st, err
			}
			if n < page {
				break
			}
			afterP, afterT = last[0], last[1]
		}
	}
	return st, nil
}

// due reads a page of the orders whose pay day has come and that wait for
// it; of those no longer stored, it clears the wait.
func (p *Poster) due(ctx context.Context, tx *store.Tx, now time.Time, page int) ([]orders.Credited, int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT platform, trade_id FROM growth_order_shares WHERE due_at > 0 AND due_at <= $1
		ORDER BY due_at, platform, trade_id LIMIT $2`, now.Unix(), page)
	if err != nil {
		return nil, 0, err
	}
	ids := map[string][]string{}
	var platforms []string
	read := 0
	for rows.Next() {
		var pl, id string
		if err := rows.Scan(&pl, &id); err != nil {
			rows.Close()
			return nil, 0, err
		}
		if ids[pl] == nil {
			platforms = append(platforms, pl)
		}
		ids[pl] = append(ids[pl], id)
		read++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var out []orders.Credited
	for _, pl := range platforms {
		cs, err := p.orders.CreditedByIDsTx(ctx, tx, pl, ids[pl])
		if err != nil {
			return nil, 0, err
		}
		found := map[string]bool{}
		for _, c := range cs {
			found[c.TradeID] = true
		}
		for _, id := range ids[pl] {
			if !found[id] {
				if _, err := tx.ExecContext(ctx, `UPDATE growth_order_shares SET due_at = 0 WHERE platform = $1 AND trade_id = $2`, pl, id); err != nil {
					return nil, 0, err
				}
			}
		}
		out = append(out, cs...)
	}
	return out, read, nil
}

// pageRead is one page a pass read: the orders to post, how many keys it
// read and the last of them.
type pageRead struct {
	batch []orders.Credited
	read  int
	last  [2]string
}

// uncredited reads a page of the orders the ledger has shared (after the
// given key) and returns those no longer credited to a member.
func (p *Poster) uncredited(ctx context.Context, tx *store.Tx, afterP, afterT string, page int) (pageRead, error) {
	var r pageRead
	rows, err := tx.QueryContext(ctx, `SELECT platform, trade_id FROM growth_order_shares
		WHERE parts <> '' AND (platform > $1 OR (platform = $1 AND trade_id > $2)) ORDER BY platform, trade_id LIMIT $3`,
		afterP, afterT, page)
	if err != nil {
		return r, err
	}
	ids := map[string][]string{}
	var platforms []string
	for rows.Next() {
		var pl, id string
		if err := rows.Scan(&pl, &id); err != nil {
			rows.Close()
			return r, err
		}
		if ids[pl] == nil {
			platforms = append(platforms, pl)
		}
		ids[pl] = append(ids[pl], id)
		r.last = [2]string{pl, id}
		r.read++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	for _, pl := range platforms {
		cs, err := p.orders.CreditedByIDsTx(ctx, tx, pl, ids[pl])
		if err != nil {
			return r, err
		}
		for _, c := range cs {
			if c.MemberID == 0 {
				r.batch = append(r.batch, c)
			}
		}
	}
	return r, nil
}

// decision is an order's stored shares and the pay day it waits for.
type decision struct {
	parts string
	due   int64
}

// postBatch posts a page of orders in lb's transaction: one query for the
// stored decisions, one pair for what the decided ones have moved, the new
// decisions many to a statement, the postings through lb.
func (p *Poster) postBatch(ctx context.Context, lb *ledger.Batch, batch []orders.Credited, now time.Time, r *run, st *PostStats) error {
	tx := lb.Tx()
	decided, err := sharesOf(ctx, tx, batch)
	if err != nil {
		return err
	}
	var keys []string
	for i := range batch {
		if _, ok := decided[[2]string{batch[i].Platform, batch[i].TradeID}]; ok {
			keys = append(keys, OrderKey(batch[i].Platform, batch[i].TradeID))
		}
	}
	moved, err := p.ledger.HeldMany(ctx, tx, keys)
	if err != nil {
		return err
	}
	var fresh []newShares
	for i := range batch {
		o := &batch[i]
		k := [2]string{o.Platform, o.TradeID}
		d, ok := decided[k]
		if !ok && o.MemberID == 0 {
			continue // credited to nobody, and never shared
		}
		st.Orders++
		var parts []part
		if ok {
			if parts, err = parseParts(d.parts); err != nil {
				return err
			}
		} else {
			parts = decide(o, r)
		}
		due := p.dueAt(o, parts, now)
		if !ok {
			fresh = append(fresh, newShares{o, parts, due})
		} else if due != d.due {
			if _, err := tx.ExecContext(ctx, `UPDATE growth_order_shares SET due_at = $1 WHERE platform = $2 AND trade_id = $3`,
				due, o.Platform, o.TradeID); err != nil {
				return err
			}
		}
		if len(parts) == 0 {
			continue
		}
		if err := p.post(ctx, lb, o, parts, moved[OrderKey(o.Platform, o.TradeID)], now, st); err != nil {
			return fmt.Errorf("order %s %s: %w", o.Platform, o.TradeID, err)
		}
	}
	if err := insertShares(ctx, tx, fresh); err != nil {
		return err
	}
	return lb.Flush(ctx)
}

func (s *PostStats) add(b PostStats) {
	s.Orders += b.Orders
	s.Shared += b.Shared
	s.Postings += b.Postings
	s.Held += b.Held
	s.Released += b.Released
	s.Adjusted += b.Adjusted
	s.Reversed += b.Reversed
}

// OrderKey is the ledger's source key of an order's postings.
func OrderKey(platform, tradeID string) string { return "order/" + platform + "/" + tradeID }

func (p *Poster) post(ctx context.Context, lb *ledger.Batch, o *orders.Credited, parts []part, moved *ledger.Moved,
	now time.Time, st *PostStats) error {
	st.Shared++
	key := OrderKey(o.Platform, o.TradeID)
	want := p.want(o, parts, now)
	have, seq := map[ledger.Account]int64{}, int64(0)
	if moved != nil {
		have, seq = moved.Accounts, moved.Seq
	}
	source, reason := ledger.FromOrder, ledger.Adjust
	switch {
	case len(want) == 0:
		source, reason = ledger.FromReversal, ledger.Reverse
	case paysOut(want) && !paysOut(have):
		reason = ledger.Release
	case len(have) == 0:
		reason = ledger.Hold
	}
	posted, err := lb.MoveFrom(ctx, key, have, seq, want, source, reason, now)
	if err != nil || posted == nil {
		return err
	}
	st.Postings++
	switch reason {
	case ledger.Hold:
		st.Held++
	case ledger.Release:
		st.Released++
	case ledger.Reverse:
		st.Reversed++
	default:
		st.Adjusted++
	}
	return nil
}

// dueAt is the pay day a shared order waits for (unix seconds): a settled
// order's before its platform has paid; else 0.
func (p *Poster) dueAt(o *orders.Credited, parts []part, now time.Time) int64 {
	if len(parts) == 0 || o.Status != orders.Settled {
		return 0
	}
	if d := p.payDay(&o.Order); now.Before(d) {
		return d.Unix()
	}
	return 0
}

// paysOut reports whether m has a payable line.
func paysOut(m map[ledger.Account]int64) bool {
	for a, v := range m {
		if a.Kind.Payable() && v != 0 {
			return true
		}
	}
	return false
}

// want is what an order's postings should have moved in its present state:
// nothing for an invalid or refunded order; while it is paid, received, or
// settled but not yet paid for by the platform, its shares (of the
// estimated income, then of the settled income) held, taken from the
// commission income; once the platform's pay day has come, the income in
// cash and the shares payable.
func (p *Poster) want(o *orders.Credited, parts []part, now time.Time) map[ledger.Account]int64 {
	var base int64
	released := false
	switch o.Status {
	case orders.Invalid, orders.Refunded:
		return nil
	case orders.Settled:
		base = o.SettledIncome
		released = !now.Before(p.payDay(&o.Order))
	default:
		base = o.EstIncome
	}
	bps := make([]int64, len(parts))
	for i, pt := range parts {
		bps[i] = pt.bps
	}
	shares, _ := ledger.Split(base, bps)
	w := map[ledger.Account]int64{}
	var total int64
	for i, pt := range parts {
		kind := ledger.AgentHeld
		switch {
		case pt.kind == AgentRules && released:
			kind = ledger.AgentPayable
		case pt.kind == MemberRules && released:
			kind = ledger.MemberPayable
		case pt.kind == MemberRules:
			kind = ledger.MemberHeld
		}
		w[ledger.Account{Kind: kind, Member: pt.member}] -= shares[i]
		total += shares[i]
	}
	w[ledger.Account{Kind: ledger.CommissionIncome}] += total
	if released {
		w[ledger.Account{Kind: ledger.Cash}] += base
		w[ledger.Account{Kind: ledger.CommissionIncome}] -= base
	}
	return w
}

// payDay is when the platform pays o's commission.
func (p *Poster) payDay(o *orders.Order) time.Time {
	family := orders.Family(o.Platform)
	pd, ok := p.PayDays[family]
	if !ok {
		if pd, ok = DefaultPayDays[family]; !ok {
			pd = PayDay{1, 20}
		}
	}
	at := o.SettledAt
	if at == 0 {
		at = o.PaidAt
	}
	t := time.Unix(at, 0).In(shanghai.Zone)
	return time.Date(t.Year(), t.Month()+time.Month(pd.Months), pd.Day, 0, 0, 0, 0, shanghai.Zone)
}

// decide returns who shares o, the first time the ledger sees it: the
// agent whose order it is and up to the rule set's levels of ancestors, or
// a member's own rebate.
func decide(o *orders.Credited, r *run) []part {
	var parts []part
	if _, ok := r.parents[o.MemberID]; ok {
		m := o.MemberID
		for level := 0; level < len(r.agent.Bps) && level < MaxLevels && m != 0; level++ {
			if r.agent.Bps[level] > 0 {
				parts = append(parts, part{AgentRules, m, r.agent.Bps[level]})
			}
			m = r.parents[m]
		}
	} else if len(r.member.Bps) > 0 && r.member.Bps[0] > 0 {
		parts = append(parts, part{MemberRules, o.MemberID, r.member.Bps[0]})
	}
	return parts
}

// newShares is a decision to store.
type newShares struct {
	o     *orders.Credited
	parts []part
	due   int64
}

// insertShares stores new decisions, 500 to a statement.
func insertShares(ctx context.Context, tx *store.Tx, fresh []newShares) error {
	for len(fresh) > 0 {
		n := min(len(fresh), 500)
		args := make([]any, 0, 5*n)
		for _, f := range fresh[:n] {
			args = append(args, f.o.Platform, f.o.TradeID, f.o.MemberID, formatParts(f.parts), f.due)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO growth_order_shares (platform, trade_id, member_id, parts, due_at) VALUES `+
			tx.Dialect.BulkPlaceholders(5, n, 1), args...); err != nil {
			return fmt.Errorf("order shares: %w", err)
		}
		fresh = fresh[n:]
	}
	return nil
}

// sharesOf returns the stored decisions of who shares the orders, by
// (platform, trade id): one query per platform, by the table's key.
func sharesOf(ctx context.Context, tx *store.Tx, batch []orders.Credited) (map[[2]string]decision, error) {
	out := map[[2]string]decision{}
	ids := map[string][]any{}
	var platforms []string
	for i := range batch {
		pl := batch[i].Platform
		if ids[pl] == nil {
			platforms = append(platforms, pl)
		}
		ids[pl] = append(ids[pl], batch[i].TradeID)
	}
	for _, pl := range platforms {
		args := append([]any{pl}, ids[pl]...)
		rows, err := tx.QueryContext(ctx, `SELECT trade_id, parts, due_at FROM growth_order_shares WHERE platform = `+
			tx.Dialect.BulkPlaceholders(1, 1, 1)+` AND trade_id IN (`+tx.Dialect.BulkPlaceholders(1, len(ids[pl]), 2)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			var d decision
			if err := rows.Scan(&id, &d.parts, &d.due); err != nil {
				rows.Close()
				return nil, err
			}
			out[[2]string{pl, id}] = d
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func formatParts(parts []part) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = string(p.kind) + ":" + strconv.FormatInt(p.member, 10) + ":" + strconv.FormatInt(p.bps, 10)
	}
	return strings.Join(s, ";")
}

func parseParts(text string) ([]part, error) {
	if text == "" {
		return nil, nil
	}
	var out []part
	for _, f := range strings.Split(text, ";") {
		k, rest, _ := strings.Cut(f, ":")
		m, b, _ := strings.Cut(rest, ":")
		mi, err1 := strconv.ParseInt(m, 10, 64)
		bi, err2 := strconv.ParseInt(b, 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("growth: stored shares %q", text)
		}
		out = append(out, part{RuleKind(k), mi, bi})
	}
	return out, nil
}
