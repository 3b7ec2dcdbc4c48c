package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/telegram"
	"github.com/qunke/qunke/internal/publish/channel/wecom"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/web"
)

// newReportBossCmd is `qunke report boss`: the boss's tables (老板报表).
func newReportBossCmd(g *globals) *cobra.Command {
	var period, month, date, by, sortCol, csvPath, xlsxPath string
	var asc, asJSON, refresh bool
	cmd := &cobra.Command{
		Use:   "boss",
		Short: g.h("cli.report.boss.short"),
		Long:  g.h("cli.report.boss.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			q := insight.BossQuery{Sort: sortCol, Asc: asc}
			var err error
			if month != "" {
				if !cmd.Flags().Changed("period") {
					period = "month"
				}
				date = month
			}
			if q.Period, err = insight.ParsePeriod(period); err != nil {
				return fmt.Errorf("--period: %w", err)
			}
			if q.By, err = insight.ParseGrouping(by); err != nil {
				return fmt.Errorf("--by: %w", err)
			}
			q.Day = insight.DayOf(time.Now())
			if date != "" {
				day, ok := bossDay(date)
				if !ok {
					return fmt.Errorf("--date: %w", msg.New("boss.bad_date", date))
				}
				q.Day = day
			}
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			deps := web.NewDeps(db, slog.New(slog.DiscardHandler))
			if refresh {
				// The rollup as serve's hourly job keeps it: the days from the
				// period's start (bounded) to today.
				from, _ := q.Period.Bounds(q.Day)
				// At least 60 days: the verdicts judge trends over weeks.
				back := max(int(shanghai.Day(time.Now().Unix())-from+2), 60)
				if err := deps.Health.Refresh(ctx, min(back, 400)); err != nil {
					return err
				}
			}
			t, err := deps.Boss.Boss(ctx, q)
			if err != nil {
				return err
			}
			tr := insight.Text(g.t)
			out := cmd.OutOrStdout()
			for _, f := range []struct {
				path  string
				write func(io.Writer, insight.Text) error
			}{{csvPath, t.WriteCSV}, {xlsxPath, t.WriteXLSX}} {
				if f.path == "" {
					continue
				}
				if err := writeFileAtomic(f.path, func(w io.Writer) error { return f.write(w, tr) }); err != nil {
					return err
				}
				fmt.Fprintln(cmd.ErrOrStderr(), g.t("cli.report.boss.written", f.path))
			}
			if csvPath != "" || xlsxPath != "" {
				return nil
			}
			bw := bufio.NewWriter(out)
			defer bw.Flush()
			if asJSON {
				return apiv1.Encode(bw, apiv1.NewBossTable(t, tr), true)
			}
			tw := newWideTable(bw)
			defer tw.Flush()
			fmt.Fprintln(tw, g.t("boss.export_title", t.FromTime().Format("2006-01-02"), t.ToTime().Format("2006-01-02"),
				g.t("boss.by_"+string(t.By))))
			j := apiv1.NewBossTable(t, tr)
			heads := []string{"boss.col_name", "boss.col_groups", "boss.col_members", "boss.col_growth", "boss.col_posts",
				"boss.col_orders", "boss.col_income", "boss.col_per_member_day", "boss.col_cost", "boss.col_cac",
				"boss.col_payback", "boss.col_health"}
			for i, h := range heads {
				if i > 0 {
					fmt.Fprint(tw, "\t")
				}
				fmt.Fprint(tw, g.t(h))
			}
			fmt.Fprintln(tw)
			line := func(r *apiv1.BossRow, ir *insight.BossRow) {
				pmd, cac, pay := insight.PerMemberDayText(ir), "—", "—"
				if pmd == "" {
					pmd = "—"
				}
				if ir.HasCAC {
					cac, pay = moneyText(ir.CACFen), g.t("boss.never")
				}
				if ir.HasPayback {
					pay = g.t("boss.days", ir.PaybackDays)
				}
				health := insight.HealthText(ir, tr)
				if health == "" {
					health = "—"
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%+d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Groups, r.Members, r.NetGrowth,
					r.Posts, r.Orders, moneyText(r.IncomeFen), pmd, moneyText(r.CostFen), cac, pay, health)
			}
			for i := range t.Rows {
				line(&j.Rows[i], &t.Rows[i])
			}
			line(&j.Total, &t.Total)
			if t.UnassignedCostFen > 0 {
				fmt.Fprintln(tw, g.t("boss.unassigned", cells.Yuan(t.UnassignedCostFen)))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&period, "period", "month", g.h("cli.report.boss.flag_period"))
	f.StringVar(&month, "month", "", g.h("cli.report.boss.flag_month"))
	f.StringVar(&date, "date", "", g.h("cli.report.boss.flag_date"))
	f.StringVar(&by, "by", "operator", g.h("cli.report.boss.flag_by"))
	f.StringVar(&sortCol, "sort", "income", g.h("cli.report.boss.flag_sort"))
	f.BoolVar(&asc, "asc", false, g.h("cli.report.boss.flag_asc"))
	f.StringVar(&csvPath, "csv", "", g.h("cli.report.boss.flag_csv"))
	f.StringVar(&xlsxPath, "xlsx", "", g.h("cli.report.boss.flag_xlsx"))
	f.BoolVar(&asJSON, "json", false, g.h("cli.report.boss.flag_json"))
	f.BoolVar(&refresh, "refresh", true, g.h("cli.report.boss.flag_refresh"))
	return cmd
}

// bossDay reads 2026-11-05 or a month, 2026-11, as a Shanghai day number.
func bossDay(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if t, ok := insight.ParseDay(s); ok {
		return insight.DayOf(t), true
	}
	if t, err := time.Parse("2006-01", s); err == nil && t.Year() >= 2000 && t.Year() <= 2200 {
		return t.Unix() / 86400, true
	}
	return 0, false
}

func moneyText(fen int64) string {
	if fen < 0 {
		return "-¥" + cells.Yuan(-fen)
	}
	return "¥" + cells.Yuan(fen)
}

// writeFileAtomic writes path through a temporary file beside it, so that a
// failed export leaves no half-written file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(dirOf(path), ".qunke-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriter(tmp)
	if err := write(bw); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func dirOf(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[:i+1]
	}
	return "."
}

// newReportDigestCmd is `qunke report digest [--send]`: today's daily digest
// for each recipient, sent at once with --send (claimed as serve's job
// claims it: never twice a day).
func newReportDigestCmd(g *globals) *cobra.Command {
	var send bool
	var tgToken, tgAPI, wcAPI string
	cmd := &cobra.Command{
		Use:   "digest",
		Short: g.h("cli.report.digest.short"),
		Long:  g.h("cli.report.digest.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			deps := web.NewDeps(db, slog.New(slog.DiscardHandler))
			if err := deps.Health.Refresh(ctx, 60); err != nil {
				return err
			}
			senders := digestSenders(tgToken, tgAPI, wcAPI)
			d := newDigester(db, deps, senders, shanghai.Zone, nil)
			out := cmd.OutOrStdout()
			if send {
				st, err := d.SendNow(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintln(out, g.t("cli.report.digest.sent", st.Claimed, st.Sent))
				return nil
			}
			rs, err := d.Recipients(ctx)
			if err != nil {
				return err
			}
			if len(rs) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), g.t("cli.report.digest.no_recipients"))
				rs = []insight.Recipient{{}}
			}
			day := insight.DayOf(time.Now())
			for _, r := range rs {
				text, err := d.Text(ctx, day, r)
				if err != nil {
					return err
				}
				who := g.t("boss.digest_team")
				if r.Mine {
					who = r.Owner
				}
				fmt.Fprintln(out, g.t("cli.report.digest.to", who))
				fmt.Fprintln(out, text)
				fmt.Fprintln(out)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&send, "send", false, g.h("cli.report.digest.flag_send"))
	cmd.Flags().StringVar(&tgToken, "telegram-token", os.Getenv("QUNKE_TELEGRAM_TOKEN"), g.h("cli.posting.flag.telegram_token"))
	cmd.Flags().StringVar(&tgAPI, "telegram-api", envOr("QUNKE_TELEGRAM_API", telegram.DefaultBaseURL), g.h("cli.posting.flag.telegram_api"))
	cmd.Flags().StringVar(&wcAPI, "wecom-api", envOr("QUNKE_WECOM_API", wecom.DefaultBaseURL), g.h("cli.posting.flag.wecom_api"))
	return cmd
}

// digestSenders are the digest's senders for the command line: a WeCom
// robot always, Telegram with a token.
func digestSenders(tgToken, tgAPI, wcAPI string) map[community.Channel]channel.Sender {
	wc := wecom.New()
	wc.BaseURL = wcAPI
	out := map[community.Channel]channel.Sender{community.WeCom: wc}
	if tgToken != "" {
		tg := telegram.New(tgToken)
		tg.BaseURL = tgAPI
		out[community.Telegram] = tg
	}
	return out
}

// newDigester builds the digest over deps' services; the team's day and
// hour are in zone.
func newDigester(db *store.DB, deps web.Deps, senders map[community.Channel]channel.Sender, zone *time.Location, log *slog.Logger) *insight.Digester {
	return &insight.Digester{DB: db, Store: deps.Costs, Boss: deps.Boss, Notify: deps.Health.Store, Groups: deps.Groups,
		Senders: senders, Zone: zone, Log: log}
}

// startDigest runs the daily digest job (leased: one server at a time;
// claimed: once a day per recipient) until ctx ends; every 0 is off.
func startDigest(ctx context.Context, jobs *sync.WaitGroup, deps web.Deps, zone *time.Location, every time.Duration, log *slog.Logger) {
	if every <= 0 || deps.Health.Senders == nil {
		return // off, or no senders (--no-worker): another server sends it
	}
	d := newDigester(deps.DB, deps, deps.Health.Senders, zone, log)
	jobs.Go(func() { d.Run(ctx, store.Holder(), every) })
}
