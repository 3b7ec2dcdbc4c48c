package main

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/sheet"
	"github.com/qunke/qunke/internal/store"
)

func newCostsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "costs",
		Short: g.h("cli.costs.short"),
		Long:  g.h("cli.costs.long"),
	}
	cmd.AddCommand(newCostsAddCmd(g), newCostsImportCmd(g), newCostsListCmd(g))
	return cmd
}

// costGroups maps every group's name and id (as text) to its id, for the
// cost sheets and --group.
func costGroups(ctx context.Context, db *store.DB) (map[string]int64, error) {
	all, err := community.NewStore(db).List(ctx, community.Filter{})
	if err != nil {
		return nil, err
	}
	m := map[string]int64{}
	for _, gr := range all {
		m[gr.Name] = gr.ID
		m[strconv.FormatInt(gr.ID, 10)] = gr.ID
	}
	return m, nil
}

func newCostsAddCmd(g *globals) *cobra.Command {
	var group, campaign, date, kind, unit, amount, note string
	var members int64
	cmd := &cobra.Command{
		Use:   "add",
		Short: g.h("cli.costs.add.short"),
		Long:  g.h("cli.costs.add.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			c := insight.Cost{Campaign: campaign, Members: members, Note: note}
			if date == "" {
				c.Day = time.Now()
			} else {
				d, ok := insight.ParseDay(date)
				if !ok {
					return fmt.Errorf("--date: %w", msg.New("insight.cost_bad_date", date))
				}
				c.Day = d
			}
			k, ok := insight.ParseKind(kind)
			if !ok {
				return fmt.Errorf("--kind: %w", insight.ErrKind.With(kind))
			}
			c.Kind = k
			for _, f := range []struct {
				flag, v string
				dst     *int64
			}{{"--unit-yuan", unit, &c.UnitFen}, {"--amount-yuan", amount, &c.AmountFen}} {
				if f.v == "" {
					continue
				}
				fen, why := cells.Money(f.v)
				if why != "" {
					return fmt.Errorf("%s: %w", f.flag, cells.Reason(why))
				}
				*f.dst = fen
			}
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if group != "" {
				groups, err := costGroups(ctx, db)
				if err != nil {
					return err
				}
				id, ok := groups[group]
				if !ok {
					return fmt.Errorf("--group: %w", msg.New("insight.cost_unknown_group", group))
				}
				c.GroupID = id
			}
			cs := []insight.Cost{c}
			if err := insight.NewStore(db).AddCosts(ctx, cs); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), g.t("cli.costs.added", cs[0].ID, cells.Yuan(cs[0].AmountFen),
				g.t(cs[0].Kind.LabelKey()), cs[0].Day.Format("2006-01-02")))
			return nil
		},
	}
	cmd.Flags().StringVar(&group, "group", "", g.h("cli.costs.flag.group"))
	cmd.Flags().StringVar(&campaign, "campaign", "", g.h("cli.costs.flag.campaign"))
	cmd.Flags().StringVar(&date, "date", "", g.h("cli.costs.flag.date"))
	cmd.Flags().StringVar(&kind, "kind", "", g.h("cli.costs.flag.kind"))
	cmd.Flags().Int64Var(&members, "members", 0, g.h("cli.costs.flag.members"))
	cmd.Flags().StringVar(&unit, "unit-yuan", "", g.h("cli.costs.flag.unit"))
	cmd.Flags().StringVar(&amount, "amount-yuan", "", g.h("cli.costs.flag.amount"))
	cmd.Flags().StringVar(&note, "note", "", g.h("cli.costs.flag.note"))
	return cmd
}

func newCostsImportCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE",
		Short: g.h("cli.costs.import.short"),
		Long:  g.h("cli.costs.import.long"),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			r, err := sheet.Open(args[0], sheet.Options{LazyQuotes: true})
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			defer r.Close()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			groups, err := costGroups(ctx, db)
			if err != nil {
				return err
			}
			costs, err := insight.ParseSheet(r, groups)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if err := insight.NewStore(db).AddCosts(ctx, costs); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			var total int64
			for _, c := range costs {
				total += c.AmountFen
			}
			fmt.Fprintln(cmd.OutOrStdout(), g.t("cli.costs.imported", len(costs), cells.Yuan(total)))
			return nil
		},
	}
}

func newCostsListCmd(g *globals) *cobra.Command {
	var from, to, group, campaign string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: g.h("cli.costs.list.short"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			f := insight.CostFilter{Campaign: campaign}
			for _, d := range []struct {
				flag, v string
				dst     *time.Time
				next    bool
			}{{"--from", from, &f.From, false}, {"--to", to, &f.To, true}} {
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
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			groups, err := costGroups(ctx, db)
			if err != nil {
				return err
			}
			if group != "" {
				id, ok := groups[group]
				if !ok {
					return fmt.Errorf("--group: %w", msg.New("insight.cost_unknown_group", group))
				}
				f.GroupID = id
			}
			cs, err := insight.NewStore(db).Costs(ctx, f)
			if err != nil {
				return err
			}
			label := func(k insight.CostKind) string { return g.t(k.LabelKey()) }
			out := cmd.OutOrStdout()
			if asJSON {
				return apiv1.Encode(out, apiv1.NewCosts(cs, label), true)
			}
			names := map[int64]string{}
			for name, id := range groups {
				if _, err := strconv.ParseInt(name, 10, 64); err != nil {
					names[id] = name
				}
			}
			w := newWideTable(out)
			fmt.Fprintln(w, g.t("cli.costs.list_head"))
			var total int64
			for _, c := range cs {
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", c.ID, c.Day.Format("2006-01-02"), names[c.GroupID], c.Campaign,
					label(c.Kind), c.Members, cells.Yuan(c.AmountFen), c.Note)
				total += c.AmountFen
			}
			w.Flush()
			fmt.Fprintln(out, g.t("cli.costs.list_total", len(cs), cells.Yuan(total)))
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", g.h("cli.costs.flag.from"))
	cmd.Flags().StringVar(&to, "to", "", g.h("cli.costs.flag.to"))
	cmd.Flags().StringVar(&group, "group", "", g.h("cli.costs.flag.group"))
	cmd.Flags().StringVar(&campaign, "campaign", "", g.h("cli.costs.flag.campaign"))
	cmd.Flags().BoolVar(&asJSON, "json", false, g.h("cli.costs.flag.json"))
	return cmd
}

func newSimulateCmd(g *globals) *cobra.Command {
	var budget, reinvest, price float64
	var months, window, resamples, maxGroups int
	var asJSON, defaults bool
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: g.h("cli.simulate.short"),
		Long:  g.h("cli.simulate.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			plan := insight.Plan{BudgetFen: math.Round(budget * 100), ReinvestBP: int64(math.Round(reinvest * 100)),
				FanPriceFen: math.Round(price * 100), Months: months, MaxGroups: maxGroups}
			if err := plan.Check(); err != nil {
				return err
			}
			run, err := simulation(ctx, g, plan, window, resamples, defaults)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return apiv1.Encode(out, run, true)
			}
			writeSimulation(out, g, run)
			return nil
		},
	}
	cmd.Flags().Float64Var(&budget, "budget-yuan", 10000, g.h("cli.simulate.flag.budget"))
	cmd.Flags().Float64Var(&reinvest, "reinvest", 50, g.h("cli.simulate.flag.reinvest"))
	cmd.Flags().Float64Var(&price, "fan-price-yuan", 10, g.h("cli.simulate.flag.fan_price"))
	cmd.Flags().IntVar(&months, "months", 36, g.h("cli.simulate.flag.months"))
	cmd.Flags().IntVar(&maxGroups, "max-groups", 20, g.h("cli.simulate.flag.max_groups"))
	cmd.Flags().IntVar(&window, "window-days", 180, g.h("cli.simulate.flag.window"))
	cmd.Flags().IntVar(&resamples, "resamples", 200, g.h("cli.simulate.flag.resamples"))
	cmd.Flags().BoolVar(&defaults, "defaults", false, g.h("cli.simulate.flag.defaults"))
	cmd.Flags().BoolVar(&asJSON, "json", false, g.h("cli.simulate.flag.json"))
	return cmd
}

