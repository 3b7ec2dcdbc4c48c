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
		Short: g.h("cli.report.short"),
	}
	cmd.AddCommand(newReportIncomeCmd(g), newReportUnattributedCmd(g), newReportAttributeCmd(g), newReportHealthCmd(g),
		newReportBossCmd(g), newReportDigestCmd(g))
	cmd.AddCommand(newReportEconomicsCmd(g))
	cmd.AddCommand(newReportCohortsCmd(g), newReportRFMCmd(g)) // docs/cohorts.md
	return cmd
}

func newReportIncomeCmd(g *globals) *cobra.Command {
	var by, from, to, format string
	var groups []string
	var forecast bool
	var payDay, receiptDays int
	cmd := &cobra.Command{
		Use:   "income",
		Short: g.h("cli.report.income.short"),
		Long:  g.h("cli.report.income.long"),
		Args:  cobra.NoArgs,
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
				return writeForecastCSV(w, f, g.t)
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
			return writeIncomeCSV(w, rep, g.t)
		},
	}
	cmd.Flags().StringVar(&by, "by", "month", g.h("cli.report.flag.by"))
	cmd.Flags().StringVar(&from, "from", "", g.h("cli.report.flag.from"))
	cmd.Flags().StringVar(&to, "to", "", g.h("cli.report.flag.to"))
	cmd.Flags().StringArrayVar(&groups, "group", nil, g.h("cli.report.flag.group"))
	cmd.Flags().StringVar(&format, "format", "csv", g.h("cli.report.flag.format"))
	cmd.Flags().BoolVar(&forecast, "forecast", false, g.h("cli.report.flag.forecast"))
	cmd.Flags().IntVar(&payDay, "pay-day", orders.DefaultPayDay, g.h("cli.report.flag.pay_day"))
	cmd.Flags().IntVar(&receiptDays, "receipt-days", orders.DefaultReceiptDays, g.h("cli.report.flag.receipt_days"))
	return cmd
}

func newReportUnattributedCmd(g *globals) *cobra.Command {
	var from, to, format string
	cmd := &cobra.Command{
		Use:   "unattributed",
		Short: g.h("cli.report.unattributed.short"),
		Long:  g.h("cli.report.unattributed.long"),
		Args:  cobra.NoArgs,
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
			cw.Write(header(g.t, "cli.csv.adzone", "cli.csv.adzone_name", "cli.csv.orders", "cli.csv.paid",
				"cli.csv.est_income", "cli.csv.first_day", "cli.csv.last_day"))
			for _, a := range list {
				id := a.AdzoneID
				if id == "" {
					id = g.t("cli.csv.no_adzone")
				}
				cw.Write([]string{id, a.AdzoneName, strconv.FormatInt(a.Orders, 10), cells.Yuan(a.PaidAmount),
					cells.Yuan(a.EstIncome), a.FirstDay, a.LastDay})
			}
			cw.Flush()
			return cw.Error()
		},
	}
	cmd.Flags().StringVar(&from, "from", "", g.h("cli.report.unattributed.flag.from"))
	cmd.Flags().StringVar(&to, "to", "", g.h("cli.report.unattributed.flag.to"))
	cmd.Flags().StringVar(&format, "format", "csv", g.h("cli.report.flag.format"))
	return cmd
}

func newReportAttributeCmd(g *globals) *cobra.Command {
	var since string
	var window time.Duration
	cmd := &cobra.Command{
		Use:   "attribute",
		Short: g.h("cli.report.attribute.short"),
		Long:  g.h("cli.report.attribute.long"),
		Args:  cobra.NoArgs,
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
			fmt.Fprintln(cmd.OutOrStdout(), g.t("cli.attribute_done", st.Orders, st.Attributed, st.FromPosts, st.ToMembers,
				st.Changed, time.Since(start).Round(time.Millisecond)))
			return nil
		},
	}
	cmd.Flags().StringVar(&since, "since", "", g.h("cli.report.flag.since"))
	cmd.Flags().DurationVar(&window, "window", orders.DefaultWindow, g.h("cli.report.flag.window"))
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

