package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/campaign"
	"github.com/qunke/qunke/internal/growth/ledger"
	"github.com/qunke/qunke/internal/joincode"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

func campaignStore(db *store.DB) *campaign.Store {
	s := campaign.NewStore(db, community.NewStore(db), ledger.NewStore(db), nil)
	s.Board = publish.NewStore(db)
	return s
}

func campaignArg(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, campaign.ErrNotFound.With(s)
	}
	return id, nil
}

// newCampaignsCmd is `qunke campaigns list|add|show|review|board|count`.
func newCampaignsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "campaigns", Short: g.h("cli.campaigns.short"), Long: g.h("cli.campaigns.long")}
	cmd.AddCommand(&cobra.Command{Use: "list", Short: g.h("cli.campaigns.list.short"), Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				cs, err := campaignStore(db).List(cmd.Context())
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if len(cs) == 0 {
					fmt.Fprintln(out, g.t("campaign.none"))
				}
				tw := newWideTable(out)
				defer tw.Flush()
				for _, c := range cs {
					fmt.Fprintf(tw, "#%d\t%s\t%s\t%s\n", c.ID, c.Name, g.t("campaign.status."+string(c.Status)), c.Starts.In(shanghai.Zone).Format("2006-01-02"))
				}
				return nil
			})
		}})
	var groups []int64
	var tiers []string
	var starts, status, joinCode string
	var rules campaign.Rules
	add := &cobra.Command{Use: "add <name>", Short: g.h("cli.campaigns.add.short"), Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := &campaign.Campaign{Name: args[0], Groups: groups, Status: campaign.Status(status), Rules: rules}
			var err error
			if c.Starts, err = time.ParseInLocation("2006-01-02", starts, shanghai.Zone); err != nil {
				return msg.New("campaign.bad_number", "--starts", starts)
			}
			for _, t := range tiers {
				bits := strings.Split(strings.ReplaceAll(t, "：", ":"), ":")
				if len(bits) != 3 {
					return msg.New("campaign.bad_tiers", t)
				}
				n, err1 := strconv.Atoi(bits[0])
				fen, ok := cells.Fixed(bits[2], 2)
				if err1 != nil || ok != cells.OK {
					return msg.New("campaign.bad_tiers", t)
				}
				c.Tiers = append(c.Tiers, campaign.Tier{Invites: n, Kind: campaign.ParseRewardKind(bits[1]), CostFen: fen})
			}
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				if joinCode != "" {
					jc, err := joincode.NewStore(db).ByCode(cmd.Context(), strings.TrimPrefix(strings.TrimSpace(joinCode), "/join/"))
					if err != nil {
						return fmt.Errorf("--join-code: %w", err)
					}
					c.JoinCodeID = jc.ID
				}
				if err := campaignStore(db).Save(cmd.Context(), c); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "#%d\t%s\n", c.ID, c.Name)
				return nil
			})
		}}
	add.Flags().Int64SliceVar(&groups, "group", nil, g.h("cli.campaigns.flag.group"))
	add.Flags().StringVar(&joinCode, "join-code", "", g.h("cli.campaigns.flag.join_code"))
	add.Flags().StringArrayVar(&tiers, "tier", nil, g.h("cli.campaigns.flag.tier"))
	add.Flags().StringVar(&starts, "starts", time.Now().In(shanghai.Zone).Format("2006-01-02"), g.h("cli.campaigns.flag.starts"))
	add.Flags().StringVar(&status, "status", string(campaign.Running), g.h("cli.campaigns.flag.status"))
	add.Flags().IntVar(&rules.StayHours, "stay-hours", 24, g.h("cli.campaigns.flag.stay"))
	add.Flags().IntVar(&rules.CapPerInviter, "cap", 0, g.h("cli.campaigns.flag.cap"))
	cmd.AddCommand(add)
	var asJSON bool
	show := &cobra.Command{Use: "show <id>", Short: g.h("cli.campaigns.show.short"), Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := campaignArg(args[0])
			if err != nil {
				return err
			}
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				s := campaignStore(db)
				c, err := s.Get(cmd.Context(), id)
				if err != nil {
					return err
				}
				f, err := s.Figures(cmd.Context(), id, orders.NewStore(db))
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if asJSON {
					return apiv1.Encode(out, apiv1.CampaignDetail{Campaign: apiv1.NewCampaign(c), Figures: apiv1.NewCampaignFigures(f)}, true)
				}
				fmt.Fprintf(out, "#%d %s (%s)\n", c.ID, c.Name, g.t("campaign.status."+string(c.Status)))
				fmt.Fprintf(out, "%s %d · %s %d · %s %d · %s %s · %s ¥%s · %s ¥%s\n",
					g.t("campaign.f.participants"), f.Participants, g.t("campaign.f.invites"), f.Invites, g.t("campaign.f.valid"), f.Valid,
					g.t("campaign.f.k"), cells.Yuan(f.KFactor), g.t("campaign.f.cost"), cells.Yuan(f.RewardCostFen),
					g.t("campaign.f.cost_per"), cells.Yuan(f.CostPerValidFen))
				tw := newWideTable(out)
				for _, d := range campaign.Decisions {
					if n := f.ByDecision[d]; n > 0 {
						fmt.Fprintf(tw, "  %s\t%d\n", g.t("campaign.decision."+string(d)), n)
					}
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				held, total, err := s.Invites(cmd.Context(), campaign.InviteFilter{CampaignID: id, Status: campaign.Held, Limit: 100})
				if err != nil {
					return err
				}
				return writeHeld(out, g, c.ID, held, total)
			})
		}}
	show.Flags().BoolVar(&asJSON, "json", false, g.h("cli.growth.flag.json"))
	cmd.AddCommand(show)
	var reject bool
	review := &cobra.Command{Use: "review <id> <event-key>", Short: g.h("cli.campaigns.review.short"), Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := campaignArg(args[0])
			if err != nil {
				return err
			}
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				inv, err := campaignStore(db).Review(cmd.Context(), id, args[1], !reject, "cli")
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), g.t("campaign.reviewed", inv.EventKey, g.t("campaign.decision."+string(inv.Status))))
				return nil
			})
		}}
	review.Flags().BoolVar(&reject, "reject", false, g.h("cli.campaigns.flag.reject"))
	cmd.AddCommand(review)
	var top int
	var post bool
	var daily int
	board := &cobra.Command{Use: "board <id>", Short: g.h("cli.campaigns.board.short"), Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := campaignArg(args[0])
			if err != nil {
				return err
			}
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				s := campaignStore(db)
				c, err := s.Get(cmd.Context(), id)
				if err != nil {
					return err
				}
				if cmd.Flags().Changed("daily") {
					if err := s.SetBoardHour(cmd.Context(), id, daily); err != nil {
						return err
					}
					if daily < 0 {
						fmt.Fprintln(cmd.OutOrStdout(), g.t("campaign.board_daily_off"))
					} else {
						fmt.Fprintln(cmd.OutOrStdout(), g.t("campaign.board_daily", daily))
					}
					if !post {
						return nil
					}
				}
				if post {
					n, err := s.PostBoard(cmd.Context(), id, top)
					if err != nil {
						return err
					}
					fmt.Fprintln(cmd.OutOrStdout(), g.t("campaign.board_posted", n))
					return nil
				}
				rows, _, err := s.Leaderboard(cmd.Context(), id, top, 0)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), campaign.LeaderboardText(g.reader(), c, rows, top))
				return nil
			})
		}}
	board.Flags().IntVar(&top, "top", 10, g.h("cli.campaigns.flag.top"))
	board.Flags().BoolVar(&post, "post", false, g.h("cli.campaigns.flag.post"))
	board.Flags().IntVar(&daily, "daily", -1, g.h("cli.campaigns.flag.daily"))
	cmd.AddCommand(board)
	cmd.AddCommand(&cobra.Command{Use: "count", Short: g.h("cli.campaigns.count.short"), Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				st, err := campaignStore(db).Count(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), g.t("campaign.counted", st.Events, st.Members, st.Participants))
				return nil
			})
		}})
	return cmd
}

