package joincode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/tgmembers"
	"github.com/qunke/qunke/internal/wecom"
)

// Sources and platforms the service works with (each through its owner's
// methods or its client).
type (
	// Groups is the group registry (community.Store).
	Groups interface {
		Get(ctx context.Context, id int64) (*community.Group, error)
	}
	// MemberCount tells a group's members now (RegistryMembers).
	MemberCount func(ctx context.Context, g *community.Group) (int, error)
	// JoinWays is WeCom's customer-group join ways (wecom.Client).
	JoinWays interface {
		HasCredentials() bool
		AddJoinWay(ctx context.Context, j wecom.JoinWay) (string, error)
		GetJoinWay(ctx context.Context, configID string) (wecom.JoinWay, error)
		UpdateJoinWay(ctx context.Context, j wecom.JoinWay) error
	}
	// InviteLinks makes Telegram invite links (tgmembers.Client).
	InviteLinks interface {
		CreateChatInviteLink(ctx context.Context, chat, name string, expire time.Time, memberLimit int) (tgmembers.ChatInviteLink, error)
	}
)

// Defaults of the service.
const (
	DefaultMargin   = 2 * time.Hour      // a QR expiring sooner is passed over
	DefaultWarnAt   = 24 * time.Hour     // operators are warned this long before a QR expires
	ChoiceTTL       = 10 * time.Second   // the rotation's choice is kept this long per code
	TelegramLinkFor = 7 * 24 * time.Hour // an invite link made for the page lives this long
	telegramRenew   = 24 * time.Hour     // and is made anew this long before it expires
	platformTimeout = 10 * time.Second   // a platform call made for a visit
)

// Service picks the group a code's page shows, makes and caches the
// platforms' links, counts visits and warns operators.
type Service struct {
	Store    *Store
	Groups   Groups
	Members  MemberCount // nil: the group's member count field
	WeCom    JoinWays    // nil: no WeCom join ways (groups show their QR)
	Telegram InviteLinks // nil: no Telegram links
	Counter  *Counter    // nil: visits are written one by one
	BaseURL  string      // the public address for PersonalLink ("" gives a path)
	Margin   time.Duration
	WarnAt   time.Duration
	Notify   Notifier // where warnings go (health.Service); nil: recorded as having no target
	Log      *slog.Logger
	Now      func() time.Time

	mu      sync.Mutex
	codes   map[string]*cached[*Code]
	choices map[int64]*cached[[]Candidate]
	loading sync.Mutex      // one first load at a time
	links   map[string]Link // kind|scope|state -> link
	making  sync.Mutex      // one platform call at a time for a missing link
}

// NewService returns a service over st and the group registry.
func NewService(st *Store, groups *community.Store) *Service {
	return &Service{Store: st, Groups: groups, Members: RegistryMembers(groups)}
}

// RegistryMembers counts a group's members from the member registry when
// it tracks the group (its member days), else from the group's count field.
func RegistryMembers(c *community.Store) MemberCount {
	return func(ctx context.Context, g *community.Group) (int, error) {
		tracked, err := c.HasMembers(ctx, g.ID)
		if err != nil || !tracked {
			return int(g.Members), err
		}
		now := time.Now()
		days, err := c.MemberDays(ctx, g.ID, now.Add(-24*time.Hour), now)
		if err != nil || len(days) == 0 {
			return int(g.Members), err
		}
		return days[len(days)-1].Members, nil
	}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) margin() time.Duration {
	if s.Margin > 0 {
		return s.Margin
	}
	return DefaultMargin
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Forget drops what the service keeps of a code (after an edit, an upload).
func (s *Service) Forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes, s.choices = nil, nil
}

// Resolve returns an active code by its public name. What it read is kept
// ChoiceTTL; after that one request reads it again in the background while
// the others go on with what was read (a visit never waits on a refresh
// but the first).
func (s *Service) Resolve(ctx context.Context, code string) (*Code, error) {
	if !codeRe.MatchString(code) {
		return nil, ErrNotFound
	}
	got, err := cachedLoad(s, &s.codes, code, func(ctx context.Context) (*Code, error) {
		c, err := s.Store.ByCode(ctx, code)
		if errors.Is(err, ErrNotFound) || err == nil && !c.Active {
			return nil, nil
		}
		return c, err
	})(ctx)
	if err != nil {
		return nil, err
	}
	if got == nil {
		return nil, ErrNotFound
	}
	return got, nil
}

// cached is a value read at a time, and whether a refresh is under way.
type cached[V any] struct {
	v          V
	at         time.Time
	refreshing bool
}

