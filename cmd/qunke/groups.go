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
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish"
	"github.com/qunke/qunke/internal/web"
)

// maxMessageBytes bounds a message read by qunke link.
const maxMessageBytes = 1 << 20

func newGroupsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "groups",
		Short: "群组：从 CSV 导入、列出 (groups: import from CSV, list)",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "import <file>",
		Short: "从 CSV 导入群组，列与控制台相同；有一行出错则全部不导入 (import groups from a CSV, the console's columns; one bad row and nothing is imported)",
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
		Short: "列出群组 (list the groups)",
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
			for _, gr := range groups {
				state := g.t("groups.active")
				if !gr.Active {
					state = g.t("groups.paused")
				}
				fmt.Fprintf(out, "%d\t%s\t%s\t%s\t%s\n", gr.ID, gr.Name, g.t("channel."+string(gr.Channel)), strings.Join(gr.Tags, ","), state)
			}
			return nil
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "输出 JSON (print JSON)")
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
		return nil, fmt.Errorf("%s: 超过 %d 字节 (larger than %d bytes)", name, limit, limit)
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
		Use:   `link --group <id 或群名> ["消息"]`,
		Short: "把消息里的商品链接转成该群推广位的链接（淘口令或短链）(convert a message's item links for a group's placement)",
		Long: `把消息（参数或标准输入）里的每个商品链接转成该群推广位的推广链接：群的文案模板用淘口令时换成淘口令，否则换成短链。
没转成的保留原样，原因写到标准错误。
(Prints the message, from the argument or stdin, with every item reference converted for the group's placement.)`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if group == "" {
				return errors.New("--group: 请给出群 id 或群名 (give a group id or name)")
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
				return apiv1.Encode(cmd.OutOrStdout(), apiv1.NewLinkedMessage(m), true)
			}
			fmt.Fprint(cmd.OutOrStdout(), m.Text)
			if !strings.HasSuffix(m.Text, "\n") {
				fmt.Fprintln(cmd.OutOrStdout())
			}
			for _, l := range m.Links {
				if l.Reason != "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", l.Raw, i18n.Pick(g.reader(), l.Reason))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&group, "group", "", "群 id 或群名 (group id or name)")
	cmd.Flags().Int64Var(&member, "member", 0, msg.New("cli.flag_link_member").Error())
	cmd.Flags().BoolVar(&asJSON, "json", false, "输出 JSON (print JSON)")
	cmd.Flags().BoolVar(&demo, "demo", false, "用内置模拟转链（假链接，试用）(convert through the built-in stand-in: fake links, to try it)")
	pf.add(cmd.Flags())
	return cmd
}
