package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/health"
	"github.com/qunke/qunke/internal/shanghai"
)

// newReportHealthCmd is `qunke report health`: every group's health score,
// state and reasons, or the death warning's backtest.
func newReportHealthCmd(g *globals) *cobra.Command {
	var asJSON, backtest bool
	var days int
	cmd := &cobra.Command{
		Use:   "health",
		Short: g.h("cli.health_short"),
		Long:  g.h("cli.health_long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			svc := health.NewService(db, slog.New(slog.DiscardHandler))
			if err := svc.Refresh(ctx, days); err != nil {
				return err
			}
			bw := bufio.NewWriter(cmd.OutOrStdout())
			defer bw.Flush()
			tw := newWideTable(bw)
			defer tw.Flush()
			w := bufio.NewWriter(tw)
			defer w.Flush()
			if backtest {
				res, err := svc.Backtest(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return apiv1.Encode(bw, res, true)
				}
				printBacktest(g, w, res)
				return nil
			}
			rows, err := svc.Board(ctx)
			if err != nil {
				return err
			}
			board := apiv1.NewHealthBoard(rows, func(key string, args ...any) string { return g.t(key, args...) })
			if asJSON {
				return apiv1.Encode(bw, board, true)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", g.t("health.col_group"), g.t("health.col_score"), g.t("health.col_state"), g.t("health.col_reasons"))
			for _, r := range board.Groups {
				var why []string
				for _, re := range r.Reasons {
					if re.Points != 0 {
						why = append(why, re.Text)
					}
				}
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", r.GroupName, r.Score, r.StateLabel, strings.Join(why, g.t("health.reason_sep")))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, g.h("cli.health_json"))
	cmd.Flags().BoolVar(&backtest, "backtest", false, g.h("cli.health_backtest"))
	cmd.Flags().IntVar(&days, "days", 400, g.h("cli.health_days"))
	return cmd
}

func printBacktest(g *globals, w *bufio.Writer, bt health.Backtests) {
	res := bt.Rules
	defer func() {
		fmt.Fprintln(w, g.t("health.backtest_rules"))
		summary(g, w, bt.Rules)
		if bt.Model != nil {
			fmt.Fprintln(w, g.t("health.backtest_model", health.ModelFolds))
			summary(g, w, *bt.Model)
		} else {
			fmt.Fprintln(w, g.t("health.backtest_no_model", health.MinDeaths))
		}
		if bt.InUse == "logistic" {
			fmt.Fprintln(w, g.t("health.model_logistic", bt.ModelDeaths))
		} else {
			fmt.Fprintln(w, g.t("health.model_rules"))
		}
	}()
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.t("health.col_group"), g.t("health.col_days"), g.t("health.col_warn_day"),
		g.t("health.col_death_day"), g.t("health.col_lead"), g.t("health.col_false_alarms"), g.t("health.col_open"))
	day := func(d int64) string {
		if d == 0 {
			return "-"
		}
		return health.DayTime(d, shanghai.Zone).Format("2006-01-02")
	}
	for _, r := range res.Groups {
		lead := "-"
		if r.DeathDay != 0 && r.WarnDay != 0 {
			lead = fmt.Sprint(r.Lead)
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%d\t%d\n", r.Name, r.Days, day(r.WarnDay), day(r.DeathDay), lead, r.FalseAlarms, r.Open)
	}
}

func summary(g *globals, w *bufio.Writer, res health.BacktestResult) {
	fmt.Fprintln(w, g.t("health.backtest_summary", res.Dying, res.WarnedAhead, health.LeadTarget, pctBP(res.WarnedAheadBP),
		res.MedianLead, res.Warnings, res.FalseAlarms, pctBP(res.FalseAlarmBP), res.Open))
}

func pctBP(bp int64) string { return fmt.Sprintf("%d.%d%%", bp/100, bp%100/10) }
