package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// newAgentsCmd is `qunke agents add|list|tree|rules`.
func newAgentsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "agents", Short: g.h("cli.agents.short"), Long: g.h("cli.agents.long")}
	var parent int64
	add := &cobra.Command{
		Use:   "add <member-id>",
		Short: g.h("cli.agents.add.short"),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := memberArg(args[0])
			if err != nil {
				return err
			}
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				a, err := growth.NewStore(db).AddAgent(cmd.Context(), id, parent)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), g.t("agents.added", a.MemberID, a.Name))
				return nil
			})
		},
	}
	add.Flags().Int64Var(&parent, "parent", 0, g.h("cli.agents.flag.parent"))
	var listJSON, treeJSON, rulesJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: g.h("cli.agents.list.short"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				as, err := growth.NewStore(db).Agents(cmd.Context())
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if listJSON {
					return apiv1.Encode(out, apiv1.NewAgents(as), true)
				}
				if len(as) == 0 {
					fmt.Fprintln(out, g.t("agents.none"))
				}
				tw := newWideTable(out)
				defer tw.Flush()
				for _, a := range as {
					up := g.t("agents.root")
					if a.ParentID != 0 {
						up = g.t("agents.parent", a.ParentID)
					}
					fmt.Fprintf(tw, "#%d\t%s\t%s\n", a.MemberID, a.Name, up)
				}
				return nil
			})
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, g.h("cli.growth.flag.json"))
	tree := &cobra.Command{
		Use:   "tree",
		Short: g.h("cli.agents.tree.short"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				roots, err := growth.NewStore(db).Tree(cmd.Context())
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if treeJSON {
					return apiv1.Encode(out, apiv1.NewAgentTree(roots), true)
				}
				if len(roots) == 0 {
					fmt.Fprintln(out, g.t("agents.none"))
				}
				var walk func(ns []*growth.Node, depth int)
				walk = func(ns []*growth.Node, depth int) {
					for _, n := range ns {
						fmt.Fprintf(out, "%s#%d %s\n", strings.Repeat("  ", depth), n.MemberID, n.Name)
						walk(n.Children, depth+1)
					}
				}
				walk(roots, 0)
				return nil
			})
		},
	}
	tree.Flags().BoolVar(&treeJSON, "json", false, g.h("cli.growth.flag.json"))
	var agentBps, memberBps string
	rules := &cobra.Command{
		Use:   "rules",
		Short: g.h("cli.agents.rules.short"),
		Long:  g.h("cli.agents.rules.long", growth.MaxLevels),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				gs := growth.NewStore(db)
				for _, set := range []struct {
					flag, value string
					kind        growth.RuleKind
				}{{"agent", agentBps, growth.AgentRules}, {"member", memberBps, growth.MemberRules}} {
					if !cmd.Flags().Changed(set.flag) {
						continue
					}
					bps, err := parseBps(set.value)
					if err != nil {
						return err
					}
					if err := gs.SetRules(cmd.Context(), growth.Rules{Kind: set.kind, Bps: bps}); err != nil {
						return err
					}
				}
				var all []growth.Rules
				for _, k := range []growth.RuleKind{growth.AgentRules, growth.MemberRules} {
					r, err := gs.Rules(cmd.Context(), k)
					if err != nil {
						return err
					}
					all = append(all, r)
				}
				out := cmd.OutOrStdout()
				if rulesJSON {
					js := []apiv1.ShareRules{}
					for _, r := range all {
						js = append(js, apiv1.NewShareRules(r))
					}
					return apiv1.Encode(out, js, true)
				}
				for _, r := range all {
					levels := []string{}
					for i, b := range r.Bps {
						levels = append(levels, g.t("agents.level", i+1, percent(b)))
					}
					if len(levels) == 0 {
						levels = append(levels, g.t("agents.no_levels"))
					}
					fmt.Fprintln(out, g.t("agents.rules_"+string(r.Kind), strings.Join(levels, g.t("agents.list_sep"))))
				}
				return nil
			})
		},
	}
	rules.Flags().StringVar(&agentBps, "agent", "", g.h("cli.agents.flag.agent"))
	rules.Flags().StringVar(&memberBps, "member", "", g.h("cli.agents.flag.member"))
	rules.Flags().BoolVar(&rulesJSON, "json", false, g.h("cli.growth.flag.json"))
	cmd.AddCommand(add, list, tree, rules)
	return cmd
}

// memberArg reads a member id argument.
func memberArg(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, msg.New("agents.bad_member", s)
	}
	return id, nil
}

// parseBps reads "5000,1000" (basis points per level); "" is no level.
func parseBps(s string) ([]int64, error) {
	out := []int64{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		b, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, msg.New("agents.bad_bps_list", s)
		}
		out = append(out, b)
	}
	return out, nil
}

// percent shows basis points as a percentage: 5000 -> "50.00%".
func percent(bps int64) string { return cells.PercentBP(bps) }

// ledgerFlags are serve's flags for the posting job.
type ledgerFlags struct {
	every   time.Duration
	payDays []string
}

