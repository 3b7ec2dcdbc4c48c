package publish

import (
	"context"
	"strings"

	"github.com/qunke/qunke/internal/advisor/extract"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
)

// MessageLink is one item reference of a message and what it became.
type MessageLink struct {
	Raw       string // the reference as written
	Item      catalog.Key
	Link      string // the converted short link, "" when not converted
	ShareCode string // the 淘口令, when the group's template shows one
	Reason    string // why it was not converted, "" when it was
}

// ConvertedMessage is a message with its item references converted for a
// group: what `qunke link` prints and the check page's 转链 shows.
type ConvertedMessage struct {
	Group string
	Text  string
	Links []MessageLink
}

// ReasonUnresolved: a short link or 淘口令 names no item by itself.
const ReasonUnresolved = "publish.reason.unresolved"

// ConvertMessage converts every item reference in text for g's placements:
// each is replaced by the 淘口令 where g's copy template shows one (Taobao
// and Tmall) or else by the short link; a reference that did not convert
// stays as written, with its reason.
func (l *Linker) ConvertMessage(ctx context.Context, g *community.Group, text string) (*ConvertedMessage, error) {
	return l.ConvertMessageFor(ctx, g, Person{}, text)
}

// ConvertMessageFor is ConvertMessage for one member: each link carries the
// member's person-level ids on its platform (none where the member has
// none there).
func (l *Linker) ConvertMessageFor(ctx context.Context, g *community.Group, p Person, text string) (*ConvertedMessage, error) {
	refs := extract.Find(text)
	var keys []catalog.Key
	for _, r := range refs {
		if k, ok := refKey(r); ok {
			keys = append(keys, k)
		}
	}
	share, links, err := l.forGroup(ctx, g, p, keys)
	if err != nil {
		return nil, err
	}
	out := &ConvertedMessage{Group: g.Name}
	var b strings.Builder
	last := 0
	for _, r := range refs {
		ml := MessageLink{Raw: r.Raw, Reason: ReasonUnresolved}
		if k, ok := refKey(r); ok {
			c := links.For(k, g, p)
			ml = MessageLink{Raw: r.Raw, Item: k, Link: c.Link, ShareCode: c.ShareCode, Reason: c.Reason}
		}
		out.Links = append(out.Links, ml)
		b.WriteString(text[last:r.Start])
		switch {
		case ml.Reason != "":
			b.WriteString(r.Raw)
		case share && ml.ShareCode != "":
			b.WriteString(ml.ShareCode)
		default:
			b.WriteString(ml.Link)
		}
		last = r.End
	}
	b.WriteString(text[last:])
	out.Text = b.String()
	return out, nil
}

// refKey is the item a reference names, when it names one on a known
// platform.
func refKey(r extract.Ref) (catalog.Key, bool) {
	if r.ItemID == "" || r.Platform == "" {
		return catalog.Key{}, false
	}
	return catalog.Key{Platform: r.Platform, ItemID: r.ItemID}, true
}

// forGroup converts keys for g, asking for a 淘口令 where g's copy template
// shows one (share).
func (l *Linker) forGroup(ctx context.Context, g *community.Group, p Person, keys []catalog.Key) (share bool, links Links, err error) {
	templates, err := l.Store.Templates(ctx)
	if err != nil {
		return false, nil, err
	}
	tmpl, err := pickTemplate(templates, g.Tags)
	if err != nil {
		return false, nil, err
	}
	share = tmpl.UsesShareCode()
	reqs := make([]LinkReq, len(keys))
	for i, k := range keys {
		reqs[i] = LinkReq{Key: k, Group: g, ShareCode: share, Person: p}
	}
	links, err = l.Convert(ctx, reqs)
	return share, links, err
}

// LinkItem converts one item's link for the group with id groupID (the
// check page's 转链): its short link, and its 淘口令 where the group's
// template shows one, or the reason there is none.
func (p *Planner) LinkItem(ctx context.Context, groupID int64, key catalog.Key) (*community.Group, MessageLink, error) {
	g, err := p.Groups.Get(ctx, groupID)
	if err != nil {
		return nil, MessageLink{}, err
	}
	l := p.Links
	if l == nil {
		l = &Linker{Store: p.Store}
	}
	_, links, err := l.forGroup(ctx, g, Person{}, []catalog.Key{key})
	if err != nil {
		return nil, MessageLink{}, err
	}
	c := links.Get(key, g)
	return g, MessageLink{Item: key, Link: c.Link, ShareCode: c.ShareCode, Reason: c.Reason}, nil
}
