package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/wecom"
)

// wecomAPIFlags name the WeCom corp whose customer groups (客户群) are
// synced; the customer-contact secret comes from the environment only
// (QUNKE_WECOM_SECRET: flags show in ps).
type wecomAPIFlags struct {
	corpID string
	api    string // set by `serve` from --wecom-api, the robots' flag
}

// addCorp defines --wecom-corp-id, unless the callback's flags defined it
// already: it is one flag for both (see useCorp).
func (f *wecomAPIFlags) addCorp(g *globals, fl *pflag.FlagSet) {
	if fl.Lookup("wecom-corp-id") != nil {
		return
	}
	fl.StringVar(&f.corpID, "wecom-corp-id", os.Getenv("QUNKE_WECOM_CORP_ID"), g.h("cli.flag_wecom_corp_id"))
}

// useCorp takes the corp id from --wecom-corp-id, whoever defined it, else
// from QUNKE_WECOM_CORP_ID.
func (f *wecomAPIFlags) useCorp(fl *pflag.FlagSet) {
	if v := fl.Lookup("wecom-corp-id"); v != nil && v.Value.String() != "" {
		f.corpID = v.Value.String()
	}
	if f.corpID == "" {
		f.corpID = os.Getenv("QUNKE_WECOM_CORP_ID")
	}
}

func (f *wecomAPIFlags) addAPI(g *globals, fl *pflag.FlagSet) {
	fl.StringVar(&f.api, "wecom-api", envOr("QUNKE_WECOM_API", wecom.DefaultBaseURL), g.h("cli.flag_wecom_api"))
}

// client returns the customer-contact API client (without credentials when
// they are not set: HasCredentials says).
func (f *wecomAPIFlags) client() *wecom.Client {
	return wecom.NewClient(f.api, f.corpID, os.Getenv("QUNKE_WECOM_SECRET"))
}

// newWeComSyncer builds the member sync over db: the one the server's job,
// `qunke sync members` and the callback's reconcile use.
func newWeComSyncer(db *store.DB, groups *community.Store, api *wecom.Client, log *slog.Logger) *wecom.Syncer {
	return &wecom.Syncer{API: api, Registry: groups, State: wecom.NewSyncStore(db), DB: db, Log: log}
}

// startWeComSync runs the member sync every `every`, once across servers,
// when the corp id and secret are set. stop ends it (before db.Close).
func startWeComSync(ctx context.Context, s *wecom.Syncer, db *store.DB, every time.Duration, log *slog.Logger) (stop func()) {
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	stop = func() { cancel(); wg.Wait() }
	switch {
	case every <= 0:
		log.Info("wecom member sync off: --wecom-sync-every 0")
		return stop
	case !s.API.HasCredentials():
		log.Info("wecom member sync off: no credentials", "needs", "--wecom-corp-id (QUNKE_WECOM_CORP_ID), QUNKE_WECOM_SECRET")
		return stop
	}
	j := &wecom.SyncJob{Syncer: s, DB: db, Holder: store.Holder(), Every: every, Log: log}
	wg.Go(func() { j.Run(ctx) })
	return stop
}

func newSyncMembersCmd(g *globals) *cobra.Command {
	var f wecomAPIFlags
	cmd := &cobra.Command{
		Use:   "members",
		Short: g.h("cli.sync_members_short"),
		Long:  g.h("cli.sync_members_long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			api := f.client()
			if !api.HasCredentials() {
				return wecom.ErrNoCredentials
			}
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			lang := g.reader()
			s := newWeComSyncer(db, community.NewStore(db), api, nil)
			s.Progress = func(pages, chats int) { fmt.Fprintln(cmd.ErrOrStderr(), g.t("cli.wecom_sync_page", pages, chats)) }
			var res wecom.SyncResult
			err = wecom.ExclusiveSync(ctx, db, store.Holder(), func(ctx context.Context) error {
				var err error
				res, err = s.Once(ctx)
				return err
			})
			if res.Pages > 0 {
				fmt.Fprintln(cmd.OutOrStdout(), msg.In(lang, msg.New("cli.wecom_sync_done", res.Pages, res.Chats, res.Synced,
					res.Joined, res.Left, res.Unchanged, res.Unmapped, res.Proposed)))
			}
			return err
		},
	}
	f.addCorp(g, cmd.Flags())
	f.addAPI(g, cmd.Flags())
	return cmd
}

