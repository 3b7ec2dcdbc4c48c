package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/cells"
)

// itemsView is what the "items" template lists.
type itemsView struct {
	Page    *page
	Entries []*advisor.Entry
	Ranked  bool
	Ranks   []int
	Post    *postCtx // "add to posting" on each row; nil: not offered
}

// filterView carries the shared filter inputs back into the form.
type filterView struct {
	Q                           any
	MinPrice, MaxPrice, MinRate string
}

// parseYuan reads an operator's price ("19.9") as fen; "" is 0.
func parseYuan(field, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v, ok := parseFen(s)
	if !ok {
		return 0, fmt.Errorf("%s %q 不是有效的金额 (not a valid amount)", field, s)
	}
	return v, nil
}

// parseFen reads an amount typed in yuan ("19.9", "¥1,299", "39.90元")
// exactly, as fen: no float on the way, and more than two decimals, a
// negative amount or one above catalog.MaxPrice is refused.
func parseFen(s string) (int64, bool) {
	v, e := cells.Fixed(cells.StripCurrency(strings.TrimSpace(s)), 2)
	if e != cells.OK || v < 0 || v > catalog.MaxPrice {
		return 0, false
	}
	return v, true
}

// parsePercent reads "20" or "20.5" as basis points.
func parsePercent(field, s string) (int64, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "%")
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 90 {
		return 0, fmt.Errorf("%s %q 应为 0 到 90 的百分比 (must be a percentage from 0 to 90)", field, s)
	}
	return int64(f*100 + 0.5), nil
}

type filters struct {
	category, brand string
	minPrice        int64
	maxPrice        int64
	minRate         int64
	view            filterView
}

func parseFilters(v url.Values) (filters, error) {
	f := filters{category: strings.TrimSpace(v.Get("category")), brand: strings.TrimSpace(v.Get("brand"))}
	f.view = filterView{MinPrice: v.Get("min_price"), MaxPrice: v.Get("max_price"), MinRate: v.Get("min_commission")}
	var err error
	if f.minPrice, err = parseYuan("min_price", v.Get("min_price")); err != nil {
		return f, err
	}
	if f.maxPrice, err = parseYuan("max_price", v.Get("max_price")); err != nil {
		return f, err
	}
	if f.minRate, err = parsePercent("min_commission", v.Get("min_commission")); err != nil {
		return f, err
	}
	return f, nil
}

func (s *Server) newPage(w http.ResponseWriter, r *http.Request, path, titleKey string) *page {
	p := &page{Lang: lang(w, r), Path: path, CSRF: csrfFrom(r), msgs: s.msgs}
	if si := sessionFrom(r); si != nil {
		p.User, p.role = si.User.DisplayName, si.User.Role
	}
	p.Title = p.T(titleKey)
	return p
}

func (s *Server) badFilter(w http.ResponseWriter, p *page, err error) {
	http.Error(w, p.T("error.bad_filter", err.Error()), http.StatusBadRequest)
}

type libraryView struct {
	filterView
	Q         advisor.LibraryQuery
	MinSales  string
	ShopTypes []catalog.ShopType
	Platforms []catalog.Platform
	Sorts     []string
	Items     itemsView
	Total     int
	Prev      string
	Next      string
}

const pageSize = 50

// shopTypes are the shop kinds the library filters by.
var shopTypes = []catalog.ShopType{catalog.ShopTmall, catalog.ShopFlagship, catalog.ShopTaobao, catalog.ShopJDSelf, catalog.ShopPDD}

