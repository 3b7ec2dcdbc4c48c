package web

import (
	"net/http"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/publish"
)

// postingRoutes are the posting (发单) pages and API: the group registry,
// copy templates, plans and their queues, the day's board, the manual
// posting page, the delivery log and posters. Changing anything needs
// ManagePosting (admin, operator); the board, plans and log are readable
// by every role that uses the advisor, so selectors see where their picks
// went.
func (s *Server) postingRoutes() {
	post, read := auth.ManagePosting, auth.UseAdvisor
	s.mux.Handle("GET /groups", s.page(post, s.groupsPage))
	s.mux.Handle("POST /groups", s.page(post, s.groupsAction))
	s.mux.Handle("POST /groups/import", s.uploadLimit(MaxGroupCSVBytes+64<<10, s.page(post, s.groupsImport)))
	s.mux.Handle("GET /groups/{id}", s.page(post, s.groupPage))
	s.mux.Handle("POST /groups/{id}", s.page(post, s.groupSave))
	s.mux.Handle("POST /groups/{id}/delete", s.page(post, s.groupDelete))
	s.mux.Handle("GET /templates", s.page(post, s.templatesPage))
	s.mux.Handle("POST /templates", s.page(post, s.templatesAction))
	s.mux.Handle("GET /plans", s.page(read, s.plansPage))
	s.mux.Handle("POST /plans", s.page(post, s.plansSave))
	s.mux.Handle("POST /plans/queue", s.page(post, s.planQueueAdd))
	s.mux.Handle("GET /plans/{id}", s.page(read, s.planPage))
	s.mux.Handle("POST /plans/{id}", s.page(post, s.planAction))
	s.mux.Handle("GET /board", s.page(read, s.boardPage))
	s.mux.Handle("POST /board", s.page(post, s.boardAction))
	s.mux.Handle("GET /manual", s.page(post, s.manualPage))
	s.mux.Handle("POST /manual", s.page(post, s.manualAction))
	s.mux.Handle("GET /deliveries/log", s.page(read, s.deliveryLog))
	s.mux.Handle("GET /deliveries/{id}/poster.png", s.page(post, s.posterPNG))

	s.mux.Handle("GET /api/v1/groups", s.api(post, s.apiGroups))
	s.mux.Handle("POST /api/v1/groups", s.api(post, s.apiAddGroup))
	s.mux.Handle("DELETE /api/v1/groups/{id}", s.api(post, s.apiDeleteGroup))
	s.mux.Handle("GET /api/v1/plans", s.api(read, s.apiPlans))
	s.mux.Handle("DELETE /api/v1/plans/{id}", s.api(post, s.apiDeletePlan))
	s.mux.Handle("POST /api/v1/plans/{id}/queue", s.api(post, s.apiEnqueue))
	s.mux.Handle("GET /api/v1/deliveries", s.api(read, s.apiDeliveries))
	s.mux.Handle("POST /api/v1/deliveries/{id}/{action}", s.api(post, s.apiDeliveryAction))
	s.mux.Handle("POST /api/v1/templates/preview", s.api(post, s.apiTemplatePreview))
}

// postCtx is what the "add to posting" forms of the check and rankings
// pages need: the plans to choose from and the page to come back to.
type postCtx struct {
	Page  *page
	Plans []*publish.Plan
	Next  string
}

// addPost is one "add to posting" form.
type addPost struct {
	Page     *page
	Plans    []*publish.Plan
	Platform catalog.Platform
	ItemID   string
	Price    int64 // the final price now, the form's default chosen price
	Next     string
}

// For is the form for one item.
func (c *postCtx) For(platform catalog.Platform, itemID string, price int64) addPost {
	return addPost{Page: c.Page, Plans: c.Plans, Platform: platform, ItemID: itemID, Price: price, Next: c.Next}
}

// postCtx returns the forms' context for a user who may post, else nil.
func (s *Server) postCtx(r *http.Request, p *page) (*postCtx, error) {
	si := sessionFrom(r)
	if si == nil || !si.User.Role.Can(auth.ManagePosting) {
		return nil, nil
	}
	plans, err := s.publish.Plans(r.Context())
	if err != nil {
		return nil, err
	}
	c := &postCtx{Page: p, Plans: plans}
	// Come back to a page that shows the same thing: a GET's own address
	// (a posted check cannot be reloaded, so it goes to the plan instead).
	if r.Method == http.MethodGet && len(r.URL.RequestURI()) <= 2000 {
		c.Next = r.URL.RequestURI()
	}
	return c, nil
}
