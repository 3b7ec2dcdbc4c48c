package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/apiv1"
	"github.com/qunke/qunke/internal/community"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/ops"
)

// MaxGroupCSVBytes bounds an uploaded groups CSV (with the rest of its form):
// ten thousand groups fit in a tenth of it.
const MaxGroupCSVBytes = 4 << 20

// groupCSVSample is the header line the groups page shows.
const groupCSVSample = "群名,渠道,目标,密钥,淘宝PID,京东PID,拼多多PID,负责人,容量,人数,标签,时区,状态,允许未转链,企业微信群ID"

// groupRow is a group as the table shows it: never its secret, and only
// the part of its target that is not a credential.
type groupRow struct {
	*community.Group
	TargetShown string
	SecretSet   bool
	BotNotAdmin bool // a Telegram group whose chat the bot does not administer: no joins by link
}

// groupForm echoes the group form back: every field but the secret, which
// is never rendered.
type groupForm struct {
	ID                          int64
	Name, Channel, Target       string
	PIDTaobao, PIDJD, PIDPDD    string
	Owner, Capacity, Members    string
	Tags, TZ                    string
	Active, SecretSet, Editable bool
	AllowUnconverted            bool
	WeComChatID                 string
}

func formOf(g *community.Group) groupForm {
	return groupForm{ID: g.ID, Name: g.Name, Channel: string(g.Channel), Target: g.Target, PIDTaobao: g.PIDTaobao,
		PIDJD: g.PIDJD, PIDPDD: g.PIDPDD, Owner: g.Owner, Capacity: strconv.FormatInt(g.Capacity, 10),
		Members: strconv.FormatInt(g.Members, 10), Tags: strings.Join(g.Tags, ","), TZ: g.TZ, Active: g.Active, AllowUnconverted: g.AllowUnconverted,
		SecretSet: g.Secret != "", WeComChatID: g.WeComChatID}
}

type groupsView struct {
	Groups    []groupRow
	Channels  []string
	Form      groupForm // the add form, or the group being edited
	Edit      bool
	Sample    string
	Message   string
	Error     string
	RowErrors []*community.RowError
}

func (s *Server) groupsPage(w http.ResponseWriter, r *http.Request) {
	s.renderGroups(w, r, http.StatusOK, &groupsView{Form: groupForm{Active: true, TZ: "Asia/Shanghai", Channel: string(community.Manual)}})
}

func (s *Server) renderGroups(w http.ResponseWriter, r *http.Request, status int, view *groupsView) {
	p := s.newPage(w, r, "/groups", "nav.groups")
	if !view.Edit {
		groups, err := s.groups.List(r.Context(), community.Filter{})
		if err != nil {
			s.serverError(w, r, "groups", err)
			return
		}
		notAdmin, err := s.botNotAdmin(r.Context(), groups)
		if err != nil {
			s.serverError(w, r, "groups", err)
			return
		}
		for _, g := range groups {
			view.Groups = append(view.Groups, groupRow{g, apiv1.ShownTarget(g), g.Secret != "",
				g.Channel == community.Telegram && notAdmin[g.Target]})
		}
	}
	for _, c := range community.Channels {
		view.Channels = append(view.Channels, string(c))
	}
	view.Sample = groupCSVSample
	p.Data = view
	s.render(w, status, "groups", p)
}

// botNotAdmin tells which of the Telegram groups' chats the bot is known not
// to administer (none when the server follows no Telegram bot).
func (s *Server) botNotAdmin(ctx context.Context, groups []*community.Group) (map[string]bool, error) {
	if s.tgBot == nil {
		return nil, nil
	}
	var targets []string
	for _, g := range groups {
		if g.Channel == community.Telegram {
			targets = append(targets, g.Target)
		}
	}
	if len(targets) == 0 {
		return nil, nil
	}
	return s.tgBot.NotAdmin(ctx, targets)
}