// cachedLoad returns a function that gives m[key]: loaded when missing (one
// loader at a time), served as it is while fresh, and when older than
// ChoiceTTL served while one background load replaces it.
func cachedLoad[K comparable, V any](s *Service, m *map[K]*cached[V], key K, load func(context.Context) (V, error)) func(context.Context) (V, error) {
	return func(ctx context.Context) (V, error) {
		now := s.now()
		s.mu.Lock()
		c := (*m)[key]
		if c != nil && (now.Sub(c.at) < ChoiceTTL || c.refreshing) {
			v := c.v
			s.mu.Unlock()
			return v, nil
		}
		if c != nil { // stale: one refresh in the background, the stale value now
			c.refreshing = true
			v := c.v
			s.mu.Unlock()
			go func() {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), platformTimeout)
				defer cancel()
				nv, err := load(rctx)
				s.mu.Lock()
				defer s.mu.Unlock()
				if err != nil {
					c.refreshing = false
					s.log().Warn("join code: refresh", "err", err)
					return
				}
				if *m != nil {
					(*m)[key] = &cached[V]{v: nv, at: s.now()}
				}
			}()
			return v, nil
		}
		s.mu.Unlock()
		s.loading.Lock()
		defer s.loading.Unlock()
		s.mu.Lock()
		if c := (*m)[key]; c != nil { // another request loaded it meanwhile
			v := c.v
			s.mu.Unlock()
			return v, nil
		}
		s.mu.Unlock()
		v, err := load(ctx)
		if err != nil {
			return v, err
		}
		s.mu.Lock()
		if *m == nil || len(*m) > 10000 {
			*m = map[K]*cached[V]{}
		}
		(*m)[key] = &cached[V]{v: v, at: now}
		s.mu.Unlock()
		return v, nil
	}
}

// Candidates returns the code's pool as the rotation sees it now: each
// group, its members, its QR and how it would admit.
func (s *Service) Candidates(ctx context.Context, c *Code) ([]Candidate, error) {
	qrs, err := s.Store.LatestQR(ctx, c.Groups)
	if err != nil {
		return nil, err
	}
	out := make([]Candidate, 0, len(c.Groups))
	for _, id := range c.Groups {
		cand := Candidate{GroupID: id}
		g, err := s.Groups.Get(ctx, id)
		if err != nil && !errors.Is(err, community.ErrNotFound) {
			return nil, err
		}
		if g != nil {
			cand.Group = g
			cand.Members = int(g.Members)
			if s.Members != nil {
				if cand.Members, err = s.Members(ctx, g); err != nil {
					return nil, err
				}
			}
			cand.Way = g.WeComChatID != "" && s.WeCom != nil && s.WeCom.HasCredentials()
			cand.Telegram = !cand.Way && g.Channel == community.Telegram && g.Target != "" && s.Telegram != nil
		}
		if q, ok := qrs[id]; ok {
			cand.QR = &q
		}
		out = append(out, cand)
	}
	return out, nil
}

func (s *Service) candidates(ctx context.Context, c *Code) ([]Candidate, error) {
	return cachedLoad(s, &s.choices, c.ID, func(ctx context.Context) ([]Candidate, error) { return s.Candidates(ctx, c) })(ctx)
}

// Choice is what the page shows.
type Choice struct {
	Code       *Code
	Kind       Kind
	Group      *community.Group // nil with KindNone
	URL        string           // the join way's QR image, the Telegram link; for a QR, QRPath
	QR         *QR
	Inviter    string // the inviter the visit came by ("" none)
	Attributed bool   // a join through this is credited to Inviter
	Skipped    []Skip // pool groups passed over
	HandRun    bool   // the pool has hand-run groups (their joins cannot be attributed)
}

// QRPath is where the page's QR image is served.
func QRPath(code string, qrID int64) string {
	return "/join/" + code + "/qr/" + strconv.FormatInt(qrID, 10)
}

// Visit counts a view of the code's page by inviter ("" none; a reference
// that cannot name an inviter counts as none) and returns what it shows.
func (s *Service) Visit(ctx context.Context, code, inviter string) (Choice, error) {
	c, err := s.Resolve(ctx, code)
	if err != nil {
		return Choice{}, err
	}
	if !ValidInviter(inviter) {
		inviter = ""
	}
	if s.Counter != nil {
		s.Counter.Add(c.ID, inviter, s.now())
	} else if err := s.Store.AddVisits(ctx, []VisitCount{{CodeID: c.ID, Day: shanghai.Day(s.now().Unix()), Inviter: inviter, N: 1}}); err != nil {
		return Choice{}, err
	}
	return s.Choose(ctx, c, inviter)
}