// simulation runs plan over the team's measured curves when the database
// has them (and useDefaults is false), else over insight.Defaults.
func simulation(ctx context.Context, g *globals, plan insight.Plan, window, resamples int, useDefaults bool) (apiv1.Simulation, error) {
	sim := &insight.Simulator{}
	if !useDefaults {
		db, err := g.openDB(ctx)
		if err != nil {
			return apiv1.Simulation{}, err
		}
		defer db.Close()
		sim.Economics = insight.NewEconomics(db)
	}
	if resamples <= 0 {
		resamples = -1
	}
	run, err := sim.Run(ctx, plan, insight.RunOptions{WindowDays: window, Resamples: resamples, Defaults: useDefaults})
	if err != nil {
		return apiv1.Simulation{}, err
	}
	return apiv1.NewSimulation(plan, run), nil
}

func writeSimulation(out interface{ Write([]byte) (int, error) }, g *globals, s apiv1.Simulation) {
	if s.Curves == "measured" {
		fmt.Fprintln(out, g.t("cli.simulate.measured", s.Groups, s.IncomePerMemberDay, s.LeavePerDayBP/100))
	} else {
		fmt.Fprintln(out, g.t("cli.simulate.defaults", s.IncomePerMemberDay, s.LeavePerDayBP/100))
	}
	if s.CurveSource != nil {
		key := "simulate.curve_all"
		if *s.CurveSource == "bought" {
			key = "simulate.curve_bought"
		}
		fmt.Fprintln(out, g.t(key))
	}
	if s.MeasuredCACFen != nil {
		fmt.Fprintln(out, g.t("simulate.measured_cac", cells.Yuan(*s.MeasuredCACFen)))
	}
	if s.MaxGroups > 0 {
		fmt.Fprintln(out, g.t("simulate.ceiling", s.MaxGroups, s.GroupCapacity, s.MaxGroups*s.GroupCapacity))
	} else {
		fmt.Fprintln(out, g.t("simulate.no_ceiling"))
	}
	w := newWideTable(out).rightAligned()
	fmt.Fprintln(w, g.t("cli.simulate.head"))
	for _, m := range s.Months {
		band := ""
		if m.CumulativeP10Fen != nil {
			band = cells.Yuan(*m.CumulativeP10Fen) + " … " + cells.Yuan(*m.CumulativeP90Fen)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%.1f\t%s\t\n", m.Month+1, cells.Yuan(m.CashOutFen), cells.Yuan(m.CashInFen),
			cells.Yuan(m.CumulativeFen), m.Members, m.GroupsAlive, band)
	}
	w.Flush()
	if s.PaybackMonth != nil {
		fmt.Fprintln(out, g.t("cli.simulate.payback", *s.PaybackMonth+1))
	} else {
		fmt.Fprintln(out, g.t("cli.simulate.no_payback", len(s.Months)))
	}
	if s.BreakEvenFanPriceFen != nil {
		fmt.Fprintln(out, g.t("cli.simulate.break_even", cells.Yuan(*s.BreakEvenFanPriceFen)))
	}
	if s.IRR != nil {
		fmt.Fprintln(out, g.t("cli.simulate.irr", *s.IRR*100))
	} else {
		fmt.Fprintln(out, g.t("cli.simulate.no_irr"))
	}
	for _, l := range s.BandLines(g.t) {
		fmt.Fprintln(out, l)
	}
}
