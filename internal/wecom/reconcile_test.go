package wecom_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
	"github.com/qunke/qunke/internal/wecom"
)

// TestWorkerReconcilesThroughSync: a gap in a group's member versions
// makes the callback's worker ask the member sync, which reads the group
// from WeCom's API (the fake) and applies it to the registry; the group's
// need is then cleared.
func TestWorkerReconcilesThroughSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		inbox := wecom.NewInbox(db)
		defer inbox.Close()
		at := time.Now().Add(-time.Minute).Unix()
		put := func(user, last, cur string, created int64) {
			m := &wecom.Message{ToUserName: "ww-corp", FromUserName: "sys", CreateTime: created, MsgType: "event",
				Event: wecom.EventChangeExternalChat, ChatID: "wrA", ChangeType: wecom.ChangeUpdate, UpdateDetail: wecom.DetailAddMember,
				JoinScene: 3, MemChangeCnt: 1, MemChange: []string{user}, LastMemVer: last, CurMemVer: cur}
			body := fmt.Sprintf(`<xml><ToUserName>ww-corp</ToUserName><FromUserName>sys</FromUserName><CreateTime>%d</CreateTime>`+
				`<MsgType>event</MsgType><Event>change_external_chat</Event><ChatId>wrA</ChatId><ChangeType>update</ChangeType>`+
				`<UpdateDetail>add_member</UpdateDetail><JoinScene>3</JoinScene><MemChangeCnt>1</MemChangeCnt>`+
				`<MemChangeList><Item>%s</Item></MemChangeList><LastMemVer>%s</LastMemVer><CurMemVer>%s</CurMemVer></xml>`, created, user, last, cur)
			if _, err := inbox.Put(context.Background(), m, []byte(body)); err != nil {
				t.Fatal(err)
			}
		}
		put("wmA0", "x0", "x1", at)
		put("wmA1", "x7", "x8", at+1) // x1..x7 missed
		worker := &wecom.Worker{Inbox: inbox, Registry: w.reg, Reconciler: w.s, Log: slog.New(slog.DiscardHandler), Holder: "t",
			Poll: 20 * time.Millisecond, Lease: time.Second}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done := make(chan struct{})
		go func() { worker.Run(ctx); close(done) }()
		for {
			vs, err := inbox.Versions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) == 1 && vs[0].Reconcile == "" && vs[0].MemberVersion == "x8" {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("versions %+v", vs)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
		// The API's list of 群A (wmA0, wmA1 and the owner) is what the
		// registry holds now.
		in := w.members(t, w.groups["群A"])
		for _, u := range []string{"wmA0", "wmA1", "ownerA"} {
			if _, ok := in[u]; !ok {
				t.Fatalf("%s not in 群A after the reconcile: %s", u, keys(in))
			}
		}
	})
}
