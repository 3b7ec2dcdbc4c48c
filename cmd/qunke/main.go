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
	// help is the language of the commands' help texts, chosen once
	// before the flags are parsed (see helpLang).
	help i18n.Lang
}

func newRoot() *cobra.Command {
	root, _ := rootCmd()
	return root
}

func rootCmd() (*cobra.Command, *globals) {
	g := &globals{help: helpLang(os.Args[1:])}
	root := &cobra.Command{
		Use:           "qunke",
		Short:         g.h("cli.root.short"),
		Long:          g.h("cli.root.long"),
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.db, "db", envOr("QUNKE_DB", "qunke.db"),
		g.h("cli.root.flag.db"))
	root.PersistentFlags().StringVar(&g.lang, "lang", "",
		g.h("cli.root.flag.lang"))
	root.SetUsageTemplate(g.usageTemplate(root.UsageTemplate()))
	root.PersistentFlags().BoolP("help", "h", false, g.h("cli.usage.help"))
	root.Flags().BoolP("version", "v", false, g.h("cli.usage.version"))
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
		newMembersCmd(g),
		newJoinCodesCmd(g),
		newLinkCmd(g),
		newWeComCmd(g),
		newTelegramCmd(g),
		newCostsCmd(g),
		newSimulateCmd(g),
		newAgentsCmd(g),
		newLedgerCmd(g),
		newCampaignsCmd(g),
	)
	root.InitDefaultHelpCmd() // now, to describe it in the help language
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Short, c.Long = g.h("cli.usage.help_cmd"), g.h("cli.usage.help_cmd_long")
		}
	}
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

// helpLang is the reader's language (see reader) for the help texts,
// which cobra needs before it parses the flags: --lang is looked for in
// args.
func helpLang(args []string) i18n.Lang {
	g := &globals{}
	for i, a := range args {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--lang="); ok {
			g.lang = v
		} else if a == "--lang" && i+1 < len(args) {
			g.lang = args[i+1]
		}
	}
	return g.reader()
}

// h is a help text (a command's description, a flag's usage) in the help
// language.
func (g *globals) h(key string, args ...any) string { return msg.In(g.help, msg.New(key, args...)) }

// usageTemplate is cobra's usage template with its headings in the help
// language.
func (g *globals) usageTemplate(t string) string {
	return strings.NewReplacer(
		"Usage:", g.h("cli.usage.usage"),
		"Aliases:", g.h("cli.usage.aliases"),
		"Examples:", g.h("cli.usage.examples"),
		"Available Commands:", g.h("cli.usage.commands"),
		"Additional Commands:", g.h("cli.usage.more_commands"),
		"Global Flags:", g.h("cli.usage.global_flags"),
		"Flags:", g.h("cli.usage.flags"),
		"Additional help topics:", g.h("cli.usage.topics"),
		`Use "{{.CommandPath}} [command] --help" for more information about a command.`, g.h("cli.usage.more"),
	).Replace(t)
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
