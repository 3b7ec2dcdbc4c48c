package insight

// Cohorts (issue 16 item 3, docs/cohorts.md): the retention triangle by
// join week, the repurchase triangle by month of first order, and RFM.
// This file holds the rules, computed member by member from the stays and
// the orders as their owners stream them (community.Store.EachStays,
// orders.Store.EachMemberOrders); store_cohorts.go keeps the rollups the
// pages read.

import (
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
)

// WeekStart is the Monday of Shanghai day d's week (a day number): day 0,
// 1970-01-01, was a Thursday.
func WeekStart(d int64) int64 { return d - ((d%7)+7+3)%7 }

// MonthOf is unix second t's month in Shanghai, year*12 + month-1.
func MonthOf(t int64) int64 { return orders.MonthIndex(time.Unix(t, 0)) }

// MonthTime is the first instant of month index m in Shanghai.
func MonthTime(m int64) time.Time {
	return time.Date(int(m/12), time.Month(m%12+1), 1, 0, 0, 0, 0, shanghai.Zone)
}

// RetentionWeeks is one member's row of the retention triangle: the join
// week (the Monday of the week of its first known join) and, for each
// week k from it to the week of nowDay, whether the member was in some
// group during week k (a stay overlapping it: from the join's week to the
// leave's week, or to now while still in). ok is false when the member has
// no known join up to now. in is reused when it has room.
func RetentionWeeks(stays []community.Stay, nowDay int64, in []bool) (cohort int64, out []bool, ok bool) {
	nowWeek := WeekStart(nowDay)
	first := int64(0)
	for _, st := range stays {
		if st.JoinedAt == 0 || shanghai.Day(st.JoinedAt) > nowDay {
			continue
		}
		if first == 0 || st.JoinedAt < first {
			first = st.JoinedAt
		}
	}
	if first == 0 {
		return 0, in, false
	}
	cohort = WeekStart(shanghai.Day(first))
	n := int((nowWeek-cohort)/7) + 1
	out = in[:0]
	for range n {
		out = append(out, false)
	}
	for _, st := range stays {
		if st.JoinedAt == 0 || shanghai.Day(st.JoinedAt) > nowDay {
			continue
		}
		a := WeekStart(shanghai.Day(st.JoinedAt))
		e := nowWeek
		if st.LeftAt != 0 {
			e = min(WeekStart(shanghai.Day(max(st.LeftAt, st.JoinedAt))), nowWeek)
		}
		for w := a; w <= e; w += 7 {
			out[(w-cohort)/7] = true
		}
	}
	return cohort, out, true
}

// RepurchaseCell is one cell of a repurchase row: the members of the
// cohort who ordered in month k after their first order's month, their
// orders and income there.
type RepurchaseCell struct {
	Members, Orders, IncomeFen int64
}

// memberRepurchase adds one member's counted orders (by time of payment)
// to its cohort's row, up to nowMonth, and returns the cohort (the month
// of its first order) and its RFM figures; ok is false without orders up
// to now.
func memberRepurchase(os []orders.MemberOrder, now int64, row func(cohort int64) []RepurchaseCell) (cohort int64, r MemberRFM, ok bool) {
	nowMonth := MonthOf(now)
	lastK := int64(-1)
	var cells []RepurchaseCell
	for _, o := range os {
		if o.PaidAt <= 0 || o.PaidAt > now {
			continue
		}
		m := MonthOf(o.PaidAt)
		if !ok {
			ok, cohort = true, m
			cells = row(cohort)
			r.FirstDay = shanghai.Day(o.PaidAt)
		}
		if m > nowMonth {
			continue
		}
		k := m - cohort
		c := &cells[k]
		if k != lastK {
			c.Members++
			lastK = k
		}
		c.Orders++
		c.IncomeFen += o.EstIncome
		r.Orders++
		r.MoneyFen += o.EstIncome
		r.LastDay = shanghai.Day(o.PaidAt)
	}
	return cohort, r, ok
}
