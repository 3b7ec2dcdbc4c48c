// Package wecomfake is a local WeCom customer-contact (客户联系) API server for tests: GET /cgi-bin/gettoken,
// POST /cgi-bin/externalcontact/groupchat/list and POST /cgi-bin/externalcontact/groupchat/get, the join
// ways (groupchat/add_join_way, get_join_way, update_join_way, del_join_way: joinway.go), with
// WeCom's shapes and errcode answers (always HTTP 200): a wrong corp id (40013) or secret (40001), a
// missing (41001), unknown (40014) or expired (42001) access token, a bad parameter (40058: limit outside
// 1..1000, a bad cursor), an unknown chat (40050), and the rate limit per API (45009) when one is set.
// Tests add groups, add and remove members (each change bumps the group's member_version), expire or
// revoke the tokens handed out, inject errcodes and count the calls.
//
//	wc := wecomfake.New("ww-corp", "secret")
//	defer wc.Close()
//	wc.AddChat("wrOgQhDgAA1", "福利群 1", "zhangsan")
//	wc.AddMember("wrOgQhDgAA1", wecomfake.Member{UserID: "wmAAA", Type: 2, JoinScene: 3})
//	c := wecom.NewClient(wc.URL, "ww-corp", "secret")
//
// It is safe for concurrent use.
package wecomfake

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/publish/channel"
	"github.com/qunke/qunke/internal/publish/channel/fakehttp"
)

// TokenLife is how long an access token lives (WeCom's expires_in).
const TokenLife = 7200 * time.Second

// Member is a member of a fake group, as groupchat/get gives it.
type Member struct {
	UserID        string
	Type          int // 1 corp member, 2 external contact
	UnionID       string
	JoinTime      time.Time // zero: the fake's clock when added
	JoinScene     int       // 1 invite, 2 link, 3 QR
	Invitor       string
	GroupNickname string
	Name          string
	State         string
}

// Fault is an injected errcode answer, matched against requests in the order injected.
type Fault struct {
	Path    string // "gettoken", "externalcontact/groupchat/list", ...; "" matches any
	ErrCode int    // answer {"errcode":ErrCode} with HTTP 200
	Status  int    // or answer this HTTP status with a page that is not WeCom's
	Times   int    // 0 means 1
}

type chat struct {
	id, name, owner string
	status          int
	created         time.Time
	members         []Member
	version         int
}

// Server is a fake WeCom customer-contact API.
type Server struct {
	URL string

	corpID, secret string
	srv            *httptest.Server

	mu      sync.Mutex
	clock   func() time.Time
	tokens  map[string]time.Time // token -> expiry
	order   []string             // chat ids in creation order (groupchat/list pages through them)
	chats   map[string]*chat
	limiter *channel.Limiter
	faults  []*Fault
	calls   map[string]int
	stalls  []*stall
	ways    map[string]*JoinWay // config_id -> join way
}

type stall struct {
	path string
	left int
	hit  chan struct{}
}

