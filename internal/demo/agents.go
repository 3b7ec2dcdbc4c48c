package demo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/store"
)

// AgentTree is what Agents seeded: the agents by their place in the tree
// (Roots[0] has two levels under it; Roots[1] stands alone), the orders
// made through their 渠道关系ID, and the payout batch.
type AgentTree struct {
	Agents   []int64 // member ids: A, B, C (under A), D, E (under B), F (under C), G (a root of its own)
	Orders   int
	Payout   int64
	Reversed string // the trade id refunded after its share was paid out
}

// demoAgentParents is the demo tree: index -> parent index (-1: a root).
var demoAgentParents = []int{-1, 0, 0, 1, 1, 2, -1}

// Agents seeds a small agent tree over the demo's members (docs/demo.md):
// seven agents on three levels, each bound to a Taobao 渠道关系ID (one to a
// JD subUnionId as well), with orders through those ids in every state —
// paid and held, settled and paid out, invalid, and one refunded after its
// share was paid, which leaves its agent a reversal to deduct — posted to
// the ledger on a clock that walks from three months ago to now, with a
// payout batch marked paid between. Everything goes through the owners'
// methods. A database that has agents already is left alone (nil, nil).
func Agents(ctx context.Context, db *store.DB, now time.Time) (*AgentTree, error) {
	gs := growth.NewStore(db)
	if as, err := gs.Agents(ctx); err != nil || len(as) > 0 {
		return nil, err
	}
	reg := community.NewStore(db)
	rows, _, err := reg.Members(ctx, community.MemberFilter{Limit: 40})
	if err != nil {
		return nil, fmt.Errorf("demo agents: %w", err)
	}
	if len(rows) < len(demoAgentParents) {
		return nil, fmt.Errorf("demo agents: %d members, want %d: seed the members first", len(rows), len(demoAgentParents))
	}
	t := &AgentTree{}
	for i, parent := range demoAgentParents {
		id := rows[i*5%len(rows)].ID
		for _, have := range t.Agents {
			if have == id {
				id = rows[(i*5+1)%len(rows)].ID
			}
		}
		p := int64(0)
		if parent >= 0 {
			p = t.Agents[parent]
		}
		if _, err := gs.AddAgent(ctx, id, p); err != nil {
			return nil, fmt.Errorf("demo agents: %w", err)
		}
		if err := reg.Bind(ctx, id, community.PersonTaobao, community.KindRelationID, demoRelationID(i)); err != nil {
			return nil, fmt.Errorf("demo agents: %w", err)
		}
		t.Agents = append(t.Agents, id)
	}
	if err := reg.Bind(ctx, t.Agents[2], community.PersonJD, community.KindSubUnionID, "demo_agent_c"); err != nil {
		return nil, fmt.Errorf("demo agents: %w", err)
	}

	ostore, ls := orders.NewStore(db), ledger.NewStore(db)
	poster := growth.NewPoster(db, ostore, ls)
	day := 24 * time.Hour
	paidAt, settledAt := now.Add(-89*day), now.Add(-80*day)
	post := func(at time.Time) error {
		poster.Now = func() time.Time { return at }
		_, err := poster.Run(ctx)
		return err
	}
	// Orders per agent: 0 settled (agent D's refunded after payout), 1
	// settled, 2 paid lately (held), 3 invalid, 4 settled but reported late
	// (all but D).
	order := func(i, k int, st orders.Status, paid int64) orders.Order {
		amount := int64(4900 + 2300*i + 1700*k)
		o := orders.Order{Platform: orders.PlatformTaobao, TradeID: strconv.Itoa(4_100_000_000 + i*100 + k), OrderType: "淘宝",
			ItemID: strconv.Itoa(700_000_100 + k), Title: demoAgentTitles[(i+k)%len(demoAgentTitles)], Quantity: 1, UnitPrice: amount,
			PaidAmount: amount, CommissionRate: 2000, EstIncome: amount * 2000 / 10000 * 9 / 10, ServiceFeeRate: 1000,
			Status: st, ClickAt: paid - 600, CreatedAt: paid - 60, PaidAt: paid, MediaName: "群客演示", RelationID: demoRelationID(i)}
		o.ParentID = o.TradeID
		if st == orders.Settled || st == orders.Refunded {
			o.SettledAt, o.SettledAmount, o.SettledIncome = settledAt.Unix(), o.PaidAmount, o.EstIncome
		}
		if st == orders.Refunded {
			o.Dispute = "维权订单"
		}
		return o
	}
	var early, settle, late []orders.Order
	for i := range t.Agents {
		for _, k := range []int{0, 1, 3} {
			early = append(early, order(i, k, orders.Paid, paidAt.Unix()+int64(i*600+k*60)))
		}
		settle = append(settle, order(i, 0, orders.Settled, early[3*i].PaidAt), order(i, 1, orders.Settled, early[3*i+1].PaidAt),
			order(i, 3, orders.Invalid, early[3*i+2].PaidAt))
		late = append(late, order(i, 2, orders.Paid, now.Add(-3*time.Hour).Unix()+int64(i*60)))
		if i != 3 {
			// Seen late, long settled: payable at once, for the next batch.
			late = append(late, order(i, 4, orders.Settled, paidAt.Unix()+int64(i*600+240)))
		}
	}
	jd := orders.Order{Platform: orders.PlatformJD, TradeID: "4100009001", ParentID: "4100009001", ItemID: "100012345678",
		Title: "京东自营 电动牙刷", Quantity: 1, UnitPrice: 19900, PaidAmount: 19900, CommissionRate: 1500, EstIncome: 2985,
		Status: orders.Paid, PaidAt: now.Add(-4 * time.Hour).Unix(), SubID: "demo_agent_c"}
	late = append(late, jd)
	t.Orders = len(early) + len(late)
	// Three months ago: the orders are paid; their shares held.
	if _, err := ostore.Import(ctx, early); err != nil {
		return nil, fmt.Errorf("demo agents: %w", err)
	}
	if err := post(paidAt.Add(day)); err != nil {
		return nil, fmt.Errorf("demo agents: %w", err)
	}
	// A month ago: settled and paid for by the platform (shares payable),
	// the invalid ones reversed; then a payout batch, paid by hand.
	if _, err := ostore.Import(ctx, settle); err != nil {
		return nil, fmt.Errorf("demo agents: %w", err)
	}
	if err := post(now.Add(-25 * day)); err != nil {
		return nil, fmt.Errorf("demo agents: %w", err)
	}
	po, err := ls.CreatePayout(ctx, 100, now.Add(-20*day))
	if err != nil {
		return nil, fmt.Errorf("demo agents: payout: %w", err)
	}
	if _, err := ls.MarkPaid(ctx, po.ID, "财务小王", now.Add(-19*day)); err != nil {
		return nil, fmt.Errorf("demo agents: payout: %w", err)
	}
	t.Payout = po.ID
	// Lately: agent D's first order refunded after its share was paid (a
	// reversal that leaves D owing), new orders held, and orders reported
	// late, long settled, payable at once (the next batch's).
	refund := order(3, 0, orders.Refunded, early[9].PaidAt)
	t.Reversed = refund.TradeID
	if _, err := ostore.Import(ctx, append([]orders.Order{refund}, late...)); err != nil {
		return nil, fmt.Errorf("demo agents: %w", err)
	}
	if err := post(now.Add(-2 * time.Hour)); err != nil {
		return nil, fmt.Errorf("demo agents: %w", err)
	}
	return t, nil
}

// demoRelationID is the 渠道关系ID of the demo's agent i.
func demoRelationID(i int) string { return strconv.Itoa(2_900_000_100 + i) }

var demoAgentTitles = []string{"蓝月亮洗衣液 3kg", "三只松鼠坚果礼盒", "维达抽纸 24包", "小米充电宝 20000mAh", "安踏运动袜 5双", "南极人四件套"}
