package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
)

// memberRoutes are the member registry's pages and API (issue 14): the
// members list with its filters and the upload of a hand-kept member list,
// a member's page, and their JSON. Members are people's ids: they need
// ManagePosting, as the groups do.
func (s *Server) memberRoutes() {
	post := auth.ManagePosting
	s.mux.Handle("GET /members", s.page(post, s.membersPage))
	s.mux.Handle("POST /members/import", s.upload(s.page(post, s.membersImport)))
	s.mux.Handle("GET /members/{id}", s.page(post, s.memberPage))
	s.mux.Handle("GET /api/v1/members", s.api(post, s.apiMembers))
	s.mux.Handle("GET /api/v1/members/{id}", s.api(post, s.apiMember))
}

// membersPerPage is the members page's page size.
const membersPerPage = 50

type membersView struct {
	Q, Source  string
	GroupID    int64
	Sources    []string
	Groups     []*community.Group
	Rows       []community.MemberRow
	Total      int
	From, To   int
	Prev, Next string
	Imported   *community.SheetResult
	Error      string
	RowErrors  []*community.RowError
}

// memberFilter reads the list's filters from a query: q, group (group_id
// in the API), source, and the page (offset, limit in the API).
func memberFilter(q url.Values, api bool) (community.MemberFilter, error) {
	f := community.MemberFilter{Query: strings.TrimSpace(q.Get("q")), Source: community.Source(q.Get("source")), Limit: membersPerPage}
	if len(f.Query) > 200 {
		return f, msg.New("members.bad_query")
	}
	if f.Source != "" && !f.Source.Valid() {
		return f, msg.New("members.bad_source", string(f.Source))
	}
	groupKey := "group"
	if api {
		groupKey = "group_id"
	}
	num := func(key string, lo, hi int64) (int64, error) {
		v := q.Get(key)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < lo || n > hi {
			return 0, msg.New("members.bad_number", key)
		}
		return n, nil
	}
	g, err := num(groupKey, 0, 1<<53)
	if err != nil {
		return f, err
	}
	f.GroupID = g
	if api {
		if l, err := num("limit", 1, 1000); err != nil {
			return f, err
		} else if l > 0 {
			f.Limit = int(l)
		}
		o, err := num("offset", 0, 1<<31)
		if err != nil {
			return f, err
		}
		f.Offset = int(o)
	} else {
		p, err := num("page", 1, 1<<20)
		if err != nil {
			return f, err
		}
		f.Offset = int(max(p-1, 0)) * membersPerPage
	}
	return f, nil
}

func (s *Server) membersPage(w http.ResponseWriter, r *http.Request) {
	s.renderMembers(w, r, http.StatusOK, &membersView{})
}

func (s *Server) renderMembers(w http.ResponseWriter, r *http.Request, status int, v *membersView) {
	p := s.newPage(w, r, "/members", "nav.members")
	f, err := memberFilter(r.URL.Query(), false)
	if err != nil {
		v.Error, status = p.Err(err), http.StatusBadRequest
		f = community.MemberFilter{Limit: membersPerPage}
	}
	list, err := s.groups.MemberPage(r.Context(), f)
	if err != nil {
		s.serverError(w, r, "members", err)
		return
	}
	v.Q, v.Source, v.GroupID = f.Query, string(f.Source), f.GroupID
	for _, src := range community.Sources {
		v.Sources = append(v.Sources, string(src))
	}
	v.Groups, v.Rows, v.Total = list.Groups, list.Rows, list.Total
	if len(v.Rows) > 0 {
		v.From, v.To = f.Offset+1, f.Offset+len(v.Rows)
	}
	at := func(page int) string {
		q := url.Values{}
		if f.Query != "" {
			q.Set("q", f.Query)
		}
		if f.Source != "" {
			q.Set("source", string(f.Source))
		}
		if f.GroupID != 0 {
			q.Set("group", strconv.FormatInt(f.GroupID, 10))
		}
		q.Set("page", strconv.Itoa(page))
		return "/members?" + q.Encode()
	}
	page := f.Offset/membersPerPage + 1
	if f.Offset > 0 {
		v.Prev = at(page - 1)
	}
	if f.Offset+len(v.Rows) < v.Total {
		v.Next = at(page + 1)
	}
	p.Data = v
	s.render(w, status, "members", p)
}

