package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/web"
)

// maxMessageBytes bounds a message read by qunke link.
const maxMessageBytes = 1 << 20

func newGroupsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "groups",
		Short: g.h("cli.groups.short"),
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "import <file>",
		Short: g.h("cli.groups.import.short"),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readCapped(args[0], web.MaxGroupCSVBytes)
			if err != nil {
				return err
			}
			db, err := g.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			st, err := community.NewStore(db).ImportCSV(cmd.Context(), data)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), g.t("groups.imported", st.Added, st.Updated))
			return nil
		},
	})
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: g.h("cli.groups.list.short"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := g.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			groups, err := community.NewStore(db).List(cmd.Context(), community.Filter{})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return apiv1.Encode(out, apiv1.NewGroups(groups), true)
			}
			tw := newWideTable(out)
			defer tw.Flush()
			for _, gr := range groups {
				state := g.t("groups.active")
				if !gr.Active {
					state = g.t("groups.paused")
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", gr.ID, gr.Name, g.t("channel."+string(gr.Channel)), strings.Join(gr.Tags, ","), state)
			}
			return nil
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, g.h("cli.groups.flag.json"))
	cmd.AddCommand(list)
	return cmd
}

// readCapped reads a file of at most limit bytes.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllCapped(f, path, limit)
}

func readAllCapped(r io.Reader, name string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, msg.New("cli.file_too_large", name, limit)
	}
	return data, nil
}

// findGroup is the group with id or name s.
func findGroup(ctx context.Context, gs *community.Store, s string) (*community.Group, error) {
	if id, err := strconv.ParseInt(s, 10, 64); err == nil {
		g, err := gs.Get(ctx, id)
		if !errors.Is(err, community.ErrNotFound) {
			return g, err
		}
	}
	all, err := gs.List(ctx, community.Filter{})
	if err != nil {
		return nil, err
	}
	for _, g := range all {
		if g.Name == s {
			return g, nil
		}
	}
	return nil, msg.New("cli.link_no_group", s)
}

func newLinkCmd(g *globals) *cobra.Command {
	var group string
	var member int64
	var asJSON, demo bool
	var pf platformFlags
	cmd := &cobra.Command{
		Use:   "link " + g.h("cli.link.args"),
		Short: g.h("cli.link.short"),
		Long:  g.h("cli.link.long"),
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if group == "" {
				return msg.New("cli.link_needs_group")
			}
			var text string
			if len(args) == 1 {
				text = args[0]
			} else {
				data, err := readAllCapped(cmd.InOrStdin(), "stdin", maxMessageBytes)
				if err != nil {
					return err
				}
				text = string(data)
			}
			ctx := cmd.Context()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			gs := community.NewStore(db)
			gr, err := findGroup(ctx, gs, group)
			if err != nil {
				return err
			}
			var person publish.Person
			if cmd.Flags().Changed("member") {
				if person, err = memberPerson(ctx, gs, member); err != nil {
					return err
				}
			}
			l := &publish.Linker{Store: publish.NewStore(db), Conv: converters(demo, &pf)}
			m, err := l.ConvertMessageFor(ctx, gr, person, text)
			if err != nil {
				return err
			}
			if asJSON {
				return apiv1.Encode(cmd.OutOrStdout(), apiv1.NewLinkedMessage(m, g.reader()), true)
			}
			fmt.Fprint(cmd.OutOrStdout(), m.Text)
			if !strings.HasSuffix(m.Text, "\n") {
				fmt.Fprintln(cmd.OutOrStdout())
			}
			for _, l := range m.Links {
				if l.Reason != "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", l.Raw, publish.ReasonText(g.reader(), l.Reason))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&group, "group", "", g.h("cli.link.flag.group"))
	cmd.Flags().Int64Var(&member, "member", 0, g.h("cli.flag_link_member"))
	cmd.Flags().BoolVar(&asJSON, "json", false, g.h("cli.link.flag.json"))
	cmd.Flags().BoolVar(&demo, "demo", false, g.h("cli.link.flag.demo"))
	pf.add(g, cmd.Flags())
	return cmd
}
