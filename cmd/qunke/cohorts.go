package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/insight"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/orders"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/store"
)

// openCohorts opens the cohorts' rollups, rebuilding them first when
// refresh is set or they were never built (what the rebuild found goes to
// errw).
func openCohorts(ctx context.Context, g *globals, db *store.DB, refresh bool, errw io.Writer) (*insight.Cohorts, error) {
	c := insight.NewCohorts(db, community.NewStore(db), orders.NewStore(db))
	c.Log = slog.New(slog.DiscardHandler)
	if !refresh {
		r, err := c.RFM(ctx)
		if err != nil {
			return nil, err
		}
		refresh = r.Run.BuiltAt.IsZero()
	}
	if refresh {
		st, err := c.Refresh(ctx)
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(errw, g.t("cli.report.cohorts.refreshed", st.Joined, st.Buyers, st.Elapsed.Round(time.Millisecond)))
	}
	return c, nil
}

// newReportCohortsCmd is `qunke report cohorts`: a retention or
// repurchase triangle (docs/cohorts.md).
func newReportCohortsCmd(g *globals) *cobra.Command {
	var kind string
	var periods int
	var asJSON, refresh bool
	cmd := &cobra.Command{
		Use:   "cohorts",
		Short: g.h("cli.report.cohorts.short"),
		Long:  g.h("cli.report.cohorts.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kind != insight.KindRetention && kind != insight.KindRepurchase {
				return fmt.Errorf("--kind: %w", msg.New("cohorts.want_kind"))
			}
			if periods < 1 || periods > insight.MaxPeriods {
				return fmt.Errorf("--periods: %w", msg.New("cohorts.want_periods", insight.MaxPeriods))
			}
			ctx := cmd.Context()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			c, err := openCohorts(ctx, g, db, refresh, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			var t *insight.Triangle
			if kind == insight.KindRepurchase {
				t, err = c.Repurchase(ctx, periods)
			} else {
				t, err = c.Retention(ctx, periods)
			}
			if err != nil {
				return err
			}
			bw := bufio.NewWriter(cmd.OutOrStdout())
			defer bw.Flush()
			if asJSON {
				return apiv1.Encode(bw, apiv1.NewCohortTriangle(t), true)
			}
			tw := newWideTable(bw)
			defer tw.Flush()
			w := bufio.NewWriter(tw)
			defer w.Flush()
			printTriangle(g, w, t)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&kind, "kind", insight.KindRetention, g.h("cli.report.cohorts.flag.kind"))
	fl.IntVar(&periods, "periods", 12, g.h("cli.report.cohorts.flag.periods"))
	fl.BoolVar(&asJSON, "json", false, g.h("cli.report.flag.json"))
	fl.BoolVar(&refresh, "refresh", false, g.h("cli.report.flag.refresh"))
	return cmd
}

// printTriangle writes a triangle as tab-separated rows: the cohort, its
// size, then each period's share and count.
func printTriangle(g *globals, w io.Writer, t *insight.Triangle) {
	rep := t.Kind == insight.KindRepurchase
	if !t.Run.AsOf.IsZero() {
		fmt.Fprintln(w, g.t("cohorts.as_of", t.Run.AsOf.In(shanghai.Zone).Format("2006-01-02 15:04")))
	}
	if rep {
		fmt.Fprintln(w, g.t("cohorts.member_share", cells.PercentBP(insight.Share(t.Run.MemberIncomeFen, t.Run.IncomeFen)),
			"¥"+cells.Yuan(t.Run.MemberIncomeFen), "¥"+cells.Yuan(t.Run.IncomeFen)))
	}
	head := []string{g.t("cohorts.join_week"), g.t("cohorts.size")}
	key := "cohorts.week_n"
	if rep {
		head[0], key = g.t("cohorts.first_month"), "cohorts.month_n"
	}
	for k := range t.Periods {
		head = append(head, g.t(key, k))
	}
	fmt.Fprintln(w, strings.Join(head, "\t"))
	for _, r := range t.Rows {
		label := r.Start.In(shanghai.Zone).Format("2006-01-02")
		if rep {
			label = r.Start.In(shanghai.Zone).Format("2006-01")
		}
		row := []string{label, fmt.Sprint(r.Size)}
		for _, c := range r.Cells {
			row = append(row, fmt.Sprintf("%s (%d)", cells.PercentBP(c.ShareBP), c.Members))
		}
		fmt.Fprintln(w, strings.Join(row, "\t"))
	}
	if rep && len(t.Months) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%s\t%s\t%s\n", g.t("cohorts.month"), g.t("cohorts.first_time"), g.t("cohorts.recurring"))
		for _, m := range t.Months {
			fmt.Fprintf(w, "%s\t%d\t%d\n", m.Month.In(shanghai.Zone).Format("2006-01"), m.FirstTime, m.Recurring)
		}
	}
}

