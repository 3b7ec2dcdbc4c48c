package apiv1

import (
	"net/url"
	"time"

	"github.com/qunke/qunke/internal/community"
)

// Group is a group as the API shows it: never its secret, and its
// target only as far as the console shows it (see ShownTarget).
type Group struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Channel   string   `json:"channel"`
	Target    string   `json:"target"`
	SecretSet bool     `json:"secret_set"`
	PIDTaobao string   `json:"pid_taobao"`
	PIDJD     string   `json:"pid_jd"`
	PIDPDD    string   `json:"pid_pdd"`
	Owner     string   `json:"owner"`
	Capacity  int64    `json:"capacity"`
	Members   int64    `json:"members"`
	Tags      []string `json:"tags"`
	TZ        string   `json:"tz"`
	Active    bool     `json:"active"`
	// AllowUnconverted is 允许未转链.
	AllowUnconverted bool      `json:"allow_unconverted"`
	Created          time.Time `json:"created_at"`
	Updated          time.Time `json:"updated_at"`
}

// NewGroup is g as the API and `qunke groups list --json` show it.
func NewGroup(g *community.Group) Group {
	tags := g.Tags
	if tags == nil {
		tags = []string{}
	}
	return Group{ID: g.ID, Name: g.Name, Channel: string(g.Channel), Target: ShownTarget(g), SecretSet: g.Secret != "",
		PIDTaobao: g.PIDTaobao, PIDJD: g.PIDJD, PIDPDD: g.PIDPDD, Owner: g.Owner, Capacity: g.Capacity, Members: g.Members,
		Tags: tags, TZ: g.TZ, Active: g.Active, AllowUnconverted: g.AllowUnconverted, Created: g.Created, Updated: g.Updated}
}

// Groups is GET /api/v1/groups and `qunke groups list --json`.
type Groups struct {
	Groups []Group `json:"groups"`
}

// NewGroups lists gs.
func NewGroups(gs []*community.Group) Groups {
	out := Groups{Groups: []Group{}}
	for _, g := range gs {
		out.Groups = append(out.Groups, NewGroup(g))
	}
	return out
}

// ShownTarget is what a page or the API may show of a group's target: the
// host of a webhook URL (its path and query may carry a token), the first
// characters of a WeCom robot key (the key alone lets anyone post into the
// group), a Telegram chat id as is.
func ShownTarget(g *community.Group) string {
	switch g.Channel {
	case community.Webhook:
		if u, err := url.Parse(g.Target); err == nil && u.Host != "" {
			return u.Host
		}
		return "—"
	case community.WeCom:
		if len(g.Target) > 4 {
			return g.Target[:4] + "…"
		}
		return "…"
	case community.Manual:
		return ""
	}
	return g.Target
}
