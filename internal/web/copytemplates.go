package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/publish"
)

// templateRow is one stored copy template; Tag "" is the team default.
type templateRow struct {
	Tag  string
	Body string
}

// copyFields are the fields a copy template can use, with the message key
// that explains each (the order of publish.CopyData).
var copyFields = []string{"Title", "ShortTitle", "Platform", "ListPrice", "Coupon", "FinalPrice", "Savings",
	"Commission", "Link", "ShareCode", "Reason", "Badges", "Group"}

type templatesView struct {
	Templates  []templateRow // the default first, then by tag
	HasDefault bool
	Tags       []string // group tags, for the tag input
	Fields     []string
	Tag        string // the editor
	Body       string
	Preview    string
	Error      string
	ErrorLine  int
	Message    string
}

func (s *Server) templatesPage(w http.ResponseWriter, r *http.Request) {
	view := &templatesView{}
	tag := strings.TrimSpace(r.URL.Query().Get("tag"))
	all, err := s.publish.Templates(r.Context())
	if err != nil {
		s.serverError(w, r, "templates", err)
		return
	}
	view.Tag, view.Body = tag, all[tag]
	if view.Body == "" {
		if view.Body = all[""]; view.Body == "" {
			view.Body = publish.DefaultBody
		}
	}
	s.renderTemplates(w, r, http.StatusOK, view, all)
}

func (s *Server) renderTemplates(w http.ResponseWriter, r *http.Request, status int, view *templatesView, all map[string]string) {
	p := s.newPage(w, r, "/templates", "nav.templates")
	if all == nil {
		var err error
		if all, err = s.publish.Templates(r.Context()); err != nil {
			s.serverError(w, r, "templates", err)
			return
		}
	}
	for tag, body := range all {
		view.Templates = append(view.Templates, templateRow{tag, body})
	}
	slices.SortFunc(view.Templates, func(a, b templateRow) int { return strings.Compare(a.Tag, b.Tag) })
	_, view.HasDefault = all[""]
	tags, err := s.groups.Tags(r.Context())
	if err != nil {
		s.serverError(w, r, "templates", err)
		return
	}
	for t := range tags {
		view.Tags = append(view.Tags, t)
	}
	slices.Sort(view.Tags)
	view.Fields = copyFields
	p.Data = view
	s.render(w, status, "copytemplates", p)
}

// preview renders body on the sample item, or explains why it cannot.
func preview(body string) (string, *publish.TemplateError) {
	t, err := publish.ParseTemplate(body)
	if err == nil {
		var out string
		if out, err = t.Render(publish.SampleCopy()); err == nil {
			return out, nil
		}
	}
	var te *publish.TemplateError
	if !errors.As(err, &te) {
		te = &publish.TemplateError{Msg: err.Error()}
	}
	return "", te
}

// templatesAction previews, saves or deletes a template (field "action").
// A broken template is never saved: the page shows the error and its line
// and keeps the text in the editor.
func (s *Server) templatesAction(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "/templates", "nav.templates")
	view := &templatesView{Tag: strings.TrimSpace(r.PostFormValue("tag")), Body: r.PostFormValue("body")}
	// Browsers send textarea lines as CRLF; templates are stored with LF.
	view.Body = strings.ReplaceAll(view.Body, "\r\n", "\n")
	status := http.StatusOK
	switch r.PostFormValue("action") {
	case "preview", "save":
		out, te := preview(view.Body)
		if te != nil {
			view.Error, view.ErrorLine, status = te.Message(p.Lang), te.Line, http.StatusBadRequest
			break
		}
		view.Preview = out
		if r.PostFormValue("action") == "save" {
			if err := s.publish.SaveTemplate(r.Context(), view.Tag, view.Body); err != nil {
				var te *publish.TemplateError
				if !errors.As(err, &te) {
					s.serverError(w, r, "save template", err)
					return
				}
				view.Error, view.ErrorLine, status = te.Message(p.Lang), te.Line, http.StatusBadRequest
				break
			}
			view.Message = p.T("tmpl.saved")
		}
	case "delete":
		if err := s.publish.DeleteTemplate(r.Context(), view.Tag); err != nil {
			s.serverError(w, r, "delete template", err)
			return
		}
		view.Message = p.T("tmpl.deleted")
		all, err := s.publish.Templates(r.Context())
		if err != nil {
			s.serverError(w, r, "templates", err)
			return
		}
		view.Tag, view.Body = "", all[""]
		if view.Body == "" {
			view.Body = publish.DefaultBody
		}
		s.renderTemplates(w, r, status, view, all)
		return
	default:
		s.fail(w, r, http.StatusBadRequest, msg.New("web.unknown_action"))
		return
	}
	s.renderTemplates(w, r, status, view, nil)
}
