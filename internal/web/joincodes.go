package web

import (
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/growth/campaign"
	"github.com/qunke/qunke/internal/joincode"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
)

// joinRoutes are join codes (群活码): the public page a visitor opens (no
// login), its QR images, the operators' pages and the JSON API.
func (s *Server) joinRoutes() {
	if s.joins == nil {
		return
	}
	s.mux.HandleFunc("GET /join/{code}", s.joinPage)
	s.mux.HandleFunc("GET /join/{code}/qr/{id}", s.joinQR)
	s.mux.Handle("GET /joincodes", s.page(auth.ManagePosting, s.joinCodesPage))
	s.mux.Handle("POST /joincodes", s.page(auth.ManagePosting, s.joinCodesPage))
	s.mux.Handle("GET /joincodes/{id}", s.page(auth.ManagePosting, s.joinCodePage))
	s.mux.Handle("POST /joincodes/{id}", s.page(auth.ManagePosting, s.joinCodePage))
	s.mux.Handle("POST /joincodes/{id}/qr", s.uploadLimit(joincode.MaxQRBytes+1<<20, s.page(auth.ManagePosting, s.joinCodeQR)))
	s.mux.Handle("GET /api/v1/join-codes", s.api(auth.ManagePosting, s.apiJoinCodes))
	s.mux.Handle("POST /api/v1/join-codes", s.api(auth.ManagePosting, s.apiAddJoinCode))
	s.mux.Handle("GET /api/v1/join-codes/{id}", s.api(auth.ManagePosting, s.apiJoinCode))
}

// joinCSP is the join page's policy: as every page's, but WeCom's join way
// QR is an image on WeCom's servers.
const joinCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

type joinView struct {
	C    joincode.Choice
	Gone bool // no such code, or switched off
}

// joinPage is /join/{code}?i=<inviter>: the group to join now. Each view is
// counted (for the inviter whose link it came by); nothing is cached by
// the browser, so that each visit is.
func (s *Server) joinPage(w http.ResponseWriter, r *http.Request) {
	inviter := r.URL.Query().Get("i")
	ch, err := s.joins.Visit(r.Context(), r.PathValue("code"), inviter)
	if errors.Is(err, joincode.ErrNotFound) {
		// A phone page all the same: an old code in a chat or on a poster.
		pg := s.newPage(w, r, "/join", "join.page_title")
		pg.Data = &joinView{Gone: true}
		w.Header().Set("Content-Security-Policy", joinCSP)
		w.Header().Set("Cache-Control", "no-store")
		s.render(w, http.StatusNotFound, "join", pg)
		return
	}
	if err != nil {
		s.serverError(w, r, "join page", err)
		return
	}
	pg := s.newPage(w, r, "/join", "join.page_title")
	pg.Title = ch.Code.Name
	if ch.Inviter != "" {
		pg.Keep = template.URL("i=" + url.QueryEscape(ch.Inviter) + "&")
	}
	pg.Data = &joinView{C: ch}
	w.Header().Set("Content-Security-Policy", joinCSP)
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, http.StatusOK, "join", pg)
}

// joinQR serves an uploaded QR image of a group in the code's pool.
func (s *Server) joinQR(w http.ResponseWriter, r *http.Request) {
	c, err := s.joins.Resolve(r.Context(), r.PathValue("code"))
	id, perr := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || perr != nil {
		s.fail(w, r, http.StatusNotFound, joincode.ErrNotFound)
		return
	}
	data, mime, group, err := s.joins.Store.QRImage(r.Context(), id)
	if err != nil || !slices.Contains(c.Groups, group) {
		s.fail(w, r, http.StatusNotFound, joincode.ErrNotFound)
		return
	}
	w.Header().Set("Content-Type", mime)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(data)
}

type joinCodesView struct {
	Codes  []*joincode.Code
	Linked map[int64][]*campaign.Campaign // the campaigns using each code
	Groups []*community.Group
	Names  map[int64]string
	Form   joincode.Code
	Error  string
	Field  string
}

