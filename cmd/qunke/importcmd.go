package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/catalog/feed"
	"github.com/qunke/qunke/internal/catalog/load"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
)

func newImportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: g.h("cli.import.short"),
	}
	var at, platform string
	var skipBad bool
	items := &cobra.Command{
		Use:   "items FILE...",
		Short: g.h("cli.import.items.short"),
		Long:  g.h("cli.import.items.long"),
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			// A file with no time column is a snapshot of now, as an upload
			// in the console is, unless --at says when it was taken.
			opt := load.Options{SkipBad: skipBad, Feed: feed.Options{At: time.Now().Unix()}}
			if at != "" {
				t, err := parseTime(at)
				if err != nil {
					return fmt.Errorf("--at %q: %w", at, err)
				}
				opt.Feed.At = t.Unix()
			}
			if platform != "" {
				p, ok := catalog.ParsePlatform(platform)
				if !ok {
					return msg.New("cli.bad_platform", platform)
				}
				opt.Feed.Platform = p
			}
			return runImportItems(cmd, g, files, opt)
		},
	}
	items.Flags().StringVar(&at, "at", "", g.h("cli.import.flag.at"))
	items.Flags().StringVar(&platform, "platform", "", g.h("cli.import.flag.platform"))
	items.Flags().BoolVar(&skipBad, "skip-bad", false, g.h("cli.import.flag.skip_bad"))
	cmd.AddCommand(items, newImportOrdersCmd(g))
	return cmd
}

func runImportItems(cmd *cobra.Command, g *globals, files []string, opt load.Options) error {
	ctx := cmd.Context()
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	db, err := g.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	s := catalog.NewStore(db)
	start := time.Now()
	var total load.Result
	var failed int
	for _, f := range files {
		bar := newProgress(errOut, "导入 "+filepath.Base(f), true)
		opt.Progress = bar.Update
		res, err := load.File(ctx, s, f, opt)
		bar.Finish()
		total.Feed.Rows += res.Feed.Rows
		total.Feed.Rejected += res.Feed.Rejected
		total.Stats.ItemsNew += res.Stats.ItemsNew
		total.Stats.ItemsUpdated += res.Stats.ItemsUpdated
		total.Stats.Records += res.Stats.Records
		switch {
		case errors.Is(err, load.ErrBadRows):
			failed++
			g.printProblems(errOut, res.Feed.Problems, res.Feed.Rejected)
			g.printBadRows(errOut, f, res.Feed.Rows, res.Feed.Rejected)
		case err != nil:
			failed++
			g.printFileError(errOut, f, err)
		default:
			fmt.Fprintln(out, g.t("cli.items_imported", f, res.Feed.Format, res.Feed.Encoding, res.Feed.Rows, res.Stats.ItemsNew, res.Stats.ItemsUpdated))
			if res.RejectFile != "" {
				g.printProblems(errOut, res.Feed.Problems, res.Feed.Rejected)
				fmt.Fprintln(errOut, "  "+g.t("cli.skipped_written", res.Feed.Rejected, res.RejectFile))
				if n := len(res.Feed.Problems); n < res.Feed.Rejected {
					fmt.Fprintln(errOut, "  "+g.t("cli.rejects_first", n))
				}
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	pending, _ := s.PendingObservations(ctx)
	bar := newProgress(errOut, g.t("cli.compacting"), false)
	bar.Update(0, pending)
	cs, err := s.Compact(ctx)
	bar.Update(int64(cs.Observations), pending)
	bar.Finish()
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\n"+g.t("cli.items_summary", total.Stats.ItemsNew, total.Stats.ItemsUpdated, total.Stats.Records,
		cs.NewTimes+cs.PriceChanges, cs.NewTimes, cs.PriceChanges, total.Feed.Rejected, time.Since(start).Round(time.Millisecond)))
	if failed > 0 {
		return exitError{code: 2}
	}
	return nil
}

// printBadRows says that file f was not imported for its bad rows; it
// suggests --skip-bad only when some rows are good.
func (g *globals) printBadRows(w io.Writer, f string, rows, bad int) {
	if bad >= rows {
		fmt.Fprintf(w, "✗ %s: %s\n", f, g.t("cli.all_rows_bad", rows))
		return
	}
	fmt.Fprintf(w, "✗ %s: %s\n", f, g.t("cli.some_rows_bad", rows, bad, rows-bad))
}

// printFileError says why file f could not be read, naming it once: a
// missing or unreadable file plainly, other errors without the path they
// may already start with.
func (g *globals) printFileError(w io.Writer, f string, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = msg.New("file.not_found")
	case errors.Is(err, fs.ErrPermission):
		err = msg.New("file.permission_denied")
	}
	text := strings.TrimPrefix(strings.TrimPrefix(g.text(err), f+": "), f+" ")
	fmt.Fprintf(w, "✗ %s: %s\n", f, text)
}

// printProblems lists the first problems and how many more there are (total
// counts every bad row; ps holds the first of them).
func (g *globals) printProblems(w io.Writer, ps []feed.Problem, total int) {
	const show = 20
	for i, p := range ps {
		if i == show {
			fmt.Fprintln(w, "  "+g.t("cli.more_problems", total-show))
			break
		}
		fmt.Fprintln(w, "  "+p.Text(g.reader()))
	}
}

// parseTime reads a time as an operator writes it; zone-less times are Asia/Shanghai.
func parseTime(s string) (time.Time, error) {
	loc := shanghai.Zone
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	var sec int64
	if _, err := fmt.Sscanf(s, "%d", &sec); err == nil && fmt.Sprint(sec) == s && sec > 0 {
		return time.Unix(sec, 0), nil
	}
	return time.Time{}, msg.New("cli.bad_time")
}