// groupFromForm reads the add and edit forms. The error names the field.
func groupFromForm(r *http.Request) (*community.Group, groupForm, error) {
	f := groupForm{Name: r.PostFormValue("name"), Channel: r.PostFormValue("channel"), Target: r.PostFormValue("target"),
		PIDTaobao: r.PostFormValue("pid_taobao"), PIDJD: r.PostFormValue("pid_jd"), PIDPDD: r.PostFormValue("pid_pdd"),
		Owner: r.PostFormValue("owner"), Capacity: r.PostFormValue("capacity"), Members: r.PostFormValue("members"),
		Tags: r.PostFormValue("tags"), TZ: r.PostFormValue("tz"), Active: r.PostFormValue("active") != "",
		AllowUnconverted: r.PostFormValue("allow_unconverted") != "", WeComChatID: r.PostFormValue("wecom_chat_id")}
	g := &community.Group{Name: f.Name, Channel: community.Channel(f.Channel), Target: f.Target,
		Secret: strings.TrimSpace(r.PostFormValue("secret")), PIDTaobao: f.PIDTaobao, PIDJD: f.PIDJD, PIDPDD: f.PIDPDD,
		Owner: f.Owner, Tags: community.SplitTags(f.Tags), TZ: f.TZ, Active: f.Active,
		AllowUnconverted: f.AllowUnconverted, WeComChatID: f.WeComChatID}
	for _, n := range []struct {
		field, label, v string
		dst             *int64
	}{{"capacity", "groups.capacity_label", f.Capacity, &g.Capacity}, {"members", "groups.members_label", f.Members, &g.Members}} {
		v := strings.TrimSpace(strings.ReplaceAll(n.v, ",", ""))
		if v == "" {
			continue
		}
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, f, formError{msg.New("web.whole_number", msg.New(n.label))}
		}
		*n.dst = x
	}
	return g, f, nil
}

// groupsAction handles the add form and the pause/resume buttons.
func (s *Server) groupsAction(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	view := &groupsView{Form: groupForm{Active: true, TZ: "Asia/Shanghai", Channel: string(community.Manual)}}
	p := s.newPage(w, r, "/groups", "nav.groups")
	var err error
	switch r.PostFormValue("action") {
	case "add":
		var g *community.Group
		g, view.Form, err = groupFromForm(r)
		if err == nil {
			err = s.groups.Save(ctx, g)
		}
		if err == nil {
			view.Form = groupForm{Active: true, TZ: "Asia/Shanghai", Channel: string(community.Manual)}
			view.Message = p.T("groups.added", g.Name)
		}
	case "pause", "resume":
		id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
		err = s.groups.SetActive(ctx, id, r.PostFormValue("action") == "resume")
	default:
		s.fail(w, r, http.StatusBadRequest, msg.New("web.unknown_action"))
		return
	}
	if status, ok := s.groupErr(w, r, err, view); ok {
		s.renderGroups(w, r, status, view)
	}
}

// groupErr turns a registry error into the page's message and status; ok
// is false when it already answered (an internal error).
func (s *Server) groupErr(w http.ResponseWriter, r *http.Request, err error, view *groupsView) (int, bool) {
	var fe *community.FieldError
	var form formError
	switch {
	case err == nil:
		return http.StatusOK, true
	case errors.As(err, &form):
		view.Error = s.textIn(w, r)(err)
		return http.StatusBadRequest, true
	case errors.As(err, &fe):
		view.Error = s.textIn(w, r)(fe.Msg)
		return http.StatusBadRequest, true
	case errors.Is(err, community.ErrDuplicateName):
		view.Error = s.textIn(w, r)(err)
		return http.StatusConflict, true
	case errors.Is(err, community.ErrNotFound):
		view.Error = s.textIn(w, r)(err)
		return http.StatusNotFound, true
	}
	s.serverError(w, r, "groups", err)
	return 0, false
}

