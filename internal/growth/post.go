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
	// Page is how many orders one transaction posts (500 when 0).
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

// Run reads every order credited to a member and brings its postings to
// what its state calls for (see want): new orders' shares held, settled
// orders' shares payable once the platform has paid, invalid or refunded
// orders reversed. It posts only differences, so running it again, or two
// at once (each page is one transaction under the ledger's lock), never
// shares an order twice.
func (p *Poster) Run(ctx context.Context) (PostStats, error) {
	var st PostStats
	page := p.Page
	if page <= 0 {
		page = 500
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
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
			var n int
			err := p.db.Atomic(ctx, func(tx *store.Tx) error {
				if err := p.ledger.Lock(ctx, tx); err != nil {
					return err
				}
				r, err := pass(ctx, tx, afterP, afterT, page)
				if err != nil {
					return err
				}
				n = r.read
				if len(r.batch) > 0 {
					var local PostStats
					if err := p.postBatch(ctx, tx, r.batch, now(), &local); err != nil {
						return err
					}
					st.add(local)
				}
				if n > 0 {
					afterP, afterT = r.last[0], r.last[1]
				}
				return nil
			})
			if err != nil {
				return st, fmt.Errorf("ledger post: %w", err)
			}
			if n < page {
				break
			}
		}
	}
	return st, nil
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

// postBatch posts a page of orders in tx.
func (p *Poster) postBatch(ctx context.Context, tx *store.Tx, batch []orders.Credited, now time.Time, st *PostStats) error {
	parents, err := agentParents(ctx, tx)
	if err != nil {
		return err
	}
	agent, err := rulesOf(ctx, tx, AgentRules)
	if err != nil {
		return err
	}
	member, err := rulesOf(ctx, tx, MemberRules)
	if err != nil {
		return err
	}
	keys := make([]string, len(batch))
	for i := range batch {
		keys[i] = OrderKey(batch[i].Platform, batch[i].TradeID)
	}
	moved, err := p.ledger.HeldMany(ctx, tx, keys)
	if err != nil {
		return err
	}
	decided, err := sharesOf(ctx, tx, batch)
	if err != nil {
		return err
	}
	lb := p.ledger.NewBatch(tx)
	for i := range batch {
		if err := p.post(ctx, lb, &batch[i], decided, moved[keys[i]], parents, agent, member, now, st); err != nil {
			return fmt.Errorf("order %s %s: %w", batch[i].Platform, batch[i].TradeID, err)
		}
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

func (p *Poster) post(ctx context.Context, lb *ledger.Batch, o *orders.Credited, decided map[[2]string]string, moved *ledger.Moved,
	parents map[int64]int64, agent, member Rules, now time.Time, st *PostStats) error {
	st.Orders++
	parts, err := p.parts(ctx, lb.Tx(), o, decided, parents, agent, member)
	if err != nil || len(parts) == 0 {
		return err
	}
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

// parts returns who shares o, deciding it (and storing the decision) the
// first time the ledger sees o: the agent whose order it is and up to the
// rule set's levels of ancestors, or a member's own rebate.
func (p *Poster) parts(ctx context.Context, tx *store.Tx, o *orders.Credited, decided map[[2]string]string, parents map[int64]int64,
	agent, member Rules) ([]part, error) {
	if text, ok := decided[[2]string{o.Platform, o.TradeID}]; ok {
		return parseParts(text)
	}
	var parts []part
	if _, ok := parents[o.MemberID]; ok {
		m := o.MemberID
		for level := 0; level < len(agent.Bps) && level < MaxLevels && m != 0; level++ {
			if agent.Bps[level] > 0 {
				parts = append(parts, part{AgentRules, m, agent.Bps[level]})
			}
			m = parents[m]
		}
	} else if len(member.Bps) > 0 && member.Bps[0] > 0 {
		parts = append(parts, part{MemberRules, o.MemberID, member.Bps[0]})
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO growth_order_shares (platform, trade_id, member_id, parts) VALUES ($1, $2, $3, $4)`,
		o.Platform, o.TradeID, o.MemberID, formatParts(parts))
	return parts, err
}

// sharesOf returns the stored decisions of who shares the orders, by
// (platform, trade id).
func sharesOf(ctx context.Context, tx *store.Tx, batch []orders.Credited) (map[[2]string]string, error) {
	out := map[[2]string]string{}
	args := make([]any, len(batch))
	for i := range batch {
		args[i] = batch[i].TradeID
	}
	rows, err := tx.QueryContext(ctx, `SELECT platform, trade_id, parts FROM growth_order_shares WHERE trade_id IN (`+
		tx.Dialect.BulkPlaceholders(1, len(batch), 1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k [2]string
		var parts string
		if err := rows.Scan(&k[0], &k[1], &parts); err != nil {
			return nil, err
		}
		out[k] = parts
	}
	return out, rows.Err()
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
