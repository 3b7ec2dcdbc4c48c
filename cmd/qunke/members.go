package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
)

func newMembersCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "members",
		Short: g.h("members.cmd_short"),
	}
	var group string
	var asJSON bool
	imp := &cobra.Command{
		Use:   "import <file>",
		Short: g.h("members.cmd_import_short"),
		Long:  g.h("members.cmd_import_long"),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			s := community.NewStore(db)
			if group != "" {
				gr, err := findGroup(ctx, s, group)
				if err != nil {
					return err
				}
				group = gr.Name
			}
			r, err := s.ImportMembersFile(ctx, args[0], group, time.Now())
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if asJSON {
				return apiv1.Encode(cmd.OutOrStdout(), apiv1.MemberImport{GroupID: r.GroupID, GroupName: r.GroupName,
					Rows: r.Rows, Joined: r.Joined, Left: r.Left, Unchanged: r.Unchanged}, true)
			}
			fmt.Fprintln(cmd.OutOrStdout(), g.t("members.imported", r.GroupName, r.Rows, r.Joined, r.Left, r.Unchanged))
			return nil
		},
	}
	imp.Flags().StringVar(&group, "group", "", g.h("members.flag_import_group"))
	imp.Flags().BoolVar(&asJSON, "json", false, g.h("members.flag_json"))
	cmd.AddCommand(imp, newMembersAddCmd(g), newMembersChatsCmd(g), newMembersBindCmd(g), newMembersUnbindCmd(g))

	var lf struct {
		group, source, q string
		limit, offset    int
		json             bool
	}
	list := &cobra.Command{
		Use:   "list",
		Short: g.h("members.cmd_list_short"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			s := community.NewStore(db)
			f := community.MemberFilter{Query: lf.q, Source: community.Source(lf.source), Limit: lf.limit, Offset: lf.offset}
			if lf.source != "" && !f.Source.Valid() {
				return msg.New("members.bad_source", lf.source)
			}
			if lf.group != "" {
				gr, err := findGroup(ctx, s, lf.group)
				if err != nil {
					return err
				}
				f.GroupID = gr.ID
			}
			rows, total, err := s.Members(ctx, f)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSONList := lf.json; asJSONList {
				return apiv1.Encode(out, apiv1.NewMembers(rows, total, f.Limit, f.Offset), true)
			}
			tw := newWideTable(out)
			for _, r := range rows {
				id := r.ExternalID
				if id == "" {
					id = "-"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.ID, g.t("members.source_"+string(r.Source)), id, r.Name,
					g.t("members.in_groups", r.InGroups, r.Groups))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), g.t("members.listed", len(rows), total))
			return nil
		},
	}
	list.Flags().StringVar(&lf.group, "group", "", g.h("members.flag_list_group"))
	list.Flags().StringVar(&lf.source, "source", "", g.h("members.flag_source"))
	list.Flags().StringVar(&lf.q, "q", "", g.h("members.flag_q"))
	list.Flags().IntVar(&lf.limit, "limit", 50, g.h("members.flag_limit"))
	list.Flags().IntVar(&lf.offset, "offset", 0, g.h("members.flag_offset"))
	list.Flags().BoolVar(&lf.json, "json", false, g.h("members.flag_json"))
	cmd.AddCommand(list)
	return cmd
}

// newMembersAddCmd is `qunke members add`: one member joining a hand-run
// group, entered by hand.
func newMembersAddCmd(g *globals) *cobra.Command {
	var group, name string
	cmd := &cobra.Command{
		Use:   "add <wechat-id>",
		Short: g.h("members.cmd_add_short"),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return g.withDB(ctx, func(db *store.DB) error {
				s := community.NewStore(db)
				gr, err := findGroup(ctx, s, group)
				if err != nil {
					return err
				}
				id, err := s.AddMember(ctx, gr.ID, community.SourceSheet, args[0], name, time.Now())
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), g.t("members.added", id, gr.Name))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&group, "group", "", g.h("members.flag_add_group"))
	cmd.Flags().StringVar(&name, "name", "", g.h("members.flag_add_name"))
	_ = cmd.MarkFlagRequired("group")
	return cmd
}