// groupPage is the edit form of one group.
func (s *Server) groupPage(w http.ResponseWriter, r *http.Request) {
	g, ok := s.pathGroup(w, r)
	if !ok {
		return
	}
	s.renderGroups(w, r, http.StatusOK, &groupsView{Form: formOf(g), Edit: true})
}

// pathGroup loads the group named by the path's {id}, answering 404 or
// 500 itself when it cannot.
func (s *Server) pathGroup(w http.ResponseWriter, r *http.Request) (*community.Group, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return nil, false
	}
	g, err := s.groups.Get(r.Context(), id)
	if errors.Is(err, community.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, err)
		return nil, false
	}
	if err != nil {
		s.serverError(w, r, "group", err)
		return nil, false
	}
	return g, true
}

// groupSave stores the edit form; an empty secret keeps the stored one.
func (s *Server) groupSave(w http.ResponseWriter, r *http.Request) {
	old, ok := s.pathGroup(w, r)
	if !ok {
		return
	}
	g, form, err := groupFromForm(r)
	form.ID, form.SecretSet = old.ID, old.Secret != ""
	if err == nil {
		g.ID = old.ID
		err = s.groups.Save(r.Context(), g)
	}
	if err == nil {
		http.Redirect(w, r, "/groups", http.StatusSeeOther)
		return
	}
	view := &groupsView{Form: form, Edit: true}
	if status, ok := s.groupErr(w, r, err, view); ok {
		s.renderGroups(w, r, status, view)
	}
}

// groupDelete is the edit page's delete button.
func (s *Server) groupDelete(w http.ResponseWriter, r *http.Request) {
	g, ok := s.pathGroup(w, r)
	if !ok {
		return
	}
	p := s.newPage(w, r, "/groups", "nav.groups")
	err := s.groupOps.Delete(r.Context(), g.ID)
	switch {
	case err == nil:
		s.renderGroups(w, r, http.StatusOK, &groupsView{Message: p.T("groups.deleted", g.Name),
			Form: groupForm{Active: true, TZ: "Asia/Shanghai", Channel: string(community.Manual)}})
	case errors.Is(err, community.ErrInUse) || errors.Is(err, ops.ErrGroupHasOrders):
		s.renderGroups(w, r, http.StatusConflict, &groupsView{Form: formOf(g), Edit: true, Error: p.Err(err)})
	default:
		s.serverError(w, r, "delete group", err)
	}
}

// groupsImport adds or updates groups from an uploaded CSV, all or nothing.
func (s *Server) groupsImport(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "/groups", "nav.groups")
	view := &groupsView{Form: groupForm{Active: true, TZ: "Asia/Shanghai", Channel: string(community.Manual)}}
	file, _, err := r.FormFile("file")
	if err != nil {
		view.Error = p.T("import.no_file")
		s.renderGroups(w, r, http.StatusBadRequest, view)
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, MaxGroupCSVBytes+1))
	if err != nil || len(data) > MaxGroupCSVBytes {
		view.Error = p.T("import.too_large", MaxGroupCSVBytes>>20)
		s.renderGroups(w, r, http.StatusRequestEntityTooLarge, view)
		return
	}
	st, err := s.groups.ImportCSV(r.Context(), data)
	var ie *community.ImportError
	switch {
	case errors.As(err, &ie):
		view.Error, view.RowErrors = p.T("groups.import_failed", len(ie.Rows)), ie.Rows
		s.renderGroups(w, r, http.StatusBadRequest, view)
		return
	case err != nil:
		// A file the store could not read (no header, a missing column, a
		// bad encoding) says what to fix; a database failure is logged too.
		s.log.Warn("groups import", "err", err)
		view.Error = s.textIn(w, r)(err)
		s.renderGroups(w, r, http.StatusBadRequest, view)
		return
	}
	view.Message = p.T("groups.imported", st.Added, st.Updated)
	s.renderGroups(w, r, http.StatusOK, view)
}

// formError is a form value the page could not read (not the registry's
// FieldError: its message is rendered in the reader's language).
type formError struct{ error }

func (e formError) Unwrap() error { return e.error }
