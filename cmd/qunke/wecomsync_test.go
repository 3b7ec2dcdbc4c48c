package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/wecom"
	"github.com/qunke/qunke/internal/wecom/wecomfake"
)

const wecomTestSecret = "cc-secret-for-the-cli-test-123"

// qunke sync members syncs, shows progress and says what it did without
// the secret; qunke members chats lists the groups and confirms a match.
func TestSyncMembersAndChatsCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := wecomfake.New("wwcli", wecomTestSecret)
		t.Cleanup(f.Close)
		t.Setenv("QUNKE_WECOM_API", f.URL)
		t.Setenv("QUNKE_WECOM_CORP_ID", "wwcli")
		t.Setenv("QUNKE_WECOM_SECRET", wecomTestSecret)
		reg := community.NewStore(db)
		for _, n := range []string{"一群", "二群"} {
			if err := reg.Save(ctx, &community.Group{Name: n, Channel: community.Manual}); err != nil {
				t.Fatal(err)
			}
		}
		f.AddChat("wr1", "一群", "boss")
		f.AddChat("wr2", "二群外", "boss")
		f.AddMember("wr1", wecomfake.Member{UserID: "wmX", Type: wecom.MemberExternal, JoinScene: wecom.SceneQR})
		f.AddMember("wr2", wecomfake.Member{UserID: "wmY", Type: wecom.MemberExternal, JoinScene: wecom.SceneLink})

		out, errOut, err := runCLI(t, "sync", "members", "--db", dsn(db))
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		if !strings.Contains(out, "1 页，2 个群；0 个已同步") || !strings.Contains(out, "2 个未对应到群（其中 1 个有同名建议") {
			t.Errorf("sync output %q", out)
		}
		if !strings.Contains(errOut, "第 1 页，已读 2 个客户群") {
			t.Errorf("no progress: %q", errOut)
		}
		out, _, err = runCLI(t, "members", "chats", "--db", dsn(db))
		if err != nil || !strings.Contains(out, "wr1  一群（1 人）：建议对应同名群「一群」") || !strings.Contains(out, "wr2  二群外（1 人）：未对应") {
			t.Fatalf("chats: %q %v", out, err)
		}
		out, _, err = runCLI(t, "members", "chats", "--db", dsn(db), "--confirm", "wr1")
		if err != nil || !strings.Contains(out, "已对应群「一群」") || !strings.Contains(out, "入群 1，退群 0") {
			t.Fatalf("confirm: %q %v", out, err)
		}
		_, _, err = runCLI(t, "members", "chats", "--db", dsn(db), "--confirm", "wr2")
		if err == nil || !strings.Contains(err.Error(), "没有同名建议") {
			t.Fatalf("no proposal: %v", err)
		}
		_, _, err = runCLI(t, "members", "chats", "--db", dsn(db), "--confirm", "wr2", "--group", "三群")
		if err == nil || !strings.Contains(err.Error(), "没有名为「三群」的群") {
			t.Fatalf("unknown group: %v", err)
		}
		out, _, err = runCLI(t, "members", "chats", "--db", dsn(db), "--confirm", "wr2", "--group", "二群")
		if err != nil || !strings.Contains(out, "入群 1") {
			t.Fatalf("confirm with --group: %q %v", out, err)
		}
		out, _, err = runCLI(t, "sync", "members", "--db", dsn(db))
		if err != nil || !strings.Contains(out, "0 个已同步（入群 0，退群 0），2 个成员未变") {
			t.Fatalf("second sync: %q %v", out, err)
		}
		// A server holding the lease: refused, nothing fetched.
		if ok, err := db.Lease(ctx, wecom.SyncLease, "server", time.Minute); !ok || err != nil {
			t.Fatal(ok, err)
		}
		calls := f.Calls("externalcontact/groupchat/list")
		_, _, err = runCLI(t, "sync", "members", "--db", dsn(db))
		if err == nil || !strings.Contains(err.Error(), "正在同步") || f.Calls("externalcontact/groupchat/list") != calls {
			t.Errorf("under another's lease: %v", err)
		}
		// Without the secret it says what to set.
		t.Setenv("QUNKE_WECOM_SECRET", "")
		_, _, err = runCLI(t, "sync", "members", "--db", dsn(db))
		if err == nil || !strings.Contains(err.Error(), "QUNKE_WECOM_SECRET") {
			t.Errorf("no secret: %v", err)
		}
	})
}

// The server syncs at start when the credentials are set, logs per page
// without the secret, and says why it does not when they are not.
func TestServeWeComSyncAtStart(t *testing.T) {
	db := storetest.SQLite(t)
	f := wecomfake.New("wwsrv", wecomTestSecret)
	t.Cleanup(f.Close)
	f.AddChat("wr1", "一群", "boss")
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	off := startWeComSync(context.Background(), newWeComSyncer(db, community.NewStore(db), wecom.NewClient(f.URL, "wwsrv", ""), log), db, 3*time.Hour, log)
	off()
	if !strings.Contains(logs.String(), "wecom member sync off: no credentials") {
		t.Fatalf("logs: %s", logs.String())
	}
	s := newWeComSyncer(db, community.NewStore(db), wecom.NewClient(f.URL, "wwsrv", wecomTestSecret), log)
	stop := startWeComSync(context.Background(), s, db, 3*time.Hour, log)
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		last, err := s.State.LastRun(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !last.Finished.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no sync at start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if l := logs.String(); !strings.Contains(l, "wecom member sync page") || strings.Contains(l, wecomTestSecret) {
		t.Fatalf("logs: %s", l)
	}
}

// --wecom-corp-id is one flag shared with the callback: the sync does not
// define it twice and reads it whoever did.
func TestWeComCorpFlagShared(t *testing.T) {
	t.Setenv("QUNKE_WECOM_CORP_ID", "wwenv")
	g := &globals{}
	fl := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	var other string
	fl.StringVar(&other, "wecom-corp-id", "", "the callback's")
	var f wecomAPIFlags
	f.addCorp(g, fl) // no panic: already defined
	if err := fl.Parse([]string{"--wecom-corp-id", "wwflag"}); err != nil {
		t.Fatal(err)
	}
	f.useCorp(fl)
	if f.corpID != "wwflag" {
		t.Fatalf("corp %q, want the flag's", f.corpID)
	}
	var e wecomAPIFlags
	e.useCorp(pflag.NewFlagSet("x", pflag.ContinueOnError))
	if e.corpID != "wwenv" {
		t.Fatalf("corp %q, want the environment's", e.corpID)
	}
}