func (f *ledgerFlags) add(g *globals, fs *pflag.FlagSet) {
	fs.DurationVar(&f.every, "ledger-every", 10*time.Minute, g.h("cli.serve.flag.ledger_every"))
	fs.StringArrayVar(&f.payDays, "pay-day", nil, g.h("cli.ledger.flag.pay_day"))
}

// start runs the posting job (growth.Job) until the returned stop is
// called; --ledger-every 0 turns it off.
func (f *ledgerFlags) start(ctx context.Context, db *store.DB, os *orders.Store, log *slog.Logger) (stop func(), err error) {
	days, err := parsePayDays(f.payDays)
	if err != nil {
		return nil, fmt.Errorf("--pay-day: %w", err)
	}
	if f.every <= 0 {
		log.Info("ledger posting off: --ledger-every 0")
		return func() {}, nil
	}
	p := growth.NewPoster(db, os, ledger.NewStore(db))
	p.PayDays = days
	j := &growth.Job{Poster: p, DB: db, Holder: store.Holder(), Every: f.every, Log: log}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { j.Run(ctx) })
	return func() { cancel(); wg.Wait() }, nil
}

func parsePayDays(specs []string) (map[string]growth.PayDay, error) {
	days := map[string]growth.PayDay{}
	for _, s := range specs {
		p, d, err := growth.ParsePayDay(s)
		if err != nil {
			return nil, err
		}
		days[p] = d
	}
	return days, nil
}

// newLedgerCmd is `qunke ledger post|balance|statement|payout`.
func newLedgerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "ledger", Short: g.h("cli.ledger.short"), Long: g.h("cli.ledger.long")}
	var payDays []string
	var postJSON, postAll bool
	post := &cobra.Command{
		Use:   "post",
		Short: g.h("cli.ledger.post.short"),
		Long:  g.h("cli.ledger.post.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			days, err := parsePayDays(payDays)
			if err != nil {
				return err
			}
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				p := growth.NewPoster(db, orders.NewStore(db), ledger.NewStore(db))
				p.PayDays = days
				run := p.Run
				if postAll {
					run = p.RunAll
				}
				st, err := run(cmd.Context())
				if err != nil {
					return err
				}
				if postJSON {
					return apiv1.Encode(cmd.OutOrStdout(), apiv1.NewLedgerPost(st), true)
				}
				fmt.Fprintln(cmd.OutOrStdout(), g.t("ledger.posted", st.Orders, st.Shared, st.Postings, st.Held, st.Released, st.Adjusted, st.Reversed))
				return nil
			})
		},
	}
	post.Flags().StringArrayVar(&payDays, "pay-day", nil, g.h("cli.ledger.flag.pay_day"))
	post.Flags().BoolVar(&postJSON, "json", false, g.h("cli.growth.flag.json"))
	post.Flags().BoolVar(&postAll, "all", false, g.h("cli.ledger.post.flag.all"))

	var balMember int64
	var balJSON bool
	balance := &cobra.Command{
		Use:   "balance",
		Short: g.h("cli.ledger.balance.short"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				bs, err := ledger.NewStore(db).Balances(cmd.Context(), balMember)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if balJSON {
					return apiv1.Encode(out, apiv1.NewLedgerBalances(bs), true)
				}
				if len(bs) == 0 {
					fmt.Fprintln(out, g.t("ledger.empty"))
				}
				writeBalances(out, g, bs)
				return nil
			})
		},
	}
	balance.Flags().Int64Var(&balMember, "member", 0, g.h("cli.ledger.flag.member"))
	balance.Flags().BoolVar(&balJSON, "json", false, g.h("cli.growth.flag.json"))

	var stMember int64
	var month, format, outFile string
	statement := &cobra.Command{
		Use:   "statement",
		Short: g.h("cli.ledger.statement.short"),
		Long:  g.h("cli.ledger.statement.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if stMember <= 0 {
				return msg.New("ledger.need_member")
			}
			if month == "" {
				month = time.Now().In(shanghai.Zone).Format("2006-01")
			}
			from, err := ledger.ParseMonth(month, shanghai.Zone)
			if err != nil {
				return err
			}
			switch format {
			case "text", "csv", "json":
			case "xlsx":
				if outFile == "" {
					return msg.New("ledger.xlsx_needs_out")
				}
			default:
				return msg.New("ledger.bad_format", format)
			}
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				st, err := ledger.NewStore(db).Statement(cmd.Context(), stMember, from, from.AddDate(0, 1, 0))
				if err != nil {
					return err
				}
				name := ""
				if m, _, err := community.NewStore(db).Member(cmd.Context(), stMember); err == nil {
					name = m.Name
				}
				var out io.Writer = cmd.OutOrStdout()
				if outFile != "" {
					f, err := os.Create(outFile)
					if err != nil {
						return err
					}
					defer f.Close()
					out = f
				}
				lang := g.reader()
				switch format {
				case "json":
					err = apiv1.Encode(out, apiv1.NewStatement(st, shanghai.Zone), true)
				case "csv":
					err = st.WriteCSV(out, lang, shanghai.Zone, name)
				case "xlsx":
					err = st.WriteXLSX(out, lang, shanghai.Zone, name)
				default:
					err = st.WriteText(out, lang, shanghai.Zone, name)
				}
				if err != nil {
					return err
				}
				if outFile != "" {
					fmt.Fprintln(cmd.OutOrStdout(), g.t("ledger.statement_written", outFile))
				}
				return nil
			})
		},
	}
	statement.Flags().Int64Var(&stMember, "member", 0, g.h("cli.ledger.flag.member"))
	statement.Flags().StringVar(&month, "month", "", g.h("cli.ledger.flag.month"))
	statement.Flags().StringVar(&format, "format", "text", g.h("cli.ledger.flag.format"))
	statement.Flags().StringVarP(&outFile, "out", "o", "", g.h("cli.ledger.flag.out"))

	cmd.AddCommand(post, balance, statement, newPayoutCmd(g))
	return cmd
}

