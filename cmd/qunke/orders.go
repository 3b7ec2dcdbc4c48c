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
		Short: "导入阿里妈妈订单明细 (import Alimama order reports: .xls, .xlsx, .csv)",
		Long: `导入阿里妈妈后台导出的订单明细（.xls、.xlsx，或 UTF-8 / GBK 的 .csv），每个子订单一行。
每个文件一个事务：有错误行时默认整个文件不导入并以状态 2 退出；--skip-bad 只导入正确的行。
重复导入或导入有重叠的报表不会重复计算订单，只更新状态和金额；会让订单状态倒退的行（如已结算 → 已付款）
不会应用，只做标记并在汇总中报告。

Import Alimama order reports (.xls, .xlsx, or .csv in UTF-8 or GBK), one row per sub-order.
Each file is one transaction: by default a file with bad rows imports nothing and the command
exits with status 2; --skip-bad imports the good rows. Re-importing or overlapping reports never
count an order twice; statuses and amounts are updated. A row that would move an order's status
backwards (settled → paid) is not applied: it is flagged and reported.`,
		Args: cobra.MinimumNArgs(1),
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
	cmd.Flags().BoolVar(&skipBad, "skip-bad", false, "导入正确的行，跳过错误行 (import the good rows, skip the bad ones)")
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