func newMembersChatsCmd(g *globals) *cobra.Command {
	var f wecomAPIFlags
	var confirm, group string
	cmd := &cobra.Command{
		Use:   "chats",
		Short: g.h("cli.members_chats_short"),
		Long:  g.h("cli.members_chats_long"),
		Example: `  qunke members chats
  qunke members chats --confirm wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA
  qunke members chats --confirm wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA --group 福利群1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := g.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			groups := community.NewStore(db)
			s := newWeComSyncer(db, groups, f.client(), nil)
			if confirm == "" {
				return listWeComChats(ctx, cmd.OutOrStdout(), g.reader(), s)
			}
			return confirmWeComChat(ctx, cmd.OutOrStdout(), g.reader(), s, groups, confirm, group)
		},
	}
	cmd.Flags().StringVar(&confirm, "confirm", "", g.h("cli.flag_members_confirm"))
	cmd.Flags().StringVar(&group, "group", "", g.h("cli.flag_members_group"))
	f.addCorp(g, cmd.Flags())
	f.addAPI(g, cmd.Flags())
	return cmd
}

// listWeComChats prints every customer group the sync has seen (and those
// only the callback told of): the group it maps to, or the one proposed,
// or how to map it.
func listWeComChats(ctx context.Context, w io.Writer, lang i18n.Lang, s *wecom.Syncer) error {
	o, err := s.Overview(ctx)
	if err != nil {
		return err
	}
	if len(o.Chats) == 0 {
		fmt.Fprintln(w, msg.In(lang, msg.New("cli.wecom_chats_none")))
		return nil
	}
	for _, c := range o.Chats {
		var m *msg.Error
		switch {
		case c.Group != 0:
			m = msg.New("cli.wecom_chat_mapped", c.ChatID, c.Name, c.Members, c.GroupName)
		case c.ProposedGroup != 0:
			m = msg.New("cli.wecom_chat_proposed", c.ChatID, c.Name, c.Members, c.ProposedName, c.ChatID)
		default:
			m = msg.New("cli.wecom_chat_unmapped", c.ChatID, c.Name, c.Members, c.ChatID)
		}
		fmt.Fprintln(w, msg.In(lang, m))
	}
	return nil
}

// confirmWeComChat maps a customer group to the Qunke group named (or the
// one proposed) and, with the API configured, syncs its members now.
func confirmWeComChat(ctx context.Context, w io.Writer, lang i18n.Lang, s *wecom.Syncer, groups *community.Store, chatID, name string) error {
	var gid int64
	if name == "" {
		st, ok, err := s.State.Chat(ctx, chatID)
		if err != nil {
			return err
		}
		if !ok || st.ProposedGroup == 0 {
			return msg.New("cli.wecom_confirm_no_proposal", chatID)
		}
		gid = st.ProposedGroup
	} else {
		all, err := groups.List(ctx, community.Filter{})
		if err != nil {
			return err
		}
		var ids []int64
		for _, g := range all {
			if strings.TrimSpace(g.Name) == strings.TrimSpace(name) {
				ids = append(ids, g.ID)
			}
		}
		switch len(ids) {
		case 0:
			return msg.New("cli.wecom_no_group", name)
		case 1:
			gid = ids[0]
		default:
			return msg.New("cli.wecom_group_ambiguous", len(ids), name)
		}
	}
	g, err := groups.Get(ctx, gid)
	if err != nil {
		return err
	}
	c, synced, err := s.Confirm(ctx, chatID, gid)
	if c.Group == 0 {
		return err
	}
	fmt.Fprintln(w, msg.In(lang, msg.New("cli.wecom_confirmed", chatID, g.Name)))
	if err != nil {
		return err
	}
	if !synced {
		fmt.Fprintln(w, msg.In(lang, msg.New("cli.wecom_confirm_later")))
		return nil
	}
	fmt.Fprintln(w, msg.In(lang, msg.New("cli.wecom_confirm_synced", c.Snapshot.Joined, c.Snapshot.Left, c.Snapshot.Unchanged)))
	return nil
}
