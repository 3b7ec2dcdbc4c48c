package web

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// LoadZone reads a display zone's IANA name (serve --tz), e.g.
// "Asia/Shanghai".
func LoadZone(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, msg.Wrap(err, "web.bad_zone", name, err)
	}
	return loc, nil
}

// funcsIn are the templates' functions, showing times in zone.
func funcsIn(zone *time.Location) template.FuncMap {
	return template.FuncMap{
		"asset": assetURL,
		"yuan":  cells.Yuan,
		"money": func(fen int64) string { // ¥12.30, -¥12.30
			if fen < 0 {
				return "-¥" + cells.Yuan(-fen)
			}
			return "¥" + cells.Yuan(fen)
		},
		"pct": catalog.Percent,
		"inc": func(i int) int { return i + 1 },
		// dict2 passes a page and a value to a sub-template (.P, .F).
		"dict2": func(p *page, f any) map[string]any { return map[string]any{"P": p, "F": f} },
		"has":   func(ids []int64, id int64) bool { return slices.Contains(ids, id) },
		"day":   func(t int64) string { return time.Unix(t, 0).In(zone).Format("2006-01-02") },
		"year":  func(t int64) string { return time.Unix(t, 0).In(zone).Format("2006") },
		"when":  func(t time.Time) string { return t.In(zone).Format("2006-01-02 15:04") },
		// clock and at show unix seconds as a time of day and a full time; 0 is "—".
		"clock": func(t int64) string { return time.Unix(t, 0).In(zone).Format("15:04") },
		"at": func(t int64) string {
			if t == 0 {
				return "—"
			}
			return time.Unix(t, 0).In(zone).Format("2006-01-02 15:04")
		},
		"low": func(l advisor.Low) string {
			if !l.OK {
				return "—"
			}
			return "¥" + cells.Yuan(l.Price) + " (" + time.Unix(l.At, 0).In(zone).Format("2006-01-02") + ")"
		},
	}
}

// pages holds one template set per page, each with the layout.
type pages map[string]*template.Template

