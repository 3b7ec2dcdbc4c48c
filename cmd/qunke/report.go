package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// newReportCmd is `qunke report`: income by group and period, the
// settlement forecast, unattributed placements, re-attribution.
func newReportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "收益报表：按群、按日/周/月，结算预测，订单归因 (income by group and period, settlement forecast, attribution)",
	}
	cmd.AddCommand(newReportIncomeCmd(g), newReportUnattributedCmd(g), newReportAttributeCmd(g))
	return cmd
}

func newReportIncomeCmd(g *globals) *cobra.Command {
	var by, from, to, format string
	var groups []string
	var forecast bool
	var payDay, receiptDays int
	cmd := &cobra.Command{
		Use:   "income",
		Short: "按群和日/周/月的收益，或结算预测；CSV（Excel 可直接打开）或 JSON (income per group and day/week/month, or the settlement forecast, as CSV or JSON)",
		Long: `按付款时间（北京时间）统计每个群在每日/周（周一开始）/月的订单数、付款金额、付款预估收入（不含失效和维权订单）、
结算收入、失效率、每条发单收入、每百人日收入；"未归属"是推广位不属于任何群的订单。--from/--to 是日期（含当天），
默认本月 1 日到今天。--forecast 改为输出结算预测：今后每月 20 日（--pay-day）预计到账的金额和订单数，
以及过去几个月付款预估与实际结算的差额。CSV 为带 BOM 的 UTF-8，Excel 打开不会乱码；金额单位为元。

Income per group and day, week (Monday to Sunday) or month, by payment time in Asia/Shanghai:
orders, paid amount, estimated income (orders neither invalid nor refunded), settled income,
invalid rate, income per post and per 100 member-days. "未归属 (unattributed)" holds the orders
whose placement (adzone) belongs to no group. --from and --to are dates, both included; the
default is this month up to today. --forecast prints the settlement forecast instead: the money
expected on each coming pay day (the 20th, --pay-day) and, for past months, estimates against
what was settled. CSV is UTF-8 with a BOM so Excel shows Chinese; amounts are in yuan. JSON keeps
fen and basis points. See docs/orders.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "csv" && format != "json" {
				return msg.New("cli.bad_format", format)
			}
			period, err := orders.ParsePeriod(by)
			if err != nil {
				return fmt.Errorf("--by: %w", err)
			}
			q := orders.IncomeQuery{By: period}
			if q.From, err = reportDate(from); err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			if q.To, err = reportDate(to); err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			if !q.To.IsZero() {
				q.To = q.To.AddDate(0, 0, 1) // --to is included
			}
			ctx := cmd.Context()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			s := orders.NewStore(db)
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			if forecast {
				f, err := s.Forecast(ctx, orders.ForecastOptions{PayDay: payDay, ReceiptDays: receiptDays})
				if err != nil {
					return err
				}
				if format == "json" {
					return apiv1.Encode(w, apiv1.NewForecast(f), true)
				}
				return writeForecastCSV(w, f)
			}
			if len(groups) > 0 {
				if q.Groups, err = groupIDs(ctx, db, groups); err != nil {
					return err
				}
			}
			rep, err := s.Income(ctx, q)
			if err != nil {
				return err
			}
			if format == "json" {
				return apiv1.Encode(w, apiv1.NewIncome(rep), true)
			}
			return writeIncomeCSV(w, rep)
		},
	}
	cmd.Flags().StringVar(&by, "by", "month", "周期 (period): day, week, month")
	cmd.Flags().StringVar(&from, "from", "", "开始日期，含 (first day, included): 2026-01-01; 默认本月 1 日 (default: the 1st of this month)")
	cmd.Flags().StringVar(&to, "to", "", "结束日期，含 (last day, included): 2026-01-31; 默认今天 (default: today)")
	cmd.Flags().StringArrayVar(&groups, "group", nil, `只看这个群，可重复；"未归属" 为不属于任何群的订单 (only this group, repeatable; "未归属" or "unattributed" for orders of no group)`)
	cmd.Flags().StringVar(&format, "format", "csv", "输出格式 (output format): csv, json")
	cmd.Flags().BoolVar(&forecast, "forecast", false, "输出结算预测 (print the settlement forecast instead)")
	cmd.Flags().IntVar(&payDay, "pay-day", orders.DefaultPayDay, "每月结算到账日 (day of the month the settlement arrives)")
	cmd.Flags().IntVar(&receiptDays, "receipt-days", orders.DefaultReceiptDays, "付款后多少天确认收货，报表未给出时用于预测 (days from payment to confirmed receipt, when the report does not say)")
	return cmd
}

func newReportUnattributedCmd(g *globals) *cobra.Command {
	var from, to, format string
	cmd := &cobra.Command{
		Use:   "unattributed",
		Short: "未归属订单：按推广位统计不属于任何群的订单 (orders of no group, by placement)",
		Long: `按推广位（adzone）列出不属于任何群的订单数和金额：把这些推广位登记到对应的群后运行 qunke report attribute。

List, by placement (adzone), the orders whose placement belongs to no group: register the
placement on its group, then run qunke report attribute.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "csv" && format != "json" {
				return msg.New("cli.bad_format", format)
			}
			f, err := reportDate(from)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			t, err := reportDate(to)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			if !t.IsZero() {
				t = t.AddDate(0, 0, 1)
			}
			db, err := g.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			st := orders.NewStore(db)
			list, err := st.Unattributed(cmd.Context(), f, t)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			if format == "json" {
				// The body of GET /api/v1/orders/unattributed: with the latest orders.
				latest, err := st.UnattributedOrders(cmd.Context(), f, t, apiv1.UnattributedOrders)
				if err != nil {
					return err
				}
				return apiv1.Encode(w, apiv1.NewUnattributed(list, latest), true)
			}
			w.WriteString("\uFEFF")
			cw := csv.NewWriter(w)
			cw.Write([]string{"推广位ID (adzone)", "推广位名称 (adzone name)", "订单数 (orders)", "付款金额 (paid, ¥)",
				"付款预估收入 (estimated income, ¥)", "最早付款日 (first day paid)", "最近付款日 (last day paid)"})
			for _, a := range list {
				id := a.AdzoneID
				if id == "" {
					id = "(无 none)"
				}
				cw.Write([]string{id, a.AdzoneName, strconv.FormatInt(a.Orders, 10), cells.Yuan(a.PaidAmount),
					cells.Yuan(a.EstIncome), a.FirstDay, a.LastDay})
			}
			cw.Flush()
			return cw.Error()
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "开始日期，含 (first day, included); 默认不限 (default: no limit)")
	cmd.Flags().StringVar(&to, "to", "", "结束日期，含 (last day, included); 默认不限 (default: no limit)")
	cmd.Flags().StringVar(&format, "format", "csv", "输出格式 (output format): csv, json")
	return cmd
}

