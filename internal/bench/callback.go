package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/web"
	"github.com/qunke/qunke/internal/wecom"
)

// CallbackConfig sets up the callback benchmark: WeCom posting
// customer-group changes to /callback/wecom at Rate events a second for
// Duration, from Clients connections, while the inbox's worker applies
// them to the member registry.
type CallbackConfig struct {
	Dir      string // where the database is written ("" with Postgres)
	Postgres string // a postgres:// URL: run in a schema of its own, dropped at the end
	Rate     int    // events a second, sent on schedule (open loop)
	Duration time.Duration
	Clients  int  // concurrent connections
	Chats    int  // customer groups, each mapped to a Qunke group
	NoApply  bool // run no worker: the answers alone
	Log      io.Writer
}

// CallbackResult is what the benchmark measured. Ack latency runs from
// the moment an event was due to be sent (not from when a client was free
// to send it), so a server that falls behind shows it.
type CallbackResult struct {
	Sent, Failed int
	Elapsed      time.Duration // first send to last answer
	PerSec       float64       // answered events a second
	Ack          Latency
	Stored       int           // events in the inbox
	Applied      int           // applied by the worker when the last answer came
	Drain        time.Duration // from the last answer until the worker had applied every event
	Members      int           // members the registry holds
	CPU          time.Duration // CPU time of the whole process (server, worker and clients) while sending
}

// The official example's settings: the benchmark needs a valid key, not a
// secret one.
const (
	cbToken  = "QDG6eK"
	cbAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	cbCorpID = "wx5823bf96d3bd56c7"
)

// Callback runs the benchmark.
func Callback(ctx context.Context, cfg CallbackConfig) (CallbackResult, error) {
	var res CallbackResult
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Rate <= 0 || cfg.Duration <= 0 || cfg.Clients <= 0 || cfg.Chats <= 0 {
		return res, errors.New("bench callback: rate, duration, clients and chats must be positive")
	}
	db, done, err := benchDB(ctx, OrdersConfig{Dir: cfg.Dir, Postgres: cfg.Postgres}, "callback.db", true)
	if err != nil {
		return res, err
	}
	defer done()
	log := slog.New(slog.DiscardHandler)
	reg := community.NewStore(db)
	chats := make([]string, cfg.Chats)
	for i := range chats {
		chats[i] = fmt.Sprintf("wrBench%05d", i)
		g := &community.Group{Name: fmt.Sprintf("bench callback %d", i), Channel: community.Manual}
		if err := reg.Save(ctx, g); err != nil {
			return res, err
		}
		if err := reg.MapChat(ctx, community.SourceWeCom, chats[i], g.ID); err != nil {
			return res, err
		}
	}

	// The events, encrypted and signed beforehand: that is WeCom's work.
	crypto, err := wecom.NewCrypto(cbToken, cbAESKey, cbCorpID)
	if err != nil {
		return res, err
	}
	n := int(float64(cfg.Rate) * cfg.Duration.Seconds())
	type request struct{ query, body string }
	reqs := make([]request, n)
	ver := make([]int, len(chats))
	t0 := time.Now().Add(-24 * time.Hour).Unix()
	for i := range reqs {
		c := i % len(chats)
		detail := "add_member"
		if ver[c]%3 == 2 {
			detail = "del_member"
		}
		user := fmt.Sprintf("wmBench%d_%d", c, ver[c]/3*2+min(ver[c]%3, 1))
		if detail == "del_member" {
			user = fmt.Sprintf("wmBench%d_%d", c, ver[c]/3*2)
		}
		msg := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>`+
			`<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event>`+
			`<ChatId><![CDATA[%s]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[%s]]></UpdateDetail>`+
			`<JoinScene>3</JoinScene><QuitScene>0</QuitScene><MemChangeCnt>1</MemChangeCnt><MemChangeList><Item><![CDATA[%s]]></Item></MemChangeList>`+
			`<LastMemVer>%s-%d</LastMemVer><CurMemVer>%s-%d</CurMemVer></xml>`,
			cbCorpID, t0+int64(i), chats[c], detail, user, chats[c], ver[c], chats[c], ver[c]+1)
		ver[c]++
		enc, err := crypto.Encrypt([]byte(msg), nil)
		if err != nil {
			return res, err
		}
		ts, nonce := fmt.Sprint(t0+int64(i)), fmt.Sprint(1_000_000+i)
		q := url.Values{"msg_signature": {crypto.Signature(ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}}
		reqs[i] = request{query: "?" + q.Encode(), body: "<xml><ToUserName><![CDATA[" + cbCorpID + "]]></ToUserName><Encrypt><![CDATA[" +
			enc + "]]></Encrypt><AgentID><![CDATA[1]]></AgentID></xml>"}
	}
	fmt.Fprintf(cfg.Log, "%d events prepared for %d chats\n", n, len(chats))

	// Qunke's server, as serve builds it, on a loopback port.
	inbox := wecom.NewInbox(db)
	defer inbox.Close()
	cb, err := wecom.NewCallback(wecom.Config{CorpID: cbCorpID, Token: cbToken, AESKey: cbAESKey}, inbox, log)
	if err != nil {
		return res, err
	}
	d := web.NewDeps(db, log)
	d.WeComCallback = cb
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	hs := &http.Server{Handler: web.NewServer(d), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	wctx, stopWorker := context.WithCancel(ctx)
	worker := &wecom.Worker{Inbox: inbox, Registry: reg, Log: log, Holder: store.Holder(), Poll: 100 * time.Millisecond}
	var wg sync.WaitGroup
	if !cfg.NoApply {
		wg.Go(func() { worker.Run(wctx) })
	}
	defer func() { stopWorker(); wg.Wait() }()

	base := "http://" + ln.Addr().String() + "/callback/wecom"
	lat, failed, elapsed, cpu := openLoop(ctx, n, cfg.Rate, cfg.Clients, func(c *http.Client, i int) (*http.Response, error) {
		return c.Post(base+reqs[i].query, "text/xml", strings.NewReader(reqs[i].body))
	})
	res.Elapsed, res.CPU, res.Failed = elapsed, cpu, failed
	counts, err := inbox.Counts(ctx)
	if err != nil {
		return res, err
	}
	res.Applied = counts.Applied
	answered := time.Now()
	for counts.New > 0 && !cfg.NoApply && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
		if counts, err = inbox.Counts(ctx); err != nil {
			return res, err
		}
	}
	res.Drain = time.Since(answered)
	res.Sent = n
	res.PerSec = float64(n-res.Failed) / res.Elapsed.Seconds()
	res.Ack = latency(lat)
	res.Stored = counts.New + counts.Applied + counts.Failed
	_, res.Members, err = reg.Members(ctx, community.MemberFilter{Source: community.SourceWeCom, Limit: 1})
	return res, err
}