// New starts a fake for one corp and its customer-contact secret, with no groups and no rate limit.
func New(corpID, secret string) *Server {
	s := &Server{corpID: corpID, secret: secret, clock: time.Now, tokens: map[string]time.Time{},
		chats: map[string]*chat{}, calls: map[string]int{}, ways: map[string]*JoinWay{}, limiter: channel.NewLimiter(channel.Rate{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// SetClock sets the clock of token expiry, join times and the rate limit (default time.Now).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = now
}

// SetLimit sets a rate limit per API (each path counted on its own); beyond it WeCom answers 45009.
// The zero Rate removes it.
func (s *Server) SetLimit(r channel.Rate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter = channel.NewLimiter(r)
}

// AddChat creates a customer group (or renames an existing one).
func (s *Server) AddChat(id, name, owner string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[id]; c != nil {
		c.name, c.owner = name, owner
		return
	}
	s.chats[id] = &chat{id: id, name: name, owner: owner, created: s.clock(), version: 1}
	s.order = append(s.order, id)
}

// RemoveChat dismisses a group: it leaves the list and groupchat/get answers 40050.
func (s *Server) RemoveChat(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.chats, id)
	for i, c := range s.order {
		if c == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}

// AddMember adds m to the group (replacing a member with the same userid) and bumps its member_version.
func (s *Server) AddMember(chatID string, m Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChat(chatID)
	if m.JoinTime.IsZero() {
		m.JoinTime = s.clock()
	}
	for i, x := range c.members {
		if x.UserID == m.UserID {
			c.members[i] = m
			c.version++
			return
		}
	}
	c.members = append(c.members, m)
	c.version++
}

// RemoveMember removes a member from the group and bumps its member_version; false if not there.
func (s *Server) RemoveMember(chatID, userID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mustChat(chatID)
	for i, x := range c.members {
		if x.UserID == userID {
			c.members = append(c.members[:i], c.members[i+1:]...)
			c.version++
			return true
		}
	}
	return false
}

// BumpVersion changes the group's member_version without changing its members.
func (s *Server) BumpVersion(chatID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustChat(chatID).version++
}

// Version returns the group's member_version as groupchat/get gives it.
func (s *Server) Version(chatID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustChat(chatID).versionString()
}

func (s *Server) mustChat(id string) *chat {
	c := s.chats[id]
	if c == nil {
		panic("wecomfake: no chat " + id)
	}
	return c
}

func (c *chat) versionString() string {
	sum := md5.Sum([]byte(c.id + "/" + strconv.Itoa(c.version)))
	return hex.EncodeToString(sum[:])
}

// ExpireTokens makes every token handed out so far expired: its next use is answered 42001.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	for t := range s.tokens {
		s.tokens[t] = now
	}
}

// RevokeTokens forgets every token handed out so far: its next use is answered 40014.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]time.Time{}
}

// InjectFault adds a fault; faults apply in the order injected, before any other check.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// StallAt makes the n-th request to path from now on (1 = the next) hang without an answer until its
// client leaves; the channel is closed when it arrives. A test kills a syncing process there.
func (s *Server) StallAt(path string, n int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &stall{path: path, left: max(n, 1), hit: make(chan struct{})}
	s.stalls = append(s.stalls, st)
	return st.hit
}

// Calls returns how many requests path ("gettoken", "externalcontact/groupchat/get", ...) received.
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

func errmsg(code int, text string) string {
	return fmt.Sprintf("%s, hint: [%d-fake], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=%d",
		text, time.Now().UnixNano()%1e6, code)
}

func answer(w http.ResponseWriter, v map[string]any) {
	if _, ok := v["errcode"]; !ok {
		v["errcode"], v["errmsg"] = 0, "ok"
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code int, text string) {
	answer(w, map[string]any{"errcode": code, "errmsg": errmsg(code, text)})
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, "/cgi-bin/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.calls[path]++
	f := s.takeFault(path)
	var hang *stall
	for i, st := range s.stalls {
		if st.path == path {
			if st.left--; st.left == 0 {
				hang = st
				s.stalls = append(s.stalls[:i], s.stalls[i+1:]...)
			}
			break
		}
	}
	s.mu.Unlock()
	if hang != nil {
		// The body read first: the server notices the client leave only
		// once it has.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		close(hang.hit)
		<-r.Context().Done()
		return
	}
	if f != nil {
		if f.Status != 0 {
			fakehttp.ErrorPage(w, f.Status)
			return
		}
		fail(w, f.ErrCode, "injected error")
		return
	}
	switch path {
	case "gettoken":
		s.getToken(w, r)
	case "externalcontact/groupchat/list", "externalcontact/groupchat/get",
		"externalcontact/groupchat/add_join_way", "externalcontact/groupchat/get_join_way",
		"externalcontact/groupchat/update_join_way", "externalcontact/groupchat/del_join_way":
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			fail(w, 40058, "invalid Request Parameter")
			return
		}
		if code, text := s.checkToken(r, path); code != 0 {
			fail(w, code, text)
			return
		}
		if r.Method != http.MethodPost {
			fail(w, 40058, "invalid Request Parameter: POST required")
			return
		}
		switch path {
		case "externalcontact/groupchat/list":
			s.list(w, raw)
		case "externalcontact/groupchat/get":
			s.get(w, raw)
		default:
			s.joinWay(w, path, raw)
		}
	default:
		fail(w, 60020, "not allow to access from your ip or api not found")
	}
}

func (s *Server) takeFault(path string) *Fault {
	for i, f := range s.faults {
		if f.Path == "" || f.Path == path {
			f.Times--
			if f.Times <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			c := *f
			return &c
		}
	}
	return nil
}

