package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/orders"
)

// newImportOrdersCmd is `qunke import orders FILE...`.
func newImportOrdersCmd(g *globals) *cobra.Command {
	var skipBad bool
	cmd := &cobra.Command{
		Use:   "orders FILE...",
		Short: g.h("cli.orders.short"),
		Long:  g.h("cli.orders.long"),
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			ctx := cmd.Context()
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			s := orders.NewStore(db)
			start := time.Now()
			var total orders.Stats
			var rows, rejected, failed int
			for _, f := range files {
				res, err := s.ImportFile(ctx, f, skipBad)
				p := res.Parsed
				rows += p.Rows
				rejected += p.Rejected
				switch {
				case errors.Is(err, orders.ErrBadRows):
					failed++
					g.printOrderProblems(errOut, p)
					g.printBadRows(errOut, f, p.Rows, p.Rejected)
				case err != nil:
					failed++
					g.printFileError(errOut, f, err)
				default:
					st := res.Stats
					total.Add(st)
					enc := ""
					if res.Encoding != "" {
						enc = res.Encoding + ", "
					}
					fmt.Fprintln(out, g.t("cli.orders_imported", f, enc, p.Rows, st.New, st.Updated, st.Unchanged, st.Regressed))
					if p.Rejected > 0 {
						g.printOrderProblems(errOut, p)
						fmt.Fprintln(errOut, "  "+g.t("cli.skipped", p.Rejected))
					}
					if st.Regressed > 0 {
						fmt.Fprintln(errOut, "  ! "+g.t("cli.regressed", st.Regressed, strings.Join(st.RegressedIDs, ", ")))
					}
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
			fmt.Fprintln(out, "\n"+g.t("cli.orders_summary", rows, total.New, total.Updated, total.Unchanged, total.Regressed, rejected, failed, time.Since(start).Round(time.Millisecond)))
			if failed > 0 {
				return exitError{code: 2}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&skipBad, "skip-bad", false, g.h("cli.orders.flag.skip_bad"))
	return cmd
}

// printOrderProblems lists the first problems of a report.
func (g *globals) printOrderProblems(w io.Writer, p orders.Parsed) {
	const show = 20
	for i, pr := range p.Problems {
		if i == show {
			fmt.Fprintln(w, "  "+g.t("cli.more_problems", len(p.Problems)-show))
			break
		}
		fmt.Fprintln(w, "  "+pr.Text(g.reader()))
	}
}