func newReportAttributeCmd(g *globals) *cobra.Command {
	var since string
	var window time.Duration
	cmd := &cobra.Command{
		Use:   "attribute",
		Short: "重新归因：按现在的群推广位和发单记录，重新计算订单所属的群和发单 (re-attribute orders to groups and posts as they are now)",
		Long: `导入订单时已自动归因。新增群、修改群的推广位、补记发单或绑定成员的会员运营ID/渠道关系ID/subUnionId/custom_parameters
后运行本命令，重新计算 --since 之后付款的订单（默认全部）属于哪个群、由哪条发单带来、是哪个成员下的；
只改变有变化的订单，可随时中断后重跑。

Import attributes orders as it stores them. After adding groups, changing a group's placement,
recording posts by hand or binding members' person-level ids, this recomputes which group, which
post and which member the orders paid since --since (default: all) came from. Only orders whose
attribution changes are written; it is safe to stop and run again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := reportDate(since)
			if err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			db, err := g.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			s := orders.NewStore(db)
			s.Window = window
			start := time.Now()
			var total int64
			if t.IsZero() {
				if total, err = s.Count(cmd.Context()); err != nil {
					return err
				}
			}
			bar := newProgress(cmd.ErrOrStderr(), g.t("cli.attributing"), false)
			st, err := s.AttributeProgress(cmd.Context(), t, func(st orders.AttributeStats, _ time.Time) {
				bar.Update(int64(st.Orders), max(total, int64(st.Orders)))
			})
			bar.Finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "订单 %d orders · 归属到群 %d attributed to a group · 来自发单 %d from a post · 归属到成员 %d to a member · 有变化 %d changed · 用时 %s\n",
				st.Orders, st.Attributed, st.FromPosts, st.ToMembers, st.Changed, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "只处理此日期起付款的订单 (only orders paid since this date): 2026-01-01")
	cmd.Flags().DurationVar(&window, "window", orders.DefaultWindow, "发单后多久内的订单算作该发单带来 (how long after a post an order still counts for it)")
	return cmd
}

// reportDate reads a date (2026-01-02) in Asia/Shanghai; "" is the zero time.
func reportDate(s string) (time.Time, error) {
	if s = strings.TrimSpace(s); s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02", "2006/1/2", "2006-1-2", "20060102"} {
		if t, err := time.ParseInLocation(layout, s, shanghai.Zone); err == nil {
			return t, nil
		}
	}
	return time.Time{}, msg.New("cli.bad_date", s)
}

// groupIDs resolves group names ("未归属"/"unattributed" for no group).
func groupIDs(ctx context.Context, db *store.DB, names []string) ([]int64, error) {
	all, err := community.NewStore(db).List(ctx, community.Filter{})
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, n := range names {
		n = strings.TrimSpace(n)
		switch strings.ToLower(n) {
		case "未归属", "unattributed", "none", "0":
			ids = append(ids, orders.Unattributed)
			continue
		}
		found := false
		for _, g := range all {
			if g.Name == n {
				ids, found = append(ids, g.ID), true
				break
			}
		}
		if !found {
			return nil, msg.New("cli.no_such_group", n)
		}
	}
	return ids, nil
}

func optYuan(p *int64) string {
	if p == nil {
		return ""
	}
	return cells.Yuan(*p)
}

var incomeHeader = []string{"期间 (period)", "开始 (from)", "结束 (to)", "群 (group)", "订单数 (orders)", "失效/维权 (failed)",
	"付款金额 (paid, ¥)", "付款预估收入 (estimated income, ¥)", "结算收入 (settled income, ¥)", "失效率 (invalid rate)",
	"发单数 (posts)", "每条发单收入 (income per post, ¥)", "群人数 (members)", "人日 (member-days)",
	"每百人日收入 (income per 100 member-days, ¥)"}

func incomeRecord(b orders.Bucket, r orders.IncomeRow) []string {
	last := b.End.AddDate(0, 0, -1)
	return []string{b.Label, b.Start.Format("2006-01-02"), last.Format("2006-01-02"), r.GroupName,
		strconv.FormatInt(r.Orders, 10), strconv.FormatInt(r.Failed, 10), cells.Yuan(r.PaidAmount), cells.Yuan(r.EstIncome),
		cells.Yuan(r.SettledIncome), catalog.Percent(r.InvalidRateBP), strconv.FormatInt(r.Posts, 10), optYuan(r.IncomePerPost),
		strconv.FormatInt(r.Members, 10), strconv.FormatInt(r.MemberDays, 10), optYuan(r.IncomePer100MemberDays)}
}

// writeIncomeCSV writes one row per group and period and a total row per
// period, UTF-8 with a BOM (Excel then reads the Chinese right).
func writeIncomeCSV(w *bufio.Writer, rep *orders.IncomeReport) error {
	w.WriteString("\uFEFF")
	cw := csv.NewWriter(w)
	cw.Write(incomeHeader)
	for _, b := range rep.Buckets {
		for _, r := range b.Rows {
			cw.Write(incomeRecord(b, r))
		}
		cw.Write(incomeRecord(b, b.Total))
	}
	cw.Flush()
	return cw.Error()
}

func writeForecastCSV(w *bufio.Writer, f *orders.Forecast) error {
	w.WriteString("\uFEFF")
	cw := csv.NewWriter(w)
	cw.Write([]string{"到账月份 (pay month)", "到账日 (pay day)", "订单数 (orders)", "已确认 (confirmed, ¥)", "已确认订单 (confirmed orders)",
		"待收货 (pending, ¥)", "待收货订单 (pending orders)", "合计预计 (expected, ¥)",
		fmt.Sprintf("按近期失效率 %s 估计 (likely at the recent %s failure rate, ¥)", catalog.Percent(f.FailRateBP), catalog.Percent(f.FailRateBP))})
	for _, p := range f.Coming {
		cw.Write([]string{p.Month, p.PayDate.Format("2006-01-02"), strconv.FormatInt(p.Orders, 10), cells.Yuan(p.Confirmed),
			strconv.FormatInt(p.ConfirmedOrders, 10), cells.Yuan(p.Pending), strconv.FormatInt(p.PendingOrders, 10),
			cells.Yuan(p.Expected), cells.Yuan(p.Likely)})
	}
	cw.Write(nil)
	cw.Write([]string{"付款月份 (paid month)", "订单数 (orders)", "失效/维权 (failed)", "未结清 (open)", "付款预估 (estimated, ¥)",
		"已结算 (settled, ¥)", "差额 (gap, ¥)", "差额比例 (gap)", "已结清 (complete)"})
	for _, h := range f.History {
		done := "否 no"
		if h.Complete {
			done = "是 yes"
		}
		cw.Write([]string{h.Month, strconv.FormatInt(h.Orders, 10), strconv.FormatInt(h.Failed, 10), strconv.FormatInt(h.Open, 10),
			cells.Yuan(h.Estimated), cells.Yuan(h.Settled), cells.Yuan(h.Gap), catalog.Percent(h.GapBP), done})
	}
	cw.Flush()
	return cw.Error()
}