func (s *Server) getToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	corp, secret := q.Get("corpid"), q.Get("corpsecret")
	switch {
	case corp == "":
		fail(w, 41002, "corpid missing")
		return
	case secret == "":
		fail(w, 41004, "corpsecret missing")
		return
	case corp != s.corpID:
		fail(w, 40013, "invalid corpid")
		return
	case secret != s.secret:
		fail(w, 40001, "invalid credential, access_token is invalid or not latest")
		return
	}
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	s.mu.Lock()
	s.tokens[tok] = s.clock().Add(TokenLife)
	s.mu.Unlock()
	answer(w, map[string]any{"access_token": tok, "expires_in": int(TokenLife / time.Second)})
}

// checkToken checks the access token and the rate limit of path.
func (s *Server) checkToken(r *http.Request, path string) (int, string) {
	tok := r.URL.Query().Get("access_token")
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, known := s.tokens[tok]
	now := s.clock()
	switch {
	case tok == "":
		return 41001, "access_token missing"
	case !known:
		return 40014, "invalid access_token"
	case !now.Before(exp):
		return 42001, "access_token expired"
	}
	if ok, _ := s.limiter.TryTake(path, 1, now); !ok {
		return 45009, "api freq out of limit"
	}
	return 0, ""
}

func (s *Server) list(w http.ResponseWriter, raw []byte) {
	var b struct {
		Status *int `json:"status_filter"`
		Owner  *struct {
			UserIDs []string `json:"userid_list"`
		} `json:"owner_filter"`
		Cursor string `json:"cursor"`
		Limit  *int   `json:"limit"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		fail(w, 40058, "Warning: wrong json format. invalid Request Parameter")
		return
	}
	if b.Limit == nil || *b.Limit < 1 || *b.Limit > 1000 {
		fail(w, 40058, "limit must be in 1..1000. invalid Request Parameter")
		return
	}
	start := 0
	if b.Cursor != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(b.Cursor, "fc"))
		if err != nil || !strings.HasPrefix(b.Cursor, "fc") || n < 0 {
			fail(w, 40058, "invalid cursor. invalid Request Parameter")
			return
		}
		start = n
	}
	owners := map[string]bool{}
	if b.Owner != nil {
		for _, u := range b.Owner.UserIDs {
			owners[u] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	next := ""
	for i := start; i < len(s.order); i++ {
		c := s.chats[s.order[i]]
		if b.Status != nil && *b.Status != 0 && c.status != *b.Status || len(owners) > 0 && !owners[c.owner] {
			continue
		}
		if len(out) == *b.Limit {
			next = "fc" + strconv.Itoa(i)
			break
		}
		out = append(out, map[string]any{"chat_id": c.id, "status": c.status})
	}
	a := map[string]any{"group_chat_list": out}
	if out == nil {
		a["group_chat_list"] = []any{}
	}
	if next != "" {
		a["next_cursor"] = next
	}
	answer(w, a)
}

func (s *Server) get(w http.ResponseWriter, raw []byte) {
	var b struct {
		ChatID   string `json:"chat_id"`
		NeedName int    `json:"need_name"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		fail(w, 40058, "Warning: wrong json format. invalid Request Parameter")
		return
	}
	if b.ChatID == "" {
		fail(w, 40058, "chat_id missing. invalid Request Parameter")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[b.ChatID]
	if c == nil {
		fail(w, 40050, "chatid not found")
		return
	}
	members := make([]map[string]any, 0, len(c.members))
	for _, m := range c.members {
		e := map[string]any{"userid": m.UserID, "type": m.Type, "join_time": m.JoinTime.Unix(), "join_scene": m.JoinScene}
		if m.Type == 2 && m.UnionID != "" {
			e["unionid"] = m.UnionID
		}
		if m.Invitor != "" {
			e["invitor"] = map[string]string{"userid": m.Invitor}
		}
		if m.GroupNickname != "" {
			e["group_nickname"] = m.GroupNickname
		}
		if b.NeedName == 1 {
			e["name"] = m.Name
		}
		if m.State != "" {
			e["state"] = m.State
		}
		members = append(members, e)
	}
	answer(w, map[string]any{"group_chat": map[string]any{
		"chat_id": c.id, "name": c.name, "owner": c.owner, "create_time": c.created.Unix(), "notice": "",
		"member_list": members, "admin_list": []any{}, "member_version": c.versionString(),
	}})
}