// writeBalances prints the balances as an operator reads them: the team's
// income positive, what the team owes each member, and a member who owes
// the team (a share reversed after it was paid) said in words, not as a
// negative payable.
func writeBalances(out io.Writer, g *globals, bs []ledger.Balance) {
	lang := g.reader()
	tw := newWideTable(out)
	for _, b := range bs {
		kind := ledger.Label(lang, "kind", string(b.Account.Kind))
		switch v := b.Amount(); {
		case b.Account.Member == 0:
			fmt.Fprintln(tw, g.t("ledger.balance_team", kind, cells.Yuan(v)))
		case v < 0:
			fmt.Fprintln(tw, g.t("ledger.balance_member_owes", b.Account.Member, kind, cells.Yuan(-v)))
		default:
			fmt.Fprintln(tw, g.t("ledger.balance_member", b.Account.Member, kind, cells.Yuan(v)))
		}
	}
	tw.Flush()
}

// newPayoutCmd is `qunke ledger payout create|paid|list`.
func newPayoutCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "payout", Short: g.h("cli.ledger.payout.short"), Long: g.h("cli.ledger.payout.long")}
	var minYuan string
	var createJSON, paidJSON, listJSON bool
	show := func(out io.Writer, p *ledger.Payout, asJSON bool) error {
		if asJSON {
			return apiv1.Encode(out, apiv1.NewPayout(p), true)
		}
		tw := newWideTable(out)
		fmt.Fprintln(tw, g.t("ledger.payout_row", p.ID, g.t("ledger.payout_status_"+string(p.Status)), len(p.Lines), cells.Yuan(p.Total), p.PaidBy))
		for _, l := range p.Lines {
			fmt.Fprintln(tw, g.t("ledger.payout_line", l.Account.Member, ledger.Label(g.reader(), "kind", string(l.Account.Kind)), cells.Yuan(l.Amount)))
		}
		return tw.Flush()
	}
	create := &cobra.Command{
		Use:   "create",
		Short: g.h("cli.ledger.payout.create.short"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			minFen, why := cells.Money(minYuan)
			if why != "" || minFen <= 0 {
				return ledger.ErrPayoutBadMin
			}
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				p, err := ledger.NewStore(db).CreatePayout(cmd.Context(), minFen, time.Now())
				if err != nil {
					return err
				}
				if err := show(cmd.OutOrStdout(), p, createJSON); err != nil || createJSON {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), g.t("ledger.payout_created", p.ID))
				return nil
			})
		},
	}
	create.Flags().StringVar(&minYuan, "min", "10", g.h("cli.ledger.flag.min"))
	create.Flags().BoolVar(&createJSON, "json", false, g.h("cli.growth.flag.json"))
	var by string
	paid := &cobra.Command{
		Use:   "paid <batch-id>",
		Short: g.h("cli.ledger.payout.paid.short"),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
			if err != nil {
				return ledger.ErrNoPayout.With(args[0])
			}
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				p, err := ledger.NewStore(db).MarkPaid(cmd.Context(), id, by, time.Now())
				if err != nil {
					return err
				}
				return show(cmd.OutOrStdout(), p, paidJSON)
			})
		},
	}
	paid.Flags().StringVar(&by, "by", "", g.h("cli.ledger.flag.by"))
	paid.Flags().BoolVar(&paidJSON, "json", false, g.h("cli.growth.flag.json"))
	list := &cobra.Command{
		Use:   "list",
		Short: g.h("cli.ledger.payout.list.short"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				ps, err := ledger.NewStore(db).Payouts(cmd.Context())
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if listJSON {
					js := []apiv1.Payout{}
					for i := range ps {
						js = append(js, apiv1.NewPayout(&ps[i]))
					}
					return apiv1.Encode(out, js, true)
				}
				for i := range ps {
					if err := show(out, &ps[i], false); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, g.h("cli.growth.flag.json"))
	cmd.AddCommand(create, paid, list)
	return cmd
}

// withDB opens the database named by --db, runs fn on it and closes it.
func (g *globals) withDB(ctx context.Context, fn func(db *store.DB) error) error {
	db, err := g.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}