// Choose picks the group to show for inviter and makes (or reuses) its
// link; a group whose platform gives no link is passed over.
func (s *Service) Choose(ctx context.Context, c *Code, inviter string) (Choice, error) {
	cands, err := s.candidates(ctx, c)
	if err != nil {
		return Choice{}, err
	}
	ch := Choice{Code: c, Kind: KindNone, Inviter: inviter}
	for _, cand := range cands {
		ch.HandRun = ch.HandRun || cand.HandRun()
	}
	now := s.now()
	rest := cands
	for {
		i, skips := Pick(now, s.margin(), rest)
		ch.Skipped = append(ch.Skipped, skips...)
		if i < 0 {
			return ch, nil
		}
		cand := rest[i]
		var link string
		var lerr error
		switch cand.Kind() {
		case KindWeCom:
			link, lerr = s.wayLink(ctx, c, rest[i:], inviter)
		case KindTelegram:
			link, lerr = s.telegramLink(ctx, cand.Group, linkName(c.Code, inviter), 0, now.Add(TelegramLinkFor))
		case KindQR:
			link = QRPath(c.Code, cand.QR.ID)
		}
		if lerr != nil {
			s.log().Warn("join code: no link from the platform", "code", c.Code, "group", cand.GroupID, "err", lerr)
			ch.Skipped = append(ch.Skipped, Skip{GroupID: cand.GroupID, Name: cand.Group.Name, Reason: SkipNoLink})
			rest = rest[i+1:]
			continue
		}
		ch.Kind, ch.Group, ch.URL, ch.QR = cand.Kind(), cand.Group, link, cand.QR
		ch.Attributed = inviter != "" && ch.Kind != KindQR
		return ch, nil
	}
}

// wayState is the join way's state for a code and an inviter (at most 30
// characters: "qk<code id>" or "qk<code id>.<inviter>").
func wayState(codeID int64, inviter string) string {
	st := "qk" + strconv.FormatInt(codeID, 10)
	if inviter != "" {
		st += "." + inviter
	}
	if len(st) > MaxStateLen {
		st = st[:MaxStateLen]
	}
	return st
}

// linkName is a Telegram link's name for a code and an inviter (at most 32
// characters).
func linkName(code, inviter string) string {
	n := code
	if inviter != "" {
		n += " " + inviter
	}
	if r := []rune(n); len(r) > MaxLinkName {
		n = string(r[:MaxLinkName])
	}
	return n
}

func (s *Service) cached(kind Kind, scope, state string) (Link, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.links[string(kind)+"|"+scope+"|"+state]
	return l, ok
}

func (s *Service) keep(l Link) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.links == nil || len(s.links) > 50000 {
		s.links = map[string]Link{}
	}
	s.links[string(l.Kind)+"|"+l.Scope+"|"+l.State] = l
}

// wayLink returns the QR image URL of the code's join way for inviter:
// over the first WeCom groups of the pool from the chosen one on that
// admit (at most 5), rooms auto-created when all are full. The join way is
// made once per state and updated when its groups change; WeCom is not
// called otherwise.
func (s *Service) wayLink(ctx context.Context, c *Code, from []Candidate, inviter string) (string, error) {
	var chats []string
	now := s.now()
	for _, cand := range from {
		if cand.Way && cand.why(now, s.margin()) == "" && len(chats) < MaxWayChats {
			chats = append(chats, cand.Group.WeComChatID)
		}
	}
	scope, state, want := "code:"+strconv.FormatInt(c.ID, 10), wayState(c.ID, inviter), strings.Join(chats, ",")
	if l, ok := s.cached(KindWeCom, scope, state); ok && l.Chats == want {
		return l.URL, nil
	}
	s.making.Lock()
	defer s.making.Unlock()
	ctx, cancel := context.WithTimeout(ctx, platformTimeout)
	defer cancel()
	l, err := s.Store.Link(ctx, KindWeCom, scope, state)
	if err != nil {
		return "", err
	}
	if l != nil && l.Chats == want {
		s.keep(*l)
		return l.URL, nil
	}
	j := wecom.JoinWay{Scene: wecom.SceneQRCode, Remark: trimRunes(c.Name, 30), AutoCreateRoom: 1,
		RoomBaseName: trimRunes(c.Name, wecom.JoinWayMaxName), RoomBaseID: len(c.Groups) + 1, ChatIDs: chats, State: state}
	if l != nil {
		j.ConfigID = l.ConfigID
		if err := s.WeCom.UpdateJoinWay(ctx, j); err != nil {
			return "", err
		}
	} else {
		if j.ConfigID, err = s.WeCom.AddJoinWay(ctx, j); err != nil {
			return "", err
		}
	}
	got, err := s.WeCom.GetJoinWay(ctx, j.ConfigID)
	if err != nil {
		return "", err
	}
	if got.QRCode == "" {
		return "", fmt.Errorf("joincode: WeCom gave join way %s no qr_code", j.ConfigID)
	}
	nl := Link{Kind: KindWeCom, Scope: scope, State: state, URL: got.QRCode, ConfigID: j.ConfigID, Chats: want}
	if err := s.Store.PutLink(ctx, nl); err != nil {
		return "", err
	}
	s.keep(nl)
	return nl.URL, nil
}

