package publish

import (
	"context"
	"fmt"
	"net/url"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/store"
)

// ItemInfo is what posting needs of an item: its attributes, its latest
// observation and the advisor's badges.
type ItemInfo struct {
	Item    catalog.Item
	Now     catalog.Observation
	Badges  []string // "历史最低", "30天最低", ...
	EarnFen int64    // commission one order earns
}

// Items looks items up for the planner.
type Items interface {
	Info(ctx context.Context, key catalog.Key) (*ItemInfo, error)
}

// AdvisorItems answers from the advisor's decision card.
type AdvisorItems struct{ A *advisor.Advisor }

// Info implements Items.
func (a AdvisorItems) Info(ctx context.Context, key catalog.Key) (*ItemInfo, error) {
	c, err := a.A.Card(ctx, key)
	if err != nil {
		return nil, err
	}
	return &ItemInfo{Item: c.Item.Item, Now: c.Now, Badges: Badges(c), EarnFen: c.EarnFen}, nil
}

// Badges are the advisor's findings worth showing members, strongest first.
func Badges(c *advisor.Card) []string {
	var b []string
	switch c.Position {
	case advisor.HistoricLow:
		b = append(b, "历史最低")
	case advisor.NearLow:
		b = append(b, "接近史低")
	}
	if c.Position != advisor.HistoricLow && c.Low30.OK && c.Now.FinalPrice <= c.Low30.Price {
		b = append(b, "30天最低")
	}
	if c.InPromo != "" {
		b = append(b, c.InPromo+"价")
	}
	return b
}

// PlainLink is the item's link tagged with the group's placement (pid),
// made without a platform: what a post carries when its conversion (转链)
// failed and the group allows unconverted links (允许未转链). No platform
// credits a click on it.
func PlainLink(key catalog.Key, g *community.Group) string {
	id := url.QueryEscape(key.ItemID)
	switch key.Platform {
	case catalog.Tmall:
		return withPID("https://detail.tmall.com/item.htm?id="+id, g.PIDTaobao)
	case catalog.JD:
		return withPID("https://item.jd.com/"+id+".html", g.PIDJD)
	case catalog.PDD:
		return withPID("https://mobile.yangkeduo.com/goods.html?goods_id="+id, g.PIDPDD)
	default:
		return withPID("https://item.taobao.com/item.htm?id="+id, g.PIDTaobao)
	}
}

func withPID(u, pid string) string {
	if pid == "" {
		return u
	}
	sep := "?"
	for i := 0; i < len(u); i++ {
		if u[i] == '?' {
			sep = "&"
		}
	}
	return u + sep + "pid=" + url.QueryEscape(pid)
}

// platformLabel is the platform's Chinese name.
func platformLabel(p catalog.Platform) string {
	switch p {
	case catalog.Taobao:
		return "淘宝"
	case catalog.Tmall:
		return "天猫"
	case catalog.JD:
		return "京东"
	case catalog.PDD:
		return "拼多多"
	}
	return string(p)
}

// sameItem is SQL that matches rows naming key's item under any label of
// its platform family (taobao:1 and tmall:1 are one item), with its
// arguments; the placeholders are numbered from first.
func sameItem(key catalog.Key, first int) (string, []any) {
	var labels []any
	for _, p := range catalog.Platforms {
		if p.Family() == key.Platform.Family() {
			labels = append(labels, string(p))
		}
	}
	if len(labels) == 0 { // a platform Qunke does not know: itself
		labels = append(labels, string(key.Platform))
	}
	return fmt.Sprintf("platform IN (%s) AND item_id = $%d", store.Placeholders(1, len(labels), first), first+len(labels)),
		append(labels, key.ItemID)
}
