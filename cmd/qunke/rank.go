package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/cells"
)

func newRankCmd(g *globals) *cobra.Command {
	var q advisor.RankQuery
	var minPrice, maxPrice, minRate float64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rank [hot|today|lows|commission|drop]",
		Short: g.h("cli.rank.short"),
		Long:  g.h("cli.rank.long"),
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q.Kind = advisor.RankHot
			if len(args) == 1 {
				q.Kind = advisor.RankKind(args[0])
			}
			q.MinPrice, q.MaxPrice = int64(minPrice*100+0.5), int64(maxPrice*100+0.5)
			q.MinRateBP = int64(minRate*100 + 0.5)
			ctx := cmd.Context()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			rows, err := advisor.New(catalog.NewStore(db), advisor.Options{}).Rank(ctx, q)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return apiv1.Encode(out, apiv1.NewRanking(q.Kind, rows), true)
			}
			if len(rows) == 0 {
				fmt.Fprintln(out, g.t("cli.no_items_match"))
				return nil
			}
			w := newWideTable(out)
			fmt.Fprintln(w, g.t("cli.rank.head"))
			for _, r := range rows {
				e := r.Entry
				value := fmt.Sprint(r.Value)
				switch q.Kind {
				case advisor.RankCommission, advisor.RankDrop:
					value = catalog.Percent(r.Value)
				}
				fmt.Fprintf(w, "%d\t¥%s\t%s\t%d\t%s\t%s\t%s\n", r.Rank, cells.Yuan(e.Now.FinalPrice), catalog.Percent(e.Now.CommissionRate),
					e.Now.Sales30, value, truncate(e.Title, 30), string(e.Platform)+":"+e.ItemID)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&q.Category, "category", "", g.h("cli.rank.flag.category"))
	cmd.Flags().StringVar(&q.Brand, "brand", "", g.h("cli.rank.flag.brand"))
	cmd.Flags().Float64Var(&minPrice, "min-price", 0, g.h("cli.rank.flag.min_price"))
	cmd.Flags().Float64Var(&maxPrice, "max-price", 0, g.h("cli.rank.flag.max_price"))
	cmd.Flags().Float64Var(&minRate, "min-commission", 0, g.h("cli.rank.flag.min_commission"))
	cmd.Flags().IntVar(&q.Limit, "limit", 50, g.h("cli.rank.flag.limit"))
	cmd.Flags().IntVar(&q.Offset, "offset", 0, g.h("cli.rank.flag.offset"))
	cmd.Flags().BoolVar(&asJSON, "json", false, g.h("cli.rank.flag.json"))
	return cmd
}