// telegramLink returns the group's invite link named name, made when there
// is none or it expires within a day.
func (s *Service) telegramLink(ctx context.Context, g *community.Group, name string, memberLimit int, expire time.Time) (string, error) {
	scope := "group:" + strconv.FormatInt(g.ID, 10)
	now := s.now()
	fresh := func(l Link) bool { return l.Expires.IsZero() || l.Expires.Sub(now) > telegramRenew }
	if l, ok := s.cached(KindTelegram, scope, name); ok && fresh(l) {
		return l.URL, nil
	}
	s.making.Lock()
	defer s.making.Unlock()
	ctx, cancel := context.WithTimeout(ctx, platformTimeout)
	defer cancel()
	l, err := s.Store.Link(ctx, KindTelegram, scope, name)
	if err != nil {
		return "", err
	}
	if l != nil && fresh(*l) {
		s.keep(*l)
		return l.URL, nil
	}
	got, err := s.Telegram.CreateChatInviteLink(ctx, g.Target, name, expire, memberLimit)
	if err != nil {
		return "", err
	}
	nl := Link{Kind: KindTelegram, Scope: scope, State: name, URL: got.InviteLink}
	if !expire.IsZero() {
		nl.Expires = expire.UTC().Truncate(time.Second)
	}
	if err := s.Store.PutLink(ctx, nl); err != nil {
		return "", err
	}
	s.keep(nl)
	return nl.URL, nil
}

// PersonalLink is an inviter's link to a code's page: the page credits the
// inviter where the platform can name them (a WeCom join way's state, a
// Telegram link named for them) and counts the visit for them.
func (s *Service) PersonalLink(ctx context.Context, codeID int64, inviterRef string) (string, error) {
	if !ValidInviter(inviterRef) {
		return "", errInviter.With(inviterRef)
	}
	c, err := s.Store.Get(ctx, codeID)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(s.BaseURL, "/") + "/join/" + c.Code + "?i=" + url.QueryEscape(inviterRef), nil
}

// InviteLinkFor returns an invite link of a Telegram group named name (at
// most 32 characters: Telegram tells it on each member who joined by it),
// admitting at most memberLimit (0 no limit, else 1-99999), expiring at
// expire (zero: never). It is made once and kept, and made anew a day
// before it expires.
func (s *Service) InviteLinkFor(ctx context.Context, groupID int64, name string, memberLimit int, expire time.Time) (string, error) {
	switch {
	case s.Telegram == nil:
		return "", errNoTelegram
	case name == "" || len([]rune(name)) > MaxLinkName:
		return "", errLinkName.With(MaxLinkName)
	case memberLimit < 0 || memberLimit > 99999:
		return "", errMemberLimit.With(memberLimit)
	case !expire.IsZero() && !expire.After(s.now()):
		return "", errLinkExpire
	}
	g, err := s.Groups.Get(ctx, groupID)
	if errors.Is(err, community.ErrNotFound) {
		return "", errNoGroup.With(groupID)
	}
	if err != nil {
		return "", err
	}
	if g.Channel != community.Telegram || g.Target == "" {
		return "", errNotTelegram.With(g.Name)
	}
	return s.telegramLink(ctx, g, name, memberLimit, expire)
}

func trimRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// Pool is a code's pool groups with what the rotation sees of each, for
// the operators' page.
type Pool struct {
	Candidates []Candidate
	Chosen     int    // index of the group shown now, -1 none
	Skips      []Skip // every group that does not admit now, and why
}

// PoolOf returns the code's pool now (read fresh, not cached).
func (s *Service) PoolOf(ctx context.Context, c *Code) (Pool, error) {
	cands, err := s.Candidates(ctx, c)
	if err != nil {
		return Pool{}, err
	}
	now := s.now()
	i, _ := Pick(now, s.margin(), cands)
	p := Pool{Candidates: cands, Chosen: i}
	for _, c := range cands { // every group's own state, those after the shown one too
		if r := c.why(now, s.margin()); r != "" {
			name := ""
			if c.Group != nil {
				name = c.Group.Name
			}
			p.Skips = append(p.Skips, Skip{GroupID: c.GroupID, Name: name, Reason: r})
		}
	}
	return p, nil
}