// membersImport takes a member list (CSV, XLSX, XLS) of one group: its
// difference with the registry becomes joins and leaves, in one
// transaction; a bad row and nothing is imported.
func (s *Server) membersImport(w http.ResponseWriter, r *http.Request) {
	v := &membersView{}
	text := s.textIn(w, r)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		v.Error = text(msg.New("members.choose_file"))
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			v.Error = text(msg.New("members.file_too_large"))
		}
		s.renderMembers(w, r, http.StatusBadRequest, v)
		return
	}
	defer file.Close()
	var group string
	if id, err := strconv.ParseInt(r.PostFormValue("group"), 10, 64); err == nil && id > 0 {
		g, err := s.groups.Get(r.Context(), id)
		if err != nil {
			v.Error = text(err)
			s.renderMembers(w, r, http.StatusBadRequest, v)
			return
		}
		group = g.Name
	}
	res, err := s.groups.ImportMembers(r.Context(), hdr.Filename, file, group, s.now())
	var se *community.SheetImportError
	switch {
	case errors.As(err, &se):
		v.Error, v.RowErrors = text(msg.New("members.import_bad_rows", len(se.Rows))), se.Rows
		s.renderMembers(w, r, http.StatusBadRequest, v)
	case err != nil:
		v.Error = text(err)
		s.renderMembers(w, r, http.StatusBadRequest, v)
	default:
		v.Imported = &res
		s.renderMembers(w, r, http.StatusOK, v)
	}
}

type memberView struct {
	D          *community.MemberDetail
	Rows       []memberStay
	Events     []memberEventRow
	IDs        *memberIDs // the member's person-level ids and orders (bindings.go)
	GroupCount int
}

type memberStay struct {
	community.Membership
	Group string
}

type memberEventRow struct {
	community.MemberEvent
	Group string
}

func (s *Server) memberPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	s.renderMember(w, r, id, http.StatusOK, &memberIDs{})
}

// renderMember shows member id's page, with ids' form state (a binding
// error and the value typed).
func (s *Server) renderMember(w http.ResponseWriter, r *http.Request, id int64, status int, ids *memberIDs) {
	d, err := s.groups.MemberInfo(r.Context(), id)
	if errors.Is(err, community.ErrMemberNotFound) {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	if err != nil {
		s.serverError(w, r, "member", err)
		return
	}
	p := s.newPage(w, r, "/members", "nav.members")
	v := &memberView{D: d}
	groups := map[int64]bool{}
	for _, m := range d.Memberships {
		v.Rows = append(v.Rows, memberStay{m, d.GroupNames[m.GroupID]})
		groups[m.GroupID] = true
	}
	v.GroupCount = len(groups)
	for i := len(d.Events) - 1; i >= 0; i-- { // the latest first
		e := d.Events[i]
		v.Events = append(v.Events, memberEventRow{e, d.GroupNames[e.GroupID]})
	}
	if err := s.fillMemberIDs(r, id, ids); err != nil {
		s.serverError(w, r, "member", err)
		return
	}
	v.IDs = ids
	p.Data = v
	s.render(w, status, "member", p)
}

// apiMembers is GET /api/v1/members: q, group_id, source, limit, offset.
func (s *Server) apiMembers(w http.ResponseWriter, r *http.Request) {
	f, err := memberFilter(r.URL.Query(), true)
	if err != nil {
		s.apiFail(w, r, http.StatusBadRequest, err)
		return
	}
	rows, total, err := s.groups.Members(r.Context(), f)
	if err != nil {
		s.log.Error("api members", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewMembers(rows, total, f.Limit, f.Offset))
}

// apiMember is GET /api/v1/members/{id}: a member, its stays and events.
func (s *Server) apiMember(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.apiFail(w, r, http.StatusNotFound, community.ErrMemberNotFound)
		return
	}
	d, err := s.groups.MemberInfo(r.Context(), id)
	if errors.Is(err, community.ErrMemberNotFound) {
		s.apiFail(w, r, http.StatusNotFound, err)
		return
	}
	if err != nil {
		s.log.Error("api member", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewMemberDetail(d))
}
