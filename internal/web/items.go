package web

import (
	"context"
	"errors"
	"github.com/qunke/qunke/internal/apiv1"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/msg"
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
	Bad                         fieldErrors // the fields whose values cannot be read
}

// badField is a filter value that cannot be read: the page shows the
// message (Key, in the reader's language) next to its field; Msg, when
// set, is the error's text (both languages, for the API).
type badField struct {
	Field, Key, Value string
	Msg               error // what is wrong, for the API (nil: the value is named)
}

func (e *badField) Error() string {
	if e.Msg != nil {
		return e.Field + ": " + e.Msg.Error()
	}
	return e.Field + " " + strconv.Quote(e.Value)
}

// Unwrap returns the message, which msg.Text renders after the field.
func (e *badField) Unwrap() error { return e.Msg }

// fieldErrors collects a form's bad fields: field name to the message key.
type fieldErrors map[string]string

func (fe fieldErrors) add(err error) {
	var bf *badField
	if errors.As(err, &bf) {
		fe[bf.Field] = bf.Key
	}
}

// parseYuan reads an operator's price ("19.9") as fen; "" is 0.
func parseYuan(field, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v, ok := parseFen(s)
	if !ok {
		return 0, &badField{Field: field, Key: "filter.bad_amount", Value: s}
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
		return 0, &badField{Field: field, Key: "filter.bad_percent", Value: s}
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

// parseFilters reads the filters the library and the rankings share; the
// bad ones are added to bad.
func parseFilters(v url.Values, bad fieldErrors) filters {
	f := filters{category: strings.TrimSpace(v.Get("category")), brand: strings.TrimSpace(v.Get("brand"))}
	f.view = filterView{MinPrice: v.Get("min_price"), MaxPrice: v.Get("max_price"), MinRate: v.Get("min_commission"), Bad: bad}
	var err error
	if f.minPrice, err = parseYuan("min_price", v.Get("min_price")); err != nil {
		bad.add(err)
	}
	if f.maxPrice, err = parseYuan("max_price", v.Get("max_price")); err != nil {
		bad.add(err)
	}
	if f.minRate, err = parsePercent("min_commission", v.Get("min_commission")); err != nil {
		bad.add(err)
	}
	return f
}

func (s *Server) newPage(w http.ResponseWriter, r *http.Request, path, titleKey string) *page {
	p := &page{Lang: lang(w, r), Path: path, CSRF: csrfFrom(r), msgs: s.msgs}
	if si := sessionFrom(r); si != nil {
		p.User, p.role = si.User.DisplayName, si.User.Role
	}
	p.Title = p.T(titleKey)
	return p
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
	bad := fieldErrors{}
	f := parseFilters(v, bad)
	q := advisor.LibraryQuery{Text: v.Get("q"), Category: f.category, Brand: f.brand, MinPrice: f.minPrice,
		MaxPrice: f.maxPrice, MinRateBP: f.minRate, Sort: v.Get("sort"), Limit: pageSize}
	if pl := v.Get("platform"); pl != "" {
		if q.Platform, _ = catalog.ParsePlatform(pl); q.Platform == "" {
			bad["platform"] = "filter.bad_choice"
		}
	}
	if st := v.Get("shop_type"); st != "" {
		if !slices.Contains(shopTypes, catalog.ShopType(st)) {
			bad["shop_type"] = "filter.bad_choice"
		}
		q.ShopType = catalog.ShopType(st)
	}
	if !slices.Contains(advisor.LibrarySorts, q.Sort) && q.Sort != "" {
		bad["sort"] = "filter.bad_choice"
	}
	if ms := strings.TrimSpace(v.Get("min_sales")); ms != "" {
		n, err := strconv.ParseInt(ms, 10, 64)
		if err != nil || n < 0 {
			bad["min_sales"] = "filter.bad_count"
		}
		q.MinSales = n
	}
	view := &libraryView{filterView: f.view, Q: q, MinSales: v.Get("min_sales"), ShopTypes: shopTypes, Platforms: catalog.Platforms, Sorts: advisor.LibrarySorts,
		Items: itemsView{Page: p}}
	p.Data = view
	if err := s.libraryRows(r.Context(), v, &q, view, bad); err != nil {
		s.serverError(w, r, "library", err)
		return
	}
	if len(bad) > 0 {
		s.render(w, http.StatusBadRequest, "library", p)
		return
	}
	s.render(w, http.StatusOK, "library", p)
}

// libraryRows reads the page of rows the query asks for (?after= or
// ?before= a row, then ?offset=) into view, with the links to the pages
// on either side. Nothing is read when a field is bad (see bad).
func (s *Server) libraryRows(ctx context.Context, v url.Values, q *advisor.LibraryQuery, view *libraryView, bad fieldErrors) error {
	for _, c := range []struct {
		name string
		dst  **advisor.Cursor
	}{{"after", &q.After}, {"before", &q.Before}} {
		if t := v.Get(c.name); t != "" {
			cur, err := advisor.ParseCursor(t)
			if err != nil {
				bad["page"] = "filter.bad_page"
			}
			*c.dst = &cur
		}
	}
	if o := v.Get("offset"); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil || n < 0 || n > advisor.MaxRankRows {
			bad["page"] = "filter.bad_page"
		}
		q.Offset = n
	}
	if len(bad) > 0 {
		return nil
	}
	q.Limit = pageSize + 1 // one more says whether a page lies beyond
	rows, total, err := s.advisor.Library(ctx, *q)
	if err != nil {
		return err // the query is checked: not the reader's doing
	}
	more := len(rows) > pageSize
	switch {
	case more && q.Before != nil:
		rows = rows[1:] // the extra row is the furthest back
	case more:
		rows = rows[:pageSize]
	}
	view.Items.Entries, view.Total = rows, total
	if len(rows) == 0 {
		return nil
	}
	link := func(name string, e *advisor.Entry) string {
		u := url.Values{}
		for k, vs := range v {
			if k != "after" && k != "before" && k != "offset" {
				u[k] = vs
			}
		}
		u.Set(name, advisor.LibraryCursor(*q, e).String())
		return "/library?" + u.Encode()
	}
	// Going back, there is a page before when the extra row came, and the
	// page we came from after; going forward, the other way round.
	if q.Before != nil && more || q.Before == nil && (q.After != nil || q.Offset > 0) {
		view.Prev = link("before", rows[0])
	}
	if q.Before != nil || more {
		view.Next = link("after", rows[len(rows)-1])
	}
	return nil
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
	bad := fieldErrors{}
	f := parseFilters(v, bad)
	q := advisor.RankQuery{Kind: advisor.RankKind(v.Get("kind")), Category: f.category, Brand: f.brand,
		MinPrice: f.minPrice, MaxPrice: f.maxPrice, MinRateBP: f.minRate, Limit: pageSize}
	if q.Kind == "" {
		q.Kind = advisor.RankHot
	}
	if !slices.Contains(advisor.RankKinds, q.Kind) {
		bad["kind"] = "filter.bad_choice"
	}
	view := &rankingsView{filterView: f.view, Q: q, Kinds: advisor.RankKinds, Items: itemsView{Page: p}}
	p.Data = view
	if len(bad) > 0 {
		s.render(w, http.StatusBadRequest, "rankings", p)
		return
	}
	rows, err := s.advisor.Rank(r.Context(), q)
	if err != nil {
		s.serverError(w, r, "rankings", err)
		return
	}
	view.Items = rankItems(p, rows)
	if view.Items.Post, err = s.postCtx(r, p); err != nil {
		s.serverError(w, r, "rankings", err)
		return
	}
	s.render(w, http.StatusOK, "rankings", p)
}

type board struct {
	Kind  advisor.RankKind
	Items itemsView
}

type dashboardView struct {
	Boards  []board
	Imports []catalog.ImportLog
	Empty   bool // nothing to rank yet: the page says how to import
	// Warnings are the groups whose health is in warning or dead.
	Warnings []apiv1.GroupHealth
}

// dashboard shows today's lows, hot items and top commissions, and the
// latest imports.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "/", "nav.dashboard")
	view := &dashboardView{}
	view.Empty = true
	for _, k := range []advisor.RankKind{advisor.RankLows, advisor.RankHot, advisor.RankCommission} {
		rows, err := s.advisor.Rank(r.Context(), advisor.RankQuery{Kind: k, Limit: 10})
		if err != nil {
			s.serverError(w, r, "dashboard", err)
			return
		}
		view.Boards = append(view.Boards, board{Kind: k, Items: rankItems(p, rows)})
		view.Empty = view.Empty && len(rows) == 0
	}
	imports, err := s.catalog.RecentImports(r.Context(), 10)
	if err != nil {
		s.serverError(w, r, "dashboard", err)
		return
	}
	view.Imports = imports
	if view.Warnings, err = s.healthWarnings(r.Context(), p.Lang); err != nil {
		s.serverError(w, r, "dashboard", err)
		return
	}
	p.Data = view
	s.render(w, http.StatusOK, "dashboard", p)
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, where string, err error) {
	s.log.Error(where, "err", err)
	s.fail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
}
