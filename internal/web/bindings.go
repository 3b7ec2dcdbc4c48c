package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/orders"
)

// bindingRoutes are a member's person-level ids (会员运营ID, 渠道关系ID,
// subUnionId, custom_parameters), for those who run the groups (the
// member pages' permission).
func (s *Server) bindingRoutes() {
	s.mux.Handle("GET /api/v1/members/{id}/bindings", s.api(auth.ManagePosting, s.apiBindings))
	s.mux.Handle("POST /api/v1/members/{id}/bindings", s.api(auth.ManagePosting, s.apiBind))
	s.mux.Handle("DELETE /api/v1/members/{id}/bindings", s.api(auth.ManagePosting, s.apiUnbind))
	s.mux.Handle("POST /members/{id}/bindings", s.page(auth.ManagePosting, s.bindAction))
}

// memberID is the {id} of the path, 0 when it is not one.
func memberID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// bindStatus is the HTTP status of a binding error.
func bindStatus(err error) int {
	var me *msg.Error
	switch {
	case errors.Is(err, community.ErrNoMember), errors.Is(err, community.ErrBindNotBound):
		return http.StatusNotFound
	case errors.Is(err, community.ErrBindTaken):
		return http.StatusConflict
	case errors.As(err, &me):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func (s *Server) bindFail(w http.ResponseWriter, r *http.Request, err error) {
	status := bindStatus(err)
	if status == http.StatusInternalServerError {
		s.log.Error("api bindings", "err", err)
		err = msg.New("web.internal")
	}
	s.apiFail(w, r, status, err)
}

// apiBindings is GET /api/v1/members/{id}/bindings.
func (s *Server) apiBindings(w http.ResponseWriter, r *http.Request) {
	id := memberID(r)
	bs, err := s.groups.MemberBindings(r.Context(), id)
	if err != nil {
		s.bindFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.NewBindings(id, bs))
}

// bindReq is the body of POST and DELETE /api/v1/members/{id}/bindings.
type bindReq struct {
	Platform string `json:"platform"`
	Kind     string `json:"kind"`
	Value    string `json:"value"`
}

// apiBind is POST /api/v1/members/{id}/bindings: 201 with the new
// binding, 200 when the member already had it, 409 when another member
// has it.
func (s *Server) apiBind(w http.ResponseWriter, r *http.Request) {
	var req bindReq
	if !s.decodeJSON(w, r, &req) {
		return
	}
	b, added, err := s.groups.AddBinding(r.Context(), memberID(r), req.Platform, req.Kind, req.Value)
	switch {
	case err != nil:
		s.bindFail(w, r, err)
	case added:
		writeJSON(w, http.StatusCreated, apiv1.NewBinding(b))
	default:
		writeJSON(w, http.StatusOK, apiv1.NewBinding(b))
	}
}

// apiUnbind is DELETE /api/v1/members/{id}/bindings with the same body:
// {"unbound": true}, 404 when the member does not have that id.
func (s *Server) apiUnbind(w http.ResponseWriter, r *http.Request) {
	var req bindReq
	if !s.decodeJSON(w, r, &req) {
		return
	}
	if err := s.groups.UnbindMember(r.Context(), memberID(r), req.Platform, req.Kind, req.Value); err != nil {
		s.bindFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"unbound": true})
}

// memberOrders is how many of a member's latest orders its page lists.
const memberOrders = 20

// memberIDs is the member page's ids and orders part: the bindings with
// their form, the orders credited to the member.
type memberIDs struct {
	Bindings []community.Binding
	Kinds    []string // the kinds the form offers
	Error    string   // why the last bind or unbind failed
	Value    string   // the value typed, kept after an error
	Totals   orders.MemberTotals
	Orders   []orders.Order
}

// fillMemberIDs loads a member's bindings and orders into v.
func (s *Server) fillMemberIDs(r *http.Request, id int64, v *memberIDs) error {
	var err error
	if v.Bindings, err = s.groups.Bindings(r.Context(), id); err != nil {
		return err
	}
	v.Kinds = []string{community.KindSpecialID, community.KindRelationID, community.KindSubUnionID, community.KindCustomParameters}
	v.Totals, v.Orders, err = s.orders.MemberOrders(r.Context(), id, memberOrders)
	return err
}

// bindAction is the member page's form: bind one id (the kind names its
// platform) or, with unbind set, unbind it; then back to the page, which
// says why when it failed.
func (s *Server) bindAction(w http.ResponseWriter, r *http.Request) {
	id := memberID(r)
	kind, value := r.PostFormValue("kind"), r.PostFormValue("value")
	platform := r.PostFormValue("platform")
	if platform == "" {
		platform = community.PlatformOfKind(kind)
	}
	var err error
	if r.PostFormValue("unbind") != "" {
		err = s.groups.UnbindMember(r.Context(), id, platform, kind, value)
	} else {
		err = s.groups.Bind(r.Context(), id, platform, kind, value)
	}
	status := http.StatusOK
	if err != nil {
		status = bindStatus(err)
	}
	switch {
	case status == http.StatusInternalServerError:
		s.serverError(w, r, "bind", err)
	case errors.Is(err, community.ErrNoMember):
		s.fail(w, r, http.StatusNotFound, err)
	case err != nil:
		s.renderMember(w, r, id, status, &memberIDs{Error: s.textIn(w, r)(err), Value: value})
	default:
		http.Redirect(w, r, "/members/"+strconv.FormatInt(id, 10)+"#ids", http.StatusSeeOther)
	}
}
