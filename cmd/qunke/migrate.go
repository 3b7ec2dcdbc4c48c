package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/store"
)

func newMigrateCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: g.h("cli.migrate.short"),
		Long:  g.h("cli.migrate.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := store.Open(cmd.Context(), g.db)
			if err != nil {
				return err
			}
			defer db.Close()
			applied, err := db.Migrate(cmd.Context())
			for _, m := range applied {
				fmt.Fprintln(cmd.OutOrStdout(), g.t("cli.migrate.applied", m.Version, m.Name))
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
		Short: g.h("cli.migrate.status.short"),
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
				state := g.t("cli.migrate.pending")
				if !m.AppliedAt.IsZero() {
					state = g.t("cli.migrate.applied_at", m.AppliedAt.Format("2006-01-02 15:04:05Z"))
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%04d_%-20s %s\n", m.Version, m.Name, state)
			}
			return nil
		},
	})
	return cmd
}