// joinCodesPage is /joincodes: every code, and the form to add one.
func (s *Server) joinCodesPage(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(w, r, "/joincodes", "join.codes_title")
	view := &joinCodesView{Form: joincode.Code{Active: true}}
	if r.Method == http.MethodPost {
		c := codeFromForm(r, 0)
		if err := s.joins.Store.Save(r.Context(), &c); err != nil {
			view.Form, view.Error, view.Field = c, pg.Err(err), fieldOf(err)
		} else {
			s.joins.Forget()
			http.Redirect(w, r, "/joincodes/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
			return
		}
	}
	if err := s.fillCodes(r, view); err != nil {
		s.serverError(w, r, "join codes", err)
		return
	}
	pg.Data = view
	status := http.StatusOK
	if view.Error != "" {
		status = http.StatusBadRequest
	}
	s.render(w, status, "joincodes", pg)
}

func (s *Server) fillCodes(r *http.Request, view *joinCodesView) error {
	var err error
	if view.Codes, err = s.joins.Store.List(r.Context()); err != nil {
		return err
	}
	if view.Groups, err = s.groups.List(r.Context(), community.Filter{}); err != nil {
		return err
	}
	view.Names = map[int64]string{}
	for _, g := range view.Groups {
		view.Names[g.ID] = g.Name
	}
	view.Linked, err = s.campaignsByCode(r)
	return err
}

func fieldOf(err error) string {
	var fe *community.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

// codeFromForm reads a code's form: the pool is the checked groups, in the
// order listed (the pool's own order first).
func codeFromForm(r *http.Request, id int64) joincode.Code {
	c := joincode.Code{ID: id, Code: r.PostFormValue("code"), Name: r.PostFormValue("name"),
		Campaign: r.PostFormValue("campaign"), Owner: r.PostFormValue("owner"), Active: r.PostFormValue("active") == "1"}
	for _, v := range r.PostForm["group"] {
		if g, err := strconv.ParseInt(v, 10, 64); err == nil {
			c.Groups = append(c.Groups, g)
		} else {
			c.Groups = append(c.Groups, -1)
		}
	}
	return c
}

type joinCodeView struct {
	apiv1.JoinCodeDetail
	Code      *joincode.Code
	Campaigns []*campaign.Campaign // the campaigns using the code
	Pool      []joinPoolRow
	Others    []*community.Group // groups not in the pool, for the form
	Link      string             // the public page, absolute
	Error     string
	Field     string
	Uploaded  bool
	Saved     bool
	// Notes for the operator (the public page does not show them): a pool
	// group joined by an uploaded QR cannot name the inviter; a hand-run
	// group cannot attribute joins at all.
	ByQR, HandRun bool
}

type joinPoolRow struct {
	apiv1.JoinPoolGroup
	Cand joincode.Candidate
}

// joinCodePage is /joincodes/{id}: the pool as the rotation sees it, the
// views per day and per inviter, the warnings, and the forms to edit the
// code and upload a group's QR.
func (s *Server) joinCodePage(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(w, r, "/joincodes", "join.codes_title")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, joincode.ErrNotFound)
		return
	}
	c, err := s.joins.Store.Get(r.Context(), id)
	if errors.Is(err, joincode.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	if err != nil {
		s.serverError(w, r, "join code", err)
		return
	}
	var formErr error
	status := http.StatusOK
	if r.Method == http.MethodPost {
		nc := codeFromForm(r, id)
		if formErr = s.joins.Store.Save(r.Context(), &nc); formErr == nil {
			s.joins.Forget()
			http.Redirect(w, r, "/joincodes/"+strconv.FormatInt(id, 10)+"?saved=1", http.StatusSeeOther)
			return
		}
		status = http.StatusBadRequest
	}
	view, err := s.joinCodeDetail(r, c)
	if err != nil {
		s.serverError(w, r, "join code", err)
		return
	}
	if formErr != nil {
		view.Error, view.Field = pg.Err(formErr), fieldOf(formErr)
	}
	view.Saved, view.Uploaded = r.URL.Query().Get("saved") == "1", r.URL.Query().Get("uploaded") == "1"
	if q := r.URL.Query().Get("error"); q != "" && view.Error == "" {
		view.Error = q
	}
	pg.Title = c.Name
	pg.Data = view
	s.render(w, status, "joincode", pg)
}

func (s *Server) joinCodeDetail(r *http.Request, c *joincode.Code) (*joinCodeView, error) {
	ctx := r.Context()
	pool, err := s.joins.PoolOf(ctx, c)
	if err != nil {
		return nil, err
	}
	today := shanghai.Day(s.now().Unix())
	days, err := s.joins.Store.ViewsByDay(ctx, c.ID, today-29, today)
	if err != nil {
		return nil, err
	}
	inv, err := s.joins.Store.ViewsByInviter(ctx, c.ID, 50)
	if err != nil {
		return nil, err
	}
	total, err := s.joins.Store.TotalViews(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	ws, err := s.joins.Store.Warnings(ctx, c.ID, 20)
	if err != nil {
		return nil, err
	}
	linked, err := s.campaignsByCode(r)
	if err != nil {
		return nil, err
	}
	v := &joinCodeView{JoinCodeDetail: apiv1.NewJoinCodeDetail(c, pool, total, days, inv, ws), Code: c, Campaigns: linked[c.ID]}
	for i, p := range v.JoinCodeDetail.Pool {
		cand := pool.Candidates[i]
		v.Pool = append(v.Pool, joinPoolRow{JoinPoolGroup: p, Cand: cand})
		v.ByQR = v.ByQR || (cand.Group != nil && cand.Kind() == joincode.KindQR)
		v.HandRun = v.HandRun || cand.HandRun()
	}
	all, err := s.groups.List(ctx, community.Filter{})
	if err != nil {
		return nil, err
	}
	for _, g := range all {
		if !slices.Contains(c.Groups, g.ID) {
			v.Others = append(v.Others, g)
		}
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	v.Link = scheme + "://" + r.Host + "/join/" + c.Code
	return v, nil
}

// joinCodeQR is POST /joincodes/{id}/qr: a pool group's QR image (PNG or
// JPEG, at most 2 MB), expiring 7 days from now.
func (s *Server) joinCodeQR(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	back := "/joincodes/" + strconv.FormatInt(id, 10)
	c, err := s.joins.Store.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, joincode.ErrNotFound)
		return
	}
	text := s.textIn(w, r)
	group, _ := strconv.ParseInt(r.PostFormValue("group"), 10, 64)
	if !slices.Contains(c.Groups, group) {
		http.Redirect(w, r, back+"?error="+url.QueryEscape(text(msg.New("join.err_qr_group"))), http.StatusSeeOther)
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		http.Redirect(w, r, back+"?error="+url.QueryEscape(text(msg.New("join.err_qr_file"))), http.StatusSeeOther)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, joincode.MaxQRBytes+1))
	if err == nil {
		_, err = s.joins.Store.UploadQR(r.Context(), group, data, sessionFrom(r).User.Name, s.now())
	}
	if err != nil {
		http.Redirect(w, r, back+"?error="+url.QueryEscape(text(err)), http.StatusSeeOther)
		return
	}
	s.joins.Forget()
	http.Redirect(w, r, back+"?uploaded=1", http.StatusSeeOther)
}