// incomeHeader is the income CSV's header row (message keys).
var incomeHeader = []string{"cli.csv.period", "cli.csv.from", "cli.csv.to", "cli.csv.group", "cli.csv.orders", "cli.csv.failed",
	"cli.csv.paid", "cli.csv.est_income", "cli.csv.settled_income", "cli.csv.invalid_rate",
	"cli.csv.posts", "cli.csv.income_per_post", "cli.csv.members", "cli.csv.member_days", "cli.csv.income_per_100"}

// header is a CSV header row in the reader's language.
func header(t func(string, ...any) string, keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = t(k)
	}
	return out
}

func incomeRecord(b orders.Bucket, r orders.IncomeRow) []string {
	last := b.End.AddDate(0, 0, -1)
	return []string{b.Label, b.Start.Format("2006-01-02"), last.Format("2006-01-02"), r.GroupName,
		strconv.FormatInt(r.Orders, 10), strconv.FormatInt(r.Failed, 10), cells.Yuan(r.PaidAmount), cells.Yuan(r.EstIncome),
		cells.Yuan(r.SettledIncome), catalog.Percent(r.InvalidRateBP), strconv.FormatInt(r.Posts, 10), optYuan(r.IncomePerPost),
		strconv.FormatInt(r.Members, 10), strconv.FormatInt(r.MemberDays, 10), optYuan(r.IncomePer100MemberDays)}
}

// writeIncomeCSV writes one row per group and period and a total row per
// period, UTF-8 with a BOM (Excel then reads the Chinese right).
func writeIncomeCSV(w *bufio.Writer, rep *orders.IncomeReport, t func(string, ...any) string) error {
	w.WriteString("\uFEFF")
	cw := csv.NewWriter(w)
	cw.Write(header(t, incomeHeader...))
	for _, b := range rep.Buckets {
		for _, r := range b.Rows {
			cw.Write(incomeRecord(b, r))
		}
		cw.Write(incomeRecord(b, b.Total))
	}
	cw.Flush()
	return cw.Error()
}

func writeForecastCSV(w *bufio.Writer, f *orders.Forecast, t func(string, ...any) string) error {
	w.WriteString("\uFEFF")
	cw := csv.NewWriter(w)
	cw.Write(append(header(t, "cli.csv.pay_month", "cli.csv.pay_day", "cli.csv.orders", "cli.csv.confirmed",
		"cli.csv.confirmed_orders", "cli.csv.pending", "cli.csv.pending_orders", "cli.csv.expected"),
		t("cli.csv.likely", catalog.Percent(f.FailRateBP))))
	for _, p := range f.Coming {
		cw.Write([]string{p.Month, p.PayDate.Format("2006-01-02"), strconv.FormatInt(p.Orders, 10), cells.Yuan(p.Confirmed),
			strconv.FormatInt(p.ConfirmedOrders, 10), cells.Yuan(p.Pending), strconv.FormatInt(p.PendingOrders, 10),
			cells.Yuan(p.Expected), cells.Yuan(p.Likely)})
	}
	cw.Write(nil)
	cw.Write(header(t, "cli.csv.paid_month", "cli.csv.orders", "cli.csv.failed", "cli.csv.open", "cli.csv.estimated",
		"cli.csv.settled", "cli.csv.gap", "cli.csv.gap_rate", "cli.csv.complete"))
	for _, h := range f.History {
		done := t("cli.csv.no")
		if h.Complete {
			done = t("cli.csv.yes")
		}
		cw.Write([]string{h.Month, strconv.FormatInt(h.Orders, 10), strconv.FormatInt(h.Failed, 10), strconv.FormatInt(h.Open, 10),
			cells.Yuan(h.Estimated), cells.Yuan(h.Settled), cells.Yuan(h.Gap), catalog.Percent(h.GapBP), done})
	}
	cw.Flush()
	return cw.Error()
}