// newReportRFMCmd is `qunke report rfm`: the segments, and the member list
// exported to a CSV or XLSX file.
func newReportRFMCmd(g *globals) *cobra.Command {
	var export, segment string
	var asJSON, refresh bool
	cmd := &cobra.Command{
		Use:   "rfm",
		Short: g.h("cli.report.rfm.short"),
		Long:  g.h("cli.report.rfm.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var seg insight.Segment
			if segment != "" {
				var ok bool
				if seg, ok = insight.ParseSegment(segment); !ok {
					return fmt.Errorf("--segment: %w", msg.New("cohorts.want_segment"))
				}
			}
			format := strings.TrimPrefix(strings.ToLower(filepath.Ext(export)), ".")
			if export != "" && format != "csv" && format != "xlsx" {
				return msg.New("cli.report.rfm.bad_file", export)
			}
			ctx := cmd.Context()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			c, err := openCohorts(ctx, g, db, refresh, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			label := func(s insight.Segment) string { return g.t(s.LabelKey()) }
			if export != "" {
				return exportRFM(ctx, g, c, export, format, seg, label, cmd.OutOrStdout())
			}
			rep, err := c.RFM(ctx)
			if err != nil {
				return err
			}
			bw := bufio.NewWriter(cmd.OutOrStdout())
			defer bw.Flush()
			a := apiv1.NewRFM(rep, label)
			if asJSON {
				return apiv1.Encode(bw, a, true)
			}
			tw := newWideTable(bw)
			defer tw.Flush()
			w := bufio.NewWriter(tw)
			defer w.Flush()
			if !rep.Run.AsOf.IsZero() {
				fmt.Fprintln(w, g.t("cohorts.as_of", rep.Run.AsOf.In(shanghai.Zone).Format("2006-01-02 15:04"))+" · "+g.t("rfm.buyers", a.Buyers))
			}
			fmt.Fprintln(w, g.t("cohorts.member_share", cells.PercentBP(a.Income.ShareBP), "¥"+cells.Yuan(a.Income.MemberIncomeFen), "¥"+cells.Yuan(a.Income.IncomeFen)))
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", g.t("rfm.segment"), g.t("rfm.members"), g.t("rfm.share"), g.t("rfm.orders"), g.t("rfm.income"))
			for _, s := range a.Segments {
				fmt.Fprintf(w, "%s\t%d\t%s\t%d\t¥%s\n", s.Label, s.Members, cells.PercentBP(s.ShareBP), s.Orders, cells.Yuan(s.IncomeFen))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&export, "export", "", g.h("cli.report.rfm.flag.export"))
	fl.StringVar(&segment, "segment", "", g.h("cli.report.rfm.flag.segment"))
	fl.BoolVar(&asJSON, "json", false, g.h("cli.report.flag.json"))
	fl.BoolVar(&refresh, "refresh", false, g.h("cli.report.flag.refresh"))
	return cmd
}

// exportRFM writes the member list to path (a temporary file renamed into
// place: a failed export leaves no half-written file).
func exportRFM(ctx context.Context, g *globals, c *insight.Cohorts, path, format string, seg insight.Segment,
	label func(insight.Segment) string, out io.Writer) error {
	head := make([]string, len(insight.ExportColumns))
	for i, k := range insight.ExportColumns {
		head[i] = g.t(k)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".rfm-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n := 0
	counting := func(s insight.Segment) string { n++; return label(s) }
	if err := c.ExportRFM(ctx, tmp, format, seg, head, counting); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	fmt.Fprintln(out, g.t("cli.report.rfm.exported", n, path))
	return nil
}