func (s *Server) libraryPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "/library", "nav.library")
	v := r.URL.Query()
	f, err := parseFilters(v)
	if err != nil {
		s.badFilter(w, p, err)
		return
	}
	q := advisor.LibraryQuery{Text: v.Get("q"), Category: f.category, Brand: f.brand, MinPrice: f.minPrice,
		MaxPrice: f.maxPrice, MinRateBP: f.minRate, Sort: v.Get("sort"), Limit: pageSize}
	if pl := v.Get("platform"); pl != "" {
		if q.Platform, _ = catalog.ParsePlatform(pl); q.Platform == "" {
			s.badFilter(w, p, fmt.Errorf("platform %q", pl))
			return
		}
	}
	if st := v.Get("shop_type"); st != "" {
		if !slices.Contains(shopTypes, catalog.ShopType(st)) {
			s.badFilter(w, p, fmt.Errorf("shop_type %q", st))
			return
		}
		q.ShopType = catalog.ShopType(st)
	}
	if ms := strings.TrimSpace(v.Get("min_sales")); ms != "" {
		n, err := strconv.ParseInt(ms, 10, 64)
		if err != nil || n < 0 {
			s.badFilter(w, p, fmt.Errorf("min_sales %q", ms))
			return
		}
		q.MinSales = n
	}
	if o, err := strconv.Atoi(v.Get("offset")); err == nil {
		q.Offset = o
	}
	rows, total, err := s.advisor.Library(r.Context(), q)
	if err != nil {
		s.badFilter(w, p, err)
		return
	}
	view := &libraryView{filterView: f.view, Q: q, MinSales: v.Get("min_sales"), ShopTypes: shopTypes, Platforms: catalog.Platforms, Sorts: advisor.LibrarySorts,
		Items: itemsView{Page: p, Entries: rows}, Total: total}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(max(0, q.Offset-pageSize)))
		view.Prev = "/library?" + v.Encode()
	}
	if q.Offset+pageSize < total && q.Offset+pageSize <= advisor.MaxRankRows {
		v.Set("offset", strconv.Itoa(q.Offset+pageSize))
		view.Next = "/library?" + v.Encode()
	}
	p.Data = view
	s.render(w, http.StatusOK, "library", p)
}

type rankingsView struct {
	filterView
	Q     advisor.RankQuery
	Kinds []advisor.RankKind
	Items itemsView
}

func rankItems(p *page, rows []advisor.RankRow) itemsView {
	iv := itemsView{Page: p, Ranked: true}
	for _, r := range rows {
		iv.Entries = append(iv.Entries, r.Entry)
		iv.Ranks = append(iv.Ranks, r.Rank)
	}
	return iv
}

func (s *Server) rankingsPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "/rankings", "nav.rankings")
	v := r.URL.Query()
	f, err := parseFilters(v)
	if err != nil {
		s.badFilter(w, p, err)
		return
	}
	q := advisor.RankQuery{Kind: advisor.RankKind(v.Get("kind")), Category: f.category, Brand: f.brand,
		MinPrice: f.minPrice, MaxPrice: f.maxPrice, MinRateBP: f.minRate, Limit: pageSize}
	if q.Kind == "" {
		q.Kind = advisor.RankHot
	}
	rows, err := s.advisor.Rank(r.Context(), q)
	if err != nil {
		s.badFilter(w, p, err)
		return
	}
	view := &rankingsView{filterView: f.view, Q: q, Kinds: advisor.RankKinds, Items: rankItems(p, rows)}
	if view.Items.Post, err = s.postCtx(r, p); err != nil {
		s.serverError(w, "rankings", err)
		return
	}
	p.Data = view
	s.render(w, http.StatusOK, "rankings", p)
}

type board struct {
	Kind  advisor.RankKind
	Items itemsView
}

type dashboardView struct {
	Boards  []board
	Imports []catalog.ImportLog
}

// dashboard shows today's lows, hot items and top commissions, and the
// latest imports.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "/", "nav.dashboard")
	view := &dashboardView{}
	for _, k := range []advisor.RankKind{advisor.RankLows, advisor.RankHot, advisor.RankCommission} {
		rows, err := s.advisor.Rank(r.Context(), advisor.RankQuery{Kind: k, Limit: 10})
		if err != nil {
			s.serverError(w, "dashboard", err)
			return
		}
		view.Boards = append(view.Boards, board{Kind: k, Items: rankItems(p, rows)})
	}
	imports, err := s.catalog.RecentImports(r.Context(), 10)
	if err != nil {
		s.serverError(w, "dashboard", err)
		return
	}
	view.Imports = imports
	p.Data = view
	s.render(w, http.StatusOK, "dashboard", p)
}

func (s *Server) serverError(w http.ResponseWriter, where string, err error) {
	s.log.Error(where, "err", err)
	http.Error(w, "内部错误 (internal error)", http.StatusInternalServerError)
}
