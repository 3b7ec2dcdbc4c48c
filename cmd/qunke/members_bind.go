package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish"
)

// memberPerson is the person-level ids a member's links carry (qunke link
// --member): a member with none bound is an error, not a plain link.
func memberPerson(ctx context.Context, gs *community.Store, member int64) (publish.Person, error) {
	bs, err := gs.MemberBindings(ctx, member)
	if err != nil {
		return publish.Person{}, err
	}
	if len(bs) == 0 {
		return publish.Person{}, msg.New("members.link_no_ids", member)
	}
	return publish.PersonOf(bs), nil
}

// newMembersBindCmd is `qunke members bind <file>`: the person-level ids of
// a sheet bound to their members, all or nothing.
func newMembersBindCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "bind <file>",
		Short: g.h("cli.members_bind_short"),
		Long:  g.h("cli.members_bind_long"),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			db, err := g.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			st, err := community.NewStore(db).ImportBindings(cmd.Context(), args[0], f)
			if err != nil {
				if be, ok := err.(*community.BindImportError); ok {
					return fmt.Errorf("%s: %s", args[0], be.Text(g.reader()))
				}
				return fmt.Errorf("%s: %s", args[0], g.text(err))
			}
			fmt.Fprintln(cmd.OutOrStdout(), g.t("members.bind_done", st.Bound, st.Unchanged))
			return nil
		},
	}
}

// newMembersUnbindCmd is `qunke members unbind <platform> <kind> <value>`.
func newMembersUnbindCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "unbind <platform> <kind> <value>",
		Short: g.h("cli.members_unbind_short"),
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := g.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := community.NewStore(db).Unbind(cmd.Context(), args[0], args[1], args[2]); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), g.t("members.unbound"))
			return nil
		},
	}
}
