// Command qunke is Qunke's single binary: the operations platform for
// affiliate deal communities (社群淘客运营平台).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	_ "time/tzdata" // Asia/Shanghai works on machines without a zoneinfo database

	"github.com/spf13/cobra"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries an exit code for errors already explained to the user.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, g := rootCmd()
	err := root.ExecuteContext(ctx)
	var ee exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		os.Exit(ee.code)
	default:
		fmt.Fprintln(os.Stderr, "qunke:", g.text(err))
		os.Exit(1)
	}
}

type globals struct {
	db   string
	lang string // --lang; see lang()
}

func newRoot() *cobra.Command {
	root, _ := rootCmd()
	return root
}

func rootCmd() (*cobra.Command, *globals) {
	g := &globals{}
	root := &cobra.Command{
		Use:   "qunke",
		Short: "群客 Qunke: 社群淘客运营平台 (operations platform for affiliate deal communities)",
		Long: `群客 Qunke — 社群淘客的一体化运营平台：商品库与历史价格、选品判断、社群与发单、订单与佣金。
Qunke is one binary for social Taoke teams: a product library that keeps every price it
ever saw, and (step by step) the advisor, groups, posting, orders and insight built on it.

The database is an embedded SQLite file (./qunke.db) unless --db names another file or a
postgres:// URL. Every flag can also be set in the environment as QUNKE_<FLAG> (QUNKE_DB).`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.db, "db", envOr("QUNKE_DB", "qunke.db"),
		"数据库: SQLite 文件或 postgres:// URL (database: SQLite file or postgres:// URL) [QUNKE_DB]")
	root.PersistentFlags().StringVar(&g.lang, "lang", "",
		"输出语言 zh 或 en (output language zh or en) [QUNKE_LANG, else LC_ALL/LANG]")
	root.AddCommand(
		newServeCmd(g),
		newUserCmd(g),
		newCheckCmd(g),
		newRankCmd(g),
		newDemoCmd(g),
		newImportCmd(g),
		newMigrateCmd(g),
		newBenchCmd(g),
		newReportCmd(g),
		newSyncCmd(g),
		newGroupsCmd(g),
		newLinkCmd(g),
		newMembersCmd(g),
	)
	return root, g
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// reader returns the language the reader asked for: --lang, else
// QUNKE_LANG, else English when LC_ALL (or, unset, LANG) starts with "en",
// else Chinese.
func (g *globals) reader() i18n.Lang {
	for _, v := range []string{g.lang, os.Getenv("QUNKE_LANG")} {
		if v != "" {
			return i18n.Parse(v)
		}
	}
	loc := os.Getenv("LC_ALL")
	if loc == "" {
		loc = os.Getenv("LANG")
	}
	if strings.HasPrefix(loc, "en") {
		return i18n.EN
	}
	return i18n.ZH
}

// text renders err for the reader: a domain error (msg.Error) in the
// reader's language, anything else as it is.
func (g *globals) text(err error) string { return msg.In(g.reader(), err) }

// t is the message key in the reader's language.
func (g *globals) t(key string, args ...any) string { return g.text(msg.New(key, args...)) }

// openDB opens and migrates the database named by --db.
func (g *globals) openDB(ctx context.Context) (*store.DB, error) {
	db, err := store.Open(ctx, g.db)
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	for _, m := range applied {
		slog.Debug("migration applied", "version", m.Version, "name", m.Name)
	}
	if err := afterMigrations(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// afterMigrations finishes in Go what migrations began in SQL: the history
// of duplicate items merged by 0008 is folded by the catalog's compaction,
// at the first start or, when a process stopped before it was done, at the
// next (before anything else is written).
func afterMigrations(ctx context.Context, db *store.DB) error {
	return catalog.NewStore(db).FinishMerges(ctx)
}
