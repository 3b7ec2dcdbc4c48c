package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/store"
)

func newMigrateCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "应用数据库迁移 (apply pending database migrations)",
		Long: `应用所有未执行的数据库迁移。其他命令启动时也会自动执行。
Apply every pending migration (other commands also do this at start). 'qunke migrate status'
lists them without changing anything.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := store.Open(cmd.Context(), g.db)
			if err != nil {
				return err
			}
			defer db.Close()
			applied, err := db.Migrate(cmd.Context())
			for _, m := range applied {
				fmt.Fprintf(cmd.OutOrStdout(), "已应用 applied %04d_%s\n", m.Version, m.Name)
			}
			if err == nil {
				err = afterMigrations(cmd.Context(), db)
			}
			if err == nil && len(applied) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), g.t("cli.up_to_date", db.Source))
			}
			return err
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "列出迁移及其状态 (list migrations and whether each is applied)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := store.Open(cmd.Context(), g.db)
			if err != nil {
				return err
			}
			defer db.Close()
			ms, err := db.Status(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s (%s)\n", db.Source, db.Dialect)
			for _, m := range ms {
				state := "待应用 pending"
				if !m.AppliedAt.IsZero() {
					state = "已应用 applied " + m.AppliedAt.Format("2006-01-02 15:04:05Z")
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%04d_%-20s %s\n", m.Version, m.Name, state)
			}
			return nil
		},
	})
	return cmd
}
