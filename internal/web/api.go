package web

import (
	_ "embed"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/catalog"
)

//go:embed openapi.json
var openapiJSON []byte

// apiItems is GET /api/v1/items: the library's search, filters and paging.
// Prices are fen and the minimum commission basis points here.
func (s *Server) apiItems(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := advisor.LibraryQuery{Text: v.Get("q"), Category: v.Get("category"), Brand: v.Get("brand"), Sort: v.Get("sort")}
	var err error
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"min_price_fen", &q.MinPrice}, {"max_price_fen", &q.MaxPrice}, {"min_commission_bp", &q.MinRateBP}, {"min_sales30", &q.MinSales}} {
		if err == nil {
			*f.dst, err = intParam(v.Get(f.name), f.name)
		}
	}
	var off, lim int64
	if err == nil {
		off, err = intParam(v.Get("offset"), "offset")
	}
	if err == nil {
		lim, err = intParam(v.Get("limit"), "limit")
	}
	if p := v.Get("platform"); err == nil && p != "" {
		var ok bool
		if q.Platform, ok = catalog.ParsePlatform(p); !ok {
			err = errors.New("platform: 可用 taobao, tmall, jd, pdd (use taobao, tmall, jd or pdd)")
		}
	}
	if a := v.Get("after"); err == nil && a != "" {
		var c advisor.Cursor
		if c, err = advisor.ParseCursor(a); err == nil {
			q.After = &c
		} else {
			err = errors.New("after: " + err.Error())
		}
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	q.Offset, q.Limit = int(off), int(lim)
	rows, total, err := s.advisor.Library(r.Context(), q)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	limit, next := q.Limit, ""
	if limit <= 0 {
		limit = 50 // Library's default
	}
	if len(rows) > 0 && len(rows) == min(limit, advisor.MaxRankRows) {
		// There may be more: the page after this one is ?after=next.
		next = advisor.LibraryCursor(q, rows[len(rows)-1]).String()
	}
	writeJSON(w, http.StatusOK, apiv1.NewLibrary(rows, total, next))
}

func intParam(s, name string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New(name + ": 应为非负整数 (must be a whole number, not negative)")
	}
	return n, nil
}

func pathKey(r *http.Request) (catalog.Key, error) {
	p, ok := catalog.ParsePlatform(r.PathValue("platform"))
	if !ok {
		return catalog.Key{}, errors.New("platform: 可用 taobao, tmall, jd, pdd (use taobao, tmall, jd or pdd)")
	}
	return catalog.Key{Platform: p, ItemID: r.PathValue("id")}, nil
}

// apiCard is GET /api/v1/items/{platform}/{id}: the decision card.
func (s *Server) apiCard(w http.ResponseWriter, r *http.Request) {
	key, err := pathKey(r)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	c, err := s.advisor.Card(r.Context(), key)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		writeJSONError(w, http.StatusNotFound, err.Error())
	case err != nil:
		s.log.Error("api card", "err", err)
		writeJSONError(w, http.StatusInternalServerError, "内部错误 (internal error)")
	default:
		writeJSON(w, http.StatusOK, apiv1.NewCard(c))
	}
}

// apiHistory is GET /api/v1/items/{platform}/{id}/history?from=&to= (RFC 3339
// or unix seconds): every observation in the window, with the one in effect
// at its start.
func (s *Server) apiHistory(w http.ResponseWriter, r *http.Request) {
	key, err := pathKey(r)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	from, to := int64(0), int64(catalog.Forever)
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"from", &from}, {"to", &to}} {
		if s := r.URL.Query().Get(p.name); s != "" {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				*p.dst = t.Unix()
			} else if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				*p.dst = n
			} else {
				writeJSONError(w, http.StatusBadRequest, p.name+": 应为 RFC 3339 时间或 unix 秒 (use an RFC 3339 time or unix seconds)")
				return
			}
		}
	}
	it, err := s.catalog.Find(r.Context(), key)
	if errors.Is(err, catalog.ErrNotFound) {
		writeJSONError(w, http.StatusNotFound, err.Error())
		return
	}
	if err != nil {
		s.serverError(w, "api history", err)
		return
	}
	obs, err := s.catalog.Observations(r.Context(), it.ID, from, to)
	if err != nil {
		s.serverError(w, "api history", err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewHistory(key, obs))
}

// apiRanking is GET /api/v1/rankings/{kind}.
func (s *Server) apiRanking(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := advisor.RankQuery{Kind: advisor.RankKind(r.PathValue("kind")), Category: v.Get("category"), Brand: v.Get("brand")}
	var err error
	var off, lim int64
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"min_price_fen", &q.MinPrice}, {"max_price_fen", &q.MaxPrice}, {"min_commission_bp", &q.MinRateBP}, {"offset", &off}, {"limit", &lim}} {
		if err == nil {
			*f.dst, err = intParam(v.Get(f.name), f.name)
		}
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	q.Offset, q.Limit = int(off), int(lim)
	rows, err := s.advisor.Rank(r.Context(), q)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewRanking(q.Kind, rows))
}

// apiImports is GET /api/v1/imports: the latest imports.
func (s *Server) apiImports(w http.ResponseWriter, r *http.Request) {
	logs, err := s.catalog.RecentImports(r.Context(), 50)
	if err != nil {
		s.serverError(w, "api imports", err)
		return
	}
	if logs == nil {
		logs = []catalog.ImportLog{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"imports": logs})
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openapiJSON)
}
