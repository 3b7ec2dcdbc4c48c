package main

import (
	"fmt"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/msg"
)

// newReportEconomicsCmd is `qunke report economics`: the unit economics
// per group, tag, operator, cohort or source (docs/economics.md).
func newReportEconomicsCmd(g *globals) *cobra.Command {
	var by, period, from, to string
	var asJSON, curves bool
	cmd := &cobra.Command{
		Use:   "economics",
		Short: g.h("cli.econ.short"),
		Long:  g.h("cli.econ.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			q := insight.EconQuery{Period: period, Now: time.Now()}
			b, ok := insight.ParseBy(by)
			if !ok {
				return fmt.Errorf("--by: %w", msg.New("econ.bad_by"))
			}
			q.By = b
			if period != "" && period != "week" && period != "month" {
				return fmt.Errorf("--period: %w", msg.New("econ.bad_period"))
			}
			for _, d := range []struct {
				flag, v string
				dst     *time.Time
				next    bool
			}{{"--from", from, &q.From, false}, {"--to", to, &q.To, true}} {
				if d.v == "" {
					continue
				}
				t, ok := insight.ParseDay(d.v)
				if !ok {
					return fmt.Errorf("%s: %w", d.flag, msg.New("insight.cost_bad_date", d.v))
				}
				if d.next {
					t = t.AddDate(0, 0, 1) // --to is included
				}
				*d.dst = t
			}
			if !q.From.IsZero() && q.To.IsZero() {
				q.To = insight.DayTime(insight.JoinDay(q.Now) + 1)
			}
			if q.From.IsZero() && !q.To.IsZero() {
				q.From = q.To.AddDate(0, 0, -180)
			}
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := insight.NewEconomics(db).Report(ctx, q)
			if err != nil {
				return err
			}
			label := func(s insight.Source) string { return g.t(s.LabelKey()) }
			out := cmd.OutOrStdout()
			if asJSON {
				return apiv1.Encode(out, apiv1.NewEconomics(rep, label, curves), true)
			}
			fmt.Fprintln(out, g.t("econ.window", insight.DayTime(rep.From).Format("2006-01-02"),
				insight.DayTime(rep.To-1).Format("2006-01-02"), rep.Total.Acquired, cells.Yuan(rep.Total.CostFen)))
			fmt.Fprintln(out, g.t("econ.mapped", cells.Yuan(rep.IncomeFen), cells.Yuan(rep.AttributedFen), cells.PercentBP(rep.MappedBP)))
			w := newWideTable(out)
			fmt.Fprintln(w, g.t("cli.econ.head", g.t("econ.by."+string(rep.By))))
			row := func(name string, r insight.EconRow) {
				dash := "—"
				cac, perDay, ltv, payback, cash := dash, dash, dash, dash, dash
				if r.CACFen > 0 {
					cac = cells.Yuan(r.CACFen)
				}
				if r.MemberDays > 0 {
					perDay = fmt.Sprintf("%.2f", r.IncomePerMemberDay)
					ltv = cells.Yuan(int64(math.Round(r.LTVFen)))
				}
				if r.CACFen > 0 && r.Acquired > 0 {
					payback, cash = g.t("econ.never"), g.t("econ.never")
					if r.PaybackDays >= 0 {
						payback = fmt.Sprint(r.PaybackDays)
					}
					if r.CashPaybackDays >= 0 {
						cash = fmt.Sprint(r.CashPaybackDays)
					}
				}
				fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, r.Groups, r.Acquired, cells.Yuan(r.CostFen),
					cac, perDay, cells.PercentBP(r.MappedBP), share(r.Survival30), share(r.Survival90), ltv, payback, cash,
					share(r.GroupSurvival90))
			}
			for _, r := range rep.Rows {
				name := r.Label
				switch {
				case rep.By == insight.ByCohort:
					name = r.Period + " " + g.t(r.Source.LabelKey())
				case rep.By == insight.BySource:
					name = g.t(r.Source.LabelKey())
				case rep.By == insight.ByTag && r.Key == "":
					name = g.t("econ.no_tag")
				case rep.By == insight.ByOperator && r.Key == "":
					name = g.t("econ.no_owner")
				}
				row(name, r)
			}
			row(g.t("econ.total"), rep.Total)
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&by, "by", "group", g.h("cli.econ.flag.by"))
	cmd.Flags().StringVar(&period, "period", "week", g.h("cli.econ.flag.period"))
	cmd.Flags().StringVar(&from, "from", "", g.h("cli.econ.flag.from"))
	cmd.Flags().StringVar(&to, "to", "", g.h("cli.econ.flag.to"))
	cmd.Flags().BoolVar(&curves, "curves", false, g.h("cli.econ.flag.curves"))
	cmd.Flags().BoolVar(&asJSON, "json", false, g.h("cli.econ.flag.json"))
	return cmd
}

// share is a share as a percent, — for none.
func share(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return cells.PercentBP(int64(math.Round(v * 10000)))
}