// apiJoinCodes is GET /api/v1/join-codes.
func (s *Server) apiJoinCodes(w http.ResponseWriter, r *http.Request) {
	cs, err := s.joins.Store.List(r.Context())
	if err != nil {
		s.log.Error("api join codes", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	out := apiv1.JoinCodes{JoinCodes: []apiv1.JoinCode{}}
	for _, c := range cs {
		out.JoinCodes = append(out.JoinCodes, apiv1.NewJoinCode(c))
	}
	writeJSON(w, http.StatusOK, out)
}

// apiAddJoinCode is POST /api/v1/join-codes: 201 with the code, 400 naming
// the field to fix.
func (s *Server) apiAddJoinCode(w http.ResponseWriter, r *http.Request) {
	var in apiv1.JoinCodeInput
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": s.textIn(w, r)(msg.New("join.err_body", err.Error())), "field": "body"})
		return
	}
	c := joincode.Code{Code: in.Code, Name: in.Name, Campaign: in.Campaign, Owner: in.Owner, Active: in.Active == nil || *in.Active,
		Groups: in.GroupIDs}
	for _, g := range c.Groups {
		if _, err := s.groups.Get(r.Context(), g); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": s.textIn(w, r)(msg.New("join.err_no_group", g)), "field": "group_ids"})
			return
		}
	}
	if err := s.joins.Store.Save(r.Context(), &c); err != nil {
		var fe *community.FieldError
		if errors.As(err, &fe) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": s.textIn(w, r)(fe.Msg), "field": fe.Field})
			return
		}
		s.log.Error("api add join code", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	s.joins.Forget()
	writeJSON(w, http.StatusCreated, apiv1.NewJoinCode(&c))
}

// apiJoinCode is GET /api/v1/join-codes/{id}: the code, its pool as the
// rotation sees it, its views and warnings.
func (s *Server) apiJoinCode(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var c *joincode.Code
	if err == nil {
		c, err = s.joins.Store.Get(r.Context(), id)
	}
	if err != nil {
		s.apiFail(w, r, http.StatusNotFound, joincode.ErrNotFound)
		return
	}
	v, err := s.joinCodeDetail(r, c)
	if err != nil {
		s.log.Error("api join code", "err", err)
		s.apiFail(w, r, http.StatusInternalServerError, msg.New("web.internal"))
		return
	}
	writeJSON(w, http.StatusOK, v.JoinCodeDetail)
}
