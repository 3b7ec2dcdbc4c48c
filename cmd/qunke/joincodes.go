package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/joincode"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// newJoinCodesCmd is `qunke joincodes list|add|qr|show`: join codes (群活码).
func newJoinCodesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "joincodes", Short: g.h("cli.join.short"), Long: g.h("cli.join.long"), Args: cobra.NoArgs}
	var asJSON bool
	list := &cobra.Command{
		Use: "list", Short: g.h("cli.join.list"), Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				cs, err := joincode.NewStore(db).List(cmd.Context())
				if err != nil {
					return err
				}
				bw := bufio.NewWriter(cmd.OutOrStdout())
				defer bw.Flush()
				if asJSON {
					out := apiv1.JoinCodes{JoinCodes: []apiv1.JoinCode{}}
					for _, c := range cs {
						out.JoinCodes = append(out.JoinCodes, apiv1.NewJoinCode(c))
					}
					return apiv1.Encode(bw, out, true)
				}
				used, err := campaignsByCode(cmd.Context(), db)
				if err != nil {
					return err
				}
				tw := newWideTable(bw)
				defer tw.Flush()
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", g.t("join.col_code"), g.t("join.col_name"), g.t("join.col_campaign"),
					g.t("join.col_pool"), g.t("join.col_active"))
				for _, c := range cs {
					active := g.t("join.on")
					if !c.Active {
						active = g.t("join.off")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", c.Code, c.Name, strings.TrimSpace(used[c.ID]+" "+c.Campaign), len(c.Groups), active)
				}
				return nil
			})
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, g.h("cli.join.flag_json"))

	var c joincode.Code
	var groups []string
	var inactive bool
	add := &cobra.Command{
		Use: "add", Short: g.h("cli.join.add"), Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				ctx := cmd.Context()
				gs := community.NewStore(db)
				for _, name := range groups {
					grp, err := findGroup(ctx, gs, name)
					if err != nil {
						return err
					}
					c.Groups = append(c.Groups, grp.ID)
				}
				c.Active = !inactive
				if err := joincode.NewStore(db).Save(ctx, &c); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), g.t("cli.join.added", c.Name, c.Code, len(c.Groups)))
				return nil
			})
		},
	}
	add.Flags().StringVar(&c.Code, "code", "", g.h("cli.join.flag_code"))
	add.Flags().StringVar(&c.Name, "name", "", g.h("cli.join.flag_name"))
	add.Flags().StringVar(&c.Campaign, "campaign", "", g.h("cli.join.flag_campaign"))
	add.Flags().StringVar(&c.Owner, "owner", "", g.h("cli.join.flag_owner"))
	add.Flags().StringArrayVar(&groups, "group", nil, g.h("cli.join.flag_group"))
	add.Flags().BoolVar(&inactive, "inactive", false, g.h("cli.join.flag_inactive"))

	var qrGroup, qrFile string
	qr := &cobra.Command{
		Use: "qr <code>", Short: g.h("cli.join.qr"), Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				ctx := cmd.Context()
				st := joincode.NewStore(db)
				code, err := st.ByCode(ctx, args[0])
				if err != nil {
					return err
				}
				grp, err := findGroup(ctx, community.NewStore(db), qrGroup)
				if err != nil {
					return err
				}
				found := false
				for _, id := range code.Groups {
					found = found || id == grp.ID
				}
				if !found {
					return msg.New("cli.join.not_in_pool", grp.Name, code.Code)
				}
				data, err := readCapped(qrFile, joincode.MaxQRBytes)
				if err != nil {
					return err
				}
				q, err := st.UploadQR(ctx, grp.ID, data, "cli", time.Time{})
				if err != nil {
					return fmt.Errorf("%s: %w", qrFile, err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), g.t("cli.join.qr_done", grp.Name, q.Expires.In(shanghai.Zone).Format("2006-01-02 15:04")))
				return nil
			})
		},
	}
	qr.Flags().StringVar(&qrGroup, "group", "", g.h("cli.join.flag_qr_group"))
	qr.Flags().StringVar(&qrFile, "file", "", g.h("cli.join.flag_file"))

	var showJSON bool
	show := &cobra.Command{
		Use: "show <code>", Short: g.h("cli.join.show"), Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withDB(cmd.Context(), func(db *store.DB) error {
				ctx := cmd.Context()
				st := joincode.NewStore(db)
				code, err := st.ByCode(ctx, args[0])
				if err != nil {
					return err
				}
				svc := joincode.NewService(st, community.NewStore(db))
				svc.Log = slog.New(slog.DiscardHandler)
				pool, err := svc.PoolOf(ctx, code)
				if err != nil {
					return err
				}
				today := shanghai.Day(time.Now().Unix())
				days, err := st.ViewsByDay(ctx, code.ID, today-13, today)
				if err != nil {
					return err
				}
				inv, err := st.ViewsByInviter(ctx, code.ID, 20)
				if err != nil {
					return err
				}
				total, err := st.TotalViews(ctx, code.ID)
				if err != nil {
					return err
				}
				ws, err := st.Warnings(ctx, code.ID, 20)
				if err != nil {
					return err
				}
				d := apiv1.NewJoinCodeDetail(code, pool, total, days, inv, ws)
				bw := bufio.NewWriter(cmd.OutOrStdout())
				defer bw.Flush()
				if showJSON {
					return apiv1.Encode(bw, d, true)
				}
				fmt.Fprintf(bw, "%s  /join/%s  %s\n\n", code.Name, code.Code, code.Campaign)
				tw := newWideTable(bw)
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", g.t("join.col_group"), g.t("join.col_way"), g.t("join.col_members"),
					g.t("join.col_qr_expires"), g.t("join.col_state"))
				for i, p := range d.Pool {
					exp, state := "-", g.t("join.standby")
					if p.QRExpires != nil {
						exp = p.QRExpires.In(shanghai.Zone).Format("2006-01-02 15:04")
					}
					switch {
					case p.Shown:
						state = g.t("join.shown")
					case p.Reason != "":
						state = g.t(joincode.Reason(p.Reason).LabelKey())
					}
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", p.Name, g.t(pool.Candidates[i].Kind().LabelKey()), p.Members, exp, state)
				}
				tw.Flush()
				fmt.Fprintln(bw)
				fmt.Fprintln(bw, g.t("join.views_title", total))
				for _, v := range d.ByDay {
					fmt.Fprintf(bw, "  %s  %d  (%s %d)\n", v.Day, v.Views, g.t("join.col_by_inviters"), v.ByInviters)
				}
				fmt.Fprintln(bw, g.t("join.by_inviter_title"))
				for _, v := range d.ByInviter {
					name := v.Inviter
					if name == "" {
						name = g.t("join.no_inviter")
					}
					fmt.Fprintf(bw, "  %s  %d\n", name, v.Views)
				}
				if len(d.Warnings) > 0 {
					fmt.Fprintln(bw, g.t("join.warnings_title"))
					for _, w := range d.Warnings {
						fmt.Fprintf(bw, "  %s  %s  (%s)\n", w.Created.In(shanghai.Zone).Format("2006-01-02 15:04"), w.Text,
							g.t("join.warn_"+w.Status))
					}
				}
				return nil
			})
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, g.h("cli.join.flag_json"))
	cmd.AddCommand(list, add, qr, show)
	return cmd
}

// campaignsByCode names, per join code, the campaigns that use it
// ("#3 name, #5 name").
func campaignsByCode(ctx context.Context, db *store.DB) (map[int64]string, error) {
	cs, err := campaignStore(db).List(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, c := range cs {
		if c.JoinCodeID == 0 {
			continue
		}
		if out[c.JoinCodeID] != "" {
			out[c.JoinCodeID] += ", "
		}
		out[c.JoinCodeID] += "#" + strconv.FormatInt(c.ID, 10) + " " + c.Name
	}
	return out, nil
}
