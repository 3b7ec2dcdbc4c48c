package web

import (
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/msg"
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
			err = errBadPlatform
		}
	}
	if a := v.Get("after"); err == nil && a != "" {
		var c advisor.Cursor
		if c, err = advisor.ParseCursor(a); err == nil {
			q.After = &c
		} else {
			err = fmt.Errorf("after: %w", err)
		}
	}
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	q.Offset, q.Limit = int(off), int(lim)
	rows, total, err := s.advisor.Library(r.Context(), q)
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
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
		return 0, msg.New("web.not_negative", name)
	}
	return n, nil
}

func pathKey(r *http.Request) (catalog.Key, error) {
	p, ok := catalog.ParsePlatform(r.PathValue("platform"))
	if !ok {
		return catalog.Key{}, errBadPlatform
	}
	return catalog.Key{Platform: p, ItemID: r.PathValue("id")}, nil
}

// apiCard is GET /api/v1/items/{platform}/{id}: the decision card.
func (s *Server) apiCard(w http.ResponseWriter, r *http.Request) {
	key, err := pathKey(r)
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	c, err := s.advisor.Card(r.Context(), key)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		s.apiFail(w, r, http.StatusNotFound, err)
	case err != nil:
		s.log.Error("api card", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
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
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	from, to := int64(0), int64(catalog.Forever)
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"from", &from}, {"to", &to}} {
		if v := r.URL.Query().Get(p.name); v != "" {
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				*p.dst = t.Unix()
			} else if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				*p.dst = n
			} else {
				s.apiFail(w, r, http.StatusBadRequest, msg.New("web.bad_time", p.name))
				return
			}
		}
	}
	it, err := s.catalog.Find(r.Context(), key)
	if errors.Is(err, catalog.ErrNotFound) {
		s.apiFail(w, r, http.StatusNotFound, err)
		return
	}
	if err != nil {
		s.serverError(w, r, "api history", err)
		return
	}
	obs, err := s.catalog.Observations(r.Context(), it.ID, from, to)
	if err != nil {
		s.serverError(w, r, "api history", err)
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
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	q.Offset, q.Limit = int(off), int(lim)
	rows, err := s.advisor.Rank(r.Context(), q)
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewRanking(q.Kind, rows))
}

// apiImports is GET /api/v1/imports: the latest imports.
func (s *Server) apiImports(w http.ResponseWriter, r *http.Request) {
	logs, err := s.catalog.RecentImports(r.Context(), 50)
	if err != nil {
		s.serverError(w, r, "api imports", err)
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

// errBadPlatform is a platform the API does not know.
var errBadPlatform = msg.New("web.bad_platform")