// writeHeld prints the invites held for review as people read them (who
// joined, who invited them, when, why it is held); the review key, which
// `qunke campaigns review` takes, comes last, labelled, with the command.
func writeHeld(out io.Writer, g *globals, id int64, held []campaign.InviteRow, total int) error {
	fmt.Fprintln(out)
	fmt.Fprintln(out, g.t("campaign.held_title"))
	if len(held) == 0 {
		fmt.Fprintln(out, "  "+g.t("campaign.none_held"))
		return nil
	}
	tw := newWideTable(out)
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", g.t("campaign.invitee"), g.t("campaign.participant"), g.t("campaign.joined"),
		g.t("campaign.reason"), g.t("campaign.review_key"))
	for _, r := range held {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.InviteeName, r.ParticipantName, r.JoinedAt.In(shanghai.Zone).Format("2006-01-02 15:04"),
			apiv1.ReasonText(g.reader(), r.Reason, r.ReasonArgs), r.EventKey)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if total > len(held) {
		fmt.Fprintln(out, g.t("campaign.held_more", len(held), total))
	}
	fmt.Fprintln(out, g.t("campaign.review_hint", id))
	return nil
}

// campaignFlags are serve's flags for the fission campaigns.
type campaignFlags struct {
	every time.Duration
}

func (f *campaignFlags) add(g *globals, fs *pflag.FlagSet) {
	fs.DurationVar(&f.every, "campaign-every", time.Minute, g.h("cli.serve.flag.campaign_every"))
}

// start runs the counting job
// (campaign.Job) until the returned stop is called; --campaign-every 0
// turns it off.
func (f *campaignFlags) start(ctx context.Context, db *store.DB, s *campaign.Store, log *slog.Logger) (stop func()) {
	if s == nil {
		return func() {}
	}
	if f.every <= 0 {
		log.Info("campaign counting off: --campaign-every 0")
		return func() {}
	}
	j := &campaign.Job{Store: s, DB: db, Holder: store.Holder(), Every: f.every, Log: log}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { j.Run(ctx) })
	return func() { cancel(); wg.Wait() }
}
