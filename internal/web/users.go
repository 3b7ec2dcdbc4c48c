package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/msg"
)

type userRow struct {
	auth.User
	Self bool
}

type tokenRow struct {
	auth.Token
	UserName string
}

type usersView struct {
	Users    []userRow
	Tokens   []tokenRow
	Roles    []auth.Role
	NewRole  auth.Role // the add form's choice: the least privilege
	NewToken string    // shown once, right after it is issued
	Message  string
	Error    string
}

// usersPage lists users and API tokens for an admin.
func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, &usersView{})
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, view *usersView) {
	p := s.newPage(w, r, "/users", "nav.users")
	users, err := s.auth.List(r.Context())
	if err != nil {
		s.serverError(w, r, "users", err)
		return
	}
	tokens, err := s.auth.ListTokens(r.Context(), 0)
	if err != nil {
		s.serverError(w, r, "users", err)
		return
	}
	me := sessionFrom(r).User.ID
	names := map[int64]string{}
	for _, u := range users {
		view.Users = append(view.Users, userRow{u, u.ID == me})
		names[u.ID] = u.Name
	}
	for _, t := range tokens {
		view.Tokens = append(view.Tokens, tokenRow{t, names[t.UserID]})
	}
	view.Roles, view.NewRole = auth.Roles, auth.Viewer
	p.Data = view
	s.render(w, status, "users", p)
}

// usersAction handles the forms of the users page (field "action").
func (s *Server) usersAction(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	view := &usersView{}
	var err error
	switch r.PostFormValue("action") {
	case "add":
		var role auth.Role
		if role, err = auth.ParseRole(r.PostFormValue("role")); err == nil {
			_, err = s.auth.CreateUser(ctx, auth.NewUser{Name: r.PostFormValue("name"), DisplayName: r.PostFormValue("display_name"),
				Role: role, Password: r.PostFormValue("password"), AgentID: formAgent(r, role)})
		}
	case "role":
		var role auth.Role
		if role, err = auth.ParseRole(r.PostFormValue("role")); err == nil {
			err = s.auth.SetAgentRole(ctx, id, role, formAgent(r, role))
		}
	case "disable":
		err = s.auth.Disable(ctx, id)
	case "enable":
		err = s.auth.Enable(ctx, id)
	case "token":
		view.NewToken, _, err = s.auth.IssueToken(ctx, id, r.PostFormValue("name"))
	case "revoke":
		err = s.auth.RevokeToken(ctx, id)
	default:
		s.fail(w, r, http.StatusBadRequest, msg.New("web.unknown_action"))
		return
	}
	status := http.StatusOK
	if err != nil {
		view.Error, status = s.textIn(w, r)(err), http.StatusBadRequest
	}
	s.renderUsers(w, r, status, view)
}

// formAgent is the users forms' agent id, read for the agent role only
// (the field may hold a stale value when another role is chosen); -1 when
// it is not a number, which CreateUser refuses as no agent.
func formAgent(r *http.Request, role auth.Role) int64 {
	if role != auth.Agent {
		return 0
	}
	v := strings.TrimSpace(r.PostFormValue("agent_id"))
	id, err := strconv.ParseInt(strings.TrimPrefix(v, "#"), 10, 64)
	if err != nil {
		return -1
	}
	return id
}
