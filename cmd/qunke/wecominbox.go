package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/wecom"
)

// newWeComCmd is `qunke wecom`: the WeCom callback's inbox.
func newWeComCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "wecom",
		Short: g.h("cli.wecom.short"),
		Args:  cobra.NoArgs,
	}
	var retry bool
	inbox := &cobra.Command{
		Use:   "inbox",
		Short: g.h("cli.wecom.inbox.short"),
		Long:  g.h("cli.wecom.inbox.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			in := wecom.NewInboxView(db)
			out := cmd.OutOrStdout()
			if retry {
				n, err := in.RetryFailed(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintln(out, g.t("cli.wecom.inbox.retried", n))
			}
			c, err := in.Counts(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, g.t("cli.wecom.inbox.counts", c.New, c.Applied, c.Failed, c.Reconcile))
			vs, err := in.Versions(ctx)
			if err != nil {
				return err
			}
			for _, v := range vs {
				if v.Reconcile == "" {
					break // those waiting come first
				}
				fmt.Fprintln(out, g.t("cli.wecom.inbox.reconcile", v.ChatID, g.t("wecom.reconcile."+v.Reconcile),
					v.ReconcileSince.In(shanghai.Zone).Format("2006-01-02 15:04:05")))
			}
			failed, err := in.Failed(ctx, 20)
			if err != nil {
				return err
			}
			for _, e := range failed {
				fmt.Fprintln(out, g.t("cli.wecom.inbox.failed", e.ID, e.ChatID, e.CreatedAt.In(shanghai.Zone).Format("2006-01-02 15:04:05"),
					e.Attempts, e.Error))
			}
			return nil
		},
	}
	inbox.Flags().BoolVar(&retry, "retry-failed", false, g.h("cli.wecom.inbox.flag.retry_failed"))
	cmd.AddCommand(inbox)
	return cmd
}