func loadPages(zone *time.Location, names ...string) pages {
	ps := pages{}
	funcs := funcsIn(zone)
	for _, n := range names {
		ps[n] = template.Must(template.New(n).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/items.html", "templates/"+n+".html"))
	}
	return ps
}

// page is what every template gets.
type page struct {
	Lang  i18n.Lang
	Title string
	Path  string
	CSRF  string
	User  string       // the signed-in user's display name, "" on public pages
	Keep  template.URL // the query kept by the language switch ("i=alice&"), "" none
	Data  any
	msgs  *i18n.Catalog
	role  auth.Role // the signed-in user's role, "" on public pages
}

// Can reports whether the signed-in user's role grants the permission
// named perm (see auth.Permissions): the layout shows only the links and
// forms the user can use.
func (p *page) Can(perm string) bool { return p.role.Can(auth.Permission(perm)) }

// T translates a message key into the page's language.
func (p *page) T(key string, args ...any) string { return p.msgs.T(p.Lang, key, args...) }

// Err is an error in the page's language: a domain error (msg.Error) from
// its key, any other as it is.
func (p *page) Err(err error) string { return msg.Text(p.msgs, p.Lang, err) }

// textIn renders errors in the reader's language, for handlers that have no
// page yet.
func (s *Server) textIn(w http.ResponseWriter, r *http.Request) func(error) string {
	l := lang(w, r)
	return func(err error) string { return msg.Text(s.msgs, l, err) }
}

// Bad is the message, in the page's language, for a filter field whose
// value cannot be read ("" when it is fine or the page has no filters).
func (p *page) Bad(field string) string {
	var bad fieldErrors
	switch v := p.Data.(type) {
	case *libraryView:
		bad = v.Bad
	case *rankingsView:
		bad = v.Bad
	case *incomeView:
		bad = v.Bad
	case *simulateView:
		bad = v.Bad
	case *econView:
		bad = v.Bad
	}
	if key := bad[field]; key != "" {
		return p.T(key)
	}
	return ""
}

// Reason is a planner's or worker's reason (a skip, a failure, an
// attempt's detail) in the page's language; a platform's own error text is
// shown as given.
func (p *page) Reason(r string) string { return publish.ReasonText(p.Lang, r) }

// ShopKind names the kind of a shop the card marks as Tmall, flagship or
// platform-run: 京东自营 for JD's own, 旗舰店, else 天猫.
func (p *page) ShopKind(it catalog.StoredItem) string {
	switch it.ShopType {
	case catalog.ShopFlagship, catalog.ShopJDSelf:
		return p.T("shop." + string(it.ShopType))
	}
	return p.T("shop.tmall")
}

// Platform names a platform in the page's language (淘宝, 天猫, 京东, 拼多多).
func (p *page) Platform(pl catalog.Platform) string { return p.T("platform." + string(pl)) }

// render executes a page into a buffer first, so a template error becomes a
// clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, p *page) {
	p.msgs = s.msgs
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("render", "page", name, "err", err)
		http.Error(w, p.T("web.internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// lang picks the page language: ?lang= (remembered in a cookie), then the
// cookie, then Accept-Language, then Chinese.
func lang(w http.ResponseWriter, r *http.Request) i18n.Lang {
	if q := r.URL.Query().Get("lang"); q != "" {
		l := i18n.Parse(q)
		http.SetCookie(w, &http.Cookie{Name: "qk_lang", Value: string(l), Path: "/", MaxAge: 365 * 86400, SameSite: http.SameSiteLaxMode, HttpOnly: true})
		return l
	}
	if c, err := r.Cookie("qk_lang"); err == nil {
		return i18n.Parse(c.Value)
	}
	if al := r.Header.Get("Accept-Language"); len(al) >= 2 {
		return i18n.Parse(al)
	}
	return i18n.ZH
}

// chartData is one card's price history for the page's chart: points are
// [unix ms, value] with money in yuan and rates in percent.
type chartData struct {
	Labels map[string]string `json:"labels"`
	Final  [][2]float64      `json:"final"`
	List   [][2]float64      `json:"list"`
	Coupon [][2]float64      `json:"coupon"`
	Rate   [][2]float64      `json:"rate"`
	Low    *[2]float64       `json:"low,omitempty"`
	Promos []chartPromo      `json:"promos"`
}

type chartPromo struct {
	Label string `json:"label"`
	Start int64  `json:"start"`
	End   int64  `json:"end"`
}

func newChart(c *advisor.Card, p *page) chartData {
	d := chartData{Labels: map[string]string{}}
	for _, k := range []string{"final", "list", "coupon", "rate", "low"} {
		d.Labels[k] = p.T("chart." + k)
	}
	for i, o := range c.History {
		if i > 0 && catalog.SamePrice(&o, &c.History[i-1]) && i != len(c.History)-1 {
			continue // the chart steps at changes; the last point closes the line
		}
		ms := float64(o.At * 1000)
		d.Final = append(d.Final, [2]float64{ms, float64(o.FinalPrice) / 100})
		d.List = append(d.List, [2]float64{ms, float64(o.ListPrice) / 100})
		d.Coupon = append(d.Coupon, [2]float64{ms, float64(o.CouponAmount) / 100})
		d.Rate = append(d.Rate, [2]float64{ms, float64(o.CommissionRate) / 100})
	}
	if c.LowAll.OK {
		d.Low = &[2]float64{float64(c.LowAll.At * 1000), float64(c.LowAll.Price) / 100}
	}
	if len(c.History) > 0 {
		for _, pr := range catalog.Promotions(c.History[0].At, c.History[len(c.History)-1].At+1) {
			d.Promos = append(d.Promos, chartPromo{pr.Label + " " + strconv.Itoa(pr.Start.Year()), pr.Start.UnixMilli(), pr.End.UnixMilli()})
		}
	}
	return d
}

// fail answers a plain-text error in the reader's language.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	http.Error(w, s.textIn(w, r)(err), status)
}

// apiFail answers a JSON error in the reader's language.
func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, status int, err error) {
	writeJSONError(w, status, s.textIn(w, r)(err))
}
