package web

import (
	"net/http"
	"strings"

	"github.com/qunke/qunke/internal/advisor"
)

// maxFormBytes bounds a posted form (a pasted message is far smaller).
const maxFormBytes = 2 << 20

type cardView struct {
	N     int
	Card  *advisor.Card
	Chart chartData
	Page  *page
}

type checkView struct {
	Text   string
	Report *advisor.Report
	Cards  []*cardView // by result index; nil where there is no card
}

// checkPage shows the paste box and, after a post, the decision cards.
func (s *Server) checkPage(w http.ResponseWriter, r *http.Request) {
	p := &page{Lang: lang(w, r), Path: "/check", CSRF: csrfFrom(r)}
	p.msgs = s.msgs
	p.Title = p.T("check.title")
	view := &checkView{}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "表单太大或格式不对 (form too large or malformed)", http.StatusRequestEntityTooLarge)
			return
		}
		view.Text = strings.TrimSpace(r.PostFormValue("text"))
		rep, err := s.advisor.Check(r.Context(), view.Text)
		if err != nil {
			s.log.Error("check", "err", err)
			http.Error(w, "内部错误 (internal error)", http.StatusInternalServerError)
			return
		}
		view.Report = rep
		view.Cards = make([]*cardView, len(rep.Results))
		for i, res := range rep.Results {
			if res.Card != nil {
				view.Cards[i] = &cardView{N: i, Card: res.Card, Chart: newChart(res.Card, p), Page: p}
			}
		}
	}
	p.Data = view
	s.render(w, http.StatusOK, "check", p)
}
